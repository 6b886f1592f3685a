import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import Vapor

/// The Invoices pages (issue 15): the list with filters and cursor paging, capture and edit (with the PDF), the
/// invoice page (PDF beside it, the PO and its allocations, Check / Approve / Send back / Reverse approval, and where
/// it stands in Procore with **Send now** or **Retry**). Every change goes through `InvoiceCommands`.
enum InvoiceController {
    static let pageSize = 50

    struct ListQuery: Content {
        var status: String?
        var supplier: String?
        var project: String?
        var posting: String?
        /// Search: part of the number or the supplier's name, or an amount (`Invoices.Filter.search`).
        var q: String?
        /// "me": the invoices whose approver is the viewer.
        var assigned: String?
        /// "csv": every invoice the filters match, as a file.
        var format: String?
        /// The column the list is ordered by (`Invoices.Sort`) and "asc" or "desc" (each column has its own default).
        var sort: String?
        var dir: String?
        /// What **Approve selected** did (shown on the Approvals page it returns to).
        var notice: String?
        var error: String?
        var after: String?
        var before: String?
        /// The page number shown ("Page N of M"); it travels with a cursor and is trusted only with one.
        var page: String?
    }

    /// The list's filters from the address; a notice is never taken from it (a link could make the page say anything).
    static func query(_ req: Request) -> ListQuery {
        var query = (try? req.query.decode(ListQuery.self)) ?? ListQuery()
        (query.notice, query.error) = (nil, nil)
        return query
    }

    @Sendable static func list(req: Request) async throws -> Response {
        try await list(req, query: query(req), approvals: false)
    }

    /// **Approvals** (issue 29): the invoices waiting for the viewer's approval, newest first like the list, with its
    /// search and export.
    @Sendable static func approvals(req: Request) async throws -> Response {
        var query = query(req)
        (query.status, query.assigned) = (Invoice.Status.awaitingApproval.rawValue, "me")
        return try await list(req, query: query, approvals: true)
    }

    struct Selection: Content {
        var ids: [String]?
    }

    /// **Approve selected** on the Approvals page: each selected invoice is approved as its own Approve would
    /// (over-allocation is not accepted in bulk: such an invoice is named and left for its page). Back to the page with
    /// how many were approved and why any were not.
    @Sendable static func approveSelected(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        guard viewer.user.role.mayApprove else { throw Abort(.forbidden, reason: "Only approvers and administrators can approve invoices.") }
        let ids = ((try? req.content.decode(Selection.self))?.ids ?? []).prefix(200).compactMap(UUID.init(uuidString:))
        var approved = 0
        var refusals: [String] = []
        for id in ids {
            do {
                _ = try await InvoiceCommands.act(
                    .approve(acceptingOverAllocation: false), on: .init(id), organisation: viewer.organisationID, actor: viewer.user,
                    now: req.application.lentune.now(), on: req.db)
                approved += 1
            } catch let failure as InvoiceCommands.Failure {
                let number = try await Invoices.find(.init(id), in: viewer.organisationID, on: req.db)?.number ?? "An invoice"
                refusals.append("\(number): \(failure.message)")
            }
        }
        // The Approvals page as it now stands, with what was done (rendered here: a notice never travels in the address),
        // and the navigation's count as it now stands.
        req.viewer?.awaitingMyApproval = try await Invoices.count(
            in: viewer.organisationID, filter: .init(status: .awaitingApproval, approver: viewer.user.id), on: req.db)
        var query = ListQuery()
        (query.status, query.assigned) = (Invoice.Status.awaitingApproval.rawValue, "me")
        query.notice = ids.isEmpty ? "Select the invoices to approve first." : "Approved \(approved) of \(ids.count)."
        query.error = refusals.isEmpty ? nil : String(refusals.joined(separator: " ").prefix(1500))
        return try await list(req, query: query, approvals: true)
    }

