import Foundation
import Vapor

/// Line items of purchase order contracts and of direct costs: one set of rules, two holders.
enum LineItemRoutes {
    enum Holder {
        case purchaseOrder
        case directCost

        var resource: Resource { self == .purchaseOrder ? .purchaseOrderContractLineItems : .directCostLineItems }
        var parentResource: Resource { self == .purchaseOrder ? .purchaseOrderContracts : .directCosts }
        var holderType: String { self == .purchaseOrder ? "PurchaseOrderContract" : "DirectCost::Item" }
    }

    static func registerPurchaseOrderLines(_ api: any RoutesBuilder, store: SandboxStore) {
        let base = PurchaseOrderRoutes.path + "/:po_id/line_items"
        api.api(.GET, base) { req, ctx in
            let project = try ctx.projectFromQuery()
            let po = try purchaseOrder(req, project: project, store: store)
            var lines = store.read { data in data.poLineItems.filter { $0.holderID == po.id && $0.deletedAt == nil } }
            lines = try Lists.standardFilters(lines, ctx.query)
            if let code = try ctx.query.int64("filters[cost_code_id]") { lines = lines.filter { $0.costCodeID == code } }
            if let type = try ctx.query.int64("filters[line_item_type_id]") { lines = lines.filter { $0.lineItemTypeID == type } }
            let data = store.read { $0 }
            return Lists.respond(req, lines.sorted { $0.position < $1.position }) {
                lineJSON($0, data: data, holderType: Holder.purchaseOrder.holderType)
            }
        }
        api.api(.GET, base + "/:id") { req, ctx in
            let project = try ctx.projectFromQuery()
            let po = try purchaseOrder(req, project: project, store: store)
            let id = try req.int64Parameter("id")
            let data = store.read { $0 }
            guard let line = data.poLineItems.first(where: { $0.id == id && $0.holderID == po.id && $0.deletedAt == nil }) else {
                throw ProcoreError.notFound
            }
            return jsonResponse(lineJSON(line, data: data, holderType: Holder.purchaseOrder.holderType))
        }
        api.api(.POST, base) { req, ctx in
            let project = try ctx.projectFromBodyOrQuery()
            let po = try purchaseOrder(req, project: project, store: store)
            let fields = try ctx.requireObject("line_item")
            let result = try store.write { (data: inout SandboxData) throws(ProcoreError) -> JSON in
                guard !PurchaseOrderRoutes.isLocked(po) else { throw PurchaseOrderRoutes.lockedError }
                let line = try validated { () throws(Sync.ItemError) in
                    try upsert(&data, fields, holder: .purchaseOrder, holderID: po.id, project: project, existing: nil, ctx: ctx)
                }
                return lineJSON(line, data: data, holderType: Holder.purchaseOrder.holderType)
            }
            return jsonResponse(result, status: .created)
        }
        api.api(.PATCH, base + "/:id") { req, ctx in
            let project = try ctx.projectFromBodyOrQuery()
            let po = try purchaseOrder(req, project: project, store: store)
            let id = try req.int64Parameter("id")
            let fields = try ctx.requireObject("line_item")
            let result = try store.write { (data: inout SandboxData) throws(ProcoreError) -> JSON in
                guard let index = data.poLineItems.firstIndex(where: { $0.id == id && $0.holderID == po.id && $0.deletedAt == nil }) else {
                    throw ProcoreError.notFound
                }
                guard !PurchaseOrderRoutes.isLocked(po) else { throw PurchaseOrderRoutes.lockedError }
                let line = try validated { () throws(Sync.ItemError) in
                    try upsert(&data, fields, holder: .purchaseOrder, holderID: po.id, project: project, existing: index, ctx: ctx)
                }
                return lineJSON(line, data: data, holderType: Holder.purchaseOrder.holderType)
            }
            return jsonResponse(result)
        }
        api.api(.DELETE, base + "/:id") { req, ctx in
            let project = try ctx.projectFromQuery()
            let po = try purchaseOrder(req, project: project, store: store)
            let id = try req.int64Parameter("id")
            try store.write { (data: inout SandboxData) throws(ProcoreError) in
                guard let index = data.poLineItems.firstIndex(where: { $0.id == id && $0.holderID == po.id && $0.deletedAt == nil }) else {
                    throw ProcoreError.notFound
                }
                guard !PurchaseOrderRoutes.isLocked(po) else { throw PurchaseOrderRoutes.lockedError }
                delete(&data, index: index, holder: .purchaseOrder, project: project, ctx: ctx)
            }
            return Response(status: .ok)
        }
        api.api(.PATCH, base + "/sync") { req, ctx in
            let project = try ctx.projectFromBodyOrQuery()
            let po = try purchaseOrder(req, project: project, store: store)
            let items = try Sync.updates(ctx)
            // A sync action always answers 200 with per-item errors (Procore's sync documentation), also when the
            // commitment's schedule of values is locked.
            return Sync.run(items, store: store) { (data: inout SandboxData, item: JSON.Object) throws(Sync.ItemError) -> JSON in
                guard let current = data.purchaseOrders.first(where: { $0.id == po.id }), !PurchaseOrderRoutes.isLocked(current) else {
                    throw Sync.ItemError("base", PurchaseOrderRoutes.lockedMessage)
                }
                let scoped = data.poLineItems.enumerated().filter { $0.element.companyID == project.companyID && $0.element.deletedAt == nil }
                let target = try Sync.match(item, in: scoped.map(\.element), id: \.id, originID: \.originID)
                let existing: Int?
                switch target {
                case .create: existing = nil
                case .update(let index):
                    guard scoped[index].element.holderID == po.id else {
                        throw Sync.ItemError(item["id"] == nil ? "origin_id" : "id", "belongs to another commitment")
                    }
                    existing = scoped[index].offset
                }
                let line = try upsert(&data, item, holder: .purchaseOrder, holderID: po.id, project: project, existing: existing, ctx: ctx)
                return lineJSON(line, data: data, holderType: Holder.purchaseOrder.holderType)
            }
        }
    }

