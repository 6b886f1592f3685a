import Foundation
import Vapor

/// Purchase order contracts (v1.0): list/show/create/update/delete/sync with `include_deleted`, `origin_id`
/// uniqueness per company, Title-Case statuses, computed `grand_total` and approval locks; and their line items.
enum PurchaseOrderRoutes {
    static let path = "rest/v1.0/purchase_order_contracts"

    static func register(_ api: any RoutesBuilder, store: SandboxStore) {
        api.api(.GET, path) { req, ctx in
            let project = try ctx.projectFromQuery()
            var orders = store.read { data in data.purchaseOrders.filter { $0.projectID == project.id } }
            switch ctx.query["filters[include_deleted]"] {
            case nil, "", "false": orders = orders.filter { $0.deletedAt == nil }
            case "only": orders = orders.filter { $0.deletedAt != nil }
            case "with", "true": break
            default: throw ProcoreError.field(.badRequest, "filters[include_deleted]", "must be only or with")
            }
            orders = try Lists.standardFilters(orders, ctx.query)
            // One status: Procore's filter takes a single value (several filters on one field are not supported).
            let statuses = ctx.query.all("filters[status]")
            if statuses.count > 1 {
                throw ProcoreError.field(.badRequest, "filters[status]", "takes one status; several filters on one field are not supported")
            }
            if !statuses.isEmpty {
                for status in statuses where !PurchaseOrderContract.statuses.contains(status) {
                    throw ProcoreError.field(
                        .badRequest, "filters[status]", "“\(status)” is not one of \(PurchaseOrderContract.statuses.joined(separator: ", "))")
                }
                orders = orders.filter { statuses.contains($0.status) }
            }
            if let vendor = try ctx.query.int64("filters[vendor_id]") { orders = orders.filter { $0.vendorID == vendor } }
            let data = store.read { $0 }
            let response = try Lists.respond(req, orders) { poJSON($0, data: data, detail: false) }
            deleteAfterListing(orders.map(\.id), store: store)
            return response
        }
        api.api(.GET, path + "/:po_id") { req, ctx in
            let project = try ctx.projectFromQuery()
            let id = try req.int64Parameter("po_id")
            let data = store.read { $0 }
            guard let po = data.purchaseOrders.first(where: { $0.id == id && $0.projectID == project.id && $0.deletedAt == nil }) else {
                throw ProcoreError.notFound
            }
            return jsonResponse(poJSON(po, data: data, detail: true))
        }
        api.api(.POST, path) { _, ctx in
            let project = try ctx.projectFromBodyOrQuery()
            let fields = try ctx.requireObject("purchase_order_contract")
            let result = try store.write { (data: inout SandboxData) throws(ProcoreError) -> JSON in
                let po = try validated { () throws(Sync.ItemError) in try upsert(&data, fields, project: project, existing: nil, ctx: ctx) }
                return poJSON(po, data: data, detail: true)
            }
            return jsonResponse(result, status: .created)
        }
        api.api(.PATCH, path + "/:po_id") { req, ctx in
            let project = try ctx.projectFromBodyOrQuery()
            let id = try req.int64Parameter("po_id")
            let fields = try ctx.requireObject("purchase_order_contract")
            let result = try store.write { (data: inout SandboxData) throws(ProcoreError) -> JSON in
                guard let index = data.purchaseOrders.firstIndex(where: { $0.id == id && $0.projectID == project.id && $0.deletedAt == nil }) else {
                    throw ProcoreError.notFound
                }
                let po = try validated { () throws(Sync.ItemError) in try upsert(&data, fields, project: project, existing: index, ctx: ctx) }
                return poJSON(po, data: data, detail: true)
            }
            return jsonResponse(result)
        }
        api.api(.DELETE, path + "/:po_id") { req, ctx in
            let project = try ctx.projectFromQuery()
            let id = try req.int64Parameter("po_id")
            try store.write { (data: inout SandboxData) throws(ProcoreError) in
                guard let index = data.purchaseOrders.firstIndex(where: { $0.id == id && $0.projectID == project.id && $0.deletedAt == nil }) else {
                    throw ProcoreError.notFound
                }
                guard !isLocked(data.purchaseOrders[index]) else { throw lockedError }
                data.purchaseOrders[index].deletedAt = ctx.now
                data.purchaseOrders[index].updatedAt = ctx.now
                data.emit(.purchaseOrderContracts, "delete", id: id, companyID: project.companyID, projectID: project.id, source: ctx.source, now: ctx.now)
            }
            return Response(status: .ok)
        }
        api.api(.PATCH, path + "/sync") { _, ctx in
            let project = try ctx.projectFromBodyOrQuery()
            let items = try Sync.updates(ctx)
            return Sync.run(items, store: store) { (data: inout SandboxData, item: JSON.Object) throws(Sync.ItemError) -> JSON in
                let scoped = data.purchaseOrders.enumerated().filter { $0.element.companyID == project.companyID && $0.element.deletedAt == nil }
                switch try Sync.match(item, in: scoped.map(\.element), id: \.id, originID: \.originID) {
                // Sync entities have the list's shape (the excerpt's sync answer).
                case .create: return poJSON(try upsert(&data, item, project: project, existing: nil, ctx: ctx), data: data, detail: false)
                case .update(let index):
                    guard scoped[index].element.projectID == project.id else {
                        throw Sync.ItemError("origin_id", "has already been taken in another project")
                    }
                    return poJSON(try upsert(&data, item, project: project, existing: scoped[index].offset, ctx: ctx), data: data, detail: false)
                }
            }
        }
        LineItemRoutes.registerPurchaseOrderLines(api, store: store)
    }