    static func list(_ req: Request, query: ListQuery, approvals: Bool) async throws -> Response {
        let viewer = try req.requireViewer()
        var filter = Invoices.Filter()
        filter.status = query.status.flatMap(Invoice.Status.init(rawValue:))
        filter.posting = query.posting.flatMap(SyncRecord.State.init(rawValue:))
        filter.supplier = query.supplier.flatMap(UUID.init(uuidString:)).map { .init($0) }
        filter.project = query.project.flatMap(UUID.init(uuidString:)).map { .init($0) }
        filter.search = query.q.map { String($0.prefix(100)) }
        if query.assigned == "me" { filter.approver = viewer.user.id }
        (filter.sort, filter.ascending) = order(query)
        if query.format == "csv" { return try await csv(req, viewer, filter: filter) }
        let after = query.after.flatMap(ReferenceLists.Cursor.init(token:))
        let before = after == nil ? query.before.flatMap(ReferenceLists.Cursor.init(token:)) : nil
        let page = try await Invoices.list(in: viewer.organisationID, filter: filter, after: after, before: before, limit: pageSize, on: req.db)
        let total = try await Invoices.count(in: viewer.organisationID, filter: filter, on: req.db)
        let pages = max(1, (total + pageSize - 1) / pageSize)
        // Without a cursor the list starts at the top, whatever number the address carries.
        let number = after == nil && before == nil ? 1 : min(pages, max(1, query.page.flatMap { Int($0) } ?? 1))
        let reference = try await PurchaseOrderReference.load(viewer.organisationID, lines: false, on: req.db)
        let postings = try await SyncLedger.records(of: page.items.map(\.id.rawValue), kind: .invoice, in: viewer.organisationID, on: req.db)
        return InvoiceViews.list(.init(
            viewer: viewer, query: query, page: page, number: number, pages: pages, total: total, reference: reference, postings: postings,
            approvals: approvals)).response()
    }

    /// The list's order from the address: a known column (else the invoice date) and its direction (else the
    /// column's own, `Invoices.Sort.startsAscending`).
    static func order(_ query: ListQuery) -> (Invoices.Sort, ascending: Bool) {
        let sort = query.sort.flatMap(Invoices.Sort.init(rawValue:)) ?? .date
        switch query.dir {
        case "asc": return (sort, true)
        case "desc": return (sort, false)
        default: return (sort, sort.startsAscending)
        }
    }

    /// The filtered list as CSV, in the list's order: every invoice it matches, up to `CSVExport.maximumRows`.
    static func csv(_ req: Request, _ viewer: Viewer, filter: Invoices.Filter) async throws -> Response {
        let reference = try await PurchaseOrderReference.load(viewer.organisationID, lines: false, on: req.db)
        let suppliers = Dictionary(uniqueKeysWithValues: reference.suppliers.map { ($0.id, $0.name) })
        let projects = Dictionary(uniqueKeysWithValues: reference.projects.map { ($0.id, $0.code) })
        var rows: [[String]] = [["Number", "Supplier", "Project", "Invoice date", "Due date", "Stage", "Total excl. GST", "GST", "Total incl. GST", "Procore", "Procore id"]]
        var after: ReferenceLists.Cursor?
        let day = Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day()
        repeat {
            let page = try await Invoices.list(in: viewer.organisationID, filter: filter, after: after, limit: 500, on: req.db)
            let postings = try await SyncLedger.records(of: page.items.map(\.id.rawValue), kind: .invoice, in: viewer.organisationID, on: req.db)
            for invoice in page.items {
                let posting = postings[invoice.id.rawValue]
                rows.append([
                    invoice.number, suppliers[invoice.supplierID] ?? "", invoice.projectID.flatMap { projects[$0] } ?? "",
                    invoice.invoiceDate.formatted(day), invoice.dueDate?.formatted(day) ?? "", invoice.status.title,
                    Money.format(invoice.statedTotalExcludingTax), Money.format(invoice.statedTax), Money.format(invoice.statedTotalIncludingTax),
                    posting?.state.rawValue ?? "", posting?.procoreID.map(String.init) ?? "",
                ])
            }
            after = page.next
        } while after != nil && rows.count <= CSVExport.maximumRows
        return CSVExport.response(rows, filename: "invoices.csv")
    }

