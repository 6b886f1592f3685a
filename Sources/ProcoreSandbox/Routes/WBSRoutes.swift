import Foundation
import Vapor

/// Budget codes (Work Breakdown Structure codes) of a project, and the rule every financial line item follows:
/// it is coded by `wbs_code_id`, or by `cost_code_id` + `line_item_type_id` that form a budget code (`wbs_code_id`
/// wins when both are given). Reference §6.7, §7.4, §9.3.
enum WBSRoutes {
    static func path(_ suffix: String = "") -> String {
        "rest/v1.0/projects/:project_id/work_breakdown_structure/wbs_codes" + suffix
    }

    static func register(_ api: any RoutesBuilder, store: SandboxStore) {
        api.api(.GET, path()) { req, ctx in
            let project = try ctx.project(try req.int64Parameter("project_id"))
            var codes = store.read { data in data.wbsCodes.filter { $0.projectID == project.id } }
            codes = try Lists.standardFilters(codes, ctx.query)
            // `filters[status][]` is a list here (the excerpt), e.g. active and inactive.
            let statuses = ctx.query.all("filters[status]")
            if !statuses.isEmpty { codes = codes.filter { statuses.contains($0.status) } }
            let data = store.read { $0 }
            return Lists.respond(req, codes, maxPerPage: 1000) { codeJSON($0, data: data) }
        }
        api.api(.GET, path("/:id")) { req, ctx in
            let project = try ctx.project(try req.int64Parameter("project_id"))
            let id = try req.int64Parameter("id")
            let data = store.read { $0 }
            guard let code = data.wbsCodes.first(where: { $0.id == id && $0.projectID == project.id }) else { throw ProcoreError.notFound }
            return jsonResponse(codeJSON(code, data: data))
        }
        // A POST of a combination that exists updates it (its description) instead of making a second one.
        api.api(.POST, path()) { req, ctx in
            let project = try ctx.project(try req.int64Parameter("project_id"))
            let body = try ctx.requireBody()
            let (json, created) = try store.write { (data: inout SandboxData) throws(ProcoreError) -> (JSON, Bool) in
                let (code, created) = try validated { () throws(Sync.ItemError) in try upsert(&data, body, project: project, now: ctx.now) }
                return (codeJSON(code, data: data), created)
            }
            // Procore describes one answer, 201, whether the combination was new or updated.
            _ = created
            return jsonResponse(json, status: .created)
        }
        api.api(.PATCH, path("/bulk_create")) { req, ctx in
            let project = try ctx.project(try req.int64Parameter("project_id"))
            let body = try ctx.requireBody()
            guard let items = body["wbs_codes"]?.arrayValue, items.allSatisfy({ $0.objectValue != nil }) else {
                throw ProcoreError.field(.badRequest, "wbs_codes", "must be an array of objects")
            }
            guard items.count <= 1000 else { throw ProcoreError.message(.payloadTooLarge, "At most 1000 budget codes per request") }
            let json = try store.write { (data: inout SandboxData) throws(ProcoreError) -> JSON in
                var saved: [JSON] = []
                for (position, item) in items.enumerated() {
                    do throws(Sync.ItemError) {
                        let (code, _) = try upsert(&data, item.objectValue!, project: project, now: ctx.now)
                        saved.append(codeJSON(code, data: data))
                    } catch {
                        var prefixed = FieldErrors()
                        for (field, messages) in error.errors.items {
                            for message in messages { prefixed.add("wbs_codes[\(position)].\(field)", message) }
                        }
                        throw ProcoreError.fields(.unprocessableEntity, prefixed.items)
                    }
                }
                return .array(saved)
            }
            return jsonResponse(json)
        }
        api.api(.PATCH, path("/:id")) { req, ctx in
            let project = try ctx.project(try req.int64Parameter("project_id"))
            let id = try req.int64Parameter("id")
            let body = try ctx.requireBody()
            let json = try store.write { (data: inout SandboxData) throws(ProcoreError) -> JSON in
                guard let index = data.wbsCodes.firstIndex(where: { $0.id == id && $0.projectID == project.id }) else {
                    throw ProcoreError.notFound
                }
                var reader = FieldReader(body)
                reader.string("description", maxLength: 255).apply(to: &data.wbsCodes[index].description)
                if let status = reader.oneOf("status", ["active", "inactive"]), let status { data.wbsCodes[index].status = status }
                for key in body.keys where !["description", "status"].contains(key) {
                    reader.errors.add(key, "cannot be changed; a budget code's segment items are fixed")
                }
                try validated { () throws(Sync.ItemError) in try reader.checkItem() }
                data.wbsCodes[index].updatedAt = ctx.now
                return codeJSON(data.wbsCodes[index], data: data)
            }
            return jsonResponse(json)
        }
    }