    static let lockedMessage = "An approved commitment's contract company and schedule of values cannot be changed, and it cannot be deleted."
    static let lockedError = ProcoreError.fields(.unprocessableEntity, [("base", [lockedMessage])])

    /// The fault `deleteAfterListing`: the listed commitments it names are deleted now, as another application would.
    static func deleteAfterListing(_ listed: [Int64], store: SandboxStore) {
        let doomed = store.updateFaults { faults -> [Int64] in
            let hit = faults.deleteAfterListing.filter(listed.contains)
            faults.deleteAfterListing.removeAll(where: hit.contains)
            return hit
        }
        guard !doomed.isEmpty else { return }
        let now = store.clock()
        store.write { data in
            for index in data.purchaseOrders.indices where doomed.contains(data.purchaseOrders[index].id) {
                data.purchaseOrders[index].deletedAt = now
                data.purchaseOrders[index].updatedAt = now
            }
        }
    }

    static func isLocked(_ po: PurchaseOrderContract) -> Bool { po.status == "Approved" || po.status == "Closed" }

    static func upsert(
        _ data: inout SandboxData, _ fields: JSON.Object, project: Project, existing: Int?, ctx: APIContext
    ) throws(Sync.ItemError) -> PurchaseOrderContract {
        var reader = FieldReader(fields)
        var po =
            existing.map { data.purchaseOrders[$0] }
            ?? PurchaseOrderContract(
                id: 0, companyID: project.companyID, projectID: project.id, number: "", status: "Draft",
                createdByID: ctx.userID, createdAt: ctx.now, updatedAt: ctx.now)
        let wasLocked = existing != nil && isLocked(po)
        if let number = reader.string("number", maxLength: 255) { po.number = number ?? "" }
        reader.string("title", maxLength: 255).apply(to: &po.title)
        if let status = reader.oneOf("status", PurchaseOrderContract.statuses) { po.status = status ?? "Draft" }
        if let vendor = reader.int("vendor_id") {
            if let vendor, !data.vendors.contains(where: { $0.id == vendor && $0.companyID == project.companyID }) {
                reader.errors.add("vendor_id", "is invalid")
            } else if wasLocked && vendor != po.vendorID {
                reader.errors.add("vendor_id", "cannot be changed on an approved commitment")
            } else {
                po.vendorID = vendor
            }
        }
        if let executed = reader.bool("executed") { po.executed = executed }
        reader.string("description", maxLength: 1_000_000).apply(to: &po.description)
        if let method = reader.oneOf("accounting_method", ["amount", "unit"]) { po.accountingMethod = method ?? "amount" }
        reader.int("assignee_id").apply(to: &po.assigneeID)
        reader.string("bill_to_address").apply(to: &po.billToAddress)
        reader.string("ship_to_address").apply(to: &po.shipToAddress)
        reader.string("ship_via").apply(to: &po.shipVia)
        reader.string("payment_terms").apply(to: &po.paymentTerms)
        for field in PurchaseOrderContract.dateFields {
            if let value = reader.date(field) { po.dates[field] = value }
        }
        reader.string("retainage_percent").apply(to: &po.retainagePercent)
        if let isPrivate = reader.bool("private") { po.isPrivate = isPrivate }
        let origin = reader.string("origin_id")
        if originTaken(origin, in: data.purchaseOrders.filter { $0.deletedAt == nil }, company: project.companyID,
                       except: existing.map { data.purchaseOrders[$0].id }, companyOf: \.companyID, idOf: \.id, originOf: \.originID) {
            reader.errors.add("origin_id", "has already been taken")
        }
        origin.apply(to: &po.originID)
        reader.string("origin_data").apply(to: &po.originData)
        reader.string("origin_code").apply(to: &po.originCode)
        if po.number.isEmpty {
            // Procore numbers a PO from the project's sequence when none is given.
            let count = data.purchaseOrders.filter { $0.projectID == project.id }.count + 1
            po.number = String(format: "%03d", count)
        }
        if data.purchaseOrders.contains(where: {
            $0.projectID == project.id && $0.number == po.number && $0.deletedAt == nil && $0.id != po.id
        }) {
            reader.errors.add("number", "has already been taken")
        }
        try reader.checkItem()
        po.updatedAt = ctx.now
        if let existing {
            data.purchaseOrders[existing] = po
            data.emit(.purchaseOrderContracts, "update", id: po.id, companyID: project.companyID, projectID: project.id, source: ctx.source, now: ctx.now)
        } else {
            po.id = data.newID()
            data.purchaseOrders.append(po)
            data.emit(.purchaseOrderContracts, "create", id: po.id, companyID: project.companyID, projectID: project.id, source: ctx.source, now: ctx.now)
        }
        return po
    }