    @Sendable static func new(req: Request) async throws -> Response {
        let viewer = try editor(req)
        // **New invoice** on a PO's page: the form starts from the PO's remaining lines.
        if let id = req.query[String.self, at: "purchase_order"].flatMap(UUID.init(uuidString:)),
            let po = try await PurchaseOrders.find(.init(id), in: viewer.organisationID, on: req.db)
        {
            return try await form(req, viewer, input: try await copying(po, into: InvoiceInput(), req, viewer), existing: nil, poNumber: po.number)
        }
        return try await form(req, viewer, input: InvoiceInput(), existing: nil)
    }

    /// `input` with `po`'s remaining lines copied in, each allocated to its PO line.
    static func copying(_ po: PurchaseOrder, into input: InvoiceInput, _ req: Request, _ viewer: Viewer, excluding invoice: Invoice.ID = Invoice.ID()) async throws -> InvoiceInput {
        let elsewhere = try await Invoices.allocatedElsewhere(to: po.id, excluding: invoice, in: viewer.organisationID, on: req.db)
        return input.copying(po, allocatedElsewhere: elsewhere)
    }

    @Sendable static func edit(req: Request) async throws -> Response {
        let viewer = try editor(req)
        let invoice = try await find(req, viewer)
        return try await form(req, viewer, input: .from(invoice), existing: invoice)
    }

    static func form(_ req: Request, _ viewer: Viewer, input: InvoiceInput, existing: Invoice?, poNumber: String? = nil, errors: [String: String] = [:], status: HTTPStatus = .ok) async throws -> Response {
        let reference = try await PurchaseOrderReference.load(viewer.organisationID, on: req.db)
        var number = poNumber ?? ""
        var po: PurchaseOrder?
        if let id = UUID(uuidString: input.purchaseOrder) {
            po = try await PurchaseOrders.find(.init(id), in: viewer.organisationID, on: req.db)
            if poNumber == nil { number = po?.number ?? "" }
        }
        let approvers = try await Accounts.activeUsers(in: viewer.organisationID, on: req.db).filter { $0.role.mayApprove }
        let response = InvoiceViews.form(.init(
            viewer: viewer, reference: reference, approvers: approvers, input: input, poNumber: number, po: po, existing: existing,
            errors: errors)).response()
        response.status = status
        return response
    }

    /// The form's fields: header, `lines[N][field]`, the PO by number, and the PDF.
    struct Fields: Content {
        struct Line: Codable {
            var description: String?
            var cost_code: String?
            var cost_type: String?
            var tax_code: String?
            var amount: String?
            var tax: String?
            var po_line: String?
        }

        var supplier: String?
        var number: String?
        var invoice_date: String?
        var due_date: String?
        var total_excluding_tax: String?
        var total_including_tax: String?
        var project: String?
        var purchase_order_number: String?
        var approver: String?
        /// `lines[N][field]`: an array to the multipart decoder (the form carries a PDF), keyed to the urlencoded one.
        var lines: [Line]?
        var document: File?
        /// **Show PO**: the form again with the PO beside it, nothing saved.
        var show_po: String?
    }

