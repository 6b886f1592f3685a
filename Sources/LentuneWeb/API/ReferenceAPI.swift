import Foundation
import LentuneCore
import LentunePersistence
import Vapor

/// `/api/v1/projects`, `/suppliers`, `/cost-codes?project=ID`, `/cost-types`, `/tax-codes`: what the PO and invoice
/// APIs need to name, with Lentune ids, Procore ids, source and active state; keyset-paged (`next_cursor` → `after`).
enum ReferenceAPI {
    static func register(_ api: any RoutesBuilder) {
        api.get("api", "v1", "projects", use: projects)
        api.get("api", "v1", "suppliers", use: suppliers)
        api.get("api", "v1", "cost-codes", use: costCodes)
        api.get("api", "v1", "cost-types", use: costTypes)
        api.get("api", "v1", "tax-codes", use: taxCodes)
    }

    struct Query: Content {
        var per_page: String?
        var after: String?
        var project: String?
    }

    struct Item: Encodable {
        var id: UUID
        var code: String?
        var name: String
        var procore_id: Int64?
        /// "procore" when the record is linked to Procore, else "lentune".
        var source: String
        var active: Bool
        var project_id: UUID?
        var rate: String?
        var procore_mappings: [TaxMappingItem]?
        var procore_links: [LinkItem]?
    }

    /// A supplier's vendor, or a cost type's line item type, in one linked Procore company.
    struct LinkItem: Encodable {
        var company_id: UUID
        var procore_company_id: Int64
        var procore_id: Int64
    }

    /// `procore_id` is the record's id in its one Procore company (null when it is known in none, or in several:
    /// then `procore_links` has each).
    static func linked(_ id: UUID, code: String?, name: String, _ links: [ProcoreCompanyLink.ID: ProcoreID], rows: [ProcoreCompanyLink]) -> Item {
        let items = links.compactMap { row, procoreID in
            rows.first { $0.id == row }.map { LinkItem(company_id: row.rawValue, procore_company_id: $0.procoreCompanyID, procore_id: procoreID) }
        }.sorted { $0.procore_company_id < $1.procore_company_id }
        return Item(
            id: id, code: code, name: name, procore_id: links.count == 1 ? links.first?.value : nil, source: links.isEmpty ? "lentune" : "procore",
            active: true, procore_links: items)
    }

    struct TaxMappingItem: Encodable {
        var company_id: UUID
        var procore_company_id: Int64
        var procore_tax_code_id: Int64
    }

    struct Page: Encodable {
        var data: [Item]
        var next_cursor: String?
    }

    /// The page size and cursor, or the problem document naming the bad parameter.
    static func paging(_ req: Request) -> (limit: Int, after: ReferenceLists.Cursor?, query: Query, problem: Response?) {
        let query = (try? req.query.decode(Query.self)) ?? Query()
        var errors: [String: String] = [:]
        var limit = 50
        if let raw = query.per_page {
            if let value = Int(raw), (1...200).contains(value) { limit = value } else { errors["per_page"] = "per_page must be a whole number from 1 to 200." }
        }
        var after: ReferenceLists.Cursor?
        if let raw = query.after {
            if let cursor = ReferenceLists.Cursor(token: raw) { after = cursor } else { errors["after"] = "after must be a next_cursor of this list." }
        }
        let problem = errors.isEmpty ? nil : APIController.problem(.badRequest, "Some query parameters are not valid.", errors: errors)
        return (limit, after, query, problem)
    }

    static func answer<T>(_ page: ReferenceLists.Page<T>, _ item: (T) -> Item) throws -> Response {
        try APIController.json(Page(data: page.items.map(item), next_cursor: page.next?.token))
    }

    @Sendable static func projects(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let (limit, after, _, problem) = paging(req)
        if let problem { return problem }
        return try answer(try await ReferenceLists.projects(in: viewer.organisationID, after: after, limit: limit, on: req.db)) {
            Item(id: $0.id.rawValue, code: $0.code, name: $0.name, procore_id: $0.procoreProjectID,
                 source: $0.procoreProjectID == nil ? "lentune" : "procore", active: $0.isActive)
        }
    }

    @Sendable static func suppliers(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let (limit, after, _, problem) = paging(req)
        if let problem { return problem }
        let rows = try await ProcoreSettings.companyLinks(for: viewer.organisationID, on: req.db)
        return try answer(try await ReferenceLists.suppliers(in: viewer.organisationID, after: after, limit: limit, on: req.db)) {
            linked($0.id.rawValue, code: nil, name: $0.name, $0.procoreVendors, rows: rows)
        }
    }

    @Sendable static func costCodes(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let (limit, after, query, problem) = paging(req)
        if let problem { return problem }
        guard let raw = query.project, let id = Project.ID(string: raw) else {
            return APIController.problem(.badRequest, "Name the project: cost-codes?project=<project id>.", errors: ["project": "must be a project id"])
        }
        guard let project = try await ReferenceData.project(id, in: viewer.organisationID, on: req.db) else {
            return APIController.problem(.notFound, "There is no such project.")
        }
        return try answer(try await ReferenceLists.costCodes(in: viewer.organisationID, project: project.id, after: after, limit: limit, on: req.db)) {
            Item(id: $0.id.rawValue, code: $0.code, name: $0.name, procore_id: $0.procoreCostCodeID,
                 source: $0.procoreCostCodeID == nil ? "lentune" : "procore", active: project.isActive, project_id: project.id.rawValue)
        }
    }

    @Sendable static func costTypes(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let (limit, after, _, problem) = paging(req)
        if let problem { return problem }
        let rows = try await ProcoreSettings.companyLinks(for: viewer.organisationID, on: req.db)
        return try answer(try await ReferenceLists.costTypes(in: viewer.organisationID, after: after, limit: limit, on: req.db)) {
            linked($0.id.rawValue, code: $0.code, name: $0.name, $0.procoreLineItemTypes, rows: rows)
        }
    }

    @Sendable static func taxCodes(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let (limit, after, _, problem) = paging(req)
        if let problem { return problem }
        var mappings: [(row: ProcoreCompanyLink, mapping: TaxMapping)] = []
        for row in try await ProcoreSettings.companyLinks(for: viewer.organisationID, on: req.db) where row.isLinked {
            mappings.append((row, try await TaxMappings.mapping(of: row, on: req.db)))
        }
        return try answer(try await ReferenceLists.taxCodes(in: viewer.organisationID, after: after, limit: limit, on: req.db)) { code in
            Item(id: code.id.rawValue, code: code.code, name: code.name, procore_id: nil, source: "lentune", active: true,
                 rate: Money.format(code.rate, scale: 4),
                 procore_mappings: mappings.compactMap { entry in
                     guard let id = try? entry.mapping.procoreTaxCode(for: code) else { return nil }
                     return TaxMappingItem(company_id: entry.row.id.rawValue, procore_company_id: entry.row.procoreCompanyID, procore_tax_code_id: id)
                 })
        }
    }
}
