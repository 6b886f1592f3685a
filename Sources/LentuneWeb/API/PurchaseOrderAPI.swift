import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import Vapor

/// `/api/v1/purchase-orders`: list (pagination and filters), show, create, update, and the workflow actions.
/// A PO of a Procore-sourced company, or one that came from Procore, answers 409 with a problem naming the setting.
enum PurchaseOrderAPI {
    static func register(_ api: any RoutesBuilder) {
        api.get(SiteURL.components(.apiPurchaseOrders), use: list)
        api.post(SiteURL.components(.apiPurchaseOrders), use: create)
        api.get(SiteURL.components(.apiPurchaseOrder(UUID())), use: show)
        api.put(SiteURL.components(.apiPurchaseOrder(UUID())), use: update)
        api.post(SiteURL.components(.apiPurchaseOrderAction(UUID(), "")), use: action)
    }

    struct LineDTO: Content {
        var id: UUID?
        var description: String
        var cost_code_id: UUID?
        var cost_type_id: UUID?
        var tax_code_id: UUID?
        var quantity: String
        var unit_cost: String
        /// Empty or absent: quantity × unit cost, rounded to the cent.
        var amount: String?
        var tax: String?
        var procore_line_item_id: Int64?
    }

    struct PurchaseOrderDTO: Content {
        var id: UUID
        var number: String
        var source: String
        var status: String
        var supplier_id: UUID
        var project_id: UUID
        var title: String
        var description: String
        var delivery_date: String?
        var lines: [LineDTO]
        var total_excluding_tax: String
        var tax: String
        var total_including_tax: String
        var procore_commitment_id: Int64?
        /// When its commitment was deleted in Procore (a Procore PO is kept, marked, never removed).
        var deleted_in_procore: Bool
        var deleted_in_procore_at: String?

        init(_ po: PurchaseOrder) {
            id = po.id.rawValue
            number = po.number
            source = po.origin.rawValue
            status = po.status.rawValue
            supplier_id = po.supplierID.rawValue
            project_id = po.projectID.rawValue
            title = po.title
            description = po.description
            deleted_in_procore = po.deletedInProcoreAt != nil
            deleted_in_procore_at = po.deletedInProcoreAt.map(SyncAPI.timestamp)
            delivery_date = po.deliveryDate.map { $0.formatted(Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day()) }
            lines = po.lines.map { line in
                LineDTO(
                    id: line.id.rawValue, description: line.description, cost_code_id: line.costCodeID?.rawValue,
                    cost_type_id: line.costTypeID?.rawValue, tax_code_id: line.taxCodeID?.rawValue, quantity: "\(line.quantity)",
                    unit_cost: "\(line.unitCost)", amount: Money.format(line.amount), tax: Money.format(line.tax),
                    procore_line_item_id: line.procoreLineItemID)
            }
            let totals = po.totals
            total_excluding_tax = Money.format(totals.excludingTax)
            tax = Money.format(totals.tax)
            total_including_tax = Money.format(totals.includingTax)
            procore_commitment_id = po.procoreCommitmentID
        }
    }

    struct WriteDTO: Content {
        var number: String?
        var supplier_id: UUID?
        var project_id: UUID?
        var title: String?
        var delivery_date: String?
        var description: String?
        var lines: [LineDTO]?

        var input: PurchaseOrderInput {
            PurchaseOrderInput(
                number: number ?? "", supplier: supplier_id?.uuidString ?? "", project: project_id?.uuidString ?? "",
                title: title ?? "", deliveryDate: delivery_date ?? "", description: description ?? "",
                lines: (lines ?? []).map { line in
                    .init(
                        id: line.id?.uuidString, description: line.description, costCode: line.cost_code_id?.uuidString ?? "",
                        costType: line.cost_type_id?.uuidString ?? "", taxCode: line.tax_code_id?.uuidString ?? "",
                        quantity: line.quantity, unitCost: line.unit_cost, amount: line.amount ?? "")
                })
        }
    }