    static func poJSON(_ po: PurchaseOrderContract, data: SandboxData, detail: Bool) -> JSON {
        let lines = data.poLineItems.filter { $0.holderID == po.id && $0.deletedAt == nil }.sorted { $0.position < $1.position }
        let total = lines.reduce(Decimal(0)) { $0 + $1.amount }
        let requisitioned = data.requisitions.filter { $0.commitmentID == po.id }
            .reduce(Decimal(0)) { sum, requisition in sum + requisition.items.reduce(0) { $0 + $1.workCompletedThisPeriod + $1.materialsPresentlyStored } }
        let vendor = po.vendorID.flatMap { id in data.vendors.first { $0.id == id } }
        let project = data.projects.first { $0.id == po.projectID }
        var object: JSON.Object = [
            "id": .int(po.id), "number": .string(po.number), "title": .string(po.title), "status": .string(po.status),
            "executed": .bool(po.executed), "accounting_method": .string(po.accountingMethod),
            "description": .string(po.description),
        ]
        var vendorObject: JSON.Object = ["id": .int(vendor?.id), "company": .string(vendor?.name)]
        if detail {
            vendorObject["origin_id"] = .string(vendor?.originID)
            vendorObject["origin_data"] = .string(vendor?.originData)
        }
        object["vendor"] = vendor == nil ? .null : .object(vendorObject)
        object["project"] = ["id": .int(po.projectID), "name": .string(project?.name)]
        object["assignee"] = po.assigneeID.map { ["id": .int($0)] } ?? .null
        object["private"] = .bool(po.isPrivate)
        object["grand_total"] = .money(total)
        object["revised_contract"] = .money(total)
        object["approved_change_orders"] = .money(0)
        object["pending_change_orders"] = .money(0)
        object["pending_revised_contract"] = .money(total)
        object["draft_change_orders_amount"] = .money(0)
        object["total_payments"] = .money(0)
        object["percentage_paid"] = .money(0)
        object["remaining_balance_outstanding"] = .money(total)
        object["total_draw_requests_amount"] = .money(requisitioned)
        object["total_requisitions_amount"] = .money(requisitioned)
        object["retainage_percent"] = .string(po.retainagePercent)
        object["requisitions_are_enabled"] = true
        // On the list only, as Procore's description has it.
        if !detail { object["billing_schedule_of_values_status"] = "draft" }
        object["show_line_items_to_non_admins"] = true
        for field in PurchaseOrderContract.dateFields { object[field] = .date(po.dates[field]) }
        object["payment_terms"] = .string(po.paymentTerms)
        object["bill_to_address"] = .string(po.billToAddress)
        object["ship_to_address"] = .string(po.shipToAddress)
        object["ship_via"] = .string(po.shipVia)
        object["origin_id"] = .string(po.originID)
        object["origin_data"] = .string(po.originData)
        object["origin_code"] = .string(po.originCode)
        object["currency_configuration"] = ["currency_iso_code": "NZD"]
        object["created_at"] = .timestamp(po.createdAt)
        object["updated_at"] = .timestamp(po.updatedAt)
        object["deleted_at"] = .timestamp(po.deletedAt)
        if detail {
            object["created_by_id"] = .int(po.createdByID)
            object["line_items"] = .array(lines.map { LineItemRoutes.lineJSON($0, data: data, holderType: "PurchaseOrderContract") })
            object["attachments"] = []
            object["invoice_contacts"] = []
            object["change_order_packages"] = []
            object["payments_issued"] = []
        }
        return .object(object)
    }
}
