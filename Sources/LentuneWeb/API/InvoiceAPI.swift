import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import Vapor

/// `/api/v1/invoices`: list (filters, cursor paging), show, capture, update, the PDF, and the stage actions (check,
/// approve, send_back, reverse_approval, send_now). Bad input is a problem document naming each field; nothing is stored.
enum InvoiceAPI {
    /// A 20 MB PDF as base64 is about 27 MB of JSON.
    static let bodyLimit: ByteCount = "28mb"

    static func register(_ api: any RoutesBuilder) {
        api.get(SiteURL.components(.apiInvoices), use: list)
        api.on(.POST, SiteURL.components(.apiInvoices), body: .collect(maxSize: bodyLimit), use: create)
        api.get(SiteURL.components(.apiInvoice(UUID())), use: show)
        api.on(.PUT, SiteURL.components(.apiInvoice(UUID())), body: .collect(maxSize: bodyLimit), use: update)
        api.get(SiteURL.components(.apiInvoiceDocument(UUID())), use: document)
        api.post(SiteURL.components(.apiInvoiceAction(UUID(), "")), use: action)
    }

    struct LineDTO: Content {
        var description: String?
        var cost_code_id: String?
        var cost_type_id: String?
        var tax_code_id: String?
        var amount: String
        var tax: String?
    }

    struct AllocationDTO: Content {
        var purchase_order_line_id: String
        var amount: String?
        var quantity: String?
    }

    struct DocumentDTO: Content {
        var filename: String
        var content_base64: String
    }

    struct WriteDTO: Content {
        var supplier_id: String?
        var number: String?
        var invoice_date: String?
        var due_date: String?
        var total_excluding_tax: String?
        var total_including_tax: String?
        var project_id: String?
        var purchase_order_id: String?
        var approver_id: String?
        var lines: [LineDTO]?
        var allocations: [AllocationDTO]?
        var document: DocumentDTO?

        var input: InvoiceInput {
            InvoiceInput(
                supplier: supplier_id ?? "", number: number ?? "", invoiceDate: invoice_date ?? "", dueDate: due_date ?? "",
                totalExcludingTax: total_excluding_tax ?? "", totalIncludingTax: total_including_tax ?? "", project: project_id ?? "",
                purchaseOrder: purchase_order_id ?? "", approver: approver_id ?? "",
                lines: (lines ?? []).map {
                    .init(description: $0.description ?? "", costCode: $0.cost_code_id ?? "", costType: $0.cost_type_id ?? "",
                          taxCode: $0.tax_code_id ?? "", amount: $0.amount, tax: $0.tax ?? "")
                },
                allocations: (allocations ?? []).map { .init(line: $0.purchase_order_line_id, quantity: $0.quantity ?? "", amount: $0.amount ?? "") })
        }
    }

    struct InvoiceDTO: Content {
        struct Line: Content {
            var description: String
            var cost_code_id: UUID?
            var cost_type_id: UUID?
            var tax_code_id: UUID?
            var amount: String
            var tax: String
        }

        struct Allocation: Content {
            var purchase_order_line_id: UUID
            var quantity: String?
            var amount: String
        }

        struct Posting: Content {
            var state: String
            var procore_id: Int64?
            var procore_url: String?
            var message: String?
        }

        var id: UUID
        var supplier_id: UUID
        var number: String
        var invoice_date: String
        var due_date: String?
        var status: String
        var total_excluding_tax: String
        var tax: String
        var total_including_tax: String
        var project_id: UUID?
        var purchase_order_id: UUID?
        var approver_id: UUID?
        var send_back_reason: String?
        var lines: [Line]
        var allocations: [Allocation]
        var document: String?
        var posting: Posting?

