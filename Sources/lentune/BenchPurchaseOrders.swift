import AsyncHTTPClient
import ArgumentParser
import FluentKit
import FluentSQL
import Foundation
import LentuneCore
import LentunePersistence
import LentuneWeb
import NIOCore
import NIOHTTP1
import Vapor

/// Seeds an organisation with many POs, serves Lentune on a free port, and drives the PO list page and the JSON list
/// with concurrent connections, reporting latency percentiles.
struct PurchaseOrderListBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "po-list",
        abstract: "Latency of the PO list (page and JSON) with many POs under concurrent load.",
        discussion: """
            Uses a fresh SQLite file unless --database-url names a PostgreSQL database (which is emptied first).
            Build with -c release for meaningful figures.

            Examples:
              lentune bench po-list --count 100000 --connections 32 --requests 3000
              lentune bench po-list --database-url postgres://postgres@127.0.0.1:5432/bench --count 100000
            """)

    @ArgumentParser.Option(help: "POs to seed.") var count = 100_000
    @ArgumentParser.Option(help: "Concurrent connections.") var connections = 32
    @ArgumentParser.Option(help: "Requests per scenario.") var requests = 3000
    @ArgumentParser.Option(help: "PostgreSQL URL (default: a temporary SQLite file).") var databaseURL: String?
    @ArgumentParser.Flag(help: "After seeding, print the URL, cookie and token and serve until Ctrl-C (to drive with wrk).") var hold = false

    func run() async throws {
        _ = bootstrapLogging
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lentune-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = databaseURL ?? "sqlite://\(directory.appendingPathComponent("bench.sqlite").path)"
        let config = try LentuneConfig.load(environment: [
            "LENTUNE_DATABASE_URL": url, "LENTUNE_ENV": "testing", "PORT": "0", "LOG_LEVEL": "error",
        ])

        let app = try await Application.make(Environment(name: "production", arguments: ["lentune"]))
        try await configure(app, config: config)
        app.logger.logLevel = .error
        if config.database.isPostgres { try await app.autoRevert() }
        try await app.autoMigrate()
        let seeded = ContinuousClock.now
        let (email, password) = try await seed(app)
        printNow("seeded \(count) POs in \(seconds(ContinuousClock.now - seeded)) s on \(config.database)")
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        let base = "http://127.0.0.1:\(app.http.server.shared.localAddress!.port!)"

        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
            redirectConfiguration: .disallow, connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)))
        do {
            let cookie = try await signIn(client, base: base, email: email, password: password)
            let token = try await apiToken(app, email: email)
            if hold {
                printNow("serving \(base)\ncookie: \(cookie)\ntoken: \(token)")
                await LentuneServer.waitForTermination()
                try await client.shutdown()
                await app.server.shutdown()
                try await app.asyncShutdown()
                return
            }
            let scenarios: [(String, String, [(String, String)])] = [
                ("list page (HTML, page 1)", "/purchase-orders", [("Cookie", cookie)]),
                ("list page filtered (status=approved)", "/purchase-orders?status=approved", [("Cookie", cookie)]),
                ("JSON list (page 1, 50)", "/api/v1/purchase-orders", [("Authorization", "Bearer \(token)")]),
                ("JSON list searched (q=PO-0999)", "/api/v1/purchase-orders?q=PO-0999", [("Authorization", "Bearer \(token)")]),
            ]
            printNow("lentune bench po-list: \(count) POs, \(connections) connections, \(requests) requests per scenario, \(config.database)")
            for (name, path, headers) in scenarios {
                let result = try await load(client, url: base + path, headers: headers)
                printNow(String(
                    format: "  %-40@ p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms  %7.0f req/s  (%d errors)", name as NSString,
                    result.p50, result.p99, result.max, result.rate, result.errors))
            }
        } catch {
            try? await client.shutdown()
            await app.server.shutdown()
            try? await app.asyncShutdown()
            throw error
        }
        try await client.shutdown()
        await app.server.shutdown()
        try await app.asyncShutdown()
    }

    struct Result {
        var p50: Double
        var p99: Double
        var max: Double
        var rate: Double
        var errors: Int
    }

    /// `requests` GETs spread over `connections` concurrent workers; latencies in milliseconds.
    func load(_ client: HTTPClient, url: String, headers: [(String, String)]) async throws -> Result {
        let perWorker = requests / connections
        let started = ContinuousClock.now
        let samples = try await withThrowingTaskGroup(of: ([Double], Int).self) { group in
            for _ in 0..<connections {
                group.addTask {
                    var latencies: [Double] = []
                    var errors = 0
                    for _ in 0..<perWorker {
                        var request = HTTPClientRequest(url: url)
                        for (name, value) in headers { request.headers.add(name: name, value: value) }
                        let start = ContinuousClock.now
                        let response = try await client.execute(request, timeout: .seconds(30))
                        _ = try await response.body.collect(upTo: 8 * 1024 * 1024)
                        latencies.append(seconds(ContinuousClock.now - start) * 1000)
                        if response.status != .ok { errors += 1 }
                    }
                    return (latencies, errors)
                }
            }
            var all: [Double] = []
            var errors = 0
            for try await (latencies, failed) in group {
                all += latencies
                errors += failed
            }
            return (all.sorted(), errors)
        }
        let elapsed = seconds(ContinuousClock.now - started)
        let sorted = samples.0
        return Result(p50: sorted.percentile(0.5), p99: sorted.percentile(0.99), max: sorted.last ?? 0, rate: Double(sorted.count) / elapsed, errors: samples.1)
    }

    /// One organisation, an administrator, 20 projects and suppliers, and `count` POs with one line each, inserted
    /// in batches of plain SQL (the bench measures reading, not writing).
    func seed(_ app: Application) async throws -> (String, String) {
        let db = app.db
        let organisation = try await Accounts.organisation(named: "Bench Construction Ltd", on: db).domain
        let email = "bench@lentune.test"
        let password = "bench-password"
        let hash = try Bcrypt.hash(password, cost: 4)
        if try await Accounts.user(email: email, on: db) == nil {
            _ = try await Accounts.createUser(organisation: organisation.id, email: email, name: "Bench", role: .administrator, passwordHash: hash, on: db)
        }
        var projects: [UUID] = []
        var suppliers: [UUID] = []
        for index in 0..<20 {
            let project = Project(organisationID: organisation.id, code: String(format: "B-%02d", index), name: "Bench project \(index)")
            let supplier = Supplier(organisationID: organisation.id, name: "Bench supplier \(index)")
            try await ReferenceData.insert(project, on: db)
            try await ReferenceData.insert(supplier, on: db)
            projects.append(project.id.rawValue)
            suppliers.append(supplier.id.rawValue)
        }
        let sql = db as! any SQLDatabase
        let statuses = PurchaseOrder.Status.allCases.map(\.rawValue)
        let start = Date().addingTimeInterval(-Double(count))
        var index = 0
        while index < count {
            let batch = min(500, count - index)
            var insert = sql.insert(into: "purchase_orders").columns(
                "id", "organisation_id", "number", "origin", "status", "supplier_id", "project_id", "title", "description",
                "total_excl_tax_cents", "tax_cents", "created_at", "updated_at", "sync_state")
            for offset in 0..<batch {
                let n = index + offset
                insert = insert.values(
                    SQLBind(UUID()), SQLBind(organisation.id.rawValue), SQLBind(String(format: "PO-%06d", n + 1)),
                    SQLBind(n % 10 == 0 ? "procore" : "lentune"), SQLBind(statuses[n % statuses.count]),
                    SQLBind(suppliers[n % suppliers.count]), SQLBind(projects[n % projects.count]), SQLBind("Bench order \(n)"),
                    SQLBind(""), SQLBind(Int64(10_000 + n)), SQLBind(Int64(1_500)), SQLBind(start.addingTimeInterval(Double(n))),
                    SQLBind(start.addingTimeInterval(Double(n))), SQLBind(n % 3 == 0 ? "synced" : "not_synced"))
            }
            try await insert.run()
            index += batch
        }
        // Measure a database in its steady state, not one whose autovacuum starts in the middle of a run.
        try await sql.raw(sql.dialect.name == "postgresql" ? "VACUUM ANALYZE purchase_orders" : "ANALYZE").run()
        return (email, password)
    }

    func signIn(_ client: HTTPClient, base: String, email: String, password: String) async throws -> String {
        let page = try await client.execute(HTTPClientRequest(url: base + "/sign-in"), timeout: .seconds(10))
        let html = String(buffer: try await page.body.collect(upTo: 1 << 20))
        let csrfCookie = page.headers["set-cookie"].first { $0.hasPrefix("lentune_csrf=") }?.split(separator: ";").first.map(String.init) ?? ""
        let token = html.components(separatedBy: "name=\"_csrf\" value=\"").dropFirst().first?.components(separatedBy: "\"").first ?? ""
        var request = HTTPClientRequest(url: base + "/sign-in")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Cookie", value: csrfCookie)
        let body = "_csrf=\(token)&email=\(email.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&password=\(password)"
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(request, timeout: .seconds(10))
        guard let session = response.headers["set-cookie"].first(where: { $0.hasPrefix("lentune_session=") }) else {
            throw ValidationError("signing in failed with \(response.status)")
        }
        return String(session.split(separator: ";")[0])
    }

    func apiToken(_ app: Application, email: String) async throws -> String {
        let user = try await Accounts.user(email: email, on: app.db)!
        let token = APITokens.make()
        try await Accounts.createAPIToken(user: user.domain.id, tokenHash: APITokens.hash(token), name: "bench", on: app.db)
        return token
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}
