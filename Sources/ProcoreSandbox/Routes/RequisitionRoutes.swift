import Foundation
import Vapor

/// Billing periods and requisitions (subcontractor invoices) against purchase order contracts.
enum RequisitionRoutes {
    static func register(_ api: any RoutesBuilder, store: SandboxStore) {
        registerBillingPeriods(api, store: store)

        // v1.0: the same list; `…/{id}/detail` is the requisition with its items.
        api.api(.GET, "rest/v1.0/requisitions") { req, ctx in
            let project = try ctx.projectFromQuery()
            var list = store.read { data in data.requisitions.filter { $0.projectID == project.id } }
            list = try Lists.standardFilters(list, ctx.query)
            if let commitment = try ctx.query.int64("filters[commitment_id]") { list = list.filter { $0.commitmentID == commitment } }
            let data = store.read { $0 }
            return Lists.respond(req, list, defaultPerPage: 30, maxPerPage: 1000) { requisitionJSON($0, data: data, items: false) }
        }
        api.api(.GET, "rest/v1.0/requisitions/:id/detail") { req, ctx in
            let project = try ctx.projectFromQuery()
            let requisition = try find(req, project: project, store: store)
            return jsonResponse(store.read { requisitionJSON(requisition, data: $0, items: true) })
        }
        api.api(.GET, "rest/v1.1/requisitions") { req, ctx in
            let project = try ctx.projectFromQuery()
            var list = store.read { data in data.requisitions.filter { $0.projectID == project.id } }
            list = try Lists.standardFilters(list, ctx.query)
            if let commitment = try ctx.query.int64("filters[commitment_id]") { list = list.filter { $0.commitmentID == commitment } }
            if let period = try ctx.query.int64("filters[period_id]") { list = list.filter { $0.periodID == period } }
            if let status = ctx.query["filters[status]"] { list = list.filter { $0.status == status } }
            let data = store.read { $0 }
            let withItems = ["extended", "items"].contains(ctx.query["view"] ?? "")
            return Lists.respond(req, list, defaultPerPage: 30, maxPerPage: 1000) { requisitionJSON($0, data: data, items: withItems) }
        }
        api.api(.GET, "rest/v1.1/requisitions/:id") { req, ctx in
            let project = try ctx.projectFromQuery()
            let requisition = try find(req, project: project, store: store)
            let withItems = ["extended", "items"].contains(ctx.query["view"] ?? "")
            return jsonResponse(store.read { requisitionJSON(requisition, data: $0, items: withItems) })
        }
        api.api(.POST, "rest/v1.1/requisitions") { _, ctx in
            let project = try ctx.projectFromBodyOrQuery()
            let commitmentID = try commitment(ctx)
            let fields = try ctx.requireObject("requisition")
            let result = try store.write { (data: inout SandboxData) throws(ProcoreError) -> JSON in
                guard let po = data.purchaseOrders.first(where: { $0.id == commitmentID && $0.projectID == project.id && $0.deletedAt == nil }) else {
                    throw ProcoreError.field(.unprocessableEntity, "commitment_id", "is invalid")
                }
                guard po.status == "Approved" else {
                    throw ProcoreError.field(.unprocessableEntity, "commitment_id", "must be an approved commitment to be invoiced")
                }
                let requisition = try validated { () throws(Sync.ItemError) in
                    try upsert(&data, fields, project: project, commitment: po, existing: nil, ctx: ctx)
                }
                return requisitionJSON(requisition, data: data, items: true)
            }
            return jsonResponse(result, status: .created)
        }
        api.api(.PATCH, "rest/v1.1/requisitions/:id") { req, ctx in
            let project = try ctx.projectFromBodyOrQuery()
            let existing = try find(req, project: project, store: store)
            let fields = try ctx.requireObject("requisition")
            let result = try store.write { (data: inout SandboxData) throws(ProcoreError) -> JSON in
                guard let index = data.requisitions.firstIndex(where: { $0.id == existing.id }),
                    let po = data.purchaseOrders.first(where: { $0.id == existing.commitmentID })
                else { throw ProcoreError.notFound }
                let requisition = try validated { () throws(Sync.ItemError) in
                    try upsert(&data, fields, project: project, commitment: po, existing: index, ctx: ctx)
                }
                return requisitionJSON(requisition, data: data, items: true)
            }
            return jsonResponse(result)
        }
        api.api(.DELETE, "rest/v1.1/requisitions/:id") { req, ctx in
            let project = try ctx.projectFromQuery()
            let requisition = try find(req, project: project, store: store)
            try store.write { (data: inout SandboxData) throws(ProcoreError) in
                guard isDeletable(requisition, data: data) else {
                    throw ProcoreError.field(.unprocessableEntity, "base", "Only the latest draft invoice of a commitment can be deleted")
                }
                data.requisitions.removeAll { $0.id == requisition.id }
                // Procore's webhook resource lists name no requisitions resource: no event.
            }
            return Response(status: .ok)
        }
        api.api(.GET, "rest/v1.0/requisitions/:id/contract_items") { req, ctx in
            let project = try ctx.projectFromQuery()
            let requisition = try find(req, project: project, store: store)
            let data = store.read { $0 }
            return Lists.respond(req, requisition.items) { itemJSON($0, requisition: requisition, data: data) }
        }
        api.api(.GET, "rest/v1.0/requisitions/:id/contract_items/:item_id") { req, ctx in
            let project = try ctx.projectFromQuery()
            let requisition = try find(req, project: project, store: store)
            let itemID = try req.int64Parameter("item_id")
            guard let item = requisition.items.first(where: { $0.id == itemID }) else { throw ProcoreError.notFound }
            return jsonResponse(itemJSON(item, requisition: requisition, data: store.read { $0 }))
        }
        api.api(.PATCH, "rest/v1.0/requisitions/:id/bulk_item_update") { req, ctx in
            let project = try ctx.projectFromQuery()
            let requisition = try find(req, project: project, store: store)
            let body = try ctx.requireBody()
            guard let items = body["requisition_items"]?.arrayValue else {
                throw ProcoreError.field(.badRequest, "requisition_items", "is missing")
            }
            try store.write { (data: inout SandboxData) throws(ProcoreError) in
                guard let index = data.requisitions.firstIndex(where: { $0.id == requisition.id }) else { throw ProcoreError.notFound }
                var updated = data.requisitions[index]
                try validated { () throws(Sync.ItemError) in try applyItems(items, to: &updated) }
                updated.updatedAt = ctx.now
                data.requisitions[index] = updated
                // Procore's webhook resource lists name no requisitions resource: no event.
            }
            return Response(status: .ok)
        }
    }

