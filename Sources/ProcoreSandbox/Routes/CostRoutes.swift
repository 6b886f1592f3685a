import Foundation
import Vapor

/// Cost codes (per project, with divisions and sub jobs), line item types (cost types) and tax codes.
enum CostRoutes {
    static func register(_ api: any RoutesBuilder, store: SandboxStore) {
        registerCostCodes(api, store: store)
        registerLineItemTypes(api, store: store)
        registerTaxCodes(api, store: store)
    }

    // MARK: - Cost codes

    static func registerCostCodes(_ api: any RoutesBuilder, store: SandboxStore) {
        api.api(.GET, "rest/v1.0/cost_codes") { req, ctx in
            let project = try ctx.projectFromQuery()
            var codes = store.read { data in data.costCodes.filter { $0.projectID == project.id && $0.deletedAt == nil } }
            codes = try Lists.standardFilters(codes, ctx.query)
            if let subJob = try ctx.query.int64("sub_job_id") { codes = codes.filter { $0.subJobID == subJob } }
            let data = store.read { $0 }
            let compact = ctx.query["view"] == "erp_compact" || ctx.query["view"] == "compact"
            return Lists.respond(req, codes) { compact ? compactJSON($0, data: data) : costCodeJSON($0, data: data) }
        }
        api.api(.GET, "rest/v1.0/cost_codes/:id") { req, ctx in
            let project = try ctx.projectFromQuery()
            let id = try req.int64Parameter("id")
            let data = store.read { $0 }
            guard let code = data.costCodes.first(where: { $0.id == id && $0.projectID == project.id && $0.deletedAt == nil }) else {
                throw ProcoreError.notFound
            }
            return jsonResponse(costCodeJSON(code, data: data))
        }
        api.api(.POST, "rest/v1.0/cost_codes") { _, ctx in
            let project = try ctx.projectFromBodyOrQuery()
            var fields = try ctx.requireObject("cost_code")
            if let subJob = ctx.body?["sub_job_id"] { fields["sub_job_id"] = subJob }
            let result = try store.write { (data: inout SandboxData) throws(ProcoreError) -> JSON in
                let code = try validated { () throws(Sync.ItemError) in try upsertCostCode(&data, fields, project: project, existing: nil, ctx: ctx) }
                    return costCodeJSON(code, data: data)
            }
            return jsonResponse(result, status: .created)
        }
        api.api(.PATCH, "rest/v1.0/cost_codes/:id") { req, ctx in
            let project = try ctx.projectFromBodyOrQuery()
            let id = try req.int64Parameter("id")
            let fields = try ctx.requireObject("cost_code")
            let result = try store.write { (data: inout SandboxData) throws(ProcoreError) -> JSON in
                guard let index = data.costCodes.firstIndex(where: { $0.id == id && $0.projectID == project.id && $0.deletedAt == nil }) else {
                    throw ProcoreError.notFound
                }
                let code = try validated { () throws(Sync.ItemError) in
                    try upsertCostCode(&data, fields, project: project, existing: index, ctx: ctx)
                }
                return costCodeJSON(code, data: data)
            }
            return jsonResponse(result)
        }
        api.api(.PATCH, "rest/v1.0/cost_codes/sync") { _, ctx in
            let project = try ctx.projectFromBodyOrQuery()
            let items = try Sync.updates(ctx)
            return Sync.run(items, store: store) { (data: inout SandboxData, item: JSON.Object) throws(Sync.ItemError) -> JSON in
                // origin_id is unique per company, so matching looks across the company's projects.
                let scoped = data.costCodes.enumerated().filter { $0.element.companyID == project.companyID && $0.element.deletedAt == nil }
                let target = try Sync.match(item, in: scoped.map(\.element), id: \.id, originID: \.originID)
                switch target {
                case .create: return costCodeJSON(try upsertCostCode(&data, item, project: project, existing: nil, ctx: ctx), data: data)
                case .update(let index):
                    guard scoped[index].element.projectID == project.id else {
                        throw Sync.ItemError("origin_id", "has already been taken in another project")
                    }
                    return costCodeJSON(
                        try upsertCostCode(&data, item, project: project, existing: scoped[index].offset, ctx: ctx), data: data)
                }
            }
        }
    }