    /// Reads the form: the input, the PO number typed, the PDF (or why it cannot be kept), and the PO it names.
    static func read(_ req: Request, _ viewer: Viewer, keeping existing: Invoice?) async throws
        -> (input: InvoiceInput, poNumber: String, document: Invoices.Document?, po: PurchaseOrder?, errors: [String: String], showPO: Bool)
    {
        guard let fields = try? req.content.decode(Fields.self) else { throw Abort(.badRequest, reason: "The form could not be read.") }
        var errors: [String: String] = [:]
        let lines = (fields.lines ?? [])
            .filter { !($0.amount ?? "").trimmingCharacters(in: .whitespaces).isEmpty || !($0.description ?? "").isEmpty }
        var input = InvoiceInput(
            supplier: fields.supplier ?? "", number: fields.number ?? "", invoiceDate: fields.invoice_date ?? "", dueDate: fields.due_date ?? "",
            totalExcludingTax: fields.total_excluding_tax ?? "", totalIncludingTax: fields.total_including_tax ?? "", project: fields.project ?? "",
            approver: fields.approver ?? "",
            lines: lines.map {
                .init(description: $0.description ?? "", costCode: $0.cost_code ?? "", costType: $0.cost_type ?? "", taxCode: $0.tax_code ?? "",
                      amount: $0.amount ?? "", tax: $0.tax ?? "", purchaseOrderLine: $0.po_line ?? "")
            })
        let poNumber = (fields.purchase_order_number ?? "").trimmingCharacters(in: .whitespaces)
        var po: PurchaseOrder?
        if !poNumber.isEmpty {
            po = try await PurchaseOrders.find(number: poNumber, in: viewer.organisationID, on: req.db)
            if let po {
                input.purchaseOrder = po.id.description
                // Allocations are kept while the PO stays the same.
                if let existing, existing.purchaseOrderID == po.id { input.allocations = InvoiceInput.from(existing).allocations }
            } else {
                errors["purchase_order_id"] = "There is no purchase order \(poNumber.prefix(50))."
            }
        }
        var document: Invoices.Document?
        if let file = fields.document, file.data.readableBytes > 0 {
            let filename = InvoiceDocuments.filename(file.filename)
            let bytes = Data(buffer: file.data)
            if let problem = InvoiceDocument.problem(bytes, filename: filename) { errors["document"] = problem } else {
                document = Invoices.Document(filename: filename, bytes: bytes)
            }
        }
        return (input, poNumber, document, po, errors, fields.show_po != nil)
    }

    @Sendable static func create(req: Request) async throws -> Response {
        try await save(req, try editor(req), existing: nil)
    }

    @Sendable static func update(req: Request) async throws -> Response {
        let viewer = try editor(req)
        return try await save(req, viewer, existing: try await find(req, viewer))
    }

    /// The one path of the form for a new invoice and an edit: read it, parse it, capture or update, and show the form
    /// again with every message when something is refused (or with the PO beside it for **Show PO**).
    static func save(_ req: Request, _ viewer: Viewer, existing: Invoice?) async throws -> Response {
        var (input, poNumber, document, po, readErrors, showPO) = try await read(req, viewer, keeping: existing)
        if showPO {
            // Show PO with no lines typed yet copies the PO's remaining lines (each allocated to its PO line).
            if let po, input.lines.isEmpty { input = try await copying(po, into: input, req, viewer, excluding: existing?.id ?? Invoice.ID()) }
            return try await form(req, viewer, input: input, existing: existing, poNumber: poNumber, errors: readErrors.filter { $0.key != "document" })
        }
        var errors = readErrors
        var parsed: Invoice?
        switch input.parse(organisation: viewer.organisationID, id: existing?.id ?? Invoice.ID(), po: po) {
        case .failure(let fieldErrors): errors.merge(fieldErrors.messages) { first, _ in first }
        case .success(let invoice): parsed = invoice
        }
        if errors.isEmpty, let parsed {
            do {
                let invoice = try await InvoiceCommands.withAutomaticAllocation(parsed, on: req.db)
                let now = req.application.lentune.now()
                if existing == nil {
                    let stored = try await InvoiceCommands.capture(invoice, document: document, actor: viewer.user, now: now, on: req.db)
                    return req.redirect(to: SiteURL.invoice(stored.id.rawValue).path + "?notice=captured")
                }
                let stored = try await InvoiceCommands.update(invoice, document: document, actor: viewer.user, now: now, on: req.db)
                return req.redirect(to: SiteURL.invoice(stored.id.rawValue).path + "?notice=saved")
            } catch let failure as InvoiceCommands.Failure {
                errors = messages(failure)
            }
        }
        return try await form(req, viewer, input: input, existing: existing, poNumber: poNumber, errors: errors, status: .unprocessableEntity)
    }

    static func messages(_ failure: InvoiceCommands.Failure) -> [String: String] {
        switch failure {
        case .invalid(let problems): problems
        case .duplicateNumber: ["number": failure.message]
        default: ["invoice": failure.message]
        }
    }

