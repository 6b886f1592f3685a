import Foundation
import LentuneCore
import LentunePersistence
import LentuneTestSupport
import LentuneWeb
import Testing
import Vapor
import VaporTesting

/// A configured app on a fresh in-memory SQLite database, with two organisations and users of every role.
struct WebHarness {
    let app: Application
    let orgA: Fixture
    let orgB: Fixture
    static let password = "correct horse battery"

    static func config() throws -> LentuneConfig {
        try LentuneConfig.load(environment: ["LENTUNE_ENV": "testing", "LENTUNE_DATABASE_URL": "sqlite::memory:"])
    }

    /// Runs `body` with an app on a fresh database of `kind`: SQLite in memory, or a PostgreSQL schema of its own (as
    /// `TestDatabase` gives the persistence tests), where concurrent requests really run at once.
    static func with(_ kind: TestDatabase.Kind = .sqlite, _ body: (WebHarness) async throws -> Void) async throws {
        switch kind {
        case .sqlite:
            try await with(config: try config(), body)
        case .postgres:
            try await TestDatabase.withPostgresSchema { location in
                var config = try config()
                config.database = location
                try await with(config: config, body)
            }
        }
    }

    private static func with(config: LentuneConfig, _ body: (WebHarness) async throws -> Void) async throws {
        try await withApp(configure: { app in
            try await configure(app, config: config)
            try await app.autoMigrate()
        }) { app in
            let orgA = try await Fixture.make(name: "Harbour Build Ltd", on: app.db)
            let orgB = try await Fixture.make(name: "Other Builders Ltd", on: app.db)
            let hash = try Bcrypt.hash(password, cost: 4)
            for role in Role.allCases {
                _ = try await Accounts.createUser(
                    organisation: orgA.organisation.id, email: "\(role.rawValue)@a.example", name: "A \(role.title)",
                    role: role, passwordHash: hash, on: app.db)
            }
            _ = try await Accounts.createUser(
                organisation: orgB.organisation.id, email: "administrator@b.example", name: "B Admin",
                role: .administrator, passwordHash: hash, on: app.db)
            try await body(WebHarness(app: app, orgA: orgA, orgB: orgB))
        }
    }

    /// An API token for a user (as `lentune user token` makes one).
    func apiToken(_ email: String) async throws -> String {
        let user = try #require(try await Accounts.user(email: email, on: app.db))
        let token = "lt_test_" + UUID().uuidString
        let hash = SecureTokens.sha256(token)
        try await Accounts.createAPIToken(user: user.domain.id, tokenHash: hash, name: "test", on: app.db)
        return token
    }

    /// A client with a cookie jar, like a browser without JavaScript.
    func client() -> Client { Client(app: app) }

    final class Client: @unchecked Sendable {
        let app: Application
        var cookies: [String: String] = [:]

        init(app: Application) { self.app = app }

        @discardableResult
        func get(_ path: String, accept: String = "text/html") async throws -> TestingHTTPResponse {
            try await send(.GET, path, headers: ["Accept": accept])
        }

        @discardableResult
        func post(_ path: String, form: [String: String]) async throws -> TestingHTTPResponse {
            try await post(path, fields: form.map { ($0.key, $0.value) })
        }

        /// A form post whose fields may repeat a name (`ids[]` for each ticked box).
        @discardableResult
        func post(_ path: String, fields: [(String, String)]) async throws -> TestingHTTPResponse {
            let body = fields.map { key, value in
                "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value)"
            }.joined(separator: "&")
            return try await send(
                .POST, path, headers: ["Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"],
                body: ByteBuffer(string: body))
        }

        func send(_ method: HTTPMethod, _ path: String, headers: HTTPHeaders, body: ByteBuffer? = nil) async throws
            -> TestingHTTPResponse
        {
            var headers = headers
            if !cookies.isEmpty {
                headers.replaceOrAdd(name: .cookie, value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
            }
            let response = try await app.testing().sendRequest(method, path, headers: headers, body: body)
            for header in response.headers[.setCookie] {
                let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1).map(String.init)
                guard pair.count == 2 else { continue }
                if pair[1].isEmpty || header.contains("Max-Age=0") { cookies[pair[0]] = nil } else { cookies[pair[0]] = pair[1] }
            }
            return response
        }

        /// A JSON API call with a bearer token.
        @discardableResult
        func api(_ method: HTTPMethod, _ path: String, token: String, body: String? = nil) async throws -> TestingHTTPResponse {
            var headers: HTTPHeaders = ["Authorization": "Bearer \(token)", "Accept": "application/json"]
            if body != nil { headers.add(name: .contentType, value: "application/json") }
            return try await send(method, path, headers: headers, body: body.map { ByteBuffer(string: $0) })
        }

        /// The CSRF token of the last page that had a form.
        func csrf(from response: TestingHTTPResponse) -> String? {
            let html = response.body.string
            guard let range = html.range(of: #"name="_csrf" value=""#) else { return nil }
            return String(html[range.upperBound...].prefix { $0 != "\"" })
        }

        /// Signs in through the form; returns the response to the POST.
        @discardableResult
        func signIn(_ email: String, password: String = WebHarness.password) async throws -> TestingHTTPResponse {
            let page = try await get("/sign-in")
            return try await post("/sign-in", form: ["email": email, "password": password, "_csrf": csrf(from: page) ?? ""])
        }
    }
}
