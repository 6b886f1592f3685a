import Foundation
import Vapor

/// Anything with Procore's standard list filters.
protocol Filterable {
    var id: Int64 { get }
    var filterOriginID: String? { get }
    var createdAt: Date { get }
    var updatedAt: Date { get }
}

enum Lists {
    /// Applies `filters[id][]`, `filters[origin_id]`, `filters[created_at]` and `filters[updated_at]`.
    static func standardFilters<R: Filterable>(_ records: [R], _ query: Query) throws(ProcoreError) -> [R] {
        var result = records
        let ids = query.all("filters[id]").flatMap { $0.split(separator: ",") }.compactMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
        if !query.all("filters[id]").isEmpty {
            let wanted = Set(ids)
            result = result.filter { wanted.contains($0.id) }
        }
        if let origin = query["filters[origin_id]"] {
            result = result.filter { $0.filterOriginID == origin }
        }
        if let raw = query["filters[updated_at]"] {
            let range = try TimeRange.parse(raw, field: "filters[updated_at]")
            result = result.filter { range.contains($0.updatedAt) }
        }
        if let raw = query["filters[created_at]"] {
            let range = try TimeRange.parse(raw, field: "filters[created_at]")
            result = result.filter { range.contains($0.createdAt) }
        }
        return result
    }

    /// Pages `records` (ascending id unless already sorted) and renders them with `Total`, `Per-Page` and `Link`.
    static func respond<R>(
        _ req: Request, _ records: [R], defaultPerPage: Int = 100, maxPerPage: Int = 1000, render: (R) -> JSON
    ) -> Response {
        let query = Query(uri: req.url)
        let page = Page(records, query: query, defaultPerPage: defaultPerPage, maxPerPage: maxPerPage)
        return jsonResponse(.array(page.items.map(render)), headers: page.headers(for: req.url, baseURL: req.baseURL))
    }
}

/// The sync ("batch upsert") actions: ≤ 1000 items, always 200 for a well-formed batch, per-item errors in `errors`.
enum Sync {
    static let maximum = 1000

    enum Target {
        case create
        case update(Int)
    }

    struct ItemError: Error {
        var errors: FieldErrors
        init(_ errors: FieldErrors) { self.errors = errors }
        init(_ field: String, _ message: String) {
            var errors = FieldErrors()
            errors.add(field, message)
            self.errors = errors
        }
    }

    static func updates(_ ctx: APIContext) throws(ProcoreError) -> [JSON.Object] {
        let body = try ctx.requireBody()
        guard let raw = body["updates"] else { throw ProcoreError.field(.badRequest, "updates", "is missing") }
        guard let list = raw.arrayValue else { throw ProcoreError.field(.badRequest, "updates", "must be an array") }
        guard list.count <= maximum else {
            throw ProcoreError.message(.payloadTooLarge, "A sync request may contain at most \(maximum) items; this one has \(list.count).")
        }
        return try list.map { item throws(ProcoreError) in
            guard let object = item.objectValue else {
                throw ProcoreError.field(.badRequest, "updates", "must contain only objects")
            }
            return object
        }
    }

    /// The matching table: `id` must exist (error otherwise); else `origin_id` upserts; else create.
    static func match<R>(
        _ item: JSON.Object, in records: [R], id: (R) -> Int64, originID: (R) -> String?
    ) throws(ItemError) -> Target {
        if let rawID = item["id"], rawID != .null {
            guard case .int(let wanted) = rawID else { throw ItemError("id", "must be an integer") }
            guard let index = records.firstIndex(where: { id($0) == wanted }) else {
                throw ItemError("id", "Entity with this ID not found")
            }
            return .update(index)
        }
        if case .string(let origin)? = item["origin_id"], let index = records.firstIndex(where: { originID($0) == origin }) {
            return .update(index)
        }
        return .create
    }

    /// Runs each item on its own: one bad item does not stop the batch.
    static func run(
        _ items: [JSON.Object], store: SandboxStore,
        _ apply: (inout SandboxData, JSON.Object) throws(ItemError) -> JSON
    ) -> Response {
        var entities: [JSON] = []
        var errors: [JSON] = []
        for item in items {
            do throws(ItemError) {
                let entity = try store.write { (data: inout SandboxData) throws(ItemError) -> JSON in try apply(&data, item) }
                entities.append(entity)
            } catch {
                var echoed = item
                echoed["errors"] = error.errors.json
                errors.append(.object(echoed))
            }
        }
        return jsonResponse(["entities": .array(entities), "errors": .array(errors)])
    }
}

extension FieldReader {
    /// Converts collected errors into a sync item error.
    func checkItem() throws(Sync.ItemError) {
        guard errors.isEmpty else { throw Sync.ItemError(errors) }
    }
}

/// `origin_id` is unique per object type within a company.
func originTaken<R>(_ origin: String??, in records: [R], company: Int64, except id: Int64?, companyOf: (R) -> Int64,
                    idOf: (R) -> Int64, originOf: (R) -> String?) -> Bool {
    guard case .some(.some(let value)) = origin else { return false }
    return records.contains { companyOf($0) == company && originOf($0) == value && idOf($0) != id }
}

extension Project: Filterable { var filterOriginID: String? { originID } }
extension Vendor: Filterable { var filterOriginID: String? { originID } }
extension CostCode: Filterable { var filterOriginID: String? { originID } }
extension LineItemType: Filterable { var filterOriginID: String? { originID } }
extension TaxCode: Filterable { var filterOriginID: String? { originID } }
extension PurchaseOrderContract: Filterable { var filterOriginID: String? { originID } }
extension LineItem: Filterable { var filterOriginID: String? { originID } }
extension DirectCost: Filterable { var filterOriginID: String? { originID } }
extension Requisition: Filterable { var filterOriginID: String? { originID } }
extension BillingPeriod: Filterable { var filterOriginID: String? { nil } }

extension RoutesBuilder {
    /// Registers an API route whose handler gets the authenticated context.
    @discardableResult
    func api(
        _ method: HTTPMethod, _ path: String, _ handler: @escaping @Sendable (Request, APIContext) async throws -> Response
    ) -> Route {
        let components = path.split(separator: "/").map { PathComponent(stringLiteral: String($0)) }
        return on(method, components, body: .collect(maxSize: "20mb")) { req async throws -> Response in
            try await handler(req, try req.context())
        }
    }
}

extension Request {
    func int64Parameter(_ name: String) throws(ProcoreError) -> Int64 {
        guard let raw = parameters.get(name), let value = Int64(raw) else { throw ProcoreError.notFound }
        return value
    }
}

/// Runs an upsert for a single-record endpoint, turning field errors into a 422.
func validated<T>(_ body: () throws(Sync.ItemError) -> T) throws(ProcoreError) -> T {
    do {
        return try body()
    } catch {
        throw ProcoreError.fields(.unprocessableEntity, error.errors.items)
    }
}
