import FluentKit
import FluentPostgresDriver
import FluentSQL
import Foundation
import LentuneCore

public enum PurchaseOrders {
    public enum Error: Swift.Error, Equatable {
        case duplicateNumber(String)
        case notFound
        /// A PO was already created by a request with the same key.
        case alreadyCreated(PurchaseOrder.ID)
    }

    /// Inserts a PO and its lines in one transaction. With a `requestKey`, a second insert with the same key (a
    /// repeated request, even a concurrent one) stores nothing and throws `.alreadyCreated` with the first PO's id.
    public static func insert(_ po: PurchaseOrder, requestKey: String? = nil, on db: any Database) async throws {
        do {
            try await db.transaction { tx in
                let record = PurchaseOrderRecord(po)
                record.requestKey = requestKey
                try await record.create(on: tx)
                for line in po.lines {
                    try await PurchaseOrderLineRecord(line, purchaseOrderID: po.id.rawValue).create(on: tx)
                }
            }
        } catch where error.isConstraintFailure {
            if let requestKey, let existing = try await created(by: requestKey, in: po.organisationID, on: db) {
                throw Error.alreadyCreated(existing)
            }
            let taken = try await PurchaseOrderRecord.scoped(to: po.organisationID, on: db)
                .filter(\.$number == po.number).count() > 0
            if taken { throw Error.duplicateNumber(po.number) }
            throw error
        }
    }

    /// The PO a request with this key created, if any.
    public static func created(by requestKey: String, in organisation: Organisation.ID, on db: any Database) async throws
        -> PurchaseOrder.ID?
    {
        try await PurchaseOrderRecord.scoped(to: organisation, on: db).filter(\.$requestKey == requestKey).first()
            .flatMap(\.id).map(PurchaseOrder.ID.init)
    }

    /// Creates a Lentune PO. An empty number takes the organisation's next number (PO-00001, PO-00002, …), skipping
    /// numbers already used by hand.
    ///
    /// `requestKey` makes the create safe to repeat: when a PO was already created with that key, nothing is stored
    /// and that PO is returned with `created == false`.
    public static func create(_ draft: PurchaseOrder, requestKey: String? = nil, on db: any Database) async throws
        -> (purchaseOrder: PurchaseOrder, created: Bool)
    {
        if let requestKey, let existing = try await created(by: requestKey, in: draft.organisationID, on: db),
            let po = try await find(existing, in: draft.organisationID, on: db)
        {
            return (po, false)
        }
        var po = draft
        if po.number.isEmpty {
            po.number = try await db.transaction { tx in
                guard let organisation = try await OrganisationRecord.find(draft.organisationID.rawValue, on: tx) else {
                    throw Error.notFound
                }
                var next = organisation.nextPurchaseOrderNumber
                var number = format(next)
                while try await PurchaseOrderRecord.scoped(to: draft.organisationID, on: tx).filter(\.$number == number).count() > 0 {
                    next += 1
                    number = format(next)
                }
                organisation.nextPurchaseOrderNumber = next + 1
                try await organisation.save(on: tx)
                return number
            }
        }
        do {
            try await insert(po, requestKey: requestKey, on: db)
            return (po, true)
        } catch Error.alreadyCreated(let existing) {
            guard let first = try await find(existing, in: draft.organisationID, on: db) else { throw Error.notFound }
            return (first, false)
        }
    }

    public static func format(_ n: Int) -> String { String(format: "PO-%05d", n) }

    /// The number the next automatic PO would get (shown, editable, on the New Purchase Order form).
    public static func nextNumber(in organisation: Organisation.ID, on db: any Database) async throws -> String {
        var next = try await OrganisationRecord.find(organisation.rawValue, on: db)?.nextPurchaseOrderNumber ?? 1
        while try await PurchaseOrderRecord.scoped(to: organisation, on: db).filter(\.$number == format(next)).count() > 0 {
            next += 1
        }
        return format(next)
    }

    /// Replaces a PO's header and lines (line ids are kept, so links to Procore line items survive).
    public static func update(_ po: PurchaseOrder, on db: any Database) async throws {
        do {
            try await db.transaction { tx in
                guard let record = try await PurchaseOrderRecord.find(po.id.rawValue, in: po.organisationID, on: tx) else {
                    throw Error.notFound
                }
                record.apply(po)
                try await record.save(on: tx)
                try await PurchaseOrderLineRecord.query(on: tx).filter(\.$purchaseOrder.$id == po.id.rawValue).delete()
                for line in po.lines {
                    try await PurchaseOrderLineRecord(line, purchaseOrderID: po.id.rawValue).create(on: tx)
                }
            }
        } catch where error.isConstraintFailure {
            throw Error.duplicateNumber(po.number)
        }
    }