    static func purchaseOrder(_ req: Request, project: Project, store: SandboxStore) throws(ProcoreError) -> PurchaseOrderContract {
        let id = try req.int64Parameter("po_id")
        guard let po = store.read({ data in data.purchaseOrders.first { $0.id == id && $0.projectID == project.id && $0.deletedAt == nil } }) else {
            throw ProcoreError.notFound
        }
        return po
    }

    /// Creates or updates a line. `amount` is `quantity × unit_cost` rounded half-up to the cent when the line is
    /// calculated (or when only quantity and unit cost are given); otherwise the amount as sent.
    static func upsert(
        _ data: inout SandboxData, _ fields: JSON.Object, holder: Holder, holderID: Int64, project: Project,
        existing: Int?, ctx: APIContext
    ) throws(Sync.ItemError) -> LineItem {
        var reader = FieldReader(fields)
        let lines = holder == .purchaseOrder ? data.poLineItems : data.dcLineItems
        var line =
            existing.map { lines[$0] }
            ?? LineItem(
                id: 0, holderID: holderID, companyID: project.companyID, projectID: project.id, extendedType: "manual",
                amount: 0, position: Int64(lines.filter { $0.holderID == holderID && $0.deletedAt == nil }.count + 1),
                createdAt: ctx.now, updatedAt: ctx.now)
        reader.string("description", maxLength: 100_000).apply(to: &line.description)
        if let code = reader.int("cost_code_id") {
            if let code, !data.costCodes.contains(where: { $0.id == code && $0.projectID == project.id && $0.deletedAt == nil }) {
                reader.errors.add("cost_code_id", "is invalid")
            } else {
                line.costCodeID = code
            }
        }
        if let type = reader.int("line_item_type_id") {
            if let type, !data.lineItemTypes.contains(where: { $0.id == type && $0.companyID == project.companyID }) {
                reader.errors.add("line_item_type_id", "is invalid")
            } else {
                line.lineItemTypeID = type
            }
        }
        // Every financial line is coded by one budget code (wbs_code_id, or cost code + cost type).
        WBSRoutes.code(&line, reader: &reader, data: &data, project: project, now: ctx.now)
        if let tax = reader.int("tax_code_id") {
            if let tax, !data.taxCodes.contains(where: { $0.id == tax && $0.companyID == project.companyID }) {
                reader.errors.add("tax_code_id", "is invalid")
            } else {
                line.taxCodeID = tax
            }
        }
        if let uom = reader.string("uom") {
            if let uom, !data.uoms.contains(where: { $0.name == uom && $0.companyID == project.companyID }) {
                reader.errors.add("uom", "is not a unit of measure of this company")
            } else {
                line.uom = uom
            }
        }
        reader.decimal("quantity").apply(to: &line.quantity)
        reader.decimal("unit_cost").apply(to: &line.unitCost)
        // `position` is not a writable field in Procore's schema (the excerpt's LineItem and LineItemSyncItem): a
        // line's place is where it was added, and a `position` sent is ignored as Procore ignores unknown fields.
        let explicitType = reader.oneOf("extended_type", ["manual", "calculated"])
        var amount = reader.decimal("amount")
        if amount == nil { amount = reader.decimal("manual_amount") }
        if let explicitType, let explicitType { line.extendedType = explicitType }
        if case .some(.some(let value)) = amount, explicitType == nil {
            line.amount = value
            line.extendedType = "manual"
        } else if line.extendedType == "calculated" || (amount == nil && fields["quantity"] != nil && fields["unit_cost"] != nil) {
            guard let quantity = line.quantity, let unitCost = line.unitCost else {
                reader.errors.add("quantity", "and unit_cost are required for a calculated line")
                try reader.checkItem()
                return line
            }
            line.amount = (quantity * unitCost).roundedHalfUp(scale: 2)
            line.extendedType = "calculated"
        } else if case .some(.some(let value)) = amount {
            line.amount = value
        } else if existing == nil {
            reader.errors.add("amount", "can't be blank")
        }
        let origin = reader.string("origin_id")
        if originTaken(origin, in: lines.filter { $0.deletedAt == nil }, company: project.companyID, except: existing.map { lines[$0].id },
                       companyOf: \.companyID, idOf: \.id, originOf: \.originID) {
            reader.errors.add("origin_id", "has already been taken")
        }
        origin.apply(to: &line.originID)
        reader.string("origin_data").apply(to: &line.originData)
        try reader.checkItem()
        line.updatedAt = ctx.now
        let event: String
        if let existing {
            event = "update"
            if holder == .purchaseOrder { data.poLineItems[existing] = line } else { data.dcLineItems[existing] = line }
        } else {
            event = "create"
            line.id = data.newID()
            if holder == .purchaseOrder { data.poLineItems.append(line) } else { data.dcLineItems.append(line) }
        }
        touchParent(&data, holder: holder, id: holderID, now: ctx.now)
        data.emit(holder.resource, event, id: line.id, companyID: project.companyID, projectID: project.id,
                  related: (holderID, holder.parentResource), source: ctx.source, now: ctx.now)
        return line
    }

