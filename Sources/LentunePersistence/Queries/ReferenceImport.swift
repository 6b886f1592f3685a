import FluentKit
import Foundation
import LentuneCore
import SQLKit

/// Reference data read from Procore, written into Lentune by the rules of DESIGN.md §1.1 (issue 13's first half:
/// Procore → Lentune). Each function is one transaction and idempotent: running it again with the same data changes
/// nothing.
public enum ReferenceImport {
    public struct ProcoreProject: Sendable {
        public var id: Int64
        public var number: String?
        public var name: String
        /// In one of the row's "Project stages to import" and active in Procore.
        public var accepted: Bool

        public init(id: Int64, number: String?, name: String, accepted: Bool) {
            self.id = id
            self.number = number
            self.name = name
            self.accepted = accepted
        }
    }

    public struct Counts: Sendable, Equatable {
        public var created = 0
        public var linked = 0
        public var updated = 0
        public var deactivated = 0
        /// Vendors waiting on a person's decision on the Supplier mapping page (near-miss names).
        public var awaitingMapping = 0
        public init() {}
    }

    /// Projects of a company row: an accepted Procore project is linked to the Lentune project of the same code (its
    /// project number), or created coded `PROCORE<id>`; a linked project that is no longer accepted (left the stages,
    /// inactive, or gone) is kept and marked inactive, never deleted (POs and invoices point at it).
    /// With `only`, the list is those projects alone (a webhook's), and only they can be deactivated.
    public static func projects(
        _ projects: [ProcoreProject], row: ProcoreCompanyLink, only: Set<Int64>? = nil, on db: any Database
    ) async throws -> Counts {
        try await db.writeTransaction { tx in
            var counts = Counts()
            let existing = try await ProjectRecord.scoped(to: row.organisationID, on: tx).all()
            var byProcore = Dictionary(existing.compactMap { r in r.procoreProjectID.map { ($0, r) } }, uniquingKeysWith: { a, _ in a })
            let accepted = projects.filter(\.accepted)
            for project in accepted {
                let description = String(project.name.prefix(200))
                if let record = byProcore[project.id], record.procoreCompanyLinkID == row.id.rawValue {
                    if record.name != description || !record.isActive {
                        record.name = description
                        record.isActive = true
                        try await record.save(on: tx)
                        counts.updated += 1
                    }
                } else if let number = project.number, !number.isEmpty,
                    let record = existing.first(where: { $0.code.caseInsensitiveCompare(number) == .orderedSame && $0.procoreProjectID == nil })
                {
                    record.procoreCompanyLinkID = row.id.rawValue
                    record.procoreProjectID = project.id
                    record.isActive = true
                    try await record.save(on: tx)
                    byProcore[project.id] = record
                    counts.linked += 1
                } else if byProcore[project.id] == nil {
                    let record = ProjectRecord(Project(
                        organisationID: row.organisationID, code: "PROCORE\(project.id)", name: description,
                        procoreCompanyLinkID: row.id, procoreProjectID: project.id))
                    try await record.create(on: tx)
                    byProcore[project.id] = record
                    counts.created += 1
                }
            }
            let acceptedIDs = Set(accepted.map(\.id))
            for record in existing where record.procoreCompanyLinkID == row.id.rawValue && record.isActive {
                guard let id = record.procoreProjectID, !acceptedIDs.contains(id), only?.contains(id) ?? true else { continue }
                record.isActive = false
                try await record.save(on: tx)
                counts.deactivated += 1
            }
            return counts
        }
    }

    public struct ProcoreCostCode: Sendable {
        public var id: Int64
        public var fullCode: String
        public var name: String
        /// The sub job's name when the code belongs to one (it becomes its own code, labelled with the sub job).
        public var subJob: String?

        public init(id: Int64, fullCode: String, name: String, subJob: String?) {
            self.id = id
            self.fullCode = fullCode
            self.name = name
            self.subJob = subJob
        }
    }

    /// Cost codes of one linked project: the division in the code (`03-300`); a sub job's code is its own code,
    /// labelled with the sub job (`03-300 [Basement Carpark]`).
    public static func costCodes(
        _ codes: [ProcoreCostCode], project: Project.ID, organisation: Organisation.ID, on db: any Database
    ) async throws -> Counts {
        try await db.writeTransaction { tx in
            var counts = Counts()
            let existing = try await CostCodeRecord.scoped(to: organisation, on: tx).filter(\.$projectID == project.rawValue).all()
            for code in codes {
                let label = String((code.subJob.map { "\(code.fullCode) [\($0)]" } ?? code.fullCode).prefix(100))
                let name = String((code.subJob.map { "\(code.name) – \($0)" } ?? code.name).prefix(200))
                if let record = existing.first(where: { $0.procoreCostCodeID == code.id })
                    ?? existing.first(where: { $0.procoreCostCodeID == nil && $0.code == label })
                {
                    if record.code != label || record.name != name || record.procoreCostCodeID != code.id {
                        counts.updated += record.procoreCostCodeID == nil ? 0 : 1
                        counts.linked += record.procoreCostCodeID == nil ? 1 : 0
                        (record.code, record.name, record.procoreCostCodeID) = (label, name, code.id)
                        try await record.save(on: tx)
                    }
                } else {
                    try await CostCodeRecord(CostCode(
                        organisationID: organisation, projectID: project, code: label, name: name, procoreCostCodeID: code.id)).create(on: tx)
                    counts.created += 1
                }
            }
            return counts
        }
    }

