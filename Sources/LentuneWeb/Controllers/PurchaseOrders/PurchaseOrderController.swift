import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import Vapor

/// The Purchase Orders screen: the list with search and filters, New Purchase Order, show, edit and the workflow
/// actions. The seed's rule is enforced here for pages (and in `PurchaseOrderAPI` for the JSON API).
enum PurchaseOrderController {
    // MARK: - List

    struct ListQuery: Content {
        var q: String?
        var project: String?
        var supplier: String?
        var status: String?
        var source: String?
        var sync: String?
        var page: String?
        var per_page: String?
        var after: String?
        var before: String?
        /// "csv": every PO the filters match, as a file (issue 29).
        var format: String?
        /// The column the list is ordered by (`PurchaseOrders.Sort`), and "asc" or "desc" (each column has its own
        /// default: newest and largest first, numbers and names from A, statuses in the workflow's order). Pages only.
        var sort: String?
        var dir: String?
    }

    /// The list's filter from its query, and a message per parameter that is not valid (an unknown status, a
    /// malformed id, a page that is not a positive number). Invalid parameters are left out of the filter.
    ///
    /// `emptyMeansAll`: the page's filter form sends `supplier=` for "All suppliers"; the API refuses an empty value
    /// (its parameters are typed, and an empty uuid is not one).
    static func filter(_ query: ListQuery, perPageDefault: Int = 50, emptyMeansAll: Bool = true)
        -> (filter: PurchaseOrders.Filter, errors: [String: String])
    {
        var errors: [String: String] = [:]
        func parse<T>(_ name: String, _ value: String?, expected: String, _ make: (String) -> T?) -> T? {
            guard let value else { return nil }
            if value.isEmpty {
                if !emptyMeansAll, name != "q" { errors[name] = "\(name) must be \(expected); leave the parameter out rather than send it empty." }
                return nil
            }
            guard let parsed = make(value) else {
                errors[name] = "\(name) must be \(expected); “\(value.prefix(60))” is not."
                return nil
            }
            return parsed
        }
        func values(_ all: [String]) -> String { "one of " + all.joined(separator: ", ") }
        var filter = PurchaseOrders.Filter(
            search: query.q.map { String($0.prefix(200)) },
            projectID: parse("project", query.project, expected: "a project id", Project.ID.init(string:)),
            supplierID: parse("supplier", query.supplier, expected: "a supplier id", Supplier.ID.init(string:)),
            status: parse("status", query.status, expected: values(PurchaseOrder.Status.allCases.map(\.rawValue)), PurchaseOrder.Status.init(rawValue:)),
            origin: parse("source", query.source, expected: values(PurchaseOrder.Origin.allCases.map(\.rawValue)), PurchaseOrder.Origin.init(rawValue:)),
            syncState: parse("sync", query.sync, expected: values(SyncRecord.State.allCases.map(\.rawValue)), SyncRecord.State.init(rawValue:)),
            page: parse("page", query.page, expected: "a whole number from 1 to \(PurchaseOrders.Filter.maximumPage)", {
                Int($0).flatMap { (1...PurchaseOrders.Filter.maximumPage).contains($0) ? $0 : nil }
            }) ?? 1,
            perPage: parse("per_page", query.per_page, expected: "a whole number from 1 to \(PurchaseOrders.Filter.maximumPerPage)", {
                Int($0).flatMap { (1...PurchaseOrders.Filter.maximumPerPage).contains($0) ? $0 : nil }
            }) ?? perPageDefault,
            after: parse("after", query.after, expected: "a cursor from this list", PurchaseOrders.ListCursor.init(token:)),
            before: parse("before", query.before, expected: "a cursor from this list", PurchaseOrders.ListCursor.init(token:)))
        if let search = query.q, InputRules.hasForbiddenControlCharacter(search) || search.count > 200 {
            errors["q"] = search.count > 200 ? "q may have at most 200 characters." : InputRules.controlCharacterMessage("The search")
            filter.search = nil
        }
        if let sort = query.sort.flatMap(PurchaseOrders.Sort.init(rawValue:)) {
            filter.sort = sort
            filter.ascending = query.dir.map { $0 == "asc" } ?? sort.startsAscending
        } else if query.dir == "asc" {
            filter.ascending = true
        }
        if filter.after != nil, filter.before != nil { errors["before"] = "Give after or before, not both." }
        // A page link whose cursor is unusable starts again at the first page (its number would not match).
        if errors["after"] != nil || errors["before"] != nil { (filter.page, filter.after, filter.before) = (1, nil, nil) }
        return (filter, errors)
    }