        init(_ invoice: Invoice, posting record: SyncRecord?) {
            let day = Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day()
            id = invoice.id.rawValue
            supplier_id = invoice.supplierID.rawValue
            number = invoice.number
            invoice_date = invoice.invoiceDate.formatted(day)
            due_date = invoice.dueDate?.formatted(day)
            status = invoice.status.rawValue
            total_excluding_tax = Money.format(invoice.statedTotalExcludingTax)
            tax = Money.format(invoice.statedTax)
            total_including_tax = Money.format(invoice.statedTotalIncludingTax)
            project_id = invoice.projectID?.rawValue
            purchase_order_id = invoice.purchaseOrderID?.rawValue
            approver_id = invoice.approverID?.rawValue
            send_back_reason = invoice.sendBackReason
            lines = invoice.lines.map {
                Line(description: $0.description, cost_code_id: $0.costCodeID?.rawValue, cost_type_id: $0.costTypeID?.rawValue,
                     tax_code_id: $0.taxCodeID?.rawValue, amount: Money.format($0.amount), tax: Money.format($0.tax))
            }
            allocations = invoice.allocations.map { allocation in
                var quantity: String?
                if case .quantity(let value) = allocation.basis { quantity = "\(value)" }
                return Allocation(purchase_order_line_id: allocation.purchaseOrderLineID.rawValue, quantity: quantity, amount: Money.format(allocation.amount))
            }
            document = invoice.attachment.map { _ in SiteURL.apiInvoiceDocument(invoice.id.rawValue).path }
            posting = record.map { Posting(state: $0.state.rawValue, procore_id: $0.procoreID, procore_url: $0.procoreURL, message: $0.lastError) }
        }
    }

    @Sendable static func list(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        struct Query: Decodable {
            var status: String?
            var supplier_id: String?
            var project_id: String?
            var posting: String?
            var after: String?
            var before: String?
            var per_page: String?
        }
        let query = (try? req.query.decode(Query.self)) ?? Query()
        var errors: [String: String] = [:]
        var filter = Invoices.Filter()
        // A parameter that is sent must be valid (an empty one too): a typo never widens the list silently.
        if let text = query.status {
            if let status = Invoice.Status(rawValue: text) { filter.status = status } else {
                errors["status"] = "must be one of " + Invoice.Status.allCases.map(\.rawValue).joined(separator: ", ")
            }
        }
        if let text = query.posting {
            if let state = SyncRecord.State(rawValue: text) { filter.posting = state } else {
                errors["posting"] = "must be one of " + SyncRecord.State.allCases.map(\.rawValue).joined(separator: ", ")
            }
        }
        if let text = query.supplier_id {
            if let id = UUID(uuidString: text) { filter.supplier = .init(id) } else { errors["supplier_id"] = "is not an id" }
        }
        if let text = query.project_id {
            if let id = UUID(uuidString: text) { filter.project = .init(id) } else { errors["project_id"] = "is not an id" }
        }
        var after: ReferenceLists.Cursor?
        if let text = query.after {
            if let cursor = ReferenceLists.Cursor(token: text) { after = cursor } else { errors["after"] = "is not a cursor this API gave" }
        }
        var before: ReferenceLists.Cursor?
        if let text = query.before {
            if let cursor = ReferenceLists.Cursor(token: text) { before = cursor } else { errors["before"] = "is not a cursor this API gave" }
        }
        if after != nil, before != nil { errors["before"] = "cannot be sent with after" }
        var perPage = 50
        if let text = query.per_page {
            if let value = Int(text), (1...200).contains(value) { perPage = value } else { errors["per_page"] = "must be a whole number from 1 to 200" }
        }
        guard errors.isEmpty else { return APIController.problem(.badRequest, "Some query parameters are not valid.", errors: errors) }
        let page = try await Invoices.list(in: viewer.organisationID, filter: filter, after: after, before: before, limit: perPage, on: req.db)
        struct Item: Encodable {
            var id: UUID
            var number: String
            var supplier_id: UUID
            var invoice_date: String
            var status: String
            var total_including_tax: String
        }
        struct Page: Encodable {
            var data: [Item]
            var per_page: Int
            var next_cursor: String?
            /// Pass as `before` for the previous page (`null` on the first).
            var previous_cursor: String?
        }
        let day = Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day()
        return try APIController.json(Page(
            data: page.items.map {
                Item(id: $0.id.rawValue, number: $0.number, supplier_id: $0.supplierID.rawValue, invoice_date: $0.invoiceDate.formatted(day),
                     status: $0.status.rawValue, total_including_tax: Money.format($0.statedTotalIncludingTax))
            }, per_page: perPage, next_cursor: page.next?.token, previous_cursor: page.previous?.token))
    }


