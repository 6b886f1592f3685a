import FluentKit
import FluentSQL
import Foundation
import LentuneCore

/// Supplier invoices (issue 15): capture, the Check and Approve stages, the PDF kept with the invoice, the list, and
/// what the posting job reads. Every query is scoped to one organisation.
public enum Invoices {
    public enum Error: Swift.Error, Equatable {
        /// The supplier already has an invoice with this number.
        case duplicateNumber(String)
        case notFound
        /// An invoice was already captured by a request with the same key.
        case alreadyCreated(Invoice.ID)
    }

    /// A PDF to keep with the invoice.
    public struct Document: Sendable, Equatable {
        public var filename: String
        public var bytes: Data

        public init(filename: String, bytes: Data) {
            self.filename = filename
            self.bytes = bytes
        }
    }

    /// The invoice a request with this key captured, if any.
    public static func created(by requestKey: String, in organisation: Organisation.ID, on db: any Database) async throws -> Invoice.ID? {
        try await InvoiceRecord.scoped(to: organisation, on: db).filter(\.$requestKey == requestKey).first()?.id.map(Invoice.ID.init)
    }

    /// Stores a new invoice with its lines, allocations and PDF. `within` runs in the same transaction afterwards
    /// (the command's audit row); when it throws, nothing is stored. With a `requestKey`, a second create with the
    /// same key (a repeated request, even a concurrent one) stores nothing and throws `.alreadyCreated`.
    public static func create(
        _ invoice: Invoice, document: Document? = nil, requestKey: String? = nil,
        within: @escaping @Sendable (any Database, Invoice) async throws -> Void = { _, _ in }, on db: any Database
    ) async throws -> Invoice {
        do {
            return try await db.writeTransaction { tx in
                var stored = invoice
                stored.attachment = document.map { Invoice.Attachment(filename: $0.filename, byteCount: $0.bytes.count) }
                let record = try InvoiceRecord(stored)
                record.requestKey = requestKey
                record.attachmentFilename = stored.attachment?.filename
                record.attachmentSize = stored.attachment?.byteCount
                try await record.create(on: tx)
                try await writeContent(stored, on: tx)
                if let document {
                    try await InvoiceDocumentRecord(invoiceID: stored.id.rawValue, filename: document.filename, bytes: document.bytes).create(on: tx)
                }
                try await within(tx, stored)
                return stored
            }
        } catch where error.isConstraintFailure {
            if let requestKey, let existing = try await created(by: requestKey, in: invoice.organisationID, on: db) {
                throw Error.alreadyCreated(existing)
            }
            throw Error.duplicateNumber(invoice.number)
        }
    }

    /// The test fixtures' shorthand: stores the invoice as it is.
    public static func insert(_ invoice: Invoice, on db: any Database) async throws {
        _ = try await create(invoice, on: db)
    }

    /// Reads the invoice inside a write transaction, lets `change` decide what it becomes (or refuse by throwing), and
    /// stores that: header, lines and allocations (and a new PDF when `document` is given).
    public static func modify(
        _ id: Invoice.ID, in organisation: Organisation.ID, document: Document? = nil, on db: any Database,
        _ change: @escaping @Sendable (any Database, Invoice) async throws -> Invoice
    ) async throws -> Invoice {
        do {
            return try await db.writeTransaction { tx in
                // Locked, like a PO's change: one of concurrent approvals and send-backs wins, the rest see its result.
                guard let record = try await InvoiceRecord.findForUpdate(id.rawValue, in: organisation, on: tx) else { throw Error.notFound }
                let before = record.domain(lines: try await record.$lines.get(on: tx), allocations: try await record.$allocations.get(on: tx))
                var invoice = try await change(tx, before)
                invoice.attachment = before.attachment
                record.apply(invoice)
                record.statedTotalExcludingTaxCents = try Scaled.money(invoice.statedTotalExcludingTax)
                record.statedTaxCents = try Scaled.money(invoice.statedTax)
                if let document {
                    try await InvoiceDocumentRecord.query(on: tx).filter(\.$id == id.rawValue).delete()
                    try await InvoiceDocumentRecord(invoiceID: id.rawValue, filename: document.filename, bytes: document.bytes).create(on: tx)
                    (record.attachmentFilename, record.attachmentSize) = (document.filename, document.bytes.count)
                    invoice.attachment = .init(filename: document.filename, byteCount: document.bytes.count)
                }
                try await record.save(on: tx)
                if invoice.lines != before.lines || invoice.allocations != before.allocations {
                    try await InvoiceLineRecord.query(on: tx).filter(\.$invoice.$id == id.rawValue).delete()
                    try await InvoiceAllocationRecord.query(on: tx).filter(\.$invoice.$id == id.rawValue).delete()
                    try await writeContent(invoice, on: tx)
                }
                return invoice
            }
        } catch where error.isConstraintFailure {
            throw Error.duplicateNumber("")
        }
    }