    /// Cost types (Procore line item types) of the company row: a type already paired in this row is updated; else
    /// the Lentune cost type of the same code (case-insensitively) not yet paired in this row is paired with it; else
    /// one is created. Cost types are the organisation's and their links per company, so a second company with the
    /// same codes (L, M, S, E, O) pairs with the same cost types (issue 25). A type's name is Lentune's once it is
    /// paired in another company too (the first company's words stand).
    public static func costTypes(
        _ types: [(id: Int64, code: String?, name: String)], row: ProcoreCompanyLink, on db: any Database
    ) async throws -> Counts {
        let organisation = row.organisationID
        return try await db.writeTransaction { tx in
            try await lockSharedReferenceData(of: organisation, on: tx)
            var counts = Counts()
            let existing = try await CostTypeRecord.scoped(to: organisation, on: tx).all()
            let links = try await ReferenceLinks.links(.costType, in: organisation, on: tx)
            var paired = Dictionary(
                links.compactMap { entity, rows in rows[row.id].map { ($0, entity) } }, uniquingKeysWith: { first, _ in first })
            var created: Set<String> = []
            for type in types {
                let code = String((type.code?.isEmpty == false ? type.code! : type.name).prefix(50))
                let name = String(type.name.prefix(200))
                if let entity = paired[type.id], let record = existing.first(where: { $0.id == entity }) {
                    if record.name != name, (links[entity] ?? [:]).count <= 1 {
                        record.name = name
                        try await record.save(on: tx)
                        counts.updated += 1
                    }
                } else if let record = existing.first(where: { record in
                    record.code.caseInsensitiveCompare(code) == .orderedSame && links[record.id!]?[row.id] == nil && !paired.values.contains(record.id!)
                }) {
                    try await ReferenceLinks.pair(.costType, record.id!, with: type.id, row: row, on: tx)
                    paired[type.id] = record.id!
                    counts.linked += 1
                } else {
                    // A code this company uses twice keeps both types apart: the second is coded with its Procore id.
                    let taken = existing.contains { $0.code.caseInsensitiveCompare(code) == .orderedSame } || created.contains(code.lowercased())
                    let unique = taken ? String("\(code.prefix(40)) #\(type.id)") : code
                    let new = CostType(organisationID: organisation, code: unique, name: name, procoreLineItemTypes: [row.id: type.id])
                    try await ReferenceData.insert(new, on: tx)
                    paired[type.id] = new.id.rawValue
                    created.insert(unique.lowercased())
                    counts.created += 1
                }
            }
            return counts
        }
    }

