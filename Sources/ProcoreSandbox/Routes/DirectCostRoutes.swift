import Foundation
import Vapor

/// Direct costs: v1.1 with nested line items (≤ 100), the older v1.0 item and sync endpoints, and v1.0 line items.
/// Concurrent writes to one direct cost answer 409; `invoice_number` is unique per vendor.
enum DirectCostRoutes {
    static let maxNestedLines = 100

    /// `PATCH …/direct_costs/{id}` as `multipart/form-data` with `attachments[]` files: adds them to the direct cost.
    @inline(never)  // inlined into the PATCH route, it crashes the release compiler (Swift 6.3, coroutine splitting)
    static func attach(_ req: Request, _ ctx: APIContext, cost: DirectCost, project: Project, store: SandboxStore) async throws -> Response {
        struct Upload: Content {
            var attachments: [File]
        }
        guard let upload = try? req.content.decode(Upload.self), !upload.attachments.isEmpty else {
            throw ProcoreError.field(.badRequest, "attachments", "must be one or more files sent as attachments[]")
        }
        try store.busyDirectCosts.claim(cost.id)
        defer { store.busyDirectCosts.release(cost.id) }
        try await holdForInjectedLatency(store)
        let result = try store.write { (data: inout SandboxData) throws(ProcoreError) -> JSON in
            guard let index = data.directCosts.firstIndex(where: { $0.id == cost.id && $0.deletedAt == nil }) else { throw ProcoreError.notFound }
            for file in upload.attachments {
                let attachment = Attachment(
                    id: data.newID(), filename: file.filename, contentType: file.contentType?.description ?? "application/octet-stream",
                    data: Data(buffer: file.data))
                data.directCosts[index].attachments = (data.directCosts[index].attachments ?? []) + [attachment]
            }
            data.directCosts[index].updatedAt = ctx.now
            data.emit(.directCosts, "update", id: cost.id, companyID: project.companyID, projectID: project.id, source: ctx.source, now: ctx.now)
            return dcJSON(data.directCosts[index], data: data, detail: true)
        }
        return jsonResponse(result)
    }