    static func dto(_ invoice: Invoice, on db: any Database) async throws -> InvoiceDTO {
        let posting = try await SyncLedger.records(of: invoice.id.rawValue, in: invoice.organisationID, on: db).first { $0.entityKind == .invoice }
        return InvoiceDTO(invoice, posting: posting)
    }

    @Sendable static func show(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        // The invoice and its posting from one snapshot (the posting job writes both in one transaction).
        return try APIController.json(try await req.db.readSnapshot { db in
            try await dto(try await InvoiceController.find(req, viewer, on: db), on: db)
        })
    }

    @Sendable static func document(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        guard let document = try await Invoices.document(of: .init(try req.idParameter()), in: viewer.organisationID, on: req.db) else {
            throw Abort(.notFound)
        }
        return InvoiceDocuments.response(document)
    }

    /// The parsed invoice and PDF of a write body, or the problem to answer.
    static func parse(_ body: WriteDTO, viewer: Viewer, id: Invoice.ID, req: Request) async throws -> APIBody.Decoded<(Invoice, Invoices.Document?)> {
        var po: PurchaseOrder?
        if let text = body.purchase_order_id, let poID = UUID(uuidString: text) {
            po = try await PurchaseOrders.find(.init(poID), in: viewer.organisationID, on: req.db)
        }
        var document: Invoices.Document?
        if let sent = body.document {
            guard let bytes = Data(base64Encoded: sent.content_base64, options: .ignoreUnknownCharacters) else {
                return .failure(APIController.problem(.unprocessableEntity, "document.content_base64 is not base64.", errors: ["document": "is not base64"]))
            }
            let filename = InvoiceDocuments.filename(sent.filename)
            if let problem = InvoiceDocument.problem(bytes, filename: filename) {
                let status: HTTPResponseStatus = bytes.count > InvoiceDocument.maximumBytes ? .payloadTooLarge : .unprocessableEntity
                return .failure(APIController.problem(status, problem, errors: ["document": problem]))
            }
            document = Invoices.Document(filename: filename, bytes: bytes)
        }
        switch body.input.parse(organisation: viewer.organisationID, id: id, po: po) {
        case .failure(let errors): return .failure(APIController.problem(.unprocessableEntity, "The invoice is not valid.", errors: errors.messages))
        case .success(let invoice): return .success((try await InvoiceCommands.withAutomaticAllocation(invoice, on: req.db), document))
        }
    }

    static func answer(_ failure: InvoiceCommands.Failure) -> Response {
        switch failure {
        case .invalid(let problems): APIController.problem(.unprocessableEntity, failure.message, errors: problems)
        case .duplicateNumber: APIController.problem(.unprocessableEntity, failure.message, errors: ["number": failure.message])
        case .notFound: APIController.problem(.notFound, failure.message)
        case .workflow(.role): APIController.problem(.forbidden, failure.message)
        case .workflow, .notEditable, .notPostable: APIController.problem(.conflict, failure.message)
        }
    }

    @Sendable static func create(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        // `Idempotency-Key` makes a retried create safe: the same key answers (200) with the invoice it already made.
        let key = req.headers.first(name: "Idempotency-Key")
        if let key, key.isEmpty || key.count > 200 || InputRules.hasForbiddenControlCharacter(key) {
            return APIController.problem(.badRequest, "Idempotency-Key must be 1 to 200 characters.", errors: ["Idempotency-Key": "must be 1 to 200 characters"])
        }
        return try await write(req, viewer, id: Invoice.ID()) { invoice, document, now in
            let (stored, created) = try await InvoiceCommands.capture(
                invoice, document: document, requestKey: key, actor: viewer.user, now: now, on: req.db)
            let response = try APIController.json(try await dto(stored, on: req.db), status: created ? .created : .ok)
            response.headers.replaceOrAdd(name: .location, value: SiteURL.apiInvoice(stored.id.rawValue).path)
            if !created { response.headers.replaceOrAdd(name: "Idempotent-Replayed", value: "true") }
            return response
        }
    }

    @Sendable static func update(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let existing = try await InvoiceController.find(req, viewer)
        return try await write(req, viewer, id: existing.id) { invoice, document, now in
            let stored = try await InvoiceCommands.update(invoice, document: document, actor: viewer.user, now: now, on: req.db)
            return try APIController.json(try await dto(stored, on: req.db))
        }
    }