    static func commitment(_ ctx: APIContext) throws(ProcoreError) -> Int64 {
        if case .int(let id)? = ctx.body?["commitment_id"] { return id }
        if let id = try ctx.query.int64("commitment_id") { return id }
        throw ProcoreError.field(.badRequest, "commitment_id", "is missing")
    }

    static func find(_ req: Request, project: Project, store: SandboxStore) throws(ProcoreError) -> Requisition {
        let id = try req.int64Parameter("id")
        guard let requisition = store.read({ data in data.requisitions.first { $0.id == id && $0.projectID == project.id } }) else {
            throw ProcoreError.notFound
        }
        return requisition
    }

    static func isDeletable(_ requisition: Requisition, data: SandboxData) -> Bool {
        let latest = data.requisitions.filter { $0.commitmentID == requisition.commitmentID }.max { $0.number < $1.number }
        return latest?.id == requisition.id && ["draft", "revise_and_resubmit"].contains(requisition.status)
    }

    static func upsert(
        _ data: inout SandboxData, _ fields: JSON.Object, project: Project, commitment: PurchaseOrderContract,
        existing: Int?, ctx: APIContext
    ) throws(Sync.ItemError) -> Requisition {
        var reader = FieldReader(fields)
        var requisition: Requisition
        if let existing {
            requisition = data.requisitions[existing]
        } else {
            let lines = data.poLineItems.filter { $0.holderID == commitment.id && $0.deletedAt == nil }.sorted { $0.position < $1.position }
            let items = lines.map { line in
                RequisitionItem(
                    id: data.newID(), itemType: "contract_item", lineItemID: line.id, description: line.description,
                    costCodeID: line.costCodeID, scheduledValue: line.amount)
            }
            let number = Int64(data.requisitions.filter { $0.commitmentID == commitment.id }.count + 1)
            requisition = Requisition(
                id: 0, companyID: project.companyID, projectID: project.id, commitmentID: commitment.id, number: number,
                periodID: 0, status: "draft", items: items, createdAt: ctx.now, updatedAt: ctx.now)
        }
        if let period = reader.int("period_id") {
            if let period, let billing = data.billingPeriods.first(where: { $0.id == period && $0.projectID == project.id }) {
                if billing.status != "open" && existing == nil { reader.errors.add("period_id", "must be an open billing period") }
                requisition.periodID = period
            } else {
                reader.errors.add("period_id", "is invalid")
            }
        }
        if requisition.periodID == 0 { reader.errors.add("period_id", "can't be blank") }
        reader.date("requisition_start").apply(to: &requisition.requisitionStart)
        reader.date("requisition_end").apply(to: &requisition.requisitionEnd)
        reader.date("billing_date").apply(to: &requisition.billingDate)
        reader.date("payment_date").apply(to: &requisition.paymentDate)
        reader.string("invoice_number", maxLength: 255).apply(to: &requisition.invoiceNumber)
        if let final = reader.bool("final") { requisition.final = final }
        if let status = reader.oneOf("status", Requisition.statuses) { requisition.status = status ?? "draft" }
        reader.string("comment").apply(to: &requisition.comment)
        let origin = reader.string("origin_id")
        if originTaken(origin, in: data.requisitions, company: project.companyID, except: existing.map { data.requisitions[$0].id },
                       companyOf: \.companyID, idOf: \.id, originOf: \.originID) {
            reader.errors.add("origin_id", "has already been taken")
        }
        origin.apply(to: &requisition.originID)
        reader.string("origin_data").apply(to: &requisition.originData)
        try reader.checkItem()
        if let items = fields["items"]?.arrayValue { try applyItems(items, to: &requisition) }
        requisition.updatedAt = ctx.now
        if let existing {
            data.requisitions[existing] = requisition
            // Procore's webhook resource lists name no requisitions resource: no event.
        } else {
            requisition.id = data.newID()
            data.requisitions.append(requisition)
            // Procore's webhook resource lists name no requisitions resource: no event.
        }
        return requisition
    }

