import FluentKit
import Foundation
import LentuneCore

public final class ProcoreTaxCodeRecord: Model, TenantRecord, @unchecked Sendable {
    public static let schema = "procore_tax_codes"
    public static var organisationKey: KeyPath<ProcoreTaxCodeRecord, FieldProperty<ProcoreTaxCodeRecord, UUID>> { \.$organisationID }

    // managed fields
    @ID(key: .id) public var id: UUID?

    // data fields
    @Field(key: "organisation_id") public var organisationID: UUID
    @Field(key: "company_link_id") public var companyLinkID: UUID
    @Field(key: "procore_id") public var procoreID: Int64
    @Field(key: "code") public var code: String
    /// Procore's `rate1` (a percentage) scaled by 10⁴.
    @Field(key: "rate_scaled") public var rateScaled: Int64
    @Field(key: "archived") public var archived: Bool

    public init() {}

    var domain: ProcoreTaxCode {
        ProcoreTaxCode(procoreID: procoreID, code: code, ratePercent: Scaled.quantity(rateScaled), archived: archived)
    }
}

public final class TaxCodeMappingRecord: Model, TenantRecord, @unchecked Sendable {
    public static let schema = "tax_code_mappings"
    public static var organisationKey: KeyPath<TaxCodeMappingRecord, FieldProperty<TaxCodeMappingRecord, UUID>> { \.$organisationID }

    // managed fields
    @ID(key: .id) public var id: UUID?

    // data fields
    @Field(key: "organisation_id") public var organisationID: UUID
    @Field(key: "company_link_id") public var companyLinkID: UUID
    @Field(key: "tax_code_id") public var taxCodeID: UUID
    @Field(key: "procore_tax_code_id") public var procoreTaxCodeID: Int64

    public init() {}
}

/// A company row's Procore tax codes (read by `reference.sync`) and its **Tax mapping** (Lentune tax code → Procore
/// tax code, plus a default), as the page saves it and the PO and invoice sync read it (`TaxMapping`).
public enum TaxMappings {
    /// Stores the company's Procore tax codes as Procore lists them now: new ones added, changed ones updated, and
    /// any no longer listed marked archived (kept, so a mapping to it is reported rather than silently dropped).
    public static func importProcoreCodes(
        _ codes: [ProcoreTaxCode], row: ProcoreCompanyLink, on db: any Database
    ) async throws -> ReferenceImport.Counts {
        try await db.writeTransaction { tx in
            var counts = ReferenceImport.Counts()
            let existing = try await ProcoreTaxCodeRecord.scoped(to: row.organisationID, on: tx)
                .filter(\.$companyLinkID == row.id.rawValue).all()
            let byID = Dictionary(existing.map { ($0.procoreID, $0) }, uniquingKeysWith: { first, _ in first })
            for code in codes {
                let rate = try Scaled.quantity(code.ratePercent)
                let name = String(code.code.prefix(100))
                if let record = byID[code.procoreID] {
                    guard record.code != name || record.rateScaled != rate || record.archived != code.archived else { continue }
                    (record.code, record.rateScaled, record.archived) = (name, rate, code.archived)
                    try await record.save(on: tx)
                    counts.updated += 1
                } else {
                    let record = ProcoreTaxCodeRecord()
                    (record.organisationID, record.companyLinkID, record.procoreID) = (row.organisationID.rawValue, row.id.rawValue, code.procoreID)
                    (record.code, record.rateScaled, record.archived) = (name, rate, code.archived)
                    try await record.create(on: tx)
                    counts.created += 1
                }
            }
            let listed = Set(codes.map(\.procoreID))
            for record in existing where !listed.contains(record.procoreID) && !record.archived {
                record.archived = true
                try await record.save(on: tx)
                counts.updated += 1
            }
            return counts
        }
    }