    /// Creates the budget code of `segment_items`, or updates the one that has that combination.
    static func upsert(_ data: inout SandboxData, _ body: JSON.Object, project: Project, now: Date) throws(Sync.ItemError) -> (WBSCode, created: Bool) {
        var reader = FieldReader(body)
        let description = reader.string("description", maxLength: 255)
        guard let items = body["segment_items"]?.arrayValue, !items.isEmpty else {
            throw Sync.ItemError("segment_items", "can't be blank")
        }
        var chosen: [WBSSegment: Int64] = [:]
        for (position, raw) in items.enumerated() {
            guard let item = raw.objectValue, case .int(let segmentID)? = item["segment_id"], case .int(let itemID)? = item["segment_item_id"],
                let segment = WBSSegment(rawValue: segmentID)
            else {
                throw Sync.ItemError("segment_items[\(position)]", "needs a segment_id of this project's WBS pattern and a segment_item_id")
            }
            guard chosen[segment] == nil else { throw Sync.ItemError("segment_items[\(position)]", "names the \(segment.name) segment twice") }
            chosen[segment] = itemID
        }
        guard let costCodeID = chosen[.costCode], let typeID = chosen[.costType] else {
            throw Sync.ItemError("segment_items", "must include a Cost Code and a Cost Type segment item")
        }
        guard let costCode = data.costCodes.first(where: { $0.id == costCodeID && $0.projectID == project.id && $0.deletedAt == nil }) else {
            throw Sync.ItemError("segment_items", "Cost Code segment item \(costCodeID) is not a cost code of this project")
        }
        guard data.lineItemTypes.contains(where: { $0.id == typeID && $0.companyID == project.companyID }) else {
            throw Sync.ItemError("segment_items", "Cost Type segment item \(typeID) is not a cost type of this company")
        }
        let subJob = chosen[.subJob] ?? costCode.subJobID
        if let subJob, !data.subJobs.contains(where: { $0.id == subJob && $0.projectID == project.id }) {
            throw Sync.ItemError("segment_items", "Sub Job segment item \(subJob) is not a sub job of this project")
        }
        try reader.checkItem()
        if let index = data.wbsCodes.firstIndex(where: {
            $0.projectID == project.id && $0.costCodeID == costCodeID && $0.lineItemTypeID == typeID && $0.subJobID == subJob
        }) {
            description.apply(to: &data.wbsCodes[index].description)
            data.wbsCodes[index].status = "active"
            data.wbsCodes[index].updatedAt = now
            return (data.wbsCodes[index], false)
        }
        var code = WBSCode(
            id: data.newID(), companyID: project.companyID, projectID: project.id, subJobID: subJob, costCodeID: costCodeID,
            lineItemTypeID: typeID, createdAt: now, updatedAt: now)
        description.apply(to: &code.description)
        data.wbsCodes.append(code)
        return (code, true)
    }

    // MARK: - The line item rule

