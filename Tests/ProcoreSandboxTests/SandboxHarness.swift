import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
@testable import ProcoreSandbox
import Testing

/// A sandbox on a free loopback port, with a registered client, and a small HTTP client to talk to it.
struct SandboxHarness {
    let sandbox: RunningSandbox
    /// Redirects are not followed: the OAuth tests read the `Location` themselves.
    static let client = HTTPClient(
        eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
    var http: HTTPClient { Self.client }
    static let clientID = "test-client"
    static let clientSecret = "test-secret"
    static let company: Int64 = Seeds.demoCompanyID

    var base: String { sandbox.baseURL.absoluteString }
    var store: SandboxStore { sandbox.server.store }

    static func with(
        seed: String = "demo", settings: SandboxSettings? = nil, stateFile: URL? = nil,
        _ body: (SandboxHarness) async throws -> Void
    ) async throws {
        let sandbox = try await RunningSandbox.start(
            port: 0, seed: seed, clientID: clientID, clientSecret: clientSecret,
            redirectURIs: ["http://127.0.0.1:9/callback"], stateFile: stateFile, settings: settings)
        do {
            try await body(SandboxHarness(sandbox: sandbox))
        } catch {
            await sandbox.shutdown()
            throw error
        }
        await sandbox.shutdown()
    }

    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var text: String

        var json: JSON { (try? JSON.parse(Data(text.utf8))) ?? .null }
        func header(_ name: String) -> String? { headers.first(name: name) }
        var array: [JSON] { json.arrayValue ?? [] }
    }

    /// A client-credentials access token.
    func token() async throws -> String {
        let reply = try await form("/oauth/token", [
            "grant_type": "client_credentials", "client_id": Self.clientID, "client_secret": Self.clientSecret,
        ])
        guard case .string(let token)? = reply.json["access_token"] else {
            Issue.record("no token: \(reply.text)")
            return ""
        }
        return token
    }

    func form(_ path: String, _ fields: [String: String], headers: [(String, String)] = []) async throws -> Reply {
        let body = fields.map { key, value in
            "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value)"
        }.joined(separator: "&")
        return try await send(.POST, path, body: body, contentType: "application/x-www-form-urlencoded", headers: headers)
    }

    /// An API call with the token and company header (pass `company: nil` to leave the header out).
    func api(
        _ method: HTTPMethod, _ path: String, token: String, company: Int64? = SandboxHarness.company, json: JSON? = nil,
        rawBody: String? = nil
    ) async throws -> Reply {
        var headers = [("Authorization", "Bearer \(token)")]
        if let company { headers.append(("Procore-Company-Id", String(company))) }
        return try await send(method, path, body: rawBody ?? json?.render(), contentType: "application/json", headers: headers)
    }

    func send(
        _ method: HTTPMethod, _ path: String, body: String? = nil, contentType: String = "application/json",
        headers: [(String, String)] = []
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: path.hasPrefix("http") ? path : base + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await http.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 50 * 1024 * 1024)
        return Reply(status: Int(response.status.code), headers: response.headers, text: String(buffer: bytes))
    }

    func admin(_ method: HTTPMethod, _ path: String, _ body: String? = nil) async throws -> Reply {
        try await send(method, "/_sandbox" + path, body: body)
    }

    // MARK: - Seed lookups

    var projects: [Project] { store.read { data in data.projects.filter { $0.companyID == Self.company } } }
    var vendors: [Vendor] { store.read { $0.vendors } }
    var firstProject: Project { projects[0] }

    func costCode(in project: Project) -> CostCode {
        store.read { data in data.costCodes.first { $0.projectID == project.id && $0.parentID != nil }! }
    }

    /// The first cost type of the seeded company (Labour).
    var costType: LineItemType { store.read { $0.lineItemTypes.first { $0.companyID == Self.company }! } }

    /// The budget code of `costCode(in:)` × `costType`, as the demo seed makes it.
    func budgetCode(in project: Project) -> WBSCode {
        let (code, type) = (costCode(in: project).id, costType.id)
        return store.read { data in data.wbsCodes.first { $0.projectID == project.id && $0.costCodeID == code && $0.lineItemTypeID == type }! }
    }
}

extension JSON {
    var int: Int64? { if case .int(let i) = self { i } else { nil } }
    var string: String? { if case .string(let s) = self { s } else { nil } }
}