    static func applyItems(_ items: [JSON], to requisition: inout Requisition) throws(Sync.ItemError) {
        var errors = FieldErrors()
        for (position, raw) in items.enumerated() {
            guard let object = raw.objectValue else {
                errors.add("items[\(position)]", "must be an object")
                continue
            }
            var reader = FieldReader(object)
            // An item is named by its id, or (v1.1, creating the requisition with its items) by the commitment line.
            let index: Int?
            if case .int(let id)? = object["id"] {
                index = requisition.items.firstIndex { $0.id == id }
            } else if case .int(let line)? = object["line_item_id"] {
                index = requisition.items.firstIndex { $0.lineItemID == line }
            } else {
                index = nil
            }
            guard let index else {
                errors.add("items[\(position)].id", "Entity with this ID not found")
                continue
            }
            if reader.oneOf("item_type", ["contract_item", "contract_detail_item", "change_order_item"]) == nil {
                reader.errors.add("item_type", "can't be blank")
            }
            if case .some(.some(let value)) = reader.decimal("work_completed_this_period") { requisition.items[index].workCompletedThisPeriod = value }
            if case .some(.some(let value)) = reader.decimal("materials_presently_stored") { requisition.items[index].materialsPresentlyStored = value }
            if let status = reader.oneOf("status", ["approved", "rejected", "no_action"]), let status { requisition.items[index].status = status }
            reader.string("comment").apply(to: &requisition.items[index].comment)
            for (field, messages) in reader.errors.items {
                for message in messages { errors.add("items[\(position)].\(field)", message) }
            }
        }
        guard errors.isEmpty else { throw Sync.ItemError(errors) }
    }

