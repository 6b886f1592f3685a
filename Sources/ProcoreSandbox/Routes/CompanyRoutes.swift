import Foundation
import Vapor

/// `/me`, companies, projects, project stages and units of measure.
///
/// Show User Info (`/me`) and List Companies need no `Procore-Company-Id`, for every kind of token (Procore: "There are
/// two endpoints that do not require the Procore-Company-Id field"); when the header is sent it must be a company the
/// token can reach.
enum CompanyRoutes {
    static func register(_ api: any RoutesBuilder, store: SandboxStore) {
        api.api(.GET, "rest/v1.0/me") { _, ctx in
            if let company = ctx.headerCompanyID { try ctx.checkAccess(company: company) }
            guard let user = store.read({ data in data.users.first { $0.id == ctx.userID } }) else { throw ProcoreError.notFound }
            return jsonResponse(["id": .int(user.id), "login": .string(user.login), "name": .string(user.name)])
        }

        api.api(.GET, "rest/v1.0/companies") { req, ctx in
            if let company = ctx.headerCompanyID { try ctx.checkAccess(company: company) }
            let companies = store.read { data in data.companies.filter { ctx.client.companyIDs.contains($0.id) } }
            return Lists.respond(req, companies, maxPerPage: 1000) { company in
                [
                    "id": .int(company.id), "name": .string(company.name), "is_active": .bool(company.isActive),
                    "logo_url": .null, "pcn_business_experience": false, "my_company": true,
                ]
            }
        }

        // Projects (v1.1 is the preferred list; v1.0 kept for older clients).
        for version in ["v1.0", "v1.1"] {
            api.api(.GET, "rest/\(version)/projects") { req, ctx in
                let company = try ctx.company(try ctx.query.requireInt64("company_id"))
                return try listProjects(req, ctx, company: company.id, maxPerPage: version == "v1.1" ? 300 : 1000)
            }
        }
        api.api(.GET, "rest/v1.0/companies/:company_id/projects") { req, ctx in
            let company = try ctx.company(try req.int64Parameter("company_id"))
            return try listProjects(req, ctx, company: company.id, maxPerPage: 1000, render: companyProjectJSON)
        }
        api.api(.GET, "rest/v1.0/projects/:project_id") { req, ctx in
            let project = try ctx.project(try req.int64Parameter("project_id"))
            return jsonResponse(store.read { projectJSON(project, data: $0) })
        }
        api.api(.PATCH, "rest/v1.0/projects/:project_id") { req, ctx in
            let id = try req.int64Parameter("project_id")
            _ = try ctx.project(id)
            let fields = try ctx.requireObject("project")
            let project = try store.write { (data: inout SandboxData) throws(ProcoreError) -> Project in
                guard let index = data.projects.firstIndex(where: { $0.id == id }) else { throw ProcoreError.notFound }
                var reader = FieldReader(fields)
                var project = data.projects[index]
                if let name = reader.string("name", maxLength: 255) { project.name = name ?? project.name }
                reader.string("project_number").apply(to: &project.projectNumber)
                if let stage = reader.int("project_stage_id") {
                    if let stage, !data.stages.contains(where: { $0.id == stage && $0.companyID == project.companyID }) {
                        reader.errors.add("project_stage_id", "is invalid")
                    } else {
                        project.stageID = stage
                    }
                }
                if let active = reader.bool("active") { project.active = active }
                reader.string("address", maxLength: 255).apply(to: &project.address)
                reader.string("city", maxLength: 255).apply(to: &project.city)
                reader.string("country_code", maxLength: 2).apply(to: &project.countryCode)
                reader.string("time_zone", maxLength: 255).apply(to: &project.timeZone)
                reader.string("origin_id").apply(to: &project.originID)
                reader.string("origin_data").apply(to: &project.originData)
                reader.string("origin_code").apply(to: &project.originCode)
                var attributes = project.attributes ?? [:]
                for (field, kind) in writableAttributes {
                    let value: String??
                    switch kind {
                    case .text: value = reader.string(field, maxLength: 255)
                    case .date: value = reader.date(field)
                    case .number: value = reader.decimal(field).map { $0.map { ProcoreFormat.money($0) } }
                    }
                    if let value { attributes[field] = value }
                }
                project.attributes = attributes
                // What Procore does not accept is refused, never dropped silently.
                let known = Set(["name", "project_number", "project_stage_id", "active", "address", "city", "country_code", "time_zone",
                                 "origin_id", "origin_data", "origin_code"] + writableAttributes.map(\.0))
                for key in fields.keys.sorted() where !known.contains(key) {
                    reader.errors.add(key, "is not a writable project attribute")
                }
                try reader.errors.check()
                project.updatedAt = ctx.now
                data.projects[index] = project
                data.emit(.projects, "update", id: id, companyID: project.companyID, projectID: id, source: ctx.source, now: ctx.now)
                return project
            }
            return jsonResponse(store.read { projectJSON(project, data: $0) })
        }

        // Project stages.
        api.api(.GET, "rest/v1.0/companies/:company_id/project_stages") { req, ctx in
            let company = try ctx.company(try req.int64Parameter("company_id"))
            let stages = store.read { data in data.stages.filter { $0.companyID == company.id } }
            return Lists.respond(req, stages, render: stageJSON)
        }
        api.api(.GET, "rest/v1.0/companies/:company_id/project_stages/:id") { req, ctx in
            let company = try ctx.company(try req.int64Parameter("company_id"))
            let id = try req.int64Parameter("id")
            guard let stage = store.read({ data in data.stages.first { $0.id == id && $0.companyID == company.id } }) else {
                throw ProcoreError.notFound
            }
            return jsonResponse(stageJSON(stage))
        }
        api.api(.POST, "rest/v1.0/companies/:company_id/project_stages") { req, ctx in
            let company = try ctx.company(try req.int64Parameter("company_id"))
            var reader = FieldReader(try ctx.requireObject("project_stage"))
            let name = reader.string("name", maxLength: 255)
            let category = reader.oneOf("category", stageCategories)
            let bidding = reader.bool("is_bidding_stage") ?? false
            reader.require("name", present: (name ?? nil)?.isEmpty == false)
            try reader.errors.check()
            let stage = try store.write { (data: inout SandboxData) throws(ProcoreError) -> ProjectStage in
                guard !data.stages.contains(where: { $0.companyID == company.id && $0.name == name!! }) else {
                    throw ProcoreError.field(.unprocessableEntity, "name", "has already been taken")
                }
                let stage = ProjectStage(
                    id: data.newID(), companyID: company.id, name: name!!, category: (category ?? nil) ?? "course_of_construction",
                    isBiddingStage: bidding)
                data.stages.append(stage)
                data.emit(.projectStages, "create", id: stage.id, companyID: company.id, projectID: nil, source: ctx.source, now: ctx.now)
                return stage
            }
            return jsonResponse(stageJSON(stage), status: .created)
        }
        api.api(.PATCH, "rest/v1.0/companies/:company_id/project_stages/:id") { req, ctx in
            let company = try ctx.company(try req.int64Parameter("company_id"))
            let id = try req.int64Parameter("id")
            let fields = try ctx.requireObject("project_stage")
            let stage = try store.write { (data: inout SandboxData) throws(ProcoreError) -> ProjectStage in
                guard let index = data.stages.firstIndex(where: { $0.id == id && $0.companyID == company.id }) else {
                    throw ProcoreError.notFound
                }
                var reader = FieldReader(fields)
                var stage = data.stages[index]
                if let name = reader.string("name", maxLength: 255) {
                    if let name, !name.isEmpty {
                        if data.stages.contains(where: { $0.companyID == company.id && $0.name == name && $0.id != id }) {
                            reader.errors.add("name", "has already been taken")
                        }
                        stage.name = name
                    } else {
                        reader.errors.add("name", "can't be blank")
                    }
                }
                if let category = reader.oneOf("category", stageCategories), let category { stage.category = category }
                if let bidding = reader.bool("is_bidding_stage") { stage.isBiddingStage = bidding }
                for key in fields.keys where !["name", "category", "is_bidding_stage"].contains(key) {
                    reader.errors.add(key, "is not a writable project stage attribute")
                }
                try reader.errors.check()
                data.stages[index] = stage
                data.emit(.projectStages, "update", id: stage.id, companyID: company.id, projectID: nil, source: ctx.source, now: ctx.now)
                return stage
            }
            return jsonResponse(stageJSON(stage))
        }
        api.api(.DELETE, "rest/v1.0/companies/:company_id/project_stages/:id") { req, ctx in
            let company = try ctx.company(try req.int64Parameter("company_id"))
            let id = try req.int64Parameter("id")
            try store.write { (data: inout SandboxData) throws(ProcoreError) in
                guard let index = data.stages.firstIndex(where: { $0.id == id && $0.companyID == company.id }) else {
                    throw ProcoreError.notFound
                }
                guard !data.projects.contains(where: { $0.stageID == id }) else {
                    throw ProcoreError.field(.unprocessableEntity, "base", "A stage used by projects cannot be deleted")
                }
                data.stages.remove(at: index)
                data.emit(.projectStages, "delete", id: id, companyID: company.id, projectID: nil, source: ctx.source, now: ctx.now)
            }
            return Response(status: .noContent)
        }

        // Units of measure.
        api.api(.GET, "rest/v1.0/companies/:company_id/uoms") { req, ctx in
            let company = try ctx.company(try req.int64Parameter("company_id"))
            let uoms = store.read { data in data.uoms.filter { $0.companyID == company.id } }
            return Lists.respond(req, uoms, render: uomJSON)
        }
        api.api(.GET, "rest/v1.0/companies/:company_id/uoms/:id") { req, ctx in
            let company = try ctx.company(try req.int64Parameter("company_id"))
            let id = try req.int64Parameter("id")
            guard let uom = store.read({ data in data.uoms.first { $0.id == id && $0.companyID == company.id } }) else {
                throw ProcoreError.notFound
            }
            return jsonResponse(uomJSON(uom))
        }
        api.api(.POST, "rest/v1.0/companies/:company_id/uoms") { req, ctx in
            let company = try ctx.company(try req.int64Parameter("company_id"))
            var reader = FieldReader(try ctx.requireObject("uom"))
            let name = reader.string("name", maxLength: 50)
            let description = reader.string("description")
            reader.require("name", present: (name ?? nil)?.isEmpty == false)
            try reader.errors.check()
            let uom = try store.write { (data: inout SandboxData) throws(ProcoreError) -> UnitOfMeasure in
                guard !data.uoms.contains(where: { $0.companyID == company.id && $0.name == name!! }) else {
                    throw ProcoreError.field(.unprocessableEntity, "name", "has already been taken")
                }
                let uom = UnitOfMeasure(
                    id: data.newID(), companyID: company.id, name: name!!, description: description ?? nil, isStandard: false,
                    category: "Other")
                data.uoms.append(uom)
                return uom
            }
            return jsonResponse(uomJSON(uom), status: .created)
        }
    }