    /// The PO with its lines, or `nil` if it does not exist in this organisation.
    public static func find(_ id: PurchaseOrder.ID, in organisation: Organisation.ID, on db: any Database) async throws
        -> PurchaseOrder?
    {
        guard let record = try await PurchaseOrderRecord.find(id.rawValue, in: organisation, on: db) else { return nil }
        let lines = try await record.$lines.get(on: db)
        return record.domain(lines: lines)
    }

    public static func count(in organisation: Organisation.ID, on db: any Database) async throws -> Int {
        try await PurchaseOrderRecord.scoped(to: organisation, on: db).count()
    }

    // MARK: - The list

    public struct Filter: Sendable, Hashable {
        public var search: String?
        public var projectID: Project.ID?
        public var supplierID: Supplier.ID?
        public var status: PurchaseOrder.Status?
        public var origin: PurchaseOrder.Origin?
        public var syncState: SyncRecord.State?
        public var page: Int
        public var perPage: Int

        public init(
            search: String? = nil, projectID: Project.ID? = nil, supplierID: Supplier.ID? = nil, status: PurchaseOrder.Status? = nil,
            origin: PurchaseOrder.Origin? = nil, syncState: SyncRecord.State? = nil, page: Int = 1, perPage: Int = 50
        ) {
            self.search = search
            self.projectID = projectID
            self.supplierID = supplierID
            self.status = status
            self.origin = origin
            self.syncState = syncState
            self.page = max(1, page)
            self.perPage = min(max(1, perPage), 200)
        }
    }

    public struct ListItem: Sendable, Hashable {
        public var id: PurchaseOrder.ID
        public var number: String
        public var title: String
        public var supplier: String
        public var projectCode: String
        public var totalIncludingTax: Decimal
        public var status: PurchaseOrder.Status
        public var origin: PurchaseOrder.Origin
        public var syncState: SyncRecord.State
        public var createdAt: Date?
    }

    /// One page of the organisation's POs, newest first, and how many match in all (from `counts` when fresh).
    ///
    /// This runs on every list view, so it is plain SQL decoded column by column: Fluent's model decoding reflects over
    /// every property of every row and cost more than the query itself (docs/BENCHMARKS.md). It reads only the
    /// columns the list shows (never `description`, which may be long).
    public static func list(
        in organisation: Organisation.ID, filter: Filter, counts: ListCounts? = nil,
        names: (suppliers: [UUID: String], projects: [UUID: String])? = nil, on db: any Database
    ) async throws -> (items: [ListItem], total: Int) {
        let sql = db as! any SQLDatabase
        let conditions = listConditions(organisation: organisation, filter: filter, dialect: sql.dialect.name)
        // COUNT(organisation_id) is answered from the (organisation, …) indexes alone; COUNT(id) would read every row.
        var cacheFilter = filter
        cacheFilter.page = 1
        let countQuery: SQLQueryString = "SELECT COUNT(organisation_id) AS n FROM purchase_orders WHERE \(conditions)"
        let count: @Sendable () async throws -> Int = {
            try await sql.raw(countQuery).first()?.decode(column: "n", as: Int.self) ?? 0
        }
        let total: Int
        if let counts {
            total = try await counts.total(organisation: organisation, filter: cacheFilter, compute: count)
        } else {
            total = try await count()
        }
        // One sort key, so the (organisation, created_at) indexes serve the order without sorting every row.
        // An OFFSET walks every skipped row, so pages in the older half are read from the other end of the index
        // (the last of 2,000 pages skips nothing instead of 99,950 rows) and turned round.
        let start = (filter.page - 1) * filter.perPage
        guard start < total || start == 0 else { return ([], total) }
        let fromEnd = start > total / 2
        let limit = fromEnd ? min(filter.perPage, total - start) : filter.perPage
        let page: SQLQueryString = """
            SELECT \(unsafeRaw: ListRow.columns) FROM purchase_orders WHERE \(conditions)
            ORDER BY created_at \(unsafeRaw: fromEnd ? "ASC" : "DESC")
            LIMIT \(literal: limit) OFFSET \(literal: fromEnd ? total - start - limit : start)
            """
        var records: [ListRow]
        if let postgres = db as? any PostgresDatabase {
            records = try await NativePostgres.rows(page, on: sql, postgres: postgres, ListRow.init(postgres:))
        } else {
            records = try await sql.raw(page).all().map(ListRow.init(sql:))
        }
        if fromEnd { records.reverse() }

        var suppliers = names?.suppliers ?? [:]
        var projects = names?.projects ?? [:]
        let missingSuppliers = Array(Set(records.map(\.supplierID).filter { suppliers[$0] == nil }))
        let missingProjects = Array(Set(records.map(\.projectID).filter { projects[$0] == nil }))
        if !missingSuppliers.isEmpty {
            for record in try await SupplierRecord.scoped(to: organisation, on: db).filter(\.$id ~~ missingSuppliers).all() {
                suppliers[record.id!] = record.name
            }
        }
        if !missingProjects.isEmpty {
            for record in try await ProjectRecord.scoped(to: organisation, on: db).filter(\.$id ~~ missingProjects).all() {
                projects[record.id!] = record.code
            }
        }
        let items = records.map { record in
            ListItem(
                id: .init(record.id), number: record.number, title: record.title, supplier: suppliers[record.supplierID] ?? "—",
                projectCode: projects[record.projectID] ?? "—",
                totalIncludingTax: Scaled.money(record.totalExcludingTaxCents + record.taxCents),
                status: PurchaseOrder.Status(rawValue: record.status) ?? .draft,
                origin: PurchaseOrder.Origin(rawValue: record.origin) ?? .lentune,
                syncState: SyncRecord.State(rawValue: record.syncState) ?? .notSynced, createdAt: record.createdAt)
        }
        return (items, total)
    }