    static func requisitionJSON(_ requisition: Requisition, data: SandboxData, items: Bool) -> JSON {
        let po = data.purchaseOrders.first { $0.id == requisition.commitmentID }
        let vendor = po?.vendorID.flatMap { id in data.vendors.first { $0.id == id } }
        let contractSum = data.poLineItems.filter { $0.holderID == requisition.commitmentID && $0.deletedAt == nil }.reduce(Decimal(0)) { $0 + $1.amount }
        let thisPeriod = requisition.items.reduce(Decimal(0)) { $0 + $1.workCompletedThisPeriod + $1.materialsPresentlyStored }
        let previous = data.requisitions.filter { $0.commitmentID == requisition.commitmentID && $0.number < requisition.number }
            .reduce(Decimal(0)) { sum, r in sum + r.items.reduce(0) { $0 + $1.workCompletedThisPeriod + $1.materialsPresentlyStored } }
        let completed = previous + thisPeriod
        let percent = contractSum == 0 ? Decimal(0) : (completed * 100 / contractSum).roundedHalfUp(scale: 2)
        var object: JSON.Object = [
            "id": .int(requisition.id), "number": .int(requisition.number), "project_id": .int(requisition.projectID),
            "commitment_id": .int(requisition.commitmentID), "commitment_type": "PurchaseOrderContract",
            "contract_name": .string(po?.title), "vendor_id": .int(vendor?.id), "vendor_name": .string(vendor?.name),
            "invoice_number": .string(requisition.invoiceNumber), "invoice_type": "progress",
            "contract_invoicing_method": "progressive", "period_id": .int(requisition.periodID),
            "billing_date": .date(requisition.billingDate), "requisition_start": .date(requisition.requisitionStart),
            "requisition_end": .date(requisition.requisitionEnd), "status": .string(requisition.status), "erp_status": .null,
            "percent_complete": .string(ProcoreFormat.money(percent) + "%"), "total_claimed_amount": .money(thisPeriod),
            "final": .bool(requisition.final), "deletable": .bool(isDeletable(requisition, data: data)),
            "previous_requisition_id": .int(
                data.requisitions.filter { $0.commitmentID == requisition.commitmentID && $0.number == requisition.number - 1 }.first?.id),
            "payment_date": .date(requisition.paymentDate), "submitted_at": .null, "comment": .string(requisition.comment),
            "origin_id": .string(requisition.originID), "origin_data": .string(requisition.originData),
            "summary": [
                "original_contract_sum": .money(contractSum), "net_change_by_change_orders": .money(0),
                "contract_sum_to_date": .money(contractSum), "total_completed_and_stored_to_date": .money(completed),
                "total_retainage": .money(0), "total_earned_less_retainage": .money(completed),
                "less_previous_certificates_for_payment": .money(previous), "current_payment_due": .money(thisPeriod),
                "balance_to_finish_including_retainage": .money(contractSum - completed),
                "tax_applicable_to_this_payment": .money(0),
            ],
            "attachments": [], "currency_configuration": ["currency_iso_code": "NZD"],
            "created_at": .timestamp(requisition.createdAt), "updated_at": .timestamp(requisition.updatedAt),
        ]
        if items { object["items"] = .array(requisition.items.map { itemJSON($0, requisition: requisition, data: data, contractItem: false) }) }
        return .object(object)
    }