    @Sendable static func list(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let query = (try? req.query.decode(PurchaseOrderController.ListQuery.self)) ?? .init()
        var (filter, errors) = PurchaseOrderController.filter(query, emptyMeansAll: false)
        // The API lists newest first, the order its cursors name places in (the pages' column sorting is not its).
        (filter.sort, filter.ascending) = (.created, false)
        guard errors.isEmpty else {
            return APIController.problem(.badRequest, "Some query parameters are not valid.", errors: errors)
        }
        let reference = try await req.application.lentune.listReferences.reference(viewer.organisationID, on: req.db)
        let (items, total) = try await PurchaseOrderController.list(filter: &filter, errors: &errors, viewer: viewer, reference: reference, req: req)
        guard errors.isEmpty else {
            return APIController.problem(.badRequest, "Some query parameters are not valid.", errors: errors)
        }
        struct Item: Encodable {
            var id: UUID
            var number: String
            var title: String
            var supplier: String
            var project: String
            var total_including_tax: String
            var status: String
            var source: String
            var sync_state: String
        }
        struct Page: Encodable {
            var data: [Item]
            var page: Int
            var per_page: Int
            var total: Int
            /// Pass as `after` for the next page, as `before` for the previous one (`null` at either end).
            var next_cursor: String?
            var previous_cursor: String?
        }
        let pages = max(1, (total + filter.perPage - 1) / filter.perPage)
        let response = try APIController.json(Page(
            data: items.map {
                Item(id: $0.id.rawValue, number: $0.number, title: $0.title, supplier: $0.supplier, project: $0.projectCode,
                     total_including_tax: Money.format($0.totalIncludingTax), status: $0.status.rawValue, source: $0.origin.rawValue,
                     sync_state: $0.syncState.rawValue)
            }, page: filter.page, per_page: filter.perPage, total: total,
            next_cursor: filter.page < pages ? items.last?.cursor.token : nil,
            previous_cursor: filter.page > 1 ? items.first?.cursor.token : nil))
        response.headers.replaceOrAdd(name: "Total", value: String(total))
        return response
    }

    @Sendable static func show(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        return try APIController.json(PurchaseOrderDTO(try await PurchaseOrderController.find(req, viewer)))
    }

    @Sendable static func create(req: Request) async throws -> Response {
        let viewer = try editor(req)
        // `Idempotency-Key` makes a retried create safe: the same key answers with the PO it already created.
        let key = req.headers.first(name: "Idempotency-Key")
        if let key, key.isEmpty || key.count > 200 {
            return APIController.problem(.badRequest, "Idempotency-Key must be 1 to 200 characters.", errors: ["Idempotency-Key": "must be 1 to 200 characters"])
        }
        // The body is read first: a repeat must still be a well-formed request (a malformed one is refused, not
        // answered with the PO of an earlier request).
        let body: WriteDTO
        switch APIBody.decode(WriteDTO.self, from: req, what: "a JSON purchase order") {
        case .success(let decoded): body = decoded
        case .failure(let problem): return problem
        }
        if let key, let id = try await PurchaseOrders.created(by: key, in: viewer.organisationID, on: req.db),
            let existing = try await PurchaseOrders.find(id, in: viewer.organisationID, on: req.db)
        {
            return try replayed(existing)
        }
        let input = body.input
        let reference = try await PurchaseOrderReference.load(viewer.organisationID, on: req.db)
        // The seed's rule first, so a client told "not here" is not sent to fix its lines; the command applies it
        // again to the setting as it is when the PO is stored.
        if let project = body.project_id, case .failure(let refusal) = PurchaseOrderPolicy.mayCreate(for: reference.source(of: .init(project))) {
            return APIController.problem(.conflict, refusal.message, errors: ["project_id": refusal.message])
        }
        switch input.validate(organisation: viewer.organisationID, reference: reference, existing: nil, raisedBy: viewer.user.id) {
        case .failure(let errors):
            return APIController.problem(.unprocessableEntity, "The purchase order is not valid.", errors: errors.messages)
        case .success(let po):
            do {
                let (created, isNew) = try await PurchaseOrderCommands.create(
                    po, requestKey: key, actor: viewer.user, now: req.application.lentune.now(), on: req.db)
                guard isNew else { return try replayed(created) }
                await req.application.lentune.purchaseOrderCounts.forget(organisation: viewer.organisationID)
                let response = try APIController.json(PurchaseOrderDTO(created), status: .created)
                response.headers.replaceOrAdd(name: .location, value: SiteURL.apiPurchaseOrder(created.id.rawValue).path)
                return response
            } catch PurchaseOrders.Error.duplicateNumber(let number) {
                return APIController.problem(.unprocessableEntity, "Purchase order number \(number) is already used.", errors: ["number": "is already used"])
            } catch let failure as PurchaseOrderCommands.Failure {
                return APIController.problem(.conflict, failure.message, errors: ["project_id": failure.message])
            }
        }
    }