    /// What the list page says about an address it could not use entirely (the API names the parameters instead).
    static func pageMessage(_ errors: [String: String], query: ListQuery) -> String {
        errors.keys.sorted().map { key in
            let value = [
                "status": query.status, "source": query.source, "sync": query.sync, "project": query.project, "supplier": query.supplier,
                "page": query.page, "per_page": query.per_page,
            ][key].flatMap { $0 }.map { "“\($0.prefix(60))”" } ?? ""
            switch key {
            case "status": return "\(value) is not a status Lentune knows, so that filter was left out."
            case "source": return "\(value) is not a source (Lentune or Procore), so that filter was left out."
            case "sync": return "\(value) is not a sync state Lentune knows, so that filter was left out."
            case "project", "supplier": return "That \(key) filter does not name a \(key), so it was left out."
            case "page", "per_page": return "Page \(value) does not exist, so the first page is shown."
            case "q": return "The search was longer than 200 characters or had a control character in it, so it was left out."
            default: return "That page link is no longer valid, so the first page is shown."
            }
        }.joined(separator: " ")
    }

    /// The page of `filter`. A cursor this database cannot place is reported in `errors` and the first page shown.
    static func list(
        filter: inout PurchaseOrders.Filter, errors: inout [String: String], viewer: Viewer, reference: PurchaseOrderReference,
        req: Request
    ) async throws -> (items: [PurchaseOrders.ListItem], total: Int) {
        func load(_ filter: PurchaseOrders.Filter) async throws -> (items: [PurchaseOrders.ListItem], total: Int) {
            try await PurchaseOrders.list(
                in: viewer.organisationID, filter: filter, counts: req.application.lentune.purchaseOrderCounts,
                names: reference.listNames, on: req.db)
        }
        do {
            return try await load(filter)
        } catch PurchaseOrders.ListError.invalidCursor {
            let parameter = filter.after != nil ? "after" : "before"
            errors[parameter] = "\(parameter) must be a cursor from this list."
            (filter.after, filter.before, filter.page) = (nil, nil, 1)
            return try await load(filter)
        }
    }

    @Sendable static func list(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let query = (try? req.query.decode(ListQuery.self)) ?? ListQuery()
        var (filter, errors) = filter(query)
        let reference = try await req.application.lentune.listReferences.reference(viewer.organisationID, on: req.db)
        if query.format == "csv" { return try await csv(filter, viewer: viewer, reference: reference, req: req) }
        let (items, total) = try await list(filter: &filter, errors: &errors, viewer: viewer, reference: reference, req: req)
        return PurchaseOrderViews.list(.init(
            viewer: viewer, items: items, total: total, filter: filter, query: query, reference: reference,
            button: viewer.user.role.mayEditDocuments ? reference.newPurchaseOrderButton : .failure(.noEligibleProject),
            error: errors.isEmpty ? nil : pageMessage(errors, query: query)))
            .response(status: errors.isEmpty ? .ok : .badRequest)
    }