    static func register(_ api: any RoutesBuilder, store: SandboxStore) {
        let v11 = "rest/v1.1/projects/:project_id/direct_costs"
        let v10 = "rest/v1.0/projects/:project_id/direct_costs"

        // Lists and shows on both versions (v1.0 has no nested line items on show; v1.1 lists the vendor as a string).
        for path in [v11, v10] {
            api.api(.GET, path) { req, ctx in
                let project = try ctx.project(try req.int64Parameter("project_id"))
                var costs = store.read { data in data.directCosts.filter { $0.projectID == project.id && $0.deletedAt == nil } }
                costs = try Lists.standardFilters(costs, ctx.query)
                if let number = ctx.query["filters[invoice_number]"] { costs = costs.filter { $0.invoiceNumber == number } }
                if let vendor = try ctx.query.int64("filters[vendor_id]") { costs = costs.filter { $0.vendorID == vendor } }
                if let status = ctx.query["filters[status]"] { costs = costs.filter { $0.status == status } }
                let data = store.read { $0 }
                return Lists.respond(req, costs) { dcJSON($0, data: data, detail: false) }
            }
            api.api(.GET, path + "/:direct_cost_id") { req, ctx in
                let project = try ctx.project(try req.int64Parameter("project_id"))
                let cost = try directCost(req, project: project, store: store)
                return jsonResponse(store.read { dcJSON(cost, data: $0, detail: true) })
            }
        }
        for (path, key, nested) in [(v11, "direct_cost", true), (v10, "item", false)] {
            api.api(.POST, path) { req, ctx in
                let project = try ctx.project(try req.int64Parameter("project_id"))
                // Procore's v1.1 create takes the whole payload as multipart/form-data with `attachments[]` files
                // (the excerpt's Body92): one request for the direct cost, its lines and its PDF.
                var files: [Multipart.Part] = []
                let fields: JSON.Object
                if nested, req.headers.contentType?.type == "multipart" {
                    let form = try Multipart.form(req)
                    guard let object = form.fields[key]?.objectValue else {
                        throw ProcoreError.field(.badRequest, key, "is missing: send its fields as \(key)[field] form fields")
                    }
                    (fields, files) = (object, form.files.filter { $0.name == "attachments[]" })
                } else {
                    fields = try ctx.requireObject(key)
                }
                let result = try store.write { (data: inout SandboxData) throws(ProcoreError) -> JSON in
                    let cost = try validated { () throws(Sync.ItemError) in
                        try upsert(&data, fields, project: project, existing: nil, nestedLines: nested, ctx: ctx)
                    }
                    if !files.isEmpty, let index = data.directCosts.firstIndex(where: { $0.id == cost.id }) {
                        data.directCosts[index].attachments = files.map { file in
                            Attachment(id: data.newID(), filename: file.filename ?? "attachment", contentType: file.contentType ?? "application/octet-stream", data: file.data)
                        }
                    }
                    return dcJSON(data.directCosts.first { $0.id == cost.id } ?? cost, data: data, detail: true)
                }
                return jsonResponse(result, status: .created)
            }
            api.api(.PATCH, path + "/:direct_cost_id") { req, ctx in
                let project = try ctx.project(try req.int64Parameter("project_id"))
                let cost = try directCost(req, project: project, store: store)
                if nested, req.headers.contentType?.type == "multipart" {
                    return try await attach(req, ctx, cost: cost, project: project, store: store)
                }
                let fields = try ctx.requireObject(key)
                try store.busyDirectCosts.claim(cost.id)
                defer { store.busyDirectCosts.release(cost.id) }
                try await holdForInjectedLatency(store)
                let result = try store.write { (data: inout SandboxData) throws(ProcoreError) -> JSON in
                    guard let index = data.directCosts.firstIndex(where: { $0.id == cost.id && $0.deletedAt == nil }) else {
                        throw ProcoreError.notFound
                    }
                    let updated = try validated { () throws(Sync.ItemError) in
                        try upsert(&data, fields, project: project, existing: index, nestedLines: nested, ctx: ctx)
                    }
                    return dcJSON(updated, data: data, detail: true)
                }
                return jsonResponse(result)
            }
        }
        api.api(.DELETE, v11 + "/:direct_cost_id") { req, ctx in
            let project = try ctx.project(try req.int64Parameter("project_id"))
            let cost = try directCost(req, project: project, store: store)
            try store.busyDirectCosts.claim(cost.id)
            defer { store.busyDirectCosts.release(cost.id) }
            try await holdForInjectedLatency(store)
            try store.write { (data: inout SandboxData) throws(ProcoreError) in
                guard let index = data.directCosts.firstIndex(where: { $0.id == cost.id && $0.deletedAt == nil }) else {
                    throw ProcoreError.notFound
                }
                data.directCosts[index].deletedAt = ctx.now
                data.directCosts[index].updatedAt = ctx.now
                data.dcLineItems.removeAll { $0.holderID == cost.id }
                data.emit(.directCosts, "delete", id: cost.id, companyID: project.companyID, projectID: project.id, source: ctx.source, now: ctx.now)
            }
            return jsonResponse(["id": .int(cost.id)])
        }
        api.api(.PATCH, v10 + "/sync") { req, ctx in
            let project = try ctx.project(try req.int64Parameter("project_id"))
            let items = try Sync.updates(ctx)
            return Sync.run(items, store: store) { (data: inout SandboxData, item: JSON.Object) throws(Sync.ItemError) -> JSON in
                let scoped = data.directCosts.enumerated().filter { $0.element.companyID == project.companyID && $0.element.deletedAt == nil }
                switch try Sync.match(item, in: scoped.map(\.element), id: \.id, originID: \.originID) {
                case .create:
                    return dcJSON(try upsert(&data, item, project: project, existing: nil, nestedLines: false, ctx: ctx), data: data, detail: true)
                case .update(let index):
                    guard scoped[index].element.projectID == project.id else {
                        throw Sync.ItemError("origin_id", "has already been taken in another project")
                    }
                    return dcJSON(
                        try upsert(&data, item, project: project, existing: scoped[index].offset, nestedLines: false, ctx: ctx),
                        data: data, detail: true)
                }
            }
        }
        registerLines(api, store: store, base: v10)
    }

