import FluentKit
import FluentPostgresDriver
import FluentSQL
import Foundation
import LentuneCore

/// The PO list: one page of an organisation's POs, newest first, with search, filters and a total.
///
/// This runs on every list view, so it is plain SQL decoded column by column: Fluent's model decoding reflects over
/// every property of every row and cost more than the query itself (docs/BENCHMARKS.md). It reads only the columns
/// the list shows (never `description`, which may be long).
///
/// The order is `created_at DESC, id DESC`, a total order served by the list indexes. A page is found either by its
/// number (an OFFSET; pages in the older half are read from the other end) or, for Next and Previous, by a cursor
/// naming the row it follows or precedes, which costs the same on every page.
extension PurchaseOrders {
    public struct Filter: Sendable, Hashable {
        public var search: String?
        public var projectID: Project.ID?
        public var supplierID: Supplier.ID?
        public var status: PurchaseOrder.Status?
        public var origin: PurchaseOrder.Origin?
        public var syncState: SyncRecord.State?
        public var page: Int
        public var perPage: Int
        /// The rows after this one (Next) …
        public var after: ListCursor?
        /// … or before it (Previous); `page` is then only the number shown.
        public var before: ListCursor?
        /// The column the list is ordered by (issue 29): newest first unless another is chosen. A list ordered by
        /// another column is paged by number alone (cursors name places in the newest-first order).
        public var sort: Sort = .created
        public var ascending = false

        /// Ordered newest first, the order the cursors and the reversed read of the older half serve.
        var isNewestFirst: Bool { sort == .created && !ascending }

        public init(
            search: String? = nil, projectID: Project.ID? = nil, supplierID: Supplier.ID? = nil, status: PurchaseOrder.Status? = nil,
            origin: PurchaseOrder.Origin? = nil, syncState: SyncRecord.State? = nil, page: Int = 1, perPage: Int = 50,
            after: ListCursor? = nil, before: ListCursor? = nil
        ) {
            self.search = search
            self.projectID = projectID
            self.supplierID = supplierID
            self.status = status
            self.origin = origin
            self.syncState = syncState
            self.page = min(max(1, page), Self.maximumPage)
            self.perPage = min(max(1, perPage), Self.maximumPerPage)
            self.after = after
            self.before = before
        }

        /// The highest page number a list address may name (200 million rows at 200 a page): the edges refuse a
        /// larger one with a message, so `(page - 1) × perPage` can never overflow.
        public static let maximumPage = 1_000_000
        public static let maximumPerPage = 200

        /// The same filter without its place in the list (the key of its total).
        var withoutPosition: Filter {
            var filter = self
            filter.page = 1
            filter.after = nil
            filter.before = nil
            (filter.sort, filter.ascending) = (.created, false)
            return filter
        }
    }

    /// The PO list's sortable columns: when raised (the default, newest first), number, supplier's name, project's
    /// code, total including tax, and status in the workflow's order.
    public enum Sort: String, Sendable, CaseIterable {
        case created, number, supplier, project, total, status

        /// The direction a column starts in, as people read it: newest and largest first; numbers and names from A,
        /// statuses in the workflow's order.
        public var startsAscending: Bool { ![.created, .total].contains(self) }

        var expression: SQLQueryString {
            switch self {
            case .created: "created_at"
            case .number: "number"
            case .supplier: #"COALESCE((SELECT "suppliers"."name" FROM "suppliers" WHERE "suppliers"."id" = "purchase_orders"."supplier_id"), '')"#
            case .project: #"COALESCE((SELECT "projects"."code" FROM "projects" WHERE "projects"."id" = "purchase_orders"."project_id"), '')"#
            case .total: "(total_excl_tax_cents + tax_cents)"
            case .status: "(CASE status WHEN 'draft' THEN 0 WHEN 'awaiting_approval' THEN 1 WHEN 'approved' THEN 2 ELSE 3 END)"
            }
        }
    }

    /// A place in the list: a row's `created_at` exactly as the database holds it (PostgreSQL: whole microseconds
    /// since 1970; SQLite: the stored number) and its id. Shown to clients only as an opaque token.
    public struct ListCursor: Sendable, Hashable {
        let position: String
        let id: UUID

        init(position: String, id: UUID) {
            self.position = position
            self.id = id
        }

        /// The base64url token of this place.
        public var token: String {
            Data("\(position)|\(id.uuidString)".utf8).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }

        /// A token as `token` made it, or `nil` for anything else.
        public init?(token: String) {
            guard token.count <= 200 else { return nil }
            var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
            guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
                let bar = text.lastIndex(of: "|"), let id = UUID(uuidString: String(text[text.index(after: bar)...]))
            else { return nil }
            let position = String(text[..<bar])
            guard let number = Double(position), number.isFinite else { return nil }
            self.init(position: position, id: id)
        }
    }

    public enum ListError: Swift.Error, Equatable {
        /// A cursor that does not name a place in this database's list.
        case invalidCursor
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
        /// This row's place, for Next (after the last row) and Previous (before the first).
        public var cursor: ListCursor
    }

    /// One page of the organisation's POs and how many match in all (from `counts` when fresh).
    public static func list(
        in organisation: Organisation.ID, filter: Filter, counts: ListCounts? = nil,
        names: (suppliers: [UUID: String], projects: [UUID: String])? = nil, on db: any Database
    ) async throws -> (items: [ListItem], total: Int) {
        let sql = db as! any SQLDatabase
        let postgres = db as? any PostgresDatabase
        let conditions = listConditions(organisation: organisation, filter: filter, dialect: sql.dialect.name)
        // COUNT(organisation_id) is answered from the (organisation, …) indexes alone; COUNT(id) would read every row.
        let countQuery: SQLQueryString = "SELECT COUNT(organisation_id) AS n FROM purchase_orders WHERE \(conditions)"
        let count: @Sendable () async throws -> Int = {
            try await sql.raw(countQuery).first()?.decode(column: "n", as: Int.self) ?? 0
        }
        let total: Int
        if let counts {
            total = try await counts.total(organisation: organisation, filter: filter.withoutPosition, compute: count)
        } else {
            total = try await count()
        }

        // Where the page starts, and in which direction the index is read.
        var range = conditions
        let descending: Bool
        let limit: Int
        var offset = 0
        // PostgreSQL: created_at as whole microseconds since 1970 (exact); SQLite: the stored number itself, read as a
        // Double (SQLite's own text of a REAL keeps only 15 digits).
        let position: SQLQueryString = postgres != nil ? "(EXTRACT(EPOCH FROM created_at) * 1000000)::bigint::text" : "created_at"
        func place(_ cursor: ListCursor) throws -> SQLQueryString {
            // A place outside the years a row can have is no place in this list (and would overflow PostgreSQL's
            // timestamp arithmetic).
            guard let seconds = Double(cursor.position).map({ postgres != nil ? $0 / 1_000_000 : $0 }),
                abs(seconds) < 7_258_118_400, postgres == nil || Int64(cursor.position) != nil
            else { throw ListError.invalidCursor }
            return postgres != nil
                ? "(TIMESTAMPTZ 'epoch' + \(bind: Int64(cursor.position)!) * INTERVAL '1 microsecond', \(bind: cursor.id))"
                : "(\(bind: Double(cursor.position)!), \(bind: cursor.id))"
        }
        if !filter.isNewestFirst {
            // Another order: by page number, an OFFSET in that order (the id breaks ties), cursors not used.
            let (start, overflow) = (filter.page - 1).multipliedReportingOverflow(by: filter.perPage)
            guard !overflow, start < total || start == 0 else { return ([], total) }
            (descending, limit, offset) = (!filter.ascending, filter.perPage, start)
        } else if let after = filter.after {
            range = "\(range) AND (created_at, id) < \(try place(after))"
            (descending, limit) = (true, filter.perPage)
        } else if let before = filter.before {
            range = "\(range) AND (created_at, id) > \(try place(before))"
            (descending, limit) = (false, filter.perPage)
        } else {
            let (start, overflow) = (filter.page - 1).multipliedReportingOverflow(by: filter.perPage)
            guard !overflow, start < total || start == 0 else { return ([], total) }
            // An OFFSET walks every skipped row: pages in the older half are read from the other end of the index.
            descending = start <= total / 2
            limit = descending ? filter.perPage : min(filter.perPage, total - start)
            offset = descending ? start : total - start - limit
        }
        let direction = descending ? "DESC" : "ASC"
        // The place is computed in the outer query, for the page's rows only (not for every row an OFFSET skips).
        let page: SQLQueryString = !filter.isNewestFirst ? """
            SELECT \(unsafeRaw: ListRow.columns), \(position) AS position FROM (
                SELECT \(unsafeRaw: ListRow.columns), \(filter.sort.expression) AS sort_key FROM purchase_orders WHERE \(range)
                ORDER BY sort_key \(unsafeRaw: direction), id \(unsafeRaw: direction)
                LIMIT \(literal: limit) OFFSET \(literal: offset)
            ) AS page
            ORDER BY sort_key \(unsafeRaw: direction), id \(unsafeRaw: direction)
            """ : """
            SELECT page.*, \(position) AS position FROM (
                SELECT \(unsafeRaw: ListRow.columns) FROM purchase_orders WHERE \(range)
                ORDER BY created_at \(unsafeRaw: direction), id \(unsafeRaw: direction)
                LIMIT \(literal: limit) OFFSET \(literal: offset)
            ) AS page
            ORDER BY created_at \(unsafeRaw: direction), id \(unsafeRaw: direction)
            """
        var records: [ListRow]
        if let postgres {
            records = try await NativePostgres.rows(page, on: sql, postgres: postgres, ListRow.init(postgres:))
        } else {
            records = try await sql.raw(page).all().map(ListRow.init(sql:))
        }
        if !descending, filter.isNewestFirst { records.reverse() }

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
                // Decimal, not Int64: a sum of two stored values must never trap, whatever a database holds.
                totalIncludingTax: Scaled.money(record.totalExcludingTaxCents) + Scaled.money(record.taxCents),
                status: PurchaseOrder.Status(rawValue: record.status) ?? .draft,
                origin: PurchaseOrder.Origin(rawValue: record.origin) ?? .lentune,
                syncState: SyncRecord.State(rawValue: record.syncState) ?? .notSynced, createdAt: record.createdAt,
                cursor: ListCursor(position: record.position, id: record.id))
        }
        return (items, total)
    }

    /// The list's columns of one `purchase_orders` row, and its place.
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
        var position: String

        init(postgres row: PostgresRow) throws {
            (id, number, title, supplierID, projectID, totalExcludingTaxCents, taxCents, status, origin, syncState, createdAt, position) =
                try row.decode((UUID, String, String, UUID, UUID, Int64, Int64, String, String, String, Date?, String).self)
        }

        init(sql row: any SQLRow) throws {
            // SQLite keeps ids as text; Foundation's parser (sscanf) was a visible share of a list view.
            func uuid(_ column: String) throws -> UUID {
                if let text = try? row.decode(column: column, as: String.self), let id = UUID(text: text) { return id }
                return try row.decode(column: column, as: UUID.self)
            }
            id = try uuid("id")
            number = try row.decode(column: "number", as: String.self)
            title = try row.decode(column: "title", as: String.self)
            supplierID = try uuid("supplier_id")
            projectID = try uuid("project_id")
            totalExcludingTaxCents = try row.decode(column: "total_excl_tax_cents", as: Int64.self)
            taxCents = try row.decode(column: "tax_cents", as: Int64.self)
            status = try row.decode(column: "status", as: String.self)
            origin = try row.decode(column: "origin", as: String.self)
            syncState = try row.decode(column: "sync_state", as: String.self)
            createdAt = try row.decode(column: "created_at", as: Date?.self)
            position = String(try row.decode(column: "position", as: Double.self))
        }
    }

    /// The WHERE clause of the list: the organisation (always first: every index starts with it) and the filters.
    /// Search matches number or title, case-insensitively, with `%` and `_` taken literally.
    public static func listConditions(organisation: Organisation.ID, filter: Filter, dialect: String) -> SQLQueryString {
        var conditions: [SQLQueryString] = ["organisation_id = \(bind: organisation.rawValue)"]
        if let search = filter.search?.trimmingCharacters(in: .whitespaces), !search.isEmpty {
            let pattern = ContainsSearch.pattern(search)
            let like = ContainsSearch.likeOperator(dialect: dialect)
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

        private func store(_ total: Int, organisation: Organisation.ID, filter: Filter) {
            if entries.count > 10_000 { entries.removeAll() }
            entries[Key(organisation: organisation, filter: filter)] = (total, ContinuousClock.now)
        }

        private var forgotten = 0

        public func forget(organisation: Organisation.ID) {
            forgotten += 1
            entries = entries.filter { $0.key.organisation != organisation }
        }
    }

}