    /// The filtered list as CSV, in the list's order: every PO it matches, up to `CSVExport.maximumRows`.
    static func csv(_ filter: PurchaseOrders.Filter, viewer: Viewer, reference: PurchaseOrderReference, req: Request) async throws -> Response {
        var filter = filter
        (filter.page, filter.perPage, filter.before) = (1, PurchaseOrders.Filter.maximumPerPage, nil)
        var rows: [[String]] = [["Number", "Title", "Supplier", "Project", "Total incl. tax", "Status", "Source", "Sync"]]
        while rows.count <= CSVExport.maximumRows {
            let (items, _) = try await PurchaseOrders.list(in: viewer.organisationID, filter: filter, names: reference.listNames, on: req.db)
            rows += items.map { item in
                [item.number, item.title, item.supplier, item.projectCode, Money.format(item.totalIncludingTax), item.status.title,
                 item.origin == .procore ? "Procore" : "Lentune", item.syncState.rawValue]
            }
            guard items.count == filter.perPage, let last = items.last else { break }
            // Newest first continues after the last row; another order goes by page number.
            if filter.sort == .created, !filter.ascending { filter.after = last.cursor } else { filter.page += 1 }
        }
        return CSVExport.response(rows, filename: "purchase-orders.csv")
    }

    // MARK: - New and create

    @Sendable static func new(req: Request) async throws -> Response {
        let viewer = try requireEditor(req)
        let reference = try await PurchaseOrderReference.load(viewer.organisationID, on: req.db)
        if case .failure(let refusal) = reference.newPurchaseOrderButton {
            throw Abort(.conflict, reason: refusal.message)
        }
        let number = try await PurchaseOrders.nextNumber(in: viewer.organisationID, on: req.db)
        return PurchaseOrderViews.form(.init(viewer: viewer, reference: reference, input: .blank(number: number), existing: nil)).response()
    }

    @Sendable static func create(req: Request) async throws -> Response {
        let viewer = try requireEditor(req)
        let reference = try await PurchaseOrderReference.load(viewer.organisationID, on: req.db)
        let input = try PurchaseOrderForm.decode(req)
        // The same form submitted again (a double click, a resent page) shows the PO it already created.
        if !input.requestKey.isEmpty, let id = try await PurchaseOrders.created(by: input.requestKey, in: viewer.organisationID, on: req.db) {
            return req.redirect(to: SiteURL.purchaseOrder(id.rawValue).path + "?notice=" + Notice.created.rawValue, redirectType: .normal)
        }
        // The seed's rule first, so nobody is sent to fix lines for a PO that cannot be raised here; the command
        // applies it again to the setting as it is when the PO is stored.
        if let project = Project.ID(string: input.project), case .failure(let refusal) = PurchaseOrderPolicy.mayCreate(for: reference.source(of: project)) {
            return PurchaseOrderViews.form(.init(viewer: viewer, reference: reference, input: input, existing: nil, errors: ["project": refusal.message]))
                .response(status: .conflict)
        }
        switch input.validate(organisation: viewer.organisationID, reference: reference, existing: nil, raisedBy: viewer.user.id) {
        case .failure(let errors):
            return PurchaseOrderViews.form(.init(viewer: viewer, reference: reference, input: input, existing: nil, errors: errors.messages))
                .response(status: .unprocessableEntity)
        case .success(let po):
            do {
                // Two submissions at the same moment: the second finds the PO the first created.
                let (created, _) = try await PurchaseOrderCommands.create(
                    po, requestKey: input.requestKey.isEmpty ? nil : input.requestKey, actor: viewer.user,
                    now: req.application.lentune.now(), on: req.db)
                await req.application.lentune.purchaseOrderCounts.forget(organisation: viewer.organisationID)
                return Notice.created.redirect(req, created)
            } catch PurchaseOrders.Error.duplicateNumber(let number) {
                return PurchaseOrderViews.form(.init(
                    viewer: viewer, reference: reference, input: input, existing: nil,
                    errors: ["number": "Purchase order number \(number) is already used. Choose another, or leave it empty for the next number."]))
                    .response(status: .unprocessableEntity)
            } catch let failure as PurchaseOrderCommands.Failure {
                // The seed's rule, applied to the setting as it is when the PO is stored.
                return PurchaseOrderViews.form(.init(viewer: viewer, reference: reference, input: input, existing: nil, errors: ["project": failure.message]))
                    .response(status: .conflict)
            }
        }
    }

    // MARK: - Show, edit, update

    /// What a change on the PO page did, named by a fixed word in the address it returns to (a notice is never free
    /// text from the address: a link could then make Lentune's page say anything).
    enum Notice: String, CaseIterable {
        case created, saved, submitted, approved, closed, reopened, queued, refreshed
        case approvedWithinLimit = "approved-within-limit"

