import FluentKit
import Foundation
import LentuneCore

public final class SupplierMappingRecord: Model, TenantRecord, @unchecked Sendable {
    public static let schema = "supplier_mappings"
    public static var organisationKey: KeyPath<SupplierMappingRecord, FieldProperty<SupplierMappingRecord, UUID>> { \.$organisationID }

    // managed fields
    @ID(key: .id) public var id: UUID?

    // data fields
    @Field(key: "organisation_id") public var organisationID: UUID
    @Field(key: "company_link_id") public var companyLinkID: UUID
    @Field(key: "procore_vendor_id") public var procoreVendorID: Int64
    @Field(key: "vendor_name") public var vendorName: String
    @Field(key: "supplier_id") public var supplierID: UUID
    /// `open`, `linked`, `kept_apart`, or `closed` (the vendor or the supplier was linked elsewhere).
    @Field(key: "decision") public var decision: String
    @OptionalField(key: "decided_by") public var decidedBy: String?
    @OptionalField(key: "decided_at") public var decidedAt: Date?
    @Field(key: "created_at") public var createdAt: Date

    public init() {}
}

/// Near-miss vendor names (`Supplier.isNearMiss`): a Procore vendor whose name is close to, but not the same as, a
/// Lentune supplier without a vendor is neither merged nor duplicated by the import; it is offered on the **Supplier
/// mapping** page, where an administrator links the two or keeps them apart (then the vendor becomes its own supplier).
public enum SupplierMappings {
    public struct Suggestion: Sendable, Equatable {
        public var id: UUID
        public var procoreVendorID: Int64
        public var vendorName: String
        public var supplierID: UUID
        public var supplierName: String
        public var decision: String
    }

    public enum Decision: String, Sendable { case link = "linked", keepApart = "kept_apart" }

    public enum Outcome: Sendable, Equatable {
        case done(Suggestion)
        /// Someone decided first, or the supplier or vendor has been linked since: nothing changed.
        case stale
    }

    /// The open suggestions of a company row, by vendor name.
    public static func open(of row: ProcoreCompanyLink, on db: any Database) async throws -> [Suggestion] {
        let records = try await SupplierMappingRecord.scoped(to: row.organisationID, on: db)
            .filter(\.$companyLinkID == row.id.rawValue).filter(\.$decision == "open").all()
        let suppliers = try await SupplierRecord.scoped(to: row.organisationID, on: db).filter(\.$id ~~ records.map(\.supplierID)).all()
        let names = Dictionary(uniqueKeysWithValues: suppliers.compactMap { s in s.id.map { ($0, s.name) } })
        return records.map { suggestion($0, supplierName: names[$0.supplierID] ?? "") }
            .sorted { ($0.vendorName, $0.supplierName) < ($1.vendorName, $1.supplierName) }
    }

    static func suggestion(_ record: SupplierMappingRecord, supplierName: String) -> Suggestion {
        Suggestion(
            id: record.id!, procoreVendorID: record.procoreVendorID, vendorName: record.vendorName, supplierID: record.supplierID,
            supplierName: supplierName, decision: record.decision)
    }

    /// Records a person's decision. **Link** gives the supplier the vendor's Procore id (and closes the other open
    /// suggestions of that vendor and of that supplier); **Keep apart** lets the next import create the vendor as its
    /// own supplier. Only an open suggestion whose supplier is still without a vendor can be decided.
    public static func decide(
        _ id: UUID, _ decision: Decision, row: ProcoreCompanyLink, actor: User, now: Date, on db: any Database
    ) async throws -> Outcome? {
        try await db.writeTransaction { tx in
            guard let record = try await SupplierMappingRecord.scoped(to: row.organisationID, on: tx)
                .filter(\.$id == id).filter(\.$companyLinkID == row.id.rawValue).first()
            else { return nil }
            guard record.decision == "open",
                let supplier = try await SupplierRecord.scoped(to: row.organisationID, on: tx).filter(\.$id == record.supplierID).first()
            else { return .stale }
            if decision == .link {
                let vendorTaken = try await ReferenceLinks.entity(.supplier, procoreID: record.procoreVendorID, row: row, on: tx) != nil
                let supplierPaired = try await ReferenceLinks.procoreID(.supplier, of: record.supplierID, row: row, on: tx) != nil
                guard !supplierPaired, !vendorTaken else { return .stale }
                try await ReferenceLinks.pair(.supplier, record.supplierID, with: record.procoreVendorID, row: row, on: tx)
                for other in try await SupplierMappingRecord.scoped(to: row.organisationID, on: tx).filter(\.$decision == "open")
                    .group(.or, { $0.filter(\.$procoreVendorID == record.procoreVendorID).filter(\.$supplierID == record.supplierID) }).all()
                where other.id != record.id {
                    other.decision = "closed"
                    other.decidedAt = now
                    try await other.save(on: tx)
                }
            }
            (record.decision, record.decidedBy, record.decidedAt) = (decision.rawValue, actor.email, now)
            try await record.save(on: tx)
            try await AuditLog.record(
                AuditEvent(
                    organisationID: row.organisationID, actorID: actor.id, actorEmail: actor.email, occurredAt: now,
                    action: decision == .link ? "supplier.mapping.linked" : "supplier.mapping.kept_apart",
                    subject: "Procore vendor \(record.vendorName) (#\(record.procoreVendorID)) and supplier \(supplier.name)",
                    before: nil, after: nil),
                on: tx)
            return .done(suggestion(record, supplierName: supplier.name))
        }
    }

    /// During an import, for a vendor that matched no supplier: the near-miss suppliers (among `suppliers`: those
    /// not yet a vendor of this company, each with the `matchKey` of its name) it must
    /// wait on. Records an open suggestion for each new pair; an empty answer means the vendor may become a supplier
    /// (no near miss, or every one was kept apart).
    static func pending(
        vendor: (id: Int64, name: String), among suppliers: [(record: SupplierRecord, key: String)], row: ProcoreCompanyLink, now: Date,
        on tx: any Database
    ) async throws -> [UUID] {
        let key = Supplier.matchKey(vendor.name)
        let candidates = suppliers.filter { Supplier.isNearMiss(key: $0.key, key: key) }.map(\.record)
        guard !candidates.isEmpty else { return [] }
        let decided = try await SupplierMappingRecord.scoped(to: row.organisationID, on: tx)
            .filter(\.$companyLinkID == row.id.rawValue).filter(\.$procoreVendorID == vendor.id).all()
        var waiting: [UUID] = []
        for candidate in candidates {
            guard let supplierID = candidate.id else { continue }
            if let existing = decided.first(where: { $0.supplierID == supplierID }) {
                if existing.decision == "open" { waiting.append(supplierID) }
                continue
            }
            let record = SupplierMappingRecord()
            record.id = UUID()
            record.organisationID = row.organisationID.rawValue
            record.companyLinkID = row.id.rawValue
            record.procoreVendorID = vendor.id
            record.vendorName = vendor.name
            record.supplierID = supplierID
            record.decision = "open"
            record.createdAt = now
            try await record.create(on: tx)
            waiting.append(supplierID)
        }
        return waiting
    }
}