    /// One item as Procore's contract items show it: `description_of_work`, the line's codes, and the running sums
    /// (previous applications are the earlier requisitions of the same commitment, by number).
    /// `contractItem`: as `…/contract_items` shows it, with the line's `cost_code` and `line_item_type` objects and
    /// the requisition's id; a v1.1 requisition's `items` have `cost_code_id` and `wbs_code` only (the excerpt).
    static func itemJSON(_ item: RequisitionItem, requisition: Requisition, data: SandboxData, contractItem: Bool = true) -> JSON {
        let line = data.poLineItems.first { $0.id == item.lineItemID }
        let costCode = (line?.costCodeID ?? item.costCodeID).flatMap { id in data.costCodes.first { $0.id == id } }
        let type = line?.lineItemTypeID.flatMap { id in data.lineItemTypes.first { $0.id == id } }
        let previous = data.requisitions
            .filter { $0.commitmentID == requisition.commitmentID && $0.number < requisition.number }
            .flatMap(\.items).filter { $0.lineItemID == item.lineItemID }
            .reduce(Decimal(0)) { $0 + $1.workCompletedThisPeriod + $1.materialsPresentlyStored }
        let thisPeriod = item.workCompletedThisPeriod + item.materialsPresentlyStored
        let position = Int64((requisition.items.firstIndex { $0.id == item.id } ?? 0) + 1)
        var object: JSON.Object = [
            "id": .int(item.id), "item_type": .string(item.itemType), "line_item_id": .int(item.lineItemID),
            "position": .int(position), "description_of_work": .string(item.description),
            "cost_code_id": .int(costCode?.id),
            "cost_code": costCode.map { ["id": .int($0.id), "full_code": .string(CostRoutes.fullCode($0, data: data)), "name": .string($0.name)] } ?? .null,
            "line_item_type": type.map(CostRoutes.lineItemTypeJSON) ?? .null,
            "wbs_code": WBSRoutes.reference(line?.wbsCodeID, data: data),
            "scheduled_value": .money(item.scheduledValue),
            "work_completed_from_previous_application": .money(previous),
            "work_completed_this_period": .money(item.workCompletedThisPeriod),
            "materials_presently_stored": .money(item.materialsPresentlyStored),
            "total_completed_and_stored_to_date": .money(previous + thisPeriod),
            "gross_amount": .money(thisPeriod), "net_amount": .money(thisPeriod),
            "status": .string(item.status), "comment": .string(item.comment), "requisition_id": .int(requisition.id),
        ]
        if !contractItem {
            for key in ["cost_code", "line_item_type", "requisition_id"] { object[key] = nil }
        }
        return .object(object)
    }

    // MARK: - Billing periods