    /// The one path of a capture and an update: decode the body, parse it, run the command (`save`), and answer the
    /// command's refusal as a problem document.
    static func write(
        _ req: Request, _ viewer: Viewer, id: Invoice.ID,
        save: (Invoice, Invoices.Document?, Date) async throws -> Response
    ) async throws -> Response {
        let body: WriteDTO
        switch APIBody.decode(WriteDTO.self, from: req, what: "a JSON invoice") {
        case .success(let decoded): body = decoded
        case .failure(let problem): return problem
        }
        switch try await parse(body, viewer: viewer, id: id, req: req) {
        case .failure(let problem): return problem
        case .success(let (invoice, document)):
            do {
                return try await save(invoice, document, req.application.lentune.now())
            } catch let failure as InvoiceCommands.Failure {
                return answer(failure)
            }
        }
    }

    @Sendable static func action(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let invoice = try await InvoiceController.find(req, viewer)
        struct Body: Decodable {
            var reason: String?
            var accept_over_allocation: Bool?
        }
        if req.parameters.get("action") == "document" {
            // The PDF is only read here; it changes with the invoice (PUT).
            let response = APIController.problem(.methodNotAllowed, "The invoice's document is read with GET; send a new one with PUT on the invoice.")
            response.headers.replaceOrAdd(name: .allow, value: "GET")
            return response
        }
        // The body is optional; when one is sent it must be a JSON object.
        var body = Body()
        if let data = req.body.data, data.readableBytes > 0 {
            switch APIBody.decode(Body.self, from: req, what: "a JSON object (reason, accept_over_allocation)") {
            case .success(let decoded): body = decoded
            case .failure(let problem): return problem
            }
        }
        if let reason = body.reason, reason.count > 1000 {
            return APIController.problem(.unprocessableEntity, "The reason is longer than 1,000 characters.", errors: ["reason": "is longer than 1,000 characters"])
        }
        let now = req.application.lentune.now()
        do {
            let next: Invoice
            switch req.parameters.get("action") {
            case "check": next = try await InvoiceCommands.act(.check, on: invoice.id, organisation: viewer.organisationID, actor: viewer.user, now: now, on: req.db)
            case "approve":
                next = try await InvoiceCommands.act(
                    .approve(acceptingOverAllocation: body.accept_over_allocation ?? false), on: invoice.id, organisation: viewer.organisationID,
                    actor: viewer.user, now: now, on: req.db)
            case "send_back":
                next = try await InvoiceCommands.act(
                    .sendBack(reason: body.reason ?? ""), on: invoice.id, organisation: viewer.organisationID, actor: viewer.user, now: now, on: req.db)
            case "reverse_approval":
                next = try await InvoiceCommands.act(.reverseApproval, on: invoice.id, organisation: viewer.organisationID, actor: viewer.user, now: now, on: req.db)
            case "send_now":
                next = try await InvoiceCommands.sendNow(invoice.id, organisation: viewer.organisationID, actor: viewer.user, now: now, on: req.db)
            default:
                throw Abort(.notFound)
            }
            return try APIController.json(try await dto(next, on: req.db))
        } catch let failure as InvoiceCommands.Failure {
            return answer(failure)
        }
    }
}

/// Serving and naming invoice PDFs (the page and the API).
enum InvoiceDocuments {
    /// The PDF inline, never sniffed as anything else, never cached by a shared cache.
    static func response(_ document: Invoices.Document) -> Response {
        let response = Response(status: .ok, body: .init(data: document.bytes))
        response.headers.contentType = HTTPMediaType(type: "application", subType: "pdf")
        response.headers.replaceOrAdd(name: .contentDisposition, value: "inline; filename=\"\(filename(document.filename))\"")
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        // Shown in a frame beside the invoice on its own page, and nowhere else.
        response.headers.replaceOrAdd(name: "X-Frame-Options", value: "SAMEORIGIN")
        response.headers.replaceOrAdd(name: "Content-Security-Policy", value: "default-src 'none'; frame-ancestors 'self'")
        return response
    }

    /// A safe file name: letters, digits, dot, dash and underscore, at most 100 characters.
    static func filename(_ raw: String) -> String {
        let base = raw.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let cleaned = String(base.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" }.prefix(100))
        return cleaned.isEmpty ? "invoice.pdf" : cleaned
    }
}