    static func writeContent(_ invoice: Invoice, on tx: any Database) async throws {
        for (position, line) in invoice.lines.enumerated() {
            try await InvoiceLineRecord(line, position: position, invoiceID: invoice.id.rawValue).create(on: tx)
        }
        for allocation in invoice.allocations {
            try await InvoiceAllocationRecord(allocation, invoiceID: invoice.id.rawValue).create(on: tx)
        }
    }

    /// The numbers of these invoices of `organisation` (the ones that exist), for lists that name them.
    public static func numbers(of ids: [Invoice.ID], in organisation: Organisation.ID, on db: any Database) async throws -> [Invoice.ID: String] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await InvoiceRecord.scoped(to: organisation, on: db).filter(\.$id ~~ ids.map(\.rawValue)).all()
        return Dictionary(rows.compactMap { row in row.id.map { (Invoice.ID($0), row.number) } }, uniquingKeysWith: { first, _ in first })
    }

    public static func find(_ id: Invoice.ID, in organisation: Organisation.ID, on db: any Database) async throws -> Invoice? {
        guard let record = try await InvoiceRecord.find(id.rawValue, in: organisation, on: db) else { return nil }
        return record.domain(lines: try await record.$lines.get(on: db), allocations: try await record.$allocations.get(on: db))
    }

    /// The invoice's PDF, if it has one (and the invoice is this organisation's).
    public static func document(of id: Invoice.ID, in organisation: Organisation.ID, on db: any Database) async throws -> Document? {
        guard try await InvoiceRecord.find(id.rawValue, in: organisation, on: db) != nil,
            let record = try await InvoiceDocumentRecord.find(id.rawValue, on: db)
        else { return nil }
        return Document(filename: record.filename, bytes: record.bytes)
    }

    /// The newest invoices (headers only; lines and allocations are not read).
    public static func recent(in organisation: Organisation.ID, limit: Int, on db: any Database) async throws -> [Invoice] {
        try await list(in: organisation, filter: .init(), after: nil, limit: limit, on: db).items
    }

    /// The list's filters; nil is "any".
    public struct Filter: Sendable, Hashable {
        public var status: Invoice.Status?
        public var supplier: Supplier.ID?
        public var project: Project.ID?
        /// The posting state in the sync ledger (pending, synced, failed, skipped).
        public var posting: SyncRecord.State?
        /// Matches the invoice number or the supplier's name (part of either, any case), or, when it reads as an
        /// amount, the total excluding or including GST (issue 29).
        public var search: String?
        /// Whose approval it waits for (the Approvals inbox: "Assigned to me").
        public var approver: User.ID?
        /// The column the list is ordered by (issue 29), and in which direction; the id breaks ties.
        public var sort: Sort
        public var ascending: Bool

        public init(
            status: Invoice.Status? = nil, supplier: Supplier.ID? = nil, project: Project.ID? = nil, posting: SyncRecord.State? = nil,
            search: String? = nil, approver: User.ID? = nil, sort: Sort = .date, ascending: Bool = false
        ) {
            self.status = status
            self.supplier = supplier
            self.project = project
            self.posting = posting
            self.search = search
            self.approver = approver
            self.sort = sort
            self.ascending = ascending
        }
    }

    /// The list's sortable columns: invoice date (the default, newest first), number, supplier's name, stage (in the
    /// workflow's order) and total including GST.
    public enum Sort: String, Sendable, CaseIterable {
        case date, number, supplier, stage, total

        /// The direction a column starts in, as people read it: newest and largest first; numbers and names from A,
        /// stages in the workflow's order.
        public var startsAscending: Bool { ![.date, .total].contains(self) }

        /// The column's value in SQL (the same expression orders the rows and places a cursor).
        var expression: SQLQueryString {
            switch self {
            case .date: #""invoices"."invoice_date""#
            case .number: #""invoices"."number""#
            case .supplier:
                #"COALESCE((SELECT "suppliers"."name" FROM "suppliers" WHERE "suppliers"."id" = "invoices"."supplier_id"), '')"#
            case .stage:
                #"(CASE "invoices"."status" WHEN 'unchecked' THEN 0 WHEN 'awaiting_approval' THEN 1 WHEN 'approved' THEN 2 WHEN 'held' THEN 3 ELSE 4 END)"#
            case .total: #"("invoices"."stated_total_excl_tax_cents" + "invoices"."stated_tax_cents")"#
            }
        }

        static func stageRank(_ status: Invoice.Status) -> Int {
            switch status {
            case .unchecked: 0
            case .awaitingApproval: 1
            case .approved: 2
            case .held: 3
            case .posted: 4
            }
        }

        /// A row's place under this order, as a cursor's key.
        func key(_ record: InvoiceRecord, suppliers: [UUID: String]) -> String {
            switch self {
            case .date: String(format: "%.6f", record.invoiceDate.timeIntervalSince1970)
            case .number: record.number
            case .supplier: suppliers[record.supplierID] ?? ""
            case .stage: String(Invoice.Status(rawValue: record.status).map(Self.stageRank) ?? 4)
            // Stored amounts are bounded far below Int64's range; checked all the same.
            case .total: String(record.statedTotalExcludingTaxCents.addingReportingOverflow(record.statedTaxCents).partialValue)
            }
        }

        /// A cursor's key as a bound value of this column, or nil when it cannot be one (a cursor of another order).
        func bound(_ key: String) -> SQLQueryString? {
            switch self {
            case .date:
                guard let seconds = Double(key), seconds.isFinite, abs(seconds) < 1e11 else { return nil }
                return "\(bind: Date(timeIntervalSince1970: seconds))"
            case .number, .supplier: return "\(bind: key)"
            case .stage, .total: return Int64(key).map { "\(bind: $0)" }
            }
        }
    }

    /// Newest first by invoice date, keyset-paged like the PO list: a page continues after the last row's (date, id)
    /// or, going back, before the first row's, so every page costs the same and new invoices neither skip nor repeat
    /// a row. The cursor keeps the date to the microsecond.
    /// How many invoices the filter matches (the list's "Page N of M").
    public static func count(in organisation: Organisation.ID, filter: Filter, on db: any Database) async throws -> Int {
        try await filtered(in: organisation, filter, on: db).count()
    }

    /// The search's condition: part of the number or of the supplier's name, any case, `%` and `_` taken literally;
    /// and, when the text reads as an amount (`Money.parse`: "1,234.50", "$1234.5"), the total excluding or
    /// including GST to the cent.
    static func searchCondition(_ search: String, organisation: Organisation.ID, dialect: String) -> SQLQueryString {
        let text = String(search.prefix(100))
        let pattern = ContainsSearch.pattern(text)
        let like = ContainsSearch.likeOperator(dialect: dialect)
        var condition: SQLQueryString = """
            ("invoices"."number" \(unsafeRaw: like) \(bind: pattern) ESCAPE '\\' OR "invoices"."supplier_id" IN \
            (SELECT "id" FROM "suppliers" WHERE "organisation_id" = \(bind: organisation.rawValue) AND "name" \(unsafeRaw: like) \(bind: pattern) ESCAPE '\\')
            """
        if let amount = Money.parse(text, maxFractionDigits: 2), amount.magnitude < 1_000_000_000_000, let cents = try? Scaled.money(amount) {
            condition = condition + """
                 OR "invoices"."stated_total_excl_tax_cents" = \(bind: cents) \
                OR "invoices"."stated_total_excl_tax_cents" + "invoices"."stated_tax_cents" = \(bind: cents)
                """
        }
        return condition + ")"
    }

    /// The organisation's invoices that `filter` matches.
    static func filtered(in organisation: Organisation.ID, _ filter: Filter, on db: any Database) -> QueryBuilder<InvoiceRecord> {
        var query = InvoiceRecord.scoped(to: organisation, on: db)
        if let status = filter.status { query = query.filter(\.$status == status.rawValue) }
        if let supplier = filter.supplier { query = query.filter(\.$supplierID == supplier.rawValue) }
        if let project = filter.project { query = query.filter(\.$projectID == project.rawValue) }
        if let approver = filter.approver { query = query.filter(\.$approverID == approver.rawValue) }
        if let search = filter.search?.trimmingCharacters(in: .whitespaces), !search.isEmpty {
            query = query.filter(.sql(embed: searchCondition(search, organisation: organisation, dialect: (db as? any SQLDatabase)?.dialect.name ?? "sqlite")))
        }
        if let posting = filter.posting {
            // One read: the ledger row joined in (an invoice has one, for its posting), not its ids read first.
            query = query.join(SyncRecordRecord.self, on: \InvoiceRecord.$id == \SyncRecordRecord.$entityID)
                .filter(SyncRecordRecord.self, \.$organisationID == organisation.rawValue)
                .filter(SyncRecordRecord.self, \.$entityKind == SyncRecord.EntityKind.invoice.rawValue)
                .filter(SyncRecordRecord.self, \.$state == posting.rawValue)
        }
        return query
    }

    /// One page in the filter's order (`Filter.sort`, the id breaking ties), keyset-paged like the PO list: a page
    /// continues after the last row's (value, id) or, going back, before the first row's, so every page costs the same
    /// and new invoices neither skip nor repeat a row. A cursor of another order is not a place in this one and
    /// starts at the top.
    public static func list(
        in organisation: Organisation.ID, filter: Filter, after: ReferenceLists.Cursor?, before: ReferenceLists.Cursor? = nil, limit: Int,
        on db: any Database
    ) async throws -> ReferenceLists.Page<Invoice> {
        var query = filtered(in: organisation, filter, on: db)
        let sort = filter.sort
        /// The names of the suppliers of the rows a page's cursors are placed at (ordered by supplier: at most two).
        func supplierNames(_ rows: [InvoiceRecord]) async throws -> [UUID: String] {
            guard sort == .supplier else { return [:] }
            let ids = Set([rows.first, rows.last].compactMap { $0?.supplierID })
            let named = try await SupplierRecord.scoped(to: organisation, on: db).filter(\.$id ~~ Array(ids)).all()
            return Dictionary(named.compactMap { record in record.id.map { ($0, record.name) } }, uniquingKeysWith: { first, _ in first })
        }
        func cursor(_ record: InvoiceRecord, _ suppliers: [UUID: String]) -> ReferenceLists.Cursor {
            ReferenceLists.Cursor(key: sort.key(record, suppliers: suppliers), id: record.id!)
        }
        /// The rows beyond `cursor`, reading forward (`forward`) or backward in the list's order.
        func beyond(_ cursor: ReferenceLists.Cursor, forward: Bool) -> SQLQueryString? {
            guard let value = sort.bound(cursor.key) else { return nil }
            let op: SQLQueryString = forward == filter.ascending ? ">" : "<"
            return "(\(sort.expression) \(op) \(value) OR (\(sort.expression) = \(value) AND \"invoices\".\"id\" \(op) \(bind: cursor.id)))"
        }
        func ordered(_ query: QueryBuilder<InvoiceRecord>, ascending: Bool) -> QueryBuilder<InvoiceRecord> {
            let direction: SQLQueryString = ascending ? "ASC" : "DESC"
            return query.sort(.sql(embed: "\(sort.expression) \(direction)")).sort(\.$id, ascending ? .ascending : .descending)
        }
        if let before, let condition = beyond(before, forward: false) {
            // Going back: the rows just before the cursor, read in the other direction, shown in the list's.
            let rows = try await ordered(query.filter(.sql(embed: condition)), ascending: !filter.ascending).limit(limit + 1).all()
            let shown = Array(rows.prefix(limit).reversed())
            let names = try await supplierNames(shown)
            return ReferenceLists.Page(
                items: shown.map { $0.domain(lines: [], allocations: []) }, next: shown.last.map { cursor($0, names) },
                previous: rows.count > limit ? shown.first.map { cursor($0, names) } : nil)
        }
        let continuing = after.flatMap { beyond($0, forward: true) }
        if let continuing { query = query.filter(.sql(embed: continuing)) }
        let rows = try await ordered(query, ascending: filter.ascending).limit(limit + 1).all()
        let shown = Array(rows.prefix(limit))
        let names = try await supplierNames(shown)
        return ReferenceLists.Page(
            items: shown.map { $0.domain(lines: [], allocations: []) }, next: rows.count > limit ? shown.last.map { cursor($0, names) } : nil,
            previous: continuing != nil ? shown.first.map { cursor($0, names) } : nil)
    }

    /// What other invoices of the organisation have allocated to each line of the PO (for the over-allocation warning).
    public static func allocatedElsewhere(
        to po: PurchaseOrder.ID, excluding invoice: Invoice.ID, in organisation: Organisation.ID, on db: any Database
    ) async throws -> [PurchaseOrder.Line.ID: Decimal] {
        let others = try await InvoiceRecord.scoped(to: organisation, on: db).filter(\.$purchaseOrderID == po.rawValue)
            .filter(\.$id != invoice.rawValue).all(\.$id)
        guard !others.isEmpty else { return [:] }
        var sums: [PurchaseOrder.Line.ID: Decimal] = [:]
        for allocation in try await InvoiceAllocationRecord.query(on: db).filter(\.$invoice.$id ~~ others).all() {
            sums[.init(allocation.purchaseOrderLineID), default: 0] += Scaled.money(allocation.amountCents)
        }
        return sums
    }

    /// The numbers of the approved invoices against a PO that have not posted yet (approved or held).
    public static func waitingToPost(on purchaseOrder: PurchaseOrder.ID, in organisation: Organisation.ID, on db: any Database) async throws -> [String] {
        try await InvoiceRecord.scoped(to: organisation, on: db).filter(\.$purchaseOrderID == purchaseOrder.rawValue)
            .filter(\.$status ~~ [Invoice.Status.approved.rawValue, Invoice.Status.held.rawValue]).sort(\.$number).all().map(\.number)
    }

    /// The held invoices allocated to these POs (posted again once their push has finished).
    public static func held(on purchaseOrders: [PurchaseOrder.ID], in organisation: Organisation.ID, on db: any Database) async throws -> [Invoice.ID] {
        guard !purchaseOrders.isEmpty else { return [] }
        return try await InvoiceRecord.scoped(to: organisation, on: db)
            .filter(\.$purchaseOrderID ~~ purchaseOrders.map(\.rawValue)).filter(\.$status == Invoice.Status.held.rawValue)
            .all().compactMap { $0.id.map(Invoice.ID.init) }
    }

    /// What the posting schedule queues, oldest first: held invoices (tried again in case the reason went away) and
    /// approved ones whose posting is not done: never queued, or queued and pending with no job waiting (the job was
    /// lost). An approved invoice whose posting failed waits for a person's **Retry**.
    public static func awaitingPosting(in organisation: Organisation.ID, limit: Int, on db: any Database) async throws -> [Invoice.ID] {
        let rows = try await (db as! any SQLDatabase).raw("""
            SELECT i.id, i.status FROM invoices i
            LEFT JOIN sync_records s ON s.entity_id = i.id AND s.entity_kind = 'invoice' AND s.direction = 'push'
            WHERE i.organisation_id = \(bind: organisation.rawValue)
                AND (i.status = 'held' OR (i.status = 'approved' AND (s.state IS NULL OR s.state IN ('not_synced', 'pending'))))
            ORDER BY i.invoice_date LIMIT \(literal: max(1, limit))
            """).all()
        let candidates = try rows.map { (id: try $0.decode(column: "id", as: UUID.self), held: try $0.decode(column: "status", as: String.self) == "held") }
        let waiting = try await Outbox.waiting(keys: candidates.map { "invoice.post:\($0.id.lowercasedText)" }, in: organisation, on: db)
        return candidates.filter { $0.held || !waiting.contains("invoice.post:\($0.id.lowercasedText)") }.map { Invoice.ID($0.id) }
    }

    /// Sets the invoice's status (the posting job: posted or held), touching nothing else.
    public static func setStatus(_ id: Invoice.ID, _ status: Invoice.Status, in organisation: Organisation.ID, on db: any Database) async throws {
        try await db.writeTransaction { db in
            try await InvoiceRecord.scoped(to: organisation, on: db).filter(\.$id == id.rawValue).set(\.$status, to: status.rawValue).update()
        }
    }
}