    enum AttributeKind { case text, date, number }

    /// Project attributes Procore accepts on update beyond the ones with their own fields (reference §6.1).
    static let writableAttributes: [(String, AttributeKind)] = [
        ("display_name", .text), ("state_code", .text), ("zip", .text), ("county", .text), ("phone", .text), ("fax", .text),
        ("description", .text), ("square_feet", .number), ("latitude", .number), ("longitude", .number),
        ("start_date", .date), ("completion_date", .date), ("total_value", .number), ("accounting_project_number", .text),
        ("store_number", .text), ("designated_market_area", .text), ("public_notes", .text), ("estimated_value", .number),
    ]

    static let stageCategories = [
        "pre_construction", "course_of_construction", "post_construction", "completed", "not_awarded", "canceled",
    ]

    static func listProjects(
        _ req: Request, _ ctx: APIContext, company: Int64, maxPerPage: Int,
        render: (Project, SandboxData) -> JSON = projectJSON
    ) throws -> Response {
        let query = ctx.query
        var projects = ctx.store.read { data in data.projects.filter { $0.companyID == company } }
        projects = try Lists.standardFilters(projects, query)
        switch query["filters[by_status]"] ?? "Active" {
        case "Active": projects = projects.filter(\.active)
        case "Inactive": projects = projects.filter { !$0.active }
        case "All": break
        default: throw ProcoreError.field(.badRequest, "filters[by_status]", "must be Active, Inactive or All")
        }
        if let number = query["filters[project_number]"] { projects = projects.filter { $0.projectNumber == number } }
        if let name = query["filters[name]"] { projects = projects.filter { $0.name.localizedCaseInsensitiveContains(name) } }
        let stageFilter = query.all("filters[by_stage]").compactMap { Int64($0) }
        if !stageFilter.isEmpty { projects = projects.filter { $0.stageID.map(stageFilter.contains) ?? false } }
        let data = ctx.store.read { $0 }
        return Lists.respond(req, projects, maxPerPage: maxPerPage) { render($0, data) }
    }