    static func registerBillingPeriods(_ api: any RoutesBuilder, store: SandboxStore) {
        let base = "rest/v1.0/projects/:project_id/billing_periods"
        api.api(.GET, base) { req, ctx in
            let project = try ctx.project(try req.int64Parameter("project_id"))
            var periods = store.read { data in data.billingPeriods.filter { $0.projectID == project.id } }
            periods = try Lists.standardFilters(periods, ctx.query)
            if let status = ctx.query["filters[status]"] ?? ctx.query["status"] { periods = periods.filter { $0.status == status } }
            return Lists.respond(req, periods, render: periodJSON)
        }
        api.api(.GET, base + "/:id") { req, ctx in
            let project = try ctx.project(try req.int64Parameter("project_id"))
            let id = try req.int64Parameter("id")
            guard let period = store.read({ data in data.billingPeriods.first { $0.id == id && $0.projectID == project.id } }) else {
                throw ProcoreError.notFound
            }
            return jsonResponse(periodJSON(period))
        }
        api.api(.POST, base) { req, ctx in
            let project = try ctx.project(try req.int64Parameter("project_id"))
            let fields = try ctx.requireObject("billing_period")
            let period = try store.write { (data: inout SandboxData) throws(ProcoreError) -> BillingPeriod in
                try validated { () throws(Sync.ItemError) in try upsertPeriod(&data, fields, project: project, existing: nil, ctx: ctx) }
            }
            return jsonResponse(periodJSON(period), status: .created)
        }
        api.api(.PATCH, base + "/:id") { req, ctx in
            let project = try ctx.project(try req.int64Parameter("project_id"))
            let id = try req.int64Parameter("id")
            let fields = try ctx.requireObject("billing_period")
            let period = try store.write { (data: inout SandboxData) throws(ProcoreError) -> BillingPeriod in
                guard let index = data.billingPeriods.firstIndex(where: { $0.id == id && $0.projectID == project.id }) else {
                    throw ProcoreError.notFound
                }
                return try validated { () throws(Sync.ItemError) in try upsertPeriod(&data, fields, project: project, existing: index, ctx: ctx) }
            }
            return jsonResponse(periodJSON(period))
        }
        api.api(.DELETE, base + "/:id") { req, ctx in
            let project = try ctx.project(try req.int64Parameter("project_id"))
            let id = try req.int64Parameter("id")
            try store.write { (data: inout SandboxData) throws(ProcoreError) in
                guard let index = data.billingPeriods.firstIndex(where: { $0.id == id && $0.projectID == project.id }) else {
                    throw ProcoreError.notFound
                }
                guard !data.requisitions.contains(where: { $0.periodID == id }) else {
                    throw ProcoreError.field(.unprocessableEntity, "base", "A billing period with invoices cannot be deleted")
                }
                data.billingPeriods.remove(at: index)
            }
            return Response(status: .ok)
        }
    }

    static func upsertPeriod(
        _ data: inout SandboxData, _ fields: JSON.Object, project: Project, existing: Int?, ctx: APIContext
    ) throws(Sync.ItemError) -> BillingPeriod {
        var reader = FieldReader(fields)
        let start = reader.date("start_date")
        let end = reader.date("end_date")
        let due = reader.date("due_date")
        let status = reader.oneOf("status", ["open", "closed"])
        for (name, value) in [("start_date", start), ("end_date", end), ("due_date", due), ("status", status)] where (value ?? nil) == nil {
            if !reader.errors.items.contains(where: { $0.0 == name }) { reader.errors.add(name, "can't be blank") }
        }
        if let start = start ?? nil, let end = end ?? nil, end < start { reader.errors.add("end_date", "must be on or after start_date") }
        if status == "open", data.billingPeriods.contains(where: {
            $0.projectID == project.id && $0.status == "open" && $0.id != existing.map({ data.billingPeriods[$0].id })
        }) {
            reader.errors.add("status", "only one billing period may be open at a time")
        }
        try reader.checkItem()
        var period =
            existing.map { data.billingPeriods[$0] }
            ?? BillingPeriod(
                id: data.newID(), projectID: project.id,
                position: Int64(data.billingPeriods.filter { $0.projectID == project.id }.count + 1), startDate: "", endDate: "",
                dueDate: "", status: "open", createdAt: ctx.now, updatedAt: ctx.now)
        period.startDate = start!!
        period.endDate = end!!
        period.dueDate = due!!
        period.status = status!!
        period.updatedAt = ctx.now
        if let existing { data.billingPeriods[existing] = period } else { data.billingPeriods.append(period) }
        return period
    }

    static func periodJSON(_ period: BillingPeriod) -> JSON {
        [
            "id": .int(period.id), "project_id": .int(period.projectID), "position": .int(period.position),
            "start_date": .date(period.startDate), "end_date": .date(period.endDate), "due_date": .date(period.dueDate),
            "status": .string(period.status), "created_at": .timestamp(period.createdAt), "updated_at": .timestamp(period.updatedAt),
        ]
    }
}