        func text(_ po: PurchaseOrder) -> String {
            switch self {
            case .created:
                po.status == .draft
                    ? "Purchase order \(po.number) created as a draft: Submit for approval when it is ready." : "Purchase order \(po.number) created."
            case .saved: "Saved."
            case .submitted: "Submitted for approval."
            case .approved: "Approved."
            case .approvedWithinLimit: "Approved: the total is within your approval limit."
            case .closed: "Closed."
            case .reopened: "Reopened: it takes invoices again."
            case .queued: "Queued: \(po.number) will be sent to Procore in a moment."
            case .refreshed: "Read again from Procore just now."
            }
        }

        func redirect(_ req: Request, _ po: PurchaseOrder) -> Response {
            req.redirect(to: SiteURL.purchaseOrder(po.id.rawValue).path + "?notice=" + rawValue, redirectType: .normal)
        }
    }

    @Sendable static func show(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let id = PurchaseOrder.ID(try req.idParameter())
        return try await render(req, viewer, id) { po in req.query[String.self, at: "notice"].flatMap(Notice.init(rawValue:))?.text(po) }
    }

    /// The PO page as it stands, with a notice, an error (a refusal, answered with `status`) or the close question.
    static func render(
        _ req: Request, _ viewer: Viewer, _ id: PurchaseOrder.ID, status: HTTPResponseStatus = .ok, error: String? = nil,
        confirmClose: Bool = false, notice: (PurchaseOrder) -> String? = { _ in nil }
    ) async throws -> Response {
        // The PO and its ledger rows from one snapshot: read apart, a push landing between the two reads showed
        // "✓ Synced" beside no commitment (a browser test met it once in CI).
        let (po, records) = try await req.db.readSnapshot { db in
            let po = try await find(id, viewer, on: db)
            return (po, try await SyncLedger.records(of: po.id.rawValue, in: viewer.organisationID, on: db))
        }
        let reference = try await PurchaseOrderReference.load(viewer.organisationID, on: req.db)
        return PurchaseOrderViews.show(.init(
            viewer: viewer, po: po, reference: reference, notice: notice(po), error: error,
            sync: try await syncPanel(po, records: records, on: req.db), confirmClose: confirmClose,
            history: try await AuditLog.history(of: po.id.rawValue, in: viewer.organisationID, on: req.db))).response(status: status)
    }

    /// The PO's Procore state: its ledger rows (read by the caller, with the PO) and its push and pull jobs.
    static func syncPanel(_ po: PurchaseOrder, records: [SyncRecord], on db: any Database) async throws -> PurchaseOrderViews.SyncPanel {
        let link = try await PurchaseOrders.companyLink(ofProject: po.projectID, in: po.organisationID, on: db)
        return PurchaseOrderViews.SyncPanel(
            records: records,
            history: try await Outbox.history(keys: PurchaseOrderJobs.historyKeys(for: po, companyLink: link), in: po.organisationID, on: db))
    }

    struct SyncForm: Content {
        var `do`: String?
    }

    /// **Retry** (a Lentune PO's failed push, queued again) and **Refresh** (a Procore PO re-read at once).
    @Sendable static func sync(req: Request) async throws -> Response {
        let viewer = try requireEditor(req)
        let po = try await find(req, viewer)
        let lentune = req.application.lentune
        switch (try? req.content.decode(SyncForm.self))?.do {
        case "retry":
            do {
                _ = try await PurchaseOrderCommands.retryPush(po.id, organisation: viewer.organisationID, actor: viewer.user, now: lentune.now(), on: req.db)
                return Notice.queued.redirect(req, po)
            } catch let failure as PurchaseOrderCommands.Failure {
                return try await render(req, viewer, po.id, status: .conflict, error: failure.message)
            }
        case "refresh":
            guard let job = try await PurchaseOrderJobs.refreshJob(for: po, now: lentune.now(), on: req.db) else {
                return try await render(req, viewer, po.id, status: .conflict, error: "Only a purchase order read from a linked Procore company can be refreshed.")
            }
            do {
                try await lentune.engine.perform(job, on: req.db, logger: req.logger)
                await lentune.purchaseOrderCounts.forget(organisation: viewer.organisationID)
                return Notice.refreshed.redirect(req, po)
            } catch {
                return try await render(req, viewer, po.id, status: .badGateway, error: "Procore could not be read: \(error.description)")
            }
        default:
            throw Abort(.badRequest, reason: "Choose Retry or Refresh.")
        }
    }