    static func holdForInjectedLatency(_ store: SandboxStore) async throws {
        let faults = store.faults
        let hold = faults.writeHoldMilliseconds > 0 ? faults.writeHoldMilliseconds : faults.latencyMilliseconds
        if hold > 0 { try await Task.sleep(for: .milliseconds(hold)) }
    }

    static func directCost(_ req: Request, project: Project, store: SandboxStore, parameter: String = "direct_cost_id") throws(ProcoreError) -> DirectCost {
        let id = try req.int64Parameter(parameter)
        guard let cost = store.read({ data in data.directCosts.first { $0.id == id && $0.projectID == project.id && $0.deletedAt == nil } }) else {
            throw ProcoreError.notFound
        }
        return cost
    }

    static func upsert(
        _ data: inout SandboxData, _ fields: JSON.Object, project: Project, existing: Int?, nestedLines: Bool, ctx: APIContext
    ) throws(Sync.ItemError) -> DirectCost {
        var reader = FieldReader(fields)
        var cost =
            existing.map { data.directCosts[$0] }
            ?? DirectCost(
                id: 0, companyID: project.companyID, projectID: project.id, directCostType: "", status: "draft",
                createdAt: ctx.now, updatedAt: ctx.now)
        if let type = reader.oneOf("direct_cost_type", DirectCost.types) {
            if existing != nil, type != cost.directCostType {
                reader.errors.add("direct_cost_type", "cannot be changed after the direct cost is created")
            } else {
                cost.directCostType = type ?? ""
            }
        }
        if cost.directCostType.isEmpty { reader.errors.add("direct_cost_type", "can't be blank") }
        if let vendor = reader.int("vendor_id") {
            if let vendor, !data.vendors.contains(where: { $0.id == vendor && $0.companyID == project.companyID }) {
                reader.errors.add("vendor_id", "is invalid")
            } else {
                cost.vendorID = vendor
            }
        }
        reader.string("invoice_number", maxLength: 255).apply(to: &cost.invoiceNumber)
        reader.date("direct_cost_date").apply(to: &cost.directCostDate)
        reader.date("received_date").apply(to: &cost.receivedDate)
        reader.date("payment_date").apply(to: &cost.paymentDate)
        if let status = reader.oneOf("status", DirectCost.statuses) { cost.status = status ?? "draft" }
        reader.string("description", maxLength: 100_000).apply(to: &cost.description)
        reader.string("terms").apply(to: &cost.terms)
        reader.int("employee_id").apply(to: &cost.employeeID)
        if cost.directCostType == "invoice" {
            // An unknown vendor already says "is invalid"; "can't be blank" beside it would contradict it.
            if cost.vendorID == nil, !reader.errors.items.contains(where: { $0.0 == "vendor_id" }) {
                reader.errors.add("vendor_id", "can't be blank")
            }
            if (cost.invoiceNumber ?? "").isEmpty { reader.errors.add("invoice_number", "can't be blank") }
        }
        if let number = cost.invoiceNumber, !number.isEmpty, let vendor = cost.vendorID,
            data.directCosts.contains(where: {
                $0.companyID == project.companyID && $0.vendorID == vendor && $0.invoiceNumber == number && $0.deletedAt == nil
                    && $0.id != cost.id
            })
        {
            reader.errors.add("invoice_number", "has already been taken for this vendor")
        }
        let origin = reader.string("origin_id")
        if originTaken(origin, in: data.directCosts.filter { $0.deletedAt == nil }, company: project.companyID,
                       except: existing.map { data.directCosts[$0].id }, companyOf: \.companyID, idOf: \.id, originOf: \.originID) {
            reader.errors.add("origin_id", "has already been taken")
        }
        origin.apply(to: &cost.originID)
        reader.string("origin_data").apply(to: &cost.originData)
        var nested: [JSON.Object] = []
        if nestedLines, let raw = fields["line_items"] {
            if let list = raw.arrayValue, list.allSatisfy({ $0.objectValue != nil }) {
                nested = list.compactMap(\.objectValue)
                if nested.count > maxNestedLines {
                    reader.errors.add("line_items", "may contain at most \(maxNestedLines) line items per request")
                }
            } else {
                reader.errors.add("line_items", "must be an array of objects")
            }
        }
        try reader.checkItem()
        cost.updatedAt = ctx.now
        let isNew = existing == nil
        if let existing {
            data.directCosts[existing] = cost
        } else {
            cost.id = data.newID()
            data.directCosts.append(cost)
        }
        for (position, item) in nested.enumerated() {
            var lineIndex: Int?
            if let rawID = item["id"], rawID != .null {
                guard case .int(let id) = rawID, let index = data.dcLineItems.firstIndex(where: { $0.id == id && $0.holderID == cost.id }) else {
                    throw Sync.ItemError("line_items[\(position)].id", "Entity with this ID not found")
                }
                lineIndex = index
            }
            // Procore's nested v1.1 line has no cost code + cost type fields (they are ignored, as Rails ignores
            // unpermitted parameters) and requires `wbs_code_id` (the excerpt's DirectCostLineItem).
            var line = item
            line["cost_code_id"] = nil
            line["line_item_type_id"] = nil
            if lineIndex == nil, line["wbs_code_id"] == nil || line["wbs_code_id"] == .null {
                throw Sync.ItemError("line_items[\(position)].wbs_code_id", "can't be blank")
            }
            do throws(Sync.ItemError) {
                _ = try LineItemRoutes.upsert(&data, line, holder: .directCost, holderID: cost.id, project: project, existing: lineIndex, ctx: ctx)
            } catch {
                var prefixed = FieldErrors()
                for (field, messages) in error.errors.items {
                    for message in messages { prefixed.add("line_items[\(position)].\(field)", message) }
                }
                throw Sync.ItemError(prefixed)
            }
        }
        data.emit(.directCosts, isNew ? "create" : "update", id: cost.id, companyID: project.companyID, projectID: project.id, source: ctx.source, now: ctx.now)
        return data.directCosts.first { $0.id == cost.id } ?? cost
    }