    @Sendable static func show(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        // The invoice and its posting from one snapshot: the posting job writes both in one transaction.
        let (invoice, posting) = try await req.db.readSnapshot { db in
            let invoice = try await find(req, viewer, on: db)
            return (invoice, try await Posting.read(invoice, on: db))
        }
        let notice: String? =
            switch req.query[String.self, at: "notice"] {
            case "captured": "Invoice captured."
            case "saved": "Invoice saved."
            case "check": "Marked as checked: it now waits for its approver."
            case "approve": "Approved. If its project is in Procore, it posts there in a moment (see the Procore panel)."
            case "send_back": "Sent back with your reason."
            case "reverse_approval": "Approval reversed: it can be changed again."
            case "allocate": "Allocations saved."
            case "done": "Done."
            case "queued": "Queued for posting to Procore."
            default: nil
            }
        return try await page(req, viewer, invoice, notice: notice, error: nil, posting: posting)
    }

    /// An invoice's Procore posting: its ledger row and its posting jobs.
    struct Posting: Sendable {
        var record: SyncRecord?
        var history: [SyncJob]

        static func read(_ invoice: Invoice, on db: any Database) async throws -> Posting {
            Posting(
                record: try await SyncLedger.records(of: [invoice.id.rawValue], kind: .invoice, in: invoice.organisationID, on: db)[invoice.id.rawValue],
                history: try await Outbox.history(keys: ["invoice.post:\(invoice.id.rawValue.lowercasedText)"], in: invoice.organisationID, on: db))
        }
    }

    /// The invoice page; `posting` as read with the invoice (else it is read now).
    static func page(
        _ req: Request, _ viewer: Viewer, _ invoice: Invoice, notice: String?, error: String?, status: HTTPStatus = .ok, posting: Posting? = nil
    ) async throws -> Response {
        let reference = try await PurchaseOrderReference.load(viewer.organisationID, on: req.db)
        var po: PurchaseOrder?
        var elsewhere: [PurchaseOrder.Line.ID: Decimal] = [:]
        if let id = invoice.purchaseOrderID {
            po = try await PurchaseOrders.find(id, in: viewer.organisationID, on: req.db)
            elsewhere = try await Invoices.allocatedElsewhere(to: id, excluding: invoice.id, in: viewer.organisationID, on: req.db)
        }
        let users = try await Accounts.users(in: viewer.organisationID, on: req.db)
        let posting = if let posting { posting } else { try await Posting.read(invoice, on: req.db) }
        let response = InvoiceViews.show(.init(
            viewer: viewer, invoice: invoice, reference: reference, po: po, allocatedElsewhere: elsewhere, users: users, posting: posting.record,
            history: posting.history, notice: notice, error: error,
            audit: try await AuditLog.history(of: invoice.id.rawValue, in: viewer.organisationID, on: req.db))).response()
        response.status = status
        return response
    }

    struct ActionForm: Content {
        struct Allocation: Codable {
            var line: String?
            var amount: String?
            var quantity: String?
        }

        var reason: String?
        var accept_over_allocation: String?
        var allocations: [String: Allocation]?
    }