    /// `GET /rest/v1.0/companies/{id}/projects`: Procore's own compact shape for a company's projects, unlike the
    /// project lists (stage and status by name, an address object, the creator and open items).
    static func companyProjectJSON(_ project: Project, data: SandboxData) -> JSON {
        let stage = data.stages.first { $0.id == project.stageID }
        let attributes = project.attributes ?? [:]
        let creator = data.users.first
        return [
            "id": .int(project.id), "name": .string(project.name), "project_number": .string(project.projectNumber),
            "stage_name": .string(stage?.name), "status_name": .string(project.active ? "Active" : "Inactive"),
            "type_name": .null, "active": .bool(project.active), "phone": .string(attributes["phone"]),
            "address": [
                "street": .string(project.address), "city": .string(project.city), "state_code": .string(attributes["state_code"]),
                "country_code": .string(project.countryCode), "zip": .string(attributes["zip"]),
            ],
            "created_by": creator.map { ["id": .int($0.id), "name": .string($0.name), "login": .string($0.login)] } ?? .null,
            "open_items": .int(Int64(data.purchaseOrders.filter { $0.projectID == project.id && $0.deletedAt == nil && $0.status != "Closed" }.count)),
            "origin_id": .string(project.originID), "origin_code": .string(project.originCode),
            "created_at": .timestamp(project.createdAt), "updated_at": .timestamp(project.updatedAt),
        ]
    }