    // MARK: - v1.0 line items

    static func registerLines(_ api: any RoutesBuilder, store: SandboxStore, base: String) {
        api.api(.GET, base + "/line_items") { req, ctx in
            let project = try ctx.project(try req.int64Parameter("project_id"))
            var lines = store.read { data in data.dcLineItems.filter { $0.projectID == project.id } }
            lines = try Lists.standardFilters(lines, ctx.query)
            if let cost = try ctx.query.int64("filters[direct_cost_id]") { lines = lines.filter { $0.holderID == cost } }
            if let code = try ctx.query.int64("filters[cost_code_id]") { lines = lines.filter { $0.costCodeID == code } }
            if let type = try ctx.query.int64("filters[line_item_type_id]") { lines = lines.filter { $0.lineItemTypeID == type } }
            let data = store.read { $0 }
            return Lists.respond(req, lines) { LineItemRoutes.lineJSON($0, data: data, holderType: LineItemRoutes.Holder.directCost.holderType) }
        }
        api.api(.PATCH, base + "/line_items/sync") { req, ctx in
            let project = try ctx.project(try req.int64Parameter("project_id"))
            let items = try Sync.updates(ctx)
            return Sync.run(items, store: store) { (data: inout SandboxData, item: JSON.Object) throws(Sync.ItemError) -> JSON in
                let scoped = data.dcLineItems.enumerated().filter { $0.element.companyID == project.companyID }
                let target = try Sync.match(item, in: scoped.map(\.element), id: \.id, originID: \.originID)
                var existing: Int?
                var holder: Int64
                switch target {
                case .create:
                    guard case .int(let costID)? = item["direct_cost_id"] else { throw Sync.ItemError("direct_cost_id", "can't be blank") }
                    holder = costID
                case .update(let index):
                    existing = scoped[index].offset
                    holder = scoped[index].element.holderID
                }
                guard data.directCosts.contains(where: { $0.id == holder && $0.projectID == project.id && $0.deletedAt == nil }) else {
                    throw Sync.ItemError("direct_cost_id", "is invalid")
                }
                let line = try LineItemRoutes.upsert(&data, item, holder: .directCost, holderID: holder, project: project, existing: existing, ctx: ctx)
                return LineItemRoutes.lineJSON(line, data: data, holderType: LineItemRoutes.Holder.directCost.holderType)
            }
        }
        let perCost = base + "/:direct_cost_id/line_items"
        api.api(.GET, perCost) { req, ctx in
            let project = try ctx.project(try req.int64Parameter("project_id"))
            let cost = try directCost(req, project: project, store: store, parameter: "direct_cost_id")
            let data = store.read { $0 }
            let lines = data.dcLineItems.filter { $0.holderID == cost.id }.sorted { $0.position < $1.position }
            return Lists.respond(req, lines) { LineItemRoutes.lineJSON($0, data: data, holderType: LineItemRoutes.Holder.directCost.holderType) }
        }
        api.api(.GET, perCost + "/:id") { req, ctx in
            let project = try ctx.project(try req.int64Parameter("project_id"))
            let cost = try directCost(req, project: project, store: store, parameter: "direct_cost_id")
            let id = try req.int64Parameter("id")
            let data = store.read { $0 }
            guard let line = data.dcLineItems.first(where: { $0.id == id && $0.holderID == cost.id }) else { throw ProcoreError.notFound }
            return jsonResponse(LineItemRoutes.lineJSON(line, data: data, holderType: LineItemRoutes.Holder.directCost.holderType))
        }
        api.api(.POST, perCost) { req, ctx in
            try await writeLine(req, ctx, store: store, existingID: nil)
        }
        api.api(.PATCH, perCost + "/:id") { req, ctx in
            try await writeLine(req, ctx, store: store, existingID: try req.int64Parameter("id"))
        }
        api.api(.DELETE, perCost + "/:id") { req, ctx in
            let project = try ctx.project(try req.int64Parameter("project_id"))
            let cost = try directCost(req, project: project, store: store, parameter: "direct_cost_id")
            let id = try req.int64Parameter("id")
            try store.busyDirectCosts.claim(cost.id)
            defer { store.busyDirectCosts.release(cost.id) }
            try store.write { (data: inout SandboxData) throws(ProcoreError) in
                guard let index = data.dcLineItems.firstIndex(where: { $0.id == id && $0.holderID == cost.id }) else {
                    throw ProcoreError.notFound
                }
                LineItemRoutes.delete(&data, index: index, holder: .directCost, project: project, ctx: ctx)
            }
            return Response(status: .ok)
        }
    }