    /// Resolves a line's budget code from what the request sent (`wbs_code_id` wins), writing the three codes onto
    /// `line`, or records why the line cannot be coded in `reader`.
    static func code(
        _ line: inout LineItem, reader: inout FieldReader, data: inout SandboxData, project: Project, now: Date
    ) {
        if case .some(.some(let id)) = reader.int("wbs_code_id") {
            guard let code = data.wbsCodes.first(where: { $0.id == id }), code.projectID == project.id else {
                reader.errors.add("wbs_code_id", "is not a budget code of this project")
                return
            }
            guard code.status == "active" else {
                reader.errors.add("wbs_code_id", "is an inactive budget code")
                return
            }
            (line.wbsCodeID, line.costCodeID, line.lineItemTypeID) = (code.id, code.costCodeID, code.lineItemTypeID)
            return
        }
        // A cost code or cost type already refused says enough.
        guard !reader.errors.items.contains(where: { ["cost_code_id", "line_item_type_id"].contains($0.0) }) else { return }
        guard let costCodeID = line.costCodeID, let typeID = line.lineItemTypeID else {
            if line.wbsCodeID == nil || reader.has("cost_code_id") || reader.has("line_item_type_id") {
                reader.errors.add("wbs_code_id", "can't be blank: give wbs_code_id, or cost_code_id and line_item_type_id")
                line.wbsCodeID = nil
            }
            return
        }
        let subJob = data.costCodes.first { $0.id == costCodeID }?.subJobID
        if let existing = data.wbsCodes.first(where: {
            $0.projectID == project.id && $0.costCodeID == costCodeID && $0.lineItemTypeID == typeID && $0.subJobID == subJob
        }) {
            line.wbsCodeID = existing.id
        } else if project.budgetCodesRequired == true {
            reader.errors.add("wbs_code_id", "The cost code and cost type do not form a budget code of this project")
        } else {
            // Procore creates the budget code of a non-budgeted combination on projects that allow it.
            let code = WBSCode(
                id: data.newID(), companyID: project.companyID, projectID: project.id, subJobID: subJob, costCodeID: costCodeID,
                lineItemTypeID: typeID, createdAt: now, updatedAt: now)
            data.wbsCodes.append(code)
            line.wbsCodeID = code.id
        }
    }

    // MARK: - JSON

    static func flatCode(_ code: WBSCode, data: SandboxData) -> String {
        let subJob = code.subJobID.flatMap { id in data.subJobs.first { $0.id == id } }
        let costCode = data.costCodes.first { $0.id == code.costCodeID }
        let type = data.lineItemTypes.first { $0.id == code.lineItemTypeID }
        let costPart = costCode.map { CostRoutes.fullCode($0, data: data) } ?? "?"
        return (subJob.map { $0.code + "-" } ?? "") + costPart + "." + (type?.code ?? type?.name ?? "?")
    }

    /// `{id, flat_code, description}` as line items carry it.
    static func reference(_ id: Int64?, data: SandboxData) -> JSON {
        guard let id, let code = data.wbsCodes.first(where: { $0.id == id }) else { return .null }
        return ["id": .int(code.id), "flat_code": .string(flatCode(code, data: data)), "description": .string(description(code, data: data))]
    }

    static func description(_ code: WBSCode, data: SandboxData) -> String {
        if let description = code.description { return description }
        let costCode = data.costCodes.first { $0.id == code.costCodeID }
        let type = data.lineItemTypes.first { $0.id == code.lineItemTypeID }
        return [costCode?.name, type?.name].compactMap { $0 }.joined(separator: " - ")
    }

    static func codeJSON(_ code: WBSCode, data: SandboxData) -> JSON {
        let subJob = code.subJobID.flatMap { id in data.subJobs.first { $0.id == id } }
        let costCode = data.costCodes.first { $0.id == code.costCodeID }
        let type = data.lineItemTypes.first { $0.id == code.lineItemTypeID }
        func item(_ segment: WBSSegment, id: Int64, code: String?, name: String?) -> JSON {
            [
                "id": .int(id), "code": .string(code), "name": .string(name),
                "segment": ["id": .int(segment.rawValue), "name": .string(segment.name), "type": .string(segment.type)],
            ]
        }
        var items: [JSON] = []
        if let subJob { items.append(item(.subJob, id: subJob.id, code: subJob.code, name: subJob.name)) }
        if let costCode { items.append(item(.costCode, id: costCode.id, code: CostRoutes.fullCode(costCode, data: data), name: costCode.name)) }
        if let type { items.append(item(.costType, id: type.id, code: type.code, name: type.name)) }
        let flatName = [subJob?.name, costCode?.name, type?.name].compactMap { $0 }.joined(separator: ".")
        return [
            "id": .int(code.id), "flat_code": .string(flatCode(code, data: data)), "flat_name": .string(flatName),
            "description": .string(description(code, data: data)), "status": .string(code.status), "segment_items": .array(items),
            "wbs_pattern_id": .int(code.companyID), "created_at": .timestamp(code.createdAt), "updated_at": .timestamp(code.updatedAt),
        ]
    }
}

extension WBSCode: Filterable { var filterOriginID: String? { nil } }