extension Invoices {
    /// Field → message for every record the invoice names that is not this organisation's (or does not fit): its
    /// supplier, project, PO (of the same project), approver, each line's cost code (of the project), cost type and tax
    /// code, and each allocation's PO line. Another organisation's id reads as unknown, never as "forbidden".
    public static func referenceProblems(_ invoice: Invoice, on db: any Database) async throws -> [String: String] {
        let organisation = invoice.organisationID
        var problems: [String: String] = [:]
        if try await SupplierRecord.find(invoice.supplierID.rawValue, in: organisation, on: db) == nil {
            problems["supplier_id"] = "There is no such supplier."
        }
        if let project = invoice.projectID, try await ProjectRecord.find(project.rawValue, in: organisation, on: db) == nil {
            problems["project_id"] = "There is no such project."
        }
        if let approver = invoice.approverID {
            let user = try await UserRecord.find(approver.rawValue, in: organisation, on: db)
            if user == nil || !(user!.domain.role.mayApprove) {
                problems["approver_id"] = "Choose an approver or administrator of your organisation."
            } else if user?.deactivatedAt != nil {
                problems["approver_id"] = "\(user!.name) has been deactivated: choose another approver."
            }
        }
        if let poID = invoice.purchaseOrderID {
            if let po = try await PurchaseOrders.find(poID, in: organisation, on: db) {
                if let project = invoice.projectID, project != po.projectID {
                    problems["purchase_order_id"] = "\(po.number) is for another project."
                }
                if po.supplierID != invoice.supplierID {
                    problems["purchase_order_id"] = "\(po.number) is for another supplier."
                }
                if !InvoiceAllocations.foreignLines(invoice.allocations, po: po).isEmpty {
                    problems["allocations"] = "An allocation names a line that is not on \(po.number)."
                }
            } else {
                problems["purchase_order_id"] = "There is no such purchase order."
            }
        }
        let codes = Set(try await CostCodeRecord.scoped(to: organisation, on: db)
            .filter(\.$projectID == (invoice.projectID?.rawValue ?? UUID())).all(\.$id))
        let types = Set(try await CostTypeRecord.scoped(to: organisation, on: db).all(\.$id))
        let taxes = Set(try await TaxCodeRecord.scoped(to: organisation, on: db).all(\.$id))
        for (index, line) in invoice.lines.enumerated() {
            if let code = line.costCodeID, !codes.contains(code.rawValue) {
                problems["lines[\(index)].cost_code_id"] = "Line \(index + 1): the cost code is not one of the project's."
            }
            if let type = line.costTypeID, !types.contains(type.rawValue) {
                problems["lines[\(index)].cost_type_id"] = "Line \(index + 1): there is no such cost type."
            }
            if let tax = line.taxCodeID, !taxes.contains(tax.rawValue) {
                problems["lines[\(index)].tax_code_id"] = "Line \(index + 1): there is no such tax code."
            }
        }
        return problems
    }
}