    static func upsertCostCode(
        _ data: inout SandboxData, _ fields: JSON.Object, project: Project, existing: Int?, ctx: APIContext
    ) throws(Sync.ItemError) -> CostCode {
        var reader = FieldReader(fields)
        var code =
            existing.map { data.costCodes[$0] }
            ?? CostCode(id: 0, companyID: project.companyID, projectID: project.id, code: "", name: "", createdAt: ctx.now, updatedAt: ctx.now)
        if let value = reader.string("code", maxLength: 50) { code.code = value ?? "" }
        if let value = reader.string("name", maxLength: 255) { code.name = value ?? "" }
        if code.code.isEmpty { reader.errors.add("code", "can't be blank") }
        if code.name.isEmpty { reader.errors.add("name", "can't be blank") }
        if let position = reader.int("position") { code.position = position }
        if let parent = reader.int("parent_id") {
            if let parent, !data.costCodes.contains(where: { $0.id == parent && $0.projectID == project.id }) {
                reader.errors.add("parent_id", "is invalid")
            } else {
                code.parentID = parent
            }
        }
        if case .some(.some(let parentOrigin)) = reader.string("parent_origin_id") {
            if let parent = data.costCodes.first(where: { $0.originID == parentOrigin && $0.projectID == project.id }) {
                code.parentID = parent.id
            } else {
                reader.errors.add("parent_origin_id", "is invalid")
            }
        }
        if let subJob = reader.int("sub_job_id") {
            if let subJob, !data.subJobs.contains(where: { $0.id == subJob && $0.projectID == project.id }) {
                reader.errors.add("sub_job_id", "is invalid")
            } else {
                code.subJobID = subJob
            }
        }
        let origin = reader.string("origin_id")
        if originTaken(origin, in: data.costCodes, company: project.companyID, except: existing.map { data.costCodes[$0].id },
                       companyOf: \.companyID, idOf: \.id, originOf: \.originID) {
            reader.errors.add("origin_id", "has already been taken")
        }
        origin.apply(to: &code.originID)
        reader.string("origin_data").apply(to: &code.originData)
        if data.costCodes.contains(where: {
            $0.projectID == project.id && $0.parentID == code.parentID && $0.subJobID == code.subJobID && $0.code == code.code
                && $0.deletedAt == nil && $0.id != code.id
        }) {
            reader.errors.add("code", "has already been taken")
        }
        try reader.checkItem()
        code.updatedAt = ctx.now
        if let existing {
            data.costCodes[existing] = code
            data.emit(.costCodes, "update", id: code.id, companyID: project.companyID, projectID: project.id, source: ctx.source, now: ctx.now)
        } else {
            code.id = data.newID()
            data.costCodes.append(code)
            data.emit(.costCodes, "create", id: code.id, companyID: project.companyID, projectID: project.id, source: ctx.source, now: ctx.now)
        }
        return code
    }

    static func fullCode(_ code: CostCode, data: SandboxData) -> String {
        var parts = [code.code]
        var parent = code.parentID
        var depth = 0
        while let id = parent, let next = data.costCodes.first(where: { $0.id == id }), depth < 10 {
            parts.insert(next.code, at: 0)
            parent = next.parentID
            depth += 1
        }
        return parts.joined(separator: "-")
    }

    static func compactJSON(_ code: CostCode, data: SandboxData) -> JSON {
        [
            "id": .int(code.id), "name": .string(code.name), "full_code": .string(fullCode(code, data: data)),
            "origin_id": .string(code.originID), "origin_data": .string(code.originData), "standard_cost_code_id": .null,
        ]
    }

    static func costCodeJSON(_ code: CostCode, data: SandboxData) -> JSON {
        let subJob = code.subJobID.flatMap { id in data.subJobs.first { $0.id == id } }
        let project = data.projects.first { $0.id == code.projectID }
        return [
            "id": .int(code.id), "code": .string(code.code), "full_code": .string(fullCode(code, data: data)),
            "name": .string(code.name), "biller": .string(subJob?.name ?? project?.name),
            "biller_id": .int(subJob?.id ?? code.projectID), "biller_type": .string(subJob == nil ? "Project" : "SubJob"),
            "biller_origin_id": .null, "budgeted": false,
            "parent": code.parentID.map { ["id": .int($0)] } ?? .null, "position": .int(code.position),
            "sortable_code": .string(fullCode(code, data: data)), "standard_cost_code_id": .null,
            "standard_cost_code_list_id": .null, "origin_id": .string(code.originID),
            "origin_data": .string(code.originData),
            "line_item_types": .array(data.lineItemTypes.filter { $0.companyID == code.companyID }.map(lineItemTypeJSON)),
            "created_at": .timestamp(code.createdAt), "updated_at": .timestamp(code.updatedAt),
            "deleted_at": .timestamp(code.deletedAt),
        ]
    }