    /// Suppliers from the company's vendors: paired in this company row by Procore id, else by name
    /// (`Supplier.matchKey`) with a supplier not yet paired in this row, else created; a renamed vendor renames its
    /// supplier unless that name belongs to another supplier or the supplier is a vendor of another company too. A
    /// vendor whose name is a near miss of a supplier not paired in this row waits for the Supplier mapping page
    /// instead (`SupplierMappings`). One supplier may be a vendor in several companies (issue 25).
    public static func suppliers(
        _ vendors: [(id: Int64, name: String)], row: ProcoreCompanyLink, now: Date, on db: any Database
    ) async throws -> Counts {
        let organisation = row.organisationID
        return try await db.writeTransaction { tx in
            try await lockSharedReferenceData(of: organisation, on: tx)
            var counts = Counts()
            let existing = try await SupplierRecord.scoped(to: organisation, on: tx).all()
            let links = try await ReferenceLinks.links(.supplier, in: organisation, on: tx)
            var paired = Dictionary(
                links.compactMap { entity, rows in rows[row.id].map { ($0, entity) } }, uniquingKeysWith: { first, _ in first })
            var keys = Set(existing.map(\.matchKey))
            // Near-miss candidates compare by the key of the name, computed once per supplier, not once per vendor;
            // only suppliers not yet a vendor of this company can be one.
            let named = existing.filter { links[$0.id!]?[row.id] == nil }.map { (record: $0, key: Supplier.matchKey($0.name)) }
            for vendor in vendors {
                let name = String(vendor.name.prefix(200))
                let key = Supplier.matchKey(name)
                if let entity = paired[vendor.id], let record = existing.first(where: { $0.id == entity }) {
                    if record.name != name, (links[entity] ?? [:]).count <= 1, record.matchKey == key || !keys.contains(key) {
                        keys.remove(record.matchKey)
                        (record.name, record.matchKey) = (name, key)
                        keys.insert(key)
                        try await record.save(on: tx)
                        counts.updated += 1
                    }
                } else if let record = existing.first(where: { record in
                    record.matchKey == key && links[record.id!]?[row.id] == nil && !paired.values.contains(record.id!)
                }) {
                    try await ReferenceLinks.pair(.supplier, record.id!, with: vendor.id, row: row, on: tx)
                    paired[vendor.id] = record.id!
                    counts.linked += 1
                } else {
                    let waiting = try await SupplierMappings.pending(vendor: (vendor.id, name), among: named, row: row, now: now, on: tx)
                    guard waiting.isEmpty else {
                        counts.awaitingMapping += 1
                        continue
                    }
                    let record = SupplierRecord(Supplier(organisationID: organisation, name: name))
                    if keys.contains(key) {
                        // Procore has two vendors the rule names alike ("Bay Joinery Ltd", "Bay Joinery Limited"): both
                        // become suppliers, never one dropped. This one is matched by its Procore id from now on, so
                        // its key only has to be its own.
                        record.matchKey = "\(key) #\(vendor.id)"
                    }
                    try await record.create(on: tx)
                    try await ReferenceLinks.pair(.supplier, record.id!, with: vendor.id, row: row, on: tx)
                    paired[vendor.id] = record.id!
                    keys.insert(record.matchKey)
                    counts.created += 1
                }
            }
            return counts
        }
    }
}

extension ReferenceImport {
    /// Cost types and suppliers are the organisation's, shared by its Procore companies: two companies' imports
    /// read what exists and create what is missing, so on PostgreSQL (READ COMMITTED) two running at once would both
    /// create "L" and one would fail on `uq_cost_types_code` (found by the soak: four companies' first imports at
    /// once). A transaction-scoped advisory lock per organisation makes them take turns; other writes are not held.
    /// SQLite's write transactions already run one at a time.
    static func lockSharedReferenceData(of organisation: Organisation.ID, on tx: any Database) async throws {
        guard let sql = tx as? any SQLDatabase, sql.dialect.name == "postgresql" else { return }
        try await sql.raw("SELECT pg_advisory_xact_lock(hashtextextended(\(bind: "reference:" + organisation.rawValue.uuidString), 0))").run()
    }

    /// What the Reference data view shows for a company row.
    public struct Summary: Sendable, Equatable {
        public var projectsLinked = 0
        public var projectsActive = 0
        public var costCodesLinked = 0
        public var suppliersLinked = 0
        public var suppliersTotal = 0
        public var costTypesLinked = 0
        public var costTypesTotal = 0
        /// The company's active Procore tax codes, and the Lentune tax codes without a usable mapping to one.
        public var procoreTaxCodes = 0
        public var taxCodesUnmapped = 0
        public var lastSynced: Date?
    }

    public static func summary(of row: ProcoreCompanyLink, on db: any Database) async throws -> Summary {
        var summary = Summary()
        let projects = try await ProjectRecord.scoped(to: row.organisationID, on: db).filter(\.$procoreCompanyLinkID == row.id.rawValue).all()
        summary.projectsLinked = projects.count
        summary.projectsActive = projects.filter(\.isActive).count
        let ids = projects.compactMap(\.id)
        if !ids.isEmpty {
            summary.costCodesLinked = try await CostCodeRecord.scoped(to: row.organisationID, on: db)
                .filter(\.$projectID ~~ ids).filter(\.$procoreCostCodeID != nil).count()
        }
        summary.suppliersTotal = try await SupplierRecord.scoped(to: row.organisationID, on: db).count()
        summary.suppliersLinked = try await ReferenceLinks.links(.supplier, in: row.organisationID, on: db).values.filter { $0[row.id] != nil }.count
        summary.costTypesTotal = try await CostTypeRecord.scoped(to: row.organisationID, on: db).count()
        summary.costTypesLinked = try await ReferenceLinks.links(.costType, in: row.organisationID, on: db).values.filter { $0[row.id] != nil }.count
        let mapping = try await TaxMappings.mapping(of: row, on: db)
        summary.procoreTaxCodes = mapping.procoreCodes.values.filter { !$0.archived }.count
        summary.taxCodesUnmapped = try await TaxCodeRecord.scoped(to: row.organisationID, on: db).all()
            .filter { (try? mapping.procoreTaxCode(for: $0.domain)) == nil }.count
        summary.lastSynced = try await SweepCursors.cursor(row.id, resource: "reference_data", on: db)
        return summary
    }
}