    static func delete(_ data: inout SandboxData, index: Int, holder: Holder, project: Project, ctx: APIContext) {
        let line: LineItem
        if holder == .purchaseOrder {
            data.poLineItems[index].deletedAt = ctx.now
            data.poLineItems[index].updatedAt = ctx.now
            line = data.poLineItems[index]
        } else {
            line = data.dcLineItems.remove(at: index)
        }
        touchParent(&data, holder: holder, id: line.holderID, now: ctx.now)
        data.emit(holder.resource, "delete", id: line.id, companyID: project.companyID, projectID: project.id,
                  related: (line.holderID, holder.parentResource), source: ctx.source, now: ctx.now)
    }

    /// A change to a line changes its holder's `updated_at`, so incremental listing of holders sees it.
    static func touchParent(_ data: inout SandboxData, holder: Holder, id: Int64, now: Date) {
        switch holder {
        case .purchaseOrder:
            if let index = data.purchaseOrders.firstIndex(where: { $0.id == id }) { data.purchaseOrders[index].updatedAt = now }
        case .directCost:
            if let index = data.directCosts.firstIndex(where: { $0.id == id }) { data.directCosts[index].updatedAt = now }
        }
    }

    static func lineJSON(_ line: LineItem, data: SandboxData, holderType: String) -> JSON {
        let costCode = line.costCodeID.flatMap { id in data.costCodes.first { $0.id == id } }
        let type = line.lineItemTypeID.flatMap { id in data.lineItemTypes.first { $0.id == id } }
        let project = data.projects.first { $0.id == line.projectID }
        let company = data.company(line.companyID)
        return [
            "id": .int(line.id), "amount": .money(line.amount), "total_amount": .money(line.amount),
            "extended_amount": .money(line.amount), "quantity": .money(line.quantity), "unit_cost": .money(line.unitCost),
            "uom": .string(line.uom), "extended_type": .string(line.extendedType), "description": .string(line.description),
            "position": .int(line.position), "tax_code_id": .int(line.taxCodeID),
            "cost_code": costCode.map { code in
                ["id": .int(code.id), "code": .string(code.code), "full_code": .string(CostRoutes.fullCode(code, data: data)), "name": .string(code.name)]
            } ?? .null,
            "line_item_type": type.map(CostRoutes.lineItemTypeJSON) ?? .null, "wbs_code": WBSRoutes.reference(line.wbsCodeID, data: data),
            "holder": ["id": .int(line.holderID), "holder_type": .string(holderType)],
            "company": ["id": .int(line.companyID), "name": .string(company?.name)],
            "project": ["id": .int(line.projectID), "name": .string(project?.name)],
            "currency_configuration": ["currency_iso_code": "NZD"], "origin_id": .string(line.originID),
            "origin_data": .string(line.originData), "created_at": .timestamp(line.createdAt),
            "updated_at": .timestamp(line.updatedAt),
        ]
    }
}

extension Decimal {
    func roundedHalfUp(scale: Int) -> Decimal {
        var value = self
        var result = Decimal()
        NSDecimalRound(&result, &value, scale, .plain)
        return result
    }
}