    static func projectJSON(_ project: Project, data: SandboxData) -> JSON {
        let company = data.company(project.companyID)
        let stage = data.stages.first { $0.id == project.stageID }
        var object: JSON.Object = [
            "id": .int(project.id), "name": .string(project.name), "display_name": .string(
                [project.projectNumber, project.name].compactMap { $0 }.joined(separator: " - ")),
            "project_number": .string(project.projectNumber), "address": .string(project.address),
            "city": .string(project.city), "state_code": .string(project.attributes?["state_code"]),
            "country_code": .string(project.countryCode), "zip": .string(project.attributes?["zip"]),
            "time_zone": .string(project.timeZone), "active": .bool(project.active), "is_demo": false,
            "stage": .string(stage?.name),
            "project_stage": stage.map { ["id": .int($0.id), "name": .string($0.name)] } ?? .null,
            "company": ["id": .int(project.companyID), "name": .string(company?.name)],
            "origin_id": .string(project.originID), "origin_data": .string(project.originData),
            "origin_code": .string(project.originCode), "created_at": .timestamp(project.createdAt),
            "updated_at": .timestamp(project.updatedAt),
        ]
        // The other attributes a PATCH stored, as Procore echoes them (only those set: `fax`, for one, is not a
        // field of the project list Procore describes).
        for (field, _) in writableAttributes where object[field] == nil {
            if let value = project.attributes?[field] { object[field] = .string(value) }
        }
        return .object(object)
    }

    static func stageJSON(_ stage: ProjectStage) -> JSON {
        [
            "id": .int(stage.id), "name": .string(stage.name), "is_bidding_stage": .bool(stage.isBiddingStage),
            "category": .string(stage.category), "readonly": false,
        ]
    }

    static func uomJSON(_ uom: UnitOfMeasure) -> JSON {
        [
            "id": .int(uom.id), "name": .string(uom.name), "description": .string(uom.description),
            "is_standard": .bool(uom.isStandard), "uom_category": ["id": .int(uom.id % 1000), "name": .string(uom.category)],
        ]
    }
}