    /// The list's columns of one `purchase_orders` row.
    private struct ListRow: Sendable {
        static let columns = """
            id, number, title, supplier_id, project_id, total_excl_tax_cents, tax_cents, status, origin, sync_state, created_at
            """

        var id: UUID
        var number: String
        var title: String
        var supplierID: UUID
        var projectID: UUID
        var totalExcludingTaxCents: Int64
        var taxCents: Int64
        var status: String
        var origin: String
        var syncState: String
        var createdAt: Date?

        init(postgres row: PostgresRow) throws {
            (id, number, title, supplierID, projectID, totalExcludingTaxCents, taxCents, status, origin, syncState, createdAt) =
                try row.decode((UUID, String, String, UUID, UUID, Int64, Int64, String, String, String, Date?).self)
        }

        init(sql row: any SQLRow) throws {
            id = try row.decode(column: "id", as: UUID.self)
            number = try row.decode(column: "number", as: String.self)
            title = try row.decode(column: "title", as: String.self)
            supplierID = try row.decode(column: "supplier_id", as: UUID.self)
            projectID = try row.decode(column: "project_id", as: UUID.self)
            totalExcludingTaxCents = try row.decode(column: "total_excl_tax_cents", as: Int64.self)
            taxCents = try row.decode(column: "tax_cents", as: Int64.self)
            status = try row.decode(column: "status", as: String.self)
            origin = try row.decode(column: "origin", as: String.self)
            syncState = try row.decode(column: "sync_state", as: String.self)
            createdAt = try row.decode(column: "created_at", as: Date?.self)
        }
    }

    /// The WHERE clause of the list: the organisation (always first: every index starts with it) and the filters.
    /// Search matches number or title, case-insensitively, with `%` and `_` taken literally.
    public static func listConditions(organisation: Organisation.ID, filter: Filter, dialect: String) -> SQLQueryString {
        var conditions: [SQLQueryString] = ["organisation_id = \(bind: organisation.rawValue)"]
        if let search = filter.search?.trimmingCharacters(in: .whitespaces), !search.isEmpty {
            let escaped = search.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
            let pattern = "%" + escaped + "%"
            // SQLite's LIKE ignores ASCII case already; PostgreSQL needs ILIKE for the same behaviour.
            let like = dialect == "postgresql" ? "ILIKE" : "LIKE"
            conditions.append("""
                (number \(unsafeRaw: like) \(bind: pattern) ESCAPE '\\' OR title \(unsafeRaw: like) \(bind: pattern) ESCAPE '\\')
                """)
        }
        if let project = filter.projectID { conditions.append("project_id = \(bind: project.rawValue)") }
        if let supplier = filter.supplierID { conditions.append("supplier_id = \(bind: supplier.rawValue)") }
        if let status = filter.status { conditions.append("status = \(bind: status.rawValue)") }
        if let origin = filter.origin { conditions.append("origin = \(bind: origin.rawValue)") }
        if let sync = filter.syncState { conditions.append("sync_state = \(bind: sync.rawValue)") }
        return conditions.joined(separator: " AND ")
    }