    static func writeLine(_ req: Request, _ ctx: APIContext, store: SandboxStore, existingID: Int64?) async throws -> Response {
        let project = try ctx.project(try req.int64Parameter("project_id"))
        let cost = try directCost(req, project: project, store: store, parameter: "direct_cost_id")
        let fields = try ctx.requireObject("line_item")
        try store.busyDirectCosts.claim(cost.id)
        defer { store.busyDirectCosts.release(cost.id) }
        try await holdForInjectedLatency(store)
        let result = try store.write { (data: inout SandboxData) throws(ProcoreError) -> JSON in
            var index: Int?
            if let existingID {
                guard let found = data.dcLineItems.firstIndex(where: { $0.id == existingID && $0.holderID == cost.id }) else {
                    throw ProcoreError.notFound
                }
                index = found
            }
            let line = try validated { () throws(Sync.ItemError) in
                try LineItemRoutes.upsert(&data, fields, holder: .directCost, holderID: cost.id, project: project, existing: index, ctx: ctx)
            }
            return LineItemRoutes.lineJSON(line, data: data, holderType: LineItemRoutes.Holder.directCost.holderType)
        }
        return jsonResponse(result, status: existingID == nil ? .created : .ok)
    }

    static func dcJSON(_ cost: DirectCost, data: SandboxData, detail: Bool) -> JSON {
        let lines = data.dcLineItems.filter { $0.holderID == cost.id }.sorted { $0.position < $1.position }
        let subtotal = lines.reduce(Decimal(0)) { $0 + $1.amount }
        var taxDetails: [Int64: (Decimal, Decimal)] = [:]
        for line in lines {
            guard let taxID = line.taxCodeID, let code = data.taxCodes.first(where: { $0.id == taxID }) else { continue }
            let tax = (line.amount * code.rate1 / 100).roundedHalfUp(scale: 2)
            let current = taxDetails[taxID] ?? (0, 0)
            taxDetails[taxID] = (current.0 + tax, current.1 + line.amount)
        }
        let taxTotal = taxDetails.values.reduce(Decimal(0)) { $0 + $1.0 }
        let vendor = cost.vendorID.flatMap { id in data.vendors.first { $0.id == id } }
        let project = data.projects.first { $0.id == cost.projectID }
        var object: JSON.Object = [
            "id": .int(cost.id), "direct_cost_type": .string(cost.directCostType),
            "invoice_number": .string(cost.invoiceNumber), "direct_cost_date": .date(cost.directCostDate),
            "received_date": .date(cost.receivedDate), "payment_date": .date(cost.paymentDate),
            "status": .string(cost.status), "description": .string(cost.description), "terms": .string(cost.terms),
        ]
        // Procore's v1.1 list gives the vendor as a string and the show as an object.
        object["vendor"] = detail ? (vendor.map { ["id": .int($0.id), "name": .string($0.name)] } ?? .null) : .string(vendor?.name)
        object["vendor_id"] = .int(cost.vendorID)
        object["vendor_name"] = .string(vendor?.name)
        object["employee"] = cost.employeeID.map { ["id": .int($0), "name": .null] } ?? .null
        object["company"] = ["id": .int(cost.companyID), "name": .string(data.company(cost.companyID)?.name)]
        object["project"] = ["id": .int(cost.projectID), "name": .string(project?.name)]
        object["grand_total"] = .money(subtotal)
        // The list mirrors the total as `amount` (reference §9.2); the show and create do not have it.
        if !detail { object["amount"] = .money(subtotal) }
        object["line_items_count"] = .int(Int64(lines.count))
        object["attachments_count"] = .int(Int64(cost.attachments?.count ?? 0))
        object["synced"] = .bool(cost.originID != nil)
        object["has_workflows"] = false
        object["origin_id"] = .string(cost.originID)
        object["origin_data"] = .string(cost.originData)
        object["tax_breakdown"] = [
            "subtotal": .string(ProcoreFormat.money(subtotal.roundedHalfUp(scale: 2))),
            "tax_total": .string(ProcoreFormat.money(taxTotal)),
            "grand_total": .string(ProcoreFormat.money((subtotal + taxTotal).roundedHalfUp(scale: 2))),
            "tax_details": .array(taxDetails.sorted { $0.key < $1.key }.map { id, sums in
                let code = data.taxCodes.first { $0.id == id }
                return [
                    "tax_code_id": .int(id), "tax_code_name": .string(code?.code), "tax_code_rate": .string(ProcoreFormat.money(code?.rate1 ?? 0)),
                    "amount": .money(sums.0), "taxable_amount": .money(sums.1), "selected_tax_code_id": .int(id),
                    "selected_tax_code_name": .string(code?.code),
                ]
            }),
        ]
        if detail {
            object["line_items"] = .array(lines.map { LineItemRoutes.lineJSON($0, data: data, holderType: "DirectCost::Item") })
            object["attachments"] = .array((cost.attachments ?? []).map { file in
                // Procore's attachment is {id, url, filename} (the excerpt's attachments item).
                [
                    "id": .int(file.id), "url": .string("https://storage.sandbox.invalid/attachments/\(file.id)/\(file.filename)"),
                    "filename": .string(file.filename),
                ]
            })
        }
        object["currency_configuration"] = ["currency_iso_code": "NZD"]
        object["created_at"] = .timestamp(cost.createdAt)
        object["updated_at"] = .timestamp(cost.updatedAt)
        object["deleted_at"] = .timestamp(cost.deletedAt)
        return .object(object)
    }
}
