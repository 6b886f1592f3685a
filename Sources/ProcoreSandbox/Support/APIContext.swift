import Foundation
import Vapor

/// What an authenticated API request carries: its token, the company header, the query and the JSON body.
struct APIContext: Sendable {
    let token: OAuthToken
    let client: OAuthClient
    let headerCompanyID: Int64?
    let query: Query
    let body: JSON?
    let store: SandboxStore
    let now: Date

    var userID: Int64 { token.userID }

    /// `Procore-Company-Id`, required on every call but `/me` and `/companies` (for every kind of token).
    func requireCompanyHeader() throws(ProcoreError) -> Int64 {
        guard let id = headerCompanyID else { throw ProcoreError.message(.badRequest, "Missing Procore-Company-Id header!") }
        try checkAccess(company: id)
        return id
    }

    /// The company a request is about (from its path or `company_id`), which must be one the token can reach and the
    /// one named in the header.
    func company(_ id: Int64) throws(ProcoreError) -> Company {
        let header = try requireCompanyHeader()
        guard header == id else { throw ProcoreError.notFound }
        guard let company = store.read({ $0.company(id) }) else { throw ProcoreError.notFound }
        return company
    }

    func checkAccess(company id: Int64) throws(ProcoreError) {
        guard store.read({ $0.company(id) }) != nil else { throw ProcoreError.notFound }
        guard client.companyIDs.contains(id) else {
            throw ProcoreError.message(.forbidden, "App is not connected to this company")
        }
    }

    /// A project of the header's company, or 404.
    func project(_ id: Int64) throws(ProcoreError) -> Project {
        let company = try requireCompanyHeader()
        guard let project = store.read({ $0.project(id, company: company) }) else { throw ProcoreError.notFound }
        return project
    }

    func projectFromQuery(_ key: String = "project_id") throws(ProcoreError) -> Project {
        try project(try query.requireInt64(key))
    }

    func projectFromBodyOrQuery() throws(ProcoreError) -> Project {
        if let id = body?["project_id"] {
            guard case .int(let value) = id else { throw ProcoreError.field(.badRequest, "project_id", "is not a valid integer") }
            return try project(value)
        }
        return try projectFromQuery()
    }

    func requireBody() throws(ProcoreError) -> JSON.Object {
        guard let object = body?.objectValue else {
            throw ProcoreError.message(.badRequest, "The request body must be a JSON object")
        }
        return object
    }

    /// `body[key]` as an object (e.g. `purchase_order_contract`), or 400.
    func requireObject(_ key: String) throws(ProcoreError) -> JSON.Object {
        let body = try requireBody()
        guard let object = body[key]?.objectValue else { throw ProcoreError.field(.badRequest, key, "is missing") }
        return object
    }

    /// Who made a change, for webhook metadata and `created_by`.
    var source: EventSource { EventSource(clientID: client.clientID, userID: token.userID) }
}

struct EventSource: Sendable {
    var clientID: String
    var userID: Int64
}

extension Request {
    private struct ContextKey: StorageKey { typealias Value = APIContext }

    var apiContext: APIContext? {
        get { storage[ContextKey.self] }
        set { storage[ContextKey.self] = newValue }
    }

    func context() throws -> APIContext {
        guard let context = apiContext else { throw ProcoreError.invalidToken }
        return context
    }

    /// The address this request came in on, for `Link` headers.
    var baseURL: String {
        let host = headers.first(name: .host) ?? "127.0.0.1"
        return "http://\(host)"
    }
}

func jsonResponse(_ value: JSON, status: HTTPResponseStatus = .ok, headers extra: [(String, String)] = []) -> Response {
    var headers = HTTPHeaders()
    headers.replaceOrAdd(name: .contentType, value: "application/json; charset=utf-8")
    for (name, value) in extra { headers.replaceOrAdd(name: name, value: value) }
    return Response(status: status, headers: headers, body: .init(string: value.render()))
}