    /// The row's mapping as the sync applies it.
    public static func mapping(of row: ProcoreCompanyLink, on db: any Database) async throws -> TaxMapping {
        let codes = try await ProcoreTaxCodeRecord.scoped(to: row.organisationID, on: db)
            .filter(\.$companyLinkID == row.id.rawValue).sort(\.$code).all()
        let mappings = try await TaxCodeMappingRecord.scoped(to: row.organisationID, on: db)
            .filter(\.$companyLinkID == row.id.rawValue).all()
        let defaultID = try await ProcoreCompanyLinkRecord.find(row.id.rawValue, on: db)?.defaultProcoreTaxCodeID
        return TaxMapping(
            companyName: row.name,
            mappings: Dictionary(mappings.map { (TaxCode.ID($0.taxCodeID), $0.procoreTaxCodeID) }, uniquingKeysWith: { first, _ in first }),
            defaultProcoreTaxCodeID: defaultID, procoreCodes: codes.map(\.domain))
    }

    public enum Outcome: Sendable, Equatable {
        case saved(changes: Int)
        /// Nothing was changed; each problem is a sentence for the page.
        case refused([String])
    }

    /// Replaces the row's mapping with `mappings` (a missing key: not mapped) and `defaultID`, checked against the
    /// company's active Procore tax codes and the organisation's tax codes, with an audit row; all or nothing.
    public static func save(
        _ mappings: [TaxCode.ID: ProcoreID], default defaultID: ProcoreID?, row: ProcoreCompanyLink, actor: User, now: Date,
        on db: any Database
    ) async throws -> Outcome {
        try await db.writeTransaction { tx in
            let current = try await mapping(of: row, on: tx)
            var problems = current.problems(saving: mappings, default: defaultID)
            let taxCodes = try await TaxCodeRecord.scoped(to: row.organisationID, on: tx).all()
            let known = Dictionary(taxCodes.compactMap { record in record.id.map { (TaxCode.ID($0), record.code) } }, uniquingKeysWith: { first, _ in first })
            if mappings.keys.contains(where: { known[$0] == nil }) {
                problems.append("A tax code in the form is not one of this organisation's.")
            }
            guard problems.isEmpty else { return .refused(problems) }

            var changes: [String] = []
            let stored = try await TaxCodeMappingRecord.scoped(to: row.organisationID, on: tx)
                .filter(\.$companyLinkID == row.id.rawValue).all()
            for record in stored where mappings[TaxCode.ID(record.taxCodeID)] != record.procoreTaxCodeID {
                if let target = mappings[TaxCode.ID(record.taxCodeID)] {
                    record.procoreTaxCodeID = target
                    try await record.save(on: tx)
                } else {
                    try await record.delete(on: tx)
                }
                changes.append("\(known[TaxCode.ID(record.taxCodeID)] ?? "?") → \(label(mappings[TaxCode.ID(record.taxCodeID)], in: current))")
            }
            let storedIDs = Set(stored.map(\.taxCodeID))
            for (taxCode, target) in mappings.sorted(by: { (known[$0.key] ?? "") < (known[$1.key] ?? "") }) where !storedIDs.contains(taxCode.rawValue) {
                let record = TaxCodeMappingRecord()
                (record.organisationID, record.companyLinkID) = (row.organisationID.rawValue, row.id.rawValue)
                (record.taxCodeID, record.procoreTaxCodeID) = (taxCode.rawValue, target)
                try await record.create(on: tx)
                changes.append("\(known[taxCode] ?? "?") → \(label(target, in: current))")
            }
            if current.defaultProcoreTaxCodeID != defaultID, let link = try await ProcoreCompanyLinkRecord.find(row.id.rawValue, on: tx) {
                link.defaultProcoreTaxCodeID = defaultID
                try await link.save(on: tx)
                changes.append("default → \(label(defaultID, in: current))")
            }
            if !changes.isEmpty {
                try await AuditLog.record(
                    AuditEvent(
                        organisationID: row.organisationID, actorID: actor.id, actorEmail: actor.email, occurredAt: now,
                        action: "procore.tax_mapping.saved", subject: "Tax mapping of \(row.name)",
                        before: nil, after: changes.joined(separator: "; ")),
                    on: tx)
            }
            return .saved(changes: changes.count)
        }
    }

    static func label(_ id: ProcoreID?, in mapping: TaxMapping) -> String {
        guard let id else { return "not mapped" }
        return mapping.procoreCodes[id]?.label ?? "#\(id)"
    }
}