    @Sendable static func edit(req: Request) async throws -> Response {
        let viewer = try requireEditor(req)
        let po = try await find(req, viewer)
        let reference = try await PurchaseOrderReference.load(viewer.organisationID, on: req.db)
        try refuseReadOnly(po, reference: reference)
        return PurchaseOrderViews.form(.init(viewer: viewer, reference: reference, input: .from(po), existing: po)).response()
    }

    @Sendable static func update(req: Request) async throws -> Response {
        let viewer = try requireEditor(req)
        let po = try await find(req, viewer)
        let reference = try await PurchaseOrderReference.load(viewer.organisationID, on: req.db)
        try refuseReadOnly(po, reference: reference)
        let input = try PurchaseOrderForm.decode(req)
        switch input.validate(organisation: viewer.organisationID, reference: reference, existing: po, raisedBy: viewer.user.id) {
        case .failure(let errors):
            return PurchaseOrderViews.form(.init(viewer: viewer, reference: reference, input: input, existing: po, errors: errors.messages))
                .response(status: .unprocessableEntity)
        case .success(var updated):
            if updated.number.isEmpty { updated.number = po.number }
            do {
                _ = try await PurchaseOrderCommands.update(updated, actor: viewer.user, now: req.application.lentune.now(), on: req.db)
                await req.application.lentune.purchaseOrderCounts.forget(organisation: viewer.organisationID)
            } catch PurchaseOrders.Error.duplicateNumber(let number) {
                return PurchaseOrderViews.form(.init(
                    viewer: viewer, reference: reference, input: input, existing: po,
                    errors: ["number": "Purchase order number \(number) is already used."])).response(status: .unprocessableEntity)
            } catch let refusal as PurchaseOrders.Error {
                return PurchaseOrderViews.form(.init(viewer: viewer, reference: reference, input: input, existing: po, errors: ["lines": refusal.message]))
                    .response(status: .conflict)
            } catch let failure as PurchaseOrderCommands.Failure {
                return PurchaseOrderViews.form(.init(viewer: viewer, reference: reference, input: input, existing: po, errors: ["project": failure.message]))
                    .response(status: .conflict)
            }
            return Notice.saved.redirect(req, po)
        }
    }

    @Sendable static func action(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        guard let action = req.parameters.get("action").flatMap(PurchaseOrderWorkflow.Action.init(rawValue:)) else {
            throw Abort(.notFound)
        }
        let po = try await find(req, viewer)
        if action == .close, (try? req.content.get(String.self, at: "confirm")) != "yes" {
            // Close asks first (a closed PO takes no more invoices until someone reopens it).
            return try await render(req, viewer, po.id, confirmClose: true)
        }
        let next: PurchaseOrder
        do {
            next = try await PurchaseOrderCommands.act(
                action, on: po.id, organisation: viewer.organisationID, actor: viewer.user, now: req.application.lentune.now(), on: req.db)
        } catch let failure as PurchaseOrderCommands.Failure {
            let status: HTTPResponseStatus = if case .workflow(.role) = failure { .forbidden } else { .conflict }
            return try await render(req, viewer, po.id, status: status, error: failure.message)
        }
        do {
            await req.application.lentune.purchaseOrderCounts.forget(organisation: viewer.organisationID)
            let notice: Notice = switch next.status {
            case .approved where action == .submit: .approvedWithinLimit
            case .approved where action == .reopen: .reopened
            case .awaitingApproval: .submitted
            case .approved: .approved
            case .closed: .closed
            default: .saved
            }
            return notice.redirect(req, po)
        }
    }

    // MARK: - Helpers