    /// Totals of recent list queries, kept a few seconds per organisation and filter, and forgotten as soon as the
    /// organisation's POs change through this process. Counting 100,000 rows on every page view is what makes a big
    /// list slow; a total a few seconds old (only when another process wrote) is fine on a list page.
    public actor ListCounts {
        private var entries: [Key: (total: Int, at: ContinuousClock.Instant)] = [:]
        /// Counts being computed: concurrent views of the same list wait for one query instead of each running it
        /// (32 searches arriving as an entry expires would otherwise run 32 scans at once).
        private var running: [Key: Task<Int, any Swift.Error>] = [:]
        private let lifetime: Duration

        struct Key: Hashable {
            var organisation: Organisation.ID
            var filter: Filter
        }

        public init(lifetime: Duration = .seconds(10)) { self.lifetime = lifetime }

        public func value(organisation: Organisation.ID, filter: Filter) -> Int? {
            guard let entry = entries[Key(organisation: organisation, filter: filter)],
                ContinuousClock.now - entry.at < lifetime
            else { return nil }
            return entry.total
        }

        /// The cached total, or the one `compute` returns (shared with every caller asking meanwhile).
        public func total(
            organisation: Organisation.ID, filter: Filter, compute: @escaping @Sendable () async throws -> Int
        ) async throws -> Int {
            if let cached = value(organisation: organisation, filter: filter) { return cached }
            let key = Key(organisation: organisation, filter: filter)
            if let task = running[key] { return try await task.value }
            let generation = forgotten
            let task = Task { try await compute() }
            running[key] = task
            defer { running[key] = nil }
            let total = try await task.value
            // A write while counting makes this total possibly stale: use it for this view, do not keep it.
            if generation == forgotten { store(total, organisation: organisation, filter: filter) }
            return total
        }

        public func store(_ total: Int, organisation: Organisation.ID, filter: Filter) {
            if entries.count > 10_000 { entries.removeAll() }
            entries[Key(organisation: organisation, filter: filter)] = (total, ContinuousClock.now)
        }

        private var forgotten = 0

        public func forget(organisation: Organisation.ID) {
            forgotten += 1
            entries = entries.filter { $0.key.organisation != organisation }
        }
    }

    // MARK: - Which projects allow Lentune POs

    /// Each project's PO-source context: its Procore company's name and source when the project belongs to a
    /// *linked* company row, `nil` when it is not linked to Procore.
    public static func projectSources(in organisation: Organisation.ID, on db: any Database) async throws
        -> [Project.ID: PurchaseOrderPolicy.ProjectSource?]
    {
        let links = try await ProcoreCompanyLinkRecord.scoped(to: organisation, on: db).all()
        let byID = Dictionary(uniqueKeysWithValues: links.map { ($0.id!, $0.domain) })
        let projects = try await ProjectRecord.scoped(to: organisation, on: db).all()
        var result: [Project.ID: PurchaseOrderPolicy.ProjectSource?] = [:]
        for project in projects {
            let link = project.procoreCompanyLinkID.flatMap { byID[$0] }
            result[.init(project.id!)] = link.flatMap { $0.isLinked ? .init(companyName: $0.name, source: $0.purchaseOrderSource) : nil }
        }
        return result
    }
}

/// Inserting reference data (the Procore import of a later issue and the demo seed use these).
public enum ReferenceData {
    public static func insert(_ project: Project, on db: any Database) async throws {
        try await ProjectRecord(project).create(on: db)
    }

    public static func insert(_ supplier: Supplier, on db: any Database) async throws {
        try await SupplierRecord(supplier).create(on: db)
    }

    public static func insert(_ costCode: CostCode, on db: any Database) async throws {
        try await CostCodeRecord(costCode).create(on: db)
    }

    public static func insert(_ costType: CostType, on db: any Database) async throws {
        try await CostTypeRecord(costType).create(on: db)
    }

    public static func insert(_ taxCode: TaxCode, on db: any Database) async throws {
        try await TaxCodeRecord(taxCode).create(on: db)
    }

    public static func projects(in organisation: Organisation.ID, on db: any Database) async throws -> [Project] {
        try await ProjectRecord.scoped(to: organisation, on: db).sort(\.$code).all().map(\.domain)
    }

    public static func suppliers(in organisation: Organisation.ID, on db: any Database) async throws -> [Supplier] {
        try await SupplierRecord.scoped(to: organisation, on: db).sort(\.$name).all().map(\.domain)
    }
}

public enum Invoices {
    public enum Error: Swift.Error, Equatable {
        case duplicateNumber(String)
    }

    public static func insert(_ invoice: Invoice, on db: any Database) async throws {
        do {
            try await db.transaction { tx in
                try await InvoiceRecord(invoice).create(on: tx)
                for (position, line) in invoice.lines.enumerated() {
                    try await InvoiceLineRecord(line, position: position, invoiceID: invoice.id.rawValue).create(on: tx)
                }
                for allocation in invoice.allocations {
                    try await InvoiceAllocationRecord(allocation, invoiceID: invoice.id.rawValue).create(on: tx)
                }
            }
        } catch where error.isConstraintFailure {
            throw Error.duplicateNumber(invoice.number)
        }
    }

    public static func find(_ id: Invoice.ID, in organisation: Organisation.ID, on db: any Database) async throws
        -> Invoice?
    {
        guard let record = try await InvoiceRecord.find(id.rawValue, in: organisation, on: db) else { return nil }
        return record.domain(lines: try await record.$lines.get(on: db), allocations: try await record.$allocations.get(on: db))
    }
}