    @Sendable static func action(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let invoice = try await find(req, viewer)
        let now = req.application.lentune.now()
        let org = viewer.organisationID
        let form: ActionForm
        do {
            form = try req.content.decode(ActionForm.self)
        } catch {
            // The stage buttons send only the CSRF field, and may be read as an empty form; allocations must be read,
            // or saving them would save none.
            guard req.parameters.get("action") != "allocate" else {
                return try await page(req, viewer, invoice, notice: nil, error: "The allocations could not be read. Nothing was saved.", status: .badRequest)
            }
            form = ActionForm()
        }
        do {
            var notice = req.parameters.get("action") ?? "done"
            switch req.parameters.get("action") {
            case "check": _ = try await InvoiceCommands.act(.check, on: invoice.id, organisation: org, actor: viewer.user, now: now, on: req.db)
            case "approve":
                _ = try await InvoiceCommands.act(
                    .approve(acceptingOverAllocation: form.accept_over_allocation == "on" || form.accept_over_allocation == "true"),
                    on: invoice.id, organisation: org, actor: viewer.user, now: now, on: req.db)
            case "send_back":
                _ = try await InvoiceCommands.act(.sendBack(reason: form.reason ?? ""), on: invoice.id, organisation: org, actor: viewer.user, now: now, on: req.db)
            case "reverse_approval":
                _ = try await InvoiceCommands.act(.reverseApproval, on: invoice.id, organisation: org, actor: viewer.user, now: now, on: req.db)
            case "send_now", "retry":
                _ = try await InvoiceCommands.sendNow(invoice.id, organisation: org, actor: viewer.user, now: now, on: req.db)
                notice = "queued"
            case "allocate":
                let po = try await invoice.purchaseOrderID.asyncMap { try await PurchaseOrders.find($0, in: org, on: req.db) } ?? nil
                var input = InvoiceInput.from(invoice)
                input.allocations = (form.allocations ?? [:]).sorted { $0.key < $1.key }.map(\.value)
                    .filter { !($0.amount ?? "").trimmingCharacters(in: .whitespaces).isEmpty || !($0.quantity ?? "").trimmingCharacters(in: .whitespaces).isEmpty }
                    .map { .init(line: $0.line ?? "", quantity: $0.quantity ?? "", amount: $0.amount ?? "") }
                switch input.parse(organisation: org, id: invoice.id, po: po) {
                case .failure(let errors):
                    return try await page(req, viewer, invoice, notice: nil, error: errors.messages.sorted { $0.key < $1.key }.map(\.value).joined(separator: " "), status: .unprocessableEntity)
                case .success(let allocated):
                    _ = try await InvoiceCommands.update(allocated, document: nil, actor: viewer.user, now: now, on: req.db)
                }
            default:
                throw Abort(.notFound)
            }
            return req.redirect(to: SiteURL.invoice(invoice.id.rawValue).path + "?notice=\(notice)")
        } catch let failure as InvoiceCommands.Failure {
            let text =
                switch failure {
                case .invalid(let problems): problems.sorted { $0.key < $1.key }.map(\.value).joined(separator: " ")
                default: failure.message
                }
            let status: HTTPStatus = if case .workflow(.role) = failure { .forbidden } else { .conflict }
            return try await page(req, viewer, invoice, notice: nil, error: text, status: status)
        }
    }

    @Sendable static func document(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        guard let document = try await Invoices.document(of: .init(try req.idParameter()), in: viewer.organisationID, on: req.db) else {
            throw Abort(.notFound)
        }
        return InvoiceDocuments.response(document)
    }

    /// The invoice the path names, in the viewer's organisation (404 otherwise); on `db` when given (a snapshot).
    static func find(_ req: Request, _ viewer: Viewer, on db: (any Database)? = nil) async throws -> Invoice {
        guard let invoice = try await Invoices.find(.init(try req.idParameter()), in: viewer.organisationID, on: db ?? req.db) else {
            throw Abort(.notFound)
        }
        return invoice
    }

    static func editor(_ req: Request) throws -> Viewer {
        let viewer = try req.requireViewer()
        guard viewer.user.role.mayEditDocuments else { throw Abort(.forbidden, reason: "Your role cannot capture or change invoices.") }
        return viewer
    }
}

extension InvoiceInput {
    /// The invoice as the form shows it.
    static func from(_ invoice: Invoice) -> InvoiceInput {
        let day = Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day()
        return InvoiceInput(
            supplier: invoice.supplierID.description, number: invoice.number, invoiceDate: invoice.invoiceDate.formatted(day),
            dueDate: invoice.dueDate?.formatted(day) ?? "", totalExcludingTax: Money.format(invoice.statedTotalExcludingTax),
            totalIncludingTax: Money.format(invoice.statedTotalIncludingTax), project: invoice.projectID?.description ?? "",
            purchaseOrder: invoice.purchaseOrderID?.description ?? "", approver: invoice.approverID?.description ?? "",
            lines: invoice.lines.map {
                .init(description: $0.description, costCode: $0.costCodeID?.description ?? "", costType: $0.costTypeID?.description ?? "",
                      taxCode: $0.taxCodeID?.description ?? "", amount: Money.format($0.amount), tax: Money.format($0.tax))
            },
            allocations: invoice.allocations.map { allocation in
                if case .quantity(let quantity) = allocation.basis { return .init(line: allocation.purchaseOrderLineID.description, quantity: "\(quantity)") }
                return .init(line: allocation.purchaseOrderLineID.description, amount: Money.format(allocation.amount))
            })
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