    static func requireEditor(_ req: Request) throws -> Viewer {
        let viewer = try req.requireViewer()
        guard viewer.user.role.mayEditDocuments else {
            throw Abort(.forbidden, reason: "Your role can look at purchase orders but not raise or change them.")
        }
        return viewer
    }

    /// The PO the path names, in the viewer's organisation (404 otherwise); on `db` when given (a snapshot).
    static func find(_ req: Request, _ viewer: Viewer, on db: (any Database)? = nil) async throws -> PurchaseOrder {
        try await find(.init(try req.idParameter()), viewer, on: db ?? req.db)
    }

    /// The PO with this id in the viewer's organisation, 404 otherwise.
    static func find(_ id: PurchaseOrder.ID, _ viewer: Viewer, on db: any Database) async throws -> PurchaseOrder {
        guard let po = try await PurchaseOrders.find(id, in: viewer.organisationID, on: db) else { throw Abort(.notFound) }
        return po
    }

    static func refuseReadOnly(_ po: PurchaseOrder, reference: PurchaseOrderReference) throws {
        if case .failure(let refusal) = PurchaseOrderPolicy.mayEdit(po, project: reference.source(of: po.projectID)) {
            throw Abort(.conflict, reason: refusal.message)
        }
        guard PurchaseOrderWorkflow.mayEditContent(po) else {
            throw Abort(.conflict, reason: "An \(po.status.title.lowercased()) purchase order can no longer be edited.")
        }
    }
}

/// The form's fields: header fields and `lines[N][field]`.
enum PurchaseOrderForm {
    struct Fields: Content {
        struct Line: Codable {
            var id: String?
            var description: String?
            var cost_code: String?
            var cost_type: String?
            var tax_code: String?
            var quantity: String?
            var unit_cost: String?
            var amount: String?
        }

        var number: String?
        var request_key: String?
        var supplier: String?
        var project: String?
        var title: String?
        var delivery_date: String?
        var description: String?
        var lines: [String: Line]?
    }

    static func decode(_ req: Request) throws -> PurchaseOrderInput {
        guard let fields = try? req.content.decode(Fields.self) else {
            throw Abort(.badRequest, reason: "The form could not be read.")
        }
        let lines = (fields.lines ?? [:]).compactMap { key, line in Int(key).map { ($0, line) } }.sorted { $0.0 < $1.0 }.map { _, line in
            PurchaseOrderInput.Line(
                id: line.id, description: line.description ?? "", costCode: line.cost_code ?? "", costType: line.cost_type ?? "",
                taxCode: line.tax_code ?? "", quantity: line.quantity ?? "", unitCost: line.unit_cost ?? "", amount: line.amount ?? "")
        }
        return PurchaseOrderInput(
            number: fields.number ?? "", supplier: fields.supplier ?? "", project: fields.project ?? "", title: fields.title ?? "",
            deliveryDate: fields.delivery_date ?? "", description: fields.description ?? "", lines: lines,
            requestKey: String((fields.request_key ?? "").prefix(100)))
    }
}

extension PurchaseOrderInput {
    static func blank(number: String) -> PurchaseOrderInput {
        PurchaseOrderInput(
            number: number, supplier: "", project: "", title: "", deliveryDate: "", description: "", lines: [],
            requestKey: SecureTokens.random())
    }

    static func from(_ po: PurchaseOrder) -> PurchaseOrderInput {
        PurchaseOrderInput(
            number: po.number, supplier: po.supplierID.description, project: po.projectID.description, title: po.title,
            deliveryDate: po.deliveryDate.map { $0.formatted(Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day()) } ?? "",
            description: po.description,
            lines: po.lines.map { line in
                Line(
                    id: line.id.description, description: line.description, costCode: line.costCodeID?.description ?? "",
                    costType: line.costTypeID?.description ?? "", taxCode: line.taxCodeID?.description ?? "",
                    quantity: "\(line.quantity)", unitCost: "\(line.unitCost)",
                    amount: line.amount == (line.quantity * line.unitCost).roundedToCents() ? "" : Money.format(line.amount))
            })
    }
}