    // MARK: - Line item types

    static let baseTypes = ["equipment", "materials", "commitment", "owner_cost", "professional_services", "other", "labor"]

    static func registerLineItemTypes(_ api: any RoutesBuilder, store: SandboxStore) {
        api.api(.GET, "rest/v1.0/line_item_types") { req, ctx in
            let company = try scopeCompany(ctx)
            var types = store.read { data in data.lineItemTypes.filter { $0.companyID == company } }
            types = try Lists.standardFilters(types, ctx.query)
            return Lists.respond(req, types, render: lineItemTypeJSON)
        }
        lineItemTypes.register(api, store: store)
    }

    static let lineItemTypes = CompanyResource<LineItemType>(
        path: "rest/v1.0/line_item_types", wrapper: "line_item_type", records: \SandboxData.lineItemTypes, resource: .lineItemTypes,
        company: scopeCompany,
        blank: { company, now in LineItemType(id: 0, companyID: company, name: "", baseType: "other", createdAt: now, updatedAt: now) },
        fill: { reader, type in
            if let name = reader.string("name", maxLength: 255) { type.name = name ?? "" }
            if type.name.isEmpty { reader.errors.add("name", "can't be blank") }
            reader.string("csv_import_code", maxLength: 20).apply(to: &type.code)
            if let base = reader.oneOf("base_type", baseTypes) { type.baseType = base ?? "other" }
        },
        render: lineItemTypeJSON)

    /// `company_id` (query or body), or the company of `project_id`.
    static func scopeCompany(_ ctx: APIContext) throws(ProcoreError) -> Int64 {
        if case .int(let id)? = ctx.body?["company_id"] { return try ctx.company(id).id }
        if let id = try ctx.query.int64("company_id") { return try ctx.company(id).id }
        if (try ctx.query.int64("project_id")) != nil { return try ctx.projectFromQuery().companyID }
        throw ProcoreError.field(.badRequest, "company_id", "is missing")
    }

    static func lineItemTypeJSON(_ type: LineItemType) -> JSON {
        [
            "id": .int(type.id), "name": .string(type.name), "code": .string(type.code), "base_type": .string(type.baseType),
            "origin_id": .string(type.originID), "origin_data": .string(type.originData),
        ]
    }

    // MARK: - Tax codes

    static func registerTaxCodes(_ api: any RoutesBuilder, store: SandboxStore) {
        api.api(.GET, "rest/v1.0/tax_codes") { req, ctx in
            let company = try scopeCompany(ctx)
            var codes = store.read { data in data.taxCodes.filter { $0.companyID == company } }
            codes = try Lists.standardFilters(codes, ctx.query)
            return Lists.respond(req, codes, defaultPerPage: 100, maxPerPage: 100, render: taxCodeJSON)
        }
        taxCodes.register(api, store: store)
    }

    static let taxCodes = CompanyResource<TaxCode>(
        path: "rest/v1.0/tax_codes", wrapper: "tax_code", records: \SandboxData.taxCodes, resource: nil,
        company: scopeCompany,
        blank: { company, now in TaxCode(id: 0, companyID: company, code: "", rate1: 0, createdAt: now, updatedAt: now) },
        fill: { reader, code in
            if let value = reader.string("code", maxLength: 50) { code.code = value ?? "" }
            if code.code.isEmpty { reader.errors.add("code", "can't be blank") }
            reader.string("description").apply(to: &code.description)
            if let rate = reader.decimal("rate1") {
                if let rate, rate < 0 || rate > 100 { reader.errors.add("rate1", "must be between 0 and 100") } else { code.rate1 = rate ?? 0 }
            }
            if let archived = reader.bool("archived") { code.archived = archived }
            if let isDefault = reader.bool("default_tax_code") { code.defaultTaxCode = isDefault }
        },
        render: taxCodeJSON)

    static func taxCodeJSON(_ code: TaxCode) -> JSON {
        [
            "id": .int(code.id), "code": .string(code.code), "description": .string(code.description),
            "rate1": .decimal(code.rate1), "archived": .bool(code.archived), "default_tax_code": .bool(code.defaultTaxCode),
            "display_in_budget": false, "origin_id": .string(code.originID), "origin_data": .string(code.originData),
        ]
    }
}