    /// The answer to a create repeated with the same `Idempotency-Key`: the PO the first request created, as it is now.
    static func replayed(_ po: PurchaseOrder) throws -> Response {
        let response = try APIController.json(PurchaseOrderDTO(po), status: .ok)
        response.headers.replaceOrAdd(name: .location, value: SiteURL.apiPurchaseOrder(po.id.rawValue).path)
        response.headers.replaceOrAdd(name: "Idempotent-Replayed", value: "true")
        return response
    }

    @Sendable static func update(req: Request) async throws -> Response {
        let viewer = try editor(req)
        let po = try await PurchaseOrderController.find(req, viewer)
        let reference = try await PurchaseOrderReference.load(viewer.organisationID, on: req.db)
        if case .failure(let refusal) = PurchaseOrderPolicy.mayEdit(po, project: reference.source(of: po.projectID)) {
            return APIController.problem(.conflict, refusal.message)
        }
        guard PurchaseOrderWorkflow.mayEditContent(po) else {
            return APIController.problem(.conflict, "An \(po.status.title.lowercased()) purchase order can no longer be edited.")
        }
        let body: WriteDTO
        switch APIBody.decode(WriteDTO.self, from: req, what: "a JSON purchase order") {
        case .success(let decoded): body = decoded
        case .failure(let problem): return problem
        }
        if let project = body.project_id, project != po.projectID.rawValue,
            case .failure(let refusal) = PurchaseOrderPolicy.mayCreate(for: reference.source(of: .init(project)))
        {
            return APIController.problem(.conflict, refusal.message, errors: ["project_id": refusal.message])
        }
        switch body.input.validate(organisation: viewer.organisationID, reference: reference, existing: po, raisedBy: viewer.user.id) {
        case .failure(let errors):
            return APIController.problem(.unprocessableEntity, "The purchase order is not valid.", errors: errors.messages)
        case .success(var updated):
            if updated.number.isEmpty { updated.number = po.number }
            do {
                _ = try await PurchaseOrderCommands.update(updated, actor: viewer.user, now: req.application.lentune.now(), on: req.db)
                await req.application.lentune.purchaseOrderCounts.forget(organisation: viewer.organisationID)
            } catch PurchaseOrders.Error.duplicateNumber(let number) {
                return APIController.problem(.unprocessableEntity, "Purchase order number \(number) is already used.", errors: ["number": "is already used"])
            } catch let refusal as PurchaseOrders.Error {
                return APIController.problem(.conflict, refusal.message, errors: ["lines": refusal.message])
            } catch let failure as PurchaseOrderCommands.Failure {
                return APIController.problem(.conflict, failure.message)
            }
            return try APIController.json(PurchaseOrderDTO(updated))
        }
    }

    @Sendable static func action(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        guard let action = req.parameters.get("action").flatMap(PurchaseOrderWorkflow.Action.init(rawValue:)) else {
            throw Abort(.notFound)
        }
        let po = try await PurchaseOrderController.find(req, viewer)
        do {
            let next = try await PurchaseOrderCommands.act(
                action, on: po.id, organisation: viewer.organisationID, actor: viewer.user, now: req.application.lentune.now(), on: req.db)
            await req.application.lentune.purchaseOrderCounts.forget(organisation: viewer.organisationID)
            return try APIController.json(PurchaseOrderDTO(next))
        } catch let failure as PurchaseOrderCommands.Failure {
            if case .workflow(.role) = failure { return APIController.problem(.forbidden, failure.message) }
            return APIController.problem(.conflict, failure.message)
        }
    }

    static func editor(_ req: Request) throws -> Viewer {
        let viewer = try req.requireViewer()
        guard viewer.user.role.mayEditDocuments else { throw Abort(.forbidden, reason: "Your role cannot raise or change purchase orders.") }
        return viewer
    }
}
