import FluentKit
import AsyncHTTPClient
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import LentuneTestSupport
@testable import LentuneWeb
import NIOCore
import NIOPosix
import ProcoreSandbox
import Testing
import Vapor
import VaporTesting

/// `POST /webhooks/procore/{connection}` (issue 12).
@Suite struct WebhookIntakeTests {
    static func event(ulid: String = "01EDPD2J6SBY1163N77H95GW09", source: String? = "another-app", resource: String = "Purchase Order Contracts") -> String {
        #"{"id": 5982324300946918154, "ulid": "\#(ulid)", "timestamp": "2026-12-01T10:00:00.000000Z", "api_version": "v2", "event_type": "update", "resource_name": "\#(resource)", "resource_id": 4294968269, "company_id": 4242, "project_id": 4294968007, "user_id": 31337, "metadata": {"source_user_id": 31337, "source_company_id": 4242, "source_project_id": null, "source_application_id": \#(source.map { "\"\($0)\"" } ?? "null"), "source_operation_id": null}}"#
    }

    func deliver(_ f: SettingsFixture, _ body: String, authorization: String?, connection: UUID? = nil) async throws -> TestingHTTPResponse {
        let record = try #require(try await ProcoreSettings.connection(for: f.link.organisationID, on: f.db))
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        if let authorization { headers.add(name: .authorization, value: authorization) }
        return try await f.harness.app.testing().sendRequest(
            .POST, SiteURL.procoreWebhook(connection ?? record.id).path, headers: headers, body: ByteBuffer(string: body))
    }

    func secret(_ f: SettingsFixture) async throws -> String {
        let record = try #require(try await ProcoreSettings.connection(for: f.link.organisationID, on: f.db))
        return "Bearer " + (try f.harness.app.lentune.secrets.open(record.sealedWebhookSecret))
    }

    /// Where a test delivers: the web app's route (through `WebhookLane`), or `WebhookIntakeListener` over real
    /// HTTP. Both run `WebhookController.intake`, and must answer alike.
    enum Via: String, CaseIterable, Sendable { case webApp, listener }

    /// Delivers to one listener of the fixture's app.
    struct Client: Sendable {
        let fixture: SettingsFixture
        /// The listener's port (`.listener`); nil for the web app.
        let port: Int?

        func deliver(_ body: String, authorization: String?, connection: UUID? = nil) async throws -> (status: HTTPResponseStatus, headers: HTTPHeaders) {
            let f = fixture
            let record = try #require(try await ProcoreSettings.connection(for: f.link.organisationID, on: f.db))
            var headers: HTTPHeaders = ["Content-Type": "application/json"]
            if let authorization { headers.add(name: .authorization, value: authorization) }
            let path = SiteURL.procoreWebhook(connection ?? record.id).path
            guard let port else {
                let reply = try await f.harness.app.testing().sendRequest(.POST, path, headers: headers, body: ByteBuffer(string: body))
                return (reply.status, reply.headers)
            }
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
            request.method = .POST
            request.headers = headers
            request.body = .bytes(ByteBuffer(string: body))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 1 << 20)
            return (response.status, response.headers)
        }
    }

    /// Runs `body` with a settings fixture and a client for `via` (the listener started on a free port, and stopped).
    static func with(_ via: Via, _ body: (SettingsFixture, Client) async throws -> Void) async throws {
        try await SettingsFixture.with { f in
            guard via == .listener else { return try await body(f, Client(fixture: f, port: nil)) }
            let listener = WebhookIntakeListener(app: f.harness.app)
            let port = try await listener.start(hostname: "127.0.0.1", port: 0)
            do {
                try await body(f, Client(fixture: f, port: port))
            } catch {
                await listener.shutdown()
                throw error
            }
            await listener.shutdown()
        }
    }

    @Test(arguments: Via.allCases)
    func wrongOrMissingAuthorization_is401_andStoresNothing(via: Via) async throws {
        try await Self.with(via) { f, client in
            let right = try await secret(f)
            for wrong in [nil, "Bearer nope", right + "x", String(right.dropLast()), "bearer " + right.dropFirst(7)] {
                let reply = try await client.deliver(Self.event(), authorization: wrong)
                #expect(reply.status == .unauthorized, "\(wrong ?? "none")")
            }
            // The right secret for another connection id is no better.
            #expect(try await client.deliver(Self.event(), authorization: right, connection: UUID()).status == .unauthorized)
            #expect(try await WebhookEvents.count(in: f.link.organisationID, on: f.db) == 0)
            #expect(try await Outbox.jobs(in: f.link.organisationID, on: f.db).isEmpty)
        }
    }

    @Test(arguments: Via.allCases)
    func aDeliveryTwice_makesOneEventAndOneJob_andOwnWritesAreSkipped(via: Via) async throws {
        try await Self.with(via) { f, client in
            let auth = try await secret(f)
            #expect(try await client.deliver(Self.event(), authorization: auth).status == .noContent)
            #expect(try await client.deliver(Self.event(), authorization: auth).status == .noContent)
            #expect(try await WebhookEvents.count(in: f.link.organisationID, on: f.db) == 1)
            #expect(try await Outbox.jobs(in: f.link.organisationID, on: f.db).map(\.kind) == [.processWebhook])
            // An event caused by Lentune's own write (our client id) is recorded, and no job is made.
            #expect(try await client.deliver(Self.event(ulid: "01EDPD2J6SBY1163N77H95GW10", source: "cid"), authorization: auth).status == .noContent)
            let events = try await WebhookEvents.recent(in: f.link.organisationID, on: f.db)
            #expect(events.map(\.outcome).sorted { $0.rawValue < $1.rawValue } == [.ownWrite, .queued])
            #expect(try await Outbox.jobs(in: f.link.organisationID, on: f.db).count == 1)
        }
    }

    @Test(arguments: Via.allCases)
    func badBodies_areRefused_andNothingIsStored(via: Via) async throws {
        try await Self.with(via) { f, client in
            let auth = try await secret(f)
            for body in ["not json", "{}", #"{"ulid": "x", "resource_name": "Projects", "event_type": "update", "resource_id": 1e400}"#,
                         #"{"ulid": "nul\u0000", "resource_name": "Projects", "event_type": "update", "resource_id": 1}"#] {
                let reply = try await client.deliver(body, authorization: auth)
                #expect(reply.status == .badRequest, "\(body)")
                // A refusal is a problem document with the security headers every other answer has.
                #expect(reply.headers.first(name: .contentType) == "application/problem+json")
                #expect(reply.headers.first(name: "X-Content-Type-Options") == "nosniff")
            }
            let huge = #"{"ulid": "big", "padding": ""# + String(repeating: "x", count: 300 * 1024) + #""}"#
            #expect(try await client.deliver(huge, authorization: auth).status == .payloadTooLarge)
            // v4 payloads (string ids, reason, resource_type) are read too.
            let v4 = #"{"id": "01JMYXMZRBVKK0PC6XS8SA4QRE", "timestamp": "2025-02-25T16:04:43.619085Z", "reason": "update", "company_id": "4242", "project_id": "6778", "user_id": "5447", "resource_type": "Direct Cost Line Items", "resource_id": "379913"}"#
            #expect(try await client.deliver(v4, authorization: auth).status == .noContent)
            #expect(try await WebhookEvents.count(in: f.link.organisationID, on: f.db) == 1)
        }
    }
}

/// `WebhookIntakeListener` (`LENTUNE_WEBHOOK_PORT`): what it answers besides deliveries, and HTTP/1.1 itself.
@Suite struct WebhookIntakeListenerTests {
    /// Writes `requests` in one go on one connection and reads until the listener closes it.
    static func exchange(_ requests: String, port: Int) async throws -> String {
        let received = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: ByteBuffer.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(done: received)) }
            }.connect(host: "127.0.0.1", port: port).get()
        // A listener that never closes fails the test with what it sent, not hangs it.
        channel.eventLoop.scheduleTask(in: .seconds(30)) { channel.close(promise: nil) }
        try await channel.writeAndFlush(ByteBuffer(string: requests))
        return String(buffer: try await received.futureResult.get())
    }

    /// Everything a connection receives, until it is closed.
    final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        private var bytes = ByteBuffer()
        private let done: EventLoopPromise<ByteBuffer>
        init(done: EventLoopPromise<ByteBuffer>) { self.done = done }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var chunk = unwrapInboundIn(data)
            bytes.writeBuffer(&chunk)
        }
        func channelInactive(context: ChannelHandlerContext) { done.succeed(bytes) }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { done.fail(error) }
    }

    @Test func pipelinedDeliveries_areAnsweredInOrder_onOneConnection_untilConnectionClose() async throws {
        try await WebhookIntakeTests.with(.listener) { f, client in
            let port = try #require(client.port)
            let record = try #require(try await ProcoreSettings.connection(for: f.link.organisationID, on: f.db))
            let auth = try await WebhookIntakeTests().secret(f)
            func request(_ ulid: String, authorization: String, close: Bool = false) -> String {
                let body = WebhookIntakeTests.event(ulid: ulid)
                return "POST \(SiteURL.procoreWebhook(record.id).path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: \(authorization)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\(close ? "Connection: close\r\n" : "")\r\n\(body)"
            }
            let answers = try await Self.exchange(
                request("01EDPD2J6SBY1163N77H95GW01", authorization: auth) + request("01EDPD2J6SBY1163N77H95GW02", authorization: "Bearer nope")
                    + request("01EDPD2J6SBY1163N77H95GW03", authorization: auth, close: true),
                port: port)
            let statuses = answers.split(separator: "\r\n").filter { $0.hasPrefix("HTTP/1.1 ") }.map { $0.dropFirst(9).prefix(3) }
            #expect(statuses == ["204", "401", "204"], "\(answers)")
            #expect(answers.lowercased().contains("connection: close"))
            #expect(answers.lowercased().contains("date: "))
            let keys = try await WebhookEvents.recent(in: f.link.organisationID, on: f.db).map(\.key).sorted()
            #expect(keys == ["01EDPD2J6SBY1163N77H95GW01", "01EDPD2J6SBY1163N77H95GW03"])
        }
    }

    @Test func otherPathsAndMethods_areRefused_andDeliveriesAreCountedUnderTheWebhookRoute() async throws {
        try await WebhookIntakeTests.with(.listener) { f, client in
            let port = try #require(client.port)
            let record = try #require(try await ProcoreSettings.connection(for: f.link.organisationID, on: f.db))
            let before = WebhookLaneTests.delivered()
            #expect(try await client.deliver(WebhookIntakeTests.event(), authorization: try await WebhookIntakeTests().secret(f)).status == .noContent)
            #expect(WebhookLaneTests.delivered() > before)

            func send(_ method: HTTPMethod, _ path: String) async throws -> HTTPClientResponse {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
                request.method = method
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                _ = try await response.body.collect(upTo: 1 << 20)
                return response
            }
            let get = try await send(.GET, SiteURL.procoreWebhook(record.id).path)
            #expect(get.status == .methodNotAllowed)
            #expect(get.headers.first(name: "Allow") == "POST")
            #expect(get.headers.first(name: "X-Frame-Options") == "DENY")
            let unmatched = WebhookLaneTests.counted(route: "unmatched", status: 404)
            for path in ["/", "/healthz", SiteURL.procoreWebhook(record.id).path + "/x", "/api/v1/invoices"] {
                let other = try await send(.POST, path)
                #expect(other.status == .notFound, "\(path)")
                #expect(other.headers.first(name: .contentType) == "application/problem+json")
            }
            // Other paths are counted as unmatched, not under the webhook route.
            #expect(WebhookLaneTests.counted(route: "unmatched", status: 404) >= unmatched + 4)
            #expect(try await WebhookEvents.count(in: f.link.organisationID, on: f.db) == 1)
        }
    }

    @Test func theDateHeader_isRFC9110s() {
        #expect(HTTPDate.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(1_709_210_096) == "Thu, 29 Feb 2024 12:34:56 GMT")
        #expect(HTTPDate.format(4_102_444_799) == "Thu, 31 Dec 2099 23:59:59 GMT")
    }

    @Test func theWebhookPort_isAPortOtherThanTheWebApps() throws {
        #expect(try LentuneConfig.load(environment: [:]).webhookPort == nil)
        #expect(try LentuneConfig.load(environment: ["LENTUNE_WEBHOOK_PORT": "8081"]).webhookPort == 8081)
        #expect(try LentuneConfig.load(environment: ["PORT": "0", "LENTUNE_WEBHOOK_PORT": "0"]).webhookPort == 0)
        for bad in ["8080", "65536", "-1", "http"] {
            #expect(throws: LentuneConfig.Error.self, "\(bad)") { try LentuneConfig.load(environment: ["LENTUNE_WEBHOOK_PORT": bad]) }
        }
    }
}

/// On PostgreSQL the group commit writes with connections of its own (`WebhookWriterDatabase`), which the web tests'
/// SQLite apps never use: an app configured on PostgreSQL must store every delivery once, and shut down cleanly.
@Suite struct WebhookIntakeOnPostgresTests {
    @Test func anAppOnPostgreSQL_storesEachDeliveryOnce_throughTheWritersOwnConnections() async throws {
        guard TestDatabase.kinds.contains(.postgres) else { return }
        try await TestDatabase.withPostgresSchema { location in
            var config = try WebHarness.config()
            config.database = location
            try await withApp(configure: { app in
                try await configure(app, config: config)
                try await app.autoMigrate()
            }) { app in
                let org = try await Fixture.make(name: "Harbour Build Ltd", on: app.db)
                let admin = try await Accounts.createUser(
                    organisation: org.organisation.id, email: "admin@a.example", name: "Admin", role: .administrator,
                    passwordHash: "x", on: app.db)
                let connection = try await ProcoreSettings.saveConnection(
                    .init(environment: .production, clientID: "cid", clientSecret: "s", grantType: .clientCredentials, redirectURI: nil,
                          serviceCompanyID: nil),
                    organisation: org.organisation.id, actor: admin, secrets: app.lentune.secrets, now: Date(), on: app.db)
                let headers: HTTPHeaders = [
                    "Content-Type": "application/json",
                    "Authorization": "Bearer " + (try app.lentune.secrets.open(connection.sealedWebhookSecret)),
                ]
                // 60 deliveries at once, 15 of them a second delivery of another.
                let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                    for index in 0..<60 {
                        group.addTask {
                            let body = WebhookIntakeTests.event(ulid: "01EDPD2J6SBY1163N77H95G\(index % 45 + 100)")
                            return try await app.testing().sendRequest(
                                .POST, SiteURL.procoreWebhook(connection.id).path, headers: headers, body: ByteBuffer(string: body)).status
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(statuses.allSatisfy { $0 == .noContent }, "\(statuses)")
                #expect(try await WebhookEvents.count(in: org.organisation.id, on: app.db) == 45)
                // Each stored event named by one job (the group commit writes a job per write, not per event).
                let named = try await Outbox.jobs(in: org.organisation.id, on: app.db).flatMap {
                    try JSONDecoder().decode(WebhookEvents.ProcessPayload.self, from: Data($0.payload.utf8)).event_ids
                }
                #expect(named.count == 45 && Set(named).count == 45)
            }
        }
    }
}

/// Deliveries take `WebhookLane`, past the router and the global middlewares; what those gave them must still hold.
@Suite struct WebhookLaneTests {
    @Test(arguments: [
        ("/webhooks/procore/abc", "abc"), ("/webhooks/procore/", nil), ("/webhooks/procore/a/b", nil),
        ("/webhooks/procorex/abc", nil), ("/webhooks/procore", nil), ("/api/v1/invoices", nil),
        ("/webhooks/procore/abc?x=1", "abc"), ("/webhooks/procore/?x", nil), ("/webhooks/procore/a/b?x", nil),
        ("/webhooks/procore/ab?c/d", "ab"), ("/Webhooks/procore/abc", nil), ("/webhooks/procore/é", "é"),
    ] as [(String, String?)])
    func theLane_takesOnlyAWebhookPath(path: String, connection: String?) {
        #expect(WebhookLane.connection(in: path).map(String.init) == connection)
    }

    static func delivered() -> Int { counted(route: "/webhooks/procore/:connection", status: 204) }

    /// `lentune_http_requests_total` for POST requests of `route` answered `status`.
    static func counted(route: String, status: Int) -> Int {
        let label = #"lentune_http_requests_total{method="POST",route="\#(route)",status="\#(status)"} "#
        let line = LentuneMetrics.registry.emitToString().split(separator: "\n").first { $0.hasPrefix(label) }
        return line.flatMap { Int($0.dropFirst(label.count)) } ?? 0
    }

    @Test func aDelivery_isCountedUnderItsRoute_errorsKeepTheirHeaders_andOtherMethodsGet405() async throws {
        try await SettingsFixture.with { f in
            let intake = WebhookIntakeTests()
            let auth = try await intake.secret(f)
            let before = Self.delivered()
            let reply = try await intake.deliver(f, WebhookIntakeTests.event(), authorization: auth)
            #expect(reply.status == .noContent)
            #expect(Self.delivered() > before)
            // A refusal is a problem document with the security headers every other answer has.
            let refused = try await intake.deliver(f, "not json", authorization: auth)
            #expect(refused.status == .badRequest)
            #expect(refused.headers.first(name: .contentType) == "application/problem+json")
            #expect(refused.headers.first(name: "X-Content-Type-Options") == "nosniff")
            // Another method on the webhook path, or a path the lane does not take, goes to the router.
            let record = try #require(try await ProcoreSettings.connection(for: f.link.organisationID, on: f.db))
            #expect(try await f.harness.app.testing().sendRequest(.GET, SiteURL.procoreWebhook(record.id).path).status == .methodNotAllowed)
            #expect(try await f.harness.app.testing().sendRequest(.POST, SiteURL.procoreWebhook(record.id).path + "/x").status == .notFound)
        }
    }
}

/// Linking a company row registers Lentune's hook and triggers in (the sandbox's) Procore; unlinking removes them.
@Suite struct HookRegistrationTests {
    @Test(arguments: TestDatabase.kinds)
    func linkingRegistersTheHook_andUnlinkingRemovesIt(kind: TestDatabase.Kind) async throws {
        try await RunningSandbox.with(clientID: "hooks-app", clientSecret: "hooks-secret") { sandbox in
            try await WebHarness.with(kind) { h in
                let client = try await h.signedInAdmin()
                var page = try await client.get("/administration/settings/procore")
                _ = try await client.post("/administration/settings/procore/connection", form: [
                    "_csrf": client.csrf(from: page) ?? "", "environment": "custom", "auth_base_url": sandbox.baseURL.absoluteString,
                    "api_base_url": sandbox.baseURL.absoluteString, "client_id": "hooks-app", "client_secret": "hooks-secret",
                    "grant_type": "client_credentials",
                ])
                page = try await client.get("/administration/settings/procore")
                _ = try await client.post("/administration/settings/procore/test", form: ["_csrf": client.csrf(from: page) ?? ""])
                let row = try #require(try await ProcoreSettings.rows(for: h.orgA.organisation.id, on: h.app.db).first)
                let token = try await h.apiToken("administrator@a.example")
                let worker = h.app.lentune.engine.worker(db: h.app.db)
                func put(linked: Bool, version: Int) async throws {
                    let body = #"{"linked": \#(linked), "lentune_purchase_order": false, "procore_purchase_order": false, "project_stages": ["Course of Construction"], "rounding_tolerance": "0.05", "version": \#(version)}"#
                    #expect(try await client.api(.PUT, "/api/v1/procore/companies/\(row.link.id)", token: token, body: body).status == .ok)
                }
                func hooks() -> [WebhookHook] { sandbox.server.store.read { $0.hooks.filter { $0.companyID == Seeds.demoCompanyID } } }

                try await put(linked: true, version: row.version)
                #expect(hooks().isEmpty)  // queued, not yet run
                try await worker.runOnce()
                let hook = try #require(hooks().first)
                let connection = try #require(try await ProcoreSettings.connection(for: h.orgA.organisation.id, on: h.app.db))
                #expect(hook.destinationURL == h.app.lentune.webhookURL(connection: connection.id))
                #expect(hook.namespace == "lentune")
                #expect(hook.authorization == "Bearer " + (try h.app.lentune.secrets.open(connection.sealedWebhookSecret)))
                let triggers = sandbox.server.store.read { data in data.triggers.filter { $0.hookID == hook.id } }
                // What docs/SYNC.md promises, written out (not read from the code under test): the company's hook takes
                // the company-level resources; commitment resources go on project hooks (Procore purchase order only).
                #expect(Set(triggers.map { "\($0.resourceName) \($0.eventType)" }) == [
                    "Projects create", "Projects update", "Company Vendors create", "Company Vendors update",
                ])
                #expect(try await ProcoreSettings.link(row.link.id, on: h.app.db)?.hook == .registered(hookID: String(hook.id)))
                // The settings page shows it.
                let settings = try await client.get("/administration/settings/procore")
                #expect(settings.body.string.contains("Registered"))

                // Registering again (Re-register) adds no second hook or trigger.
                try await Outbox.enqueue(SyncJob(
                    organisationID: h.orgA.organisation.id, companyLinkID: row.link.id, kind: .registerHooks,
                    nextAttemptAt: Date(), createdAt: Date()), on: h.app.db)
                try await worker.runOnce()
                #expect(hooks().count == 1)
                #expect(sandbox.server.store.read { data in data.triggers.filter { $0.hookID == hook.id }.count } == triggers.count)

                try await put(linked: false, version: row.version + 1)
                try await worker.runOnce()
                #expect(hooks().isEmpty)
                #expect(sandbox.server.store.read { $0.triggers.filter { $0.hookID == hook.id } }.isEmpty)
                #expect(try await ProcoreSettings.link(row.link.id, on: h.app.db)?.hook == .notRegistered)
            }
        }
    }
}

/// The connection by API (scripted deployments) and the Integration log page.
@Suite struct ConnectionAPITests {
    @Test func putAndTestTheConnection_byAPI() async throws {
        try await RunningSandbox.with(clientID: "api-app", clientSecret: "api-secret") { sandbox in
            try await WebHarness.with { h in
                let client = h.client()
                let admin = try await h.apiToken("administrator@a.example")
                let officer = try await h.apiToken("ap_officer@a.example")
                let body = #"{"environment": "custom", "auth_base_url": "\#(sandbox.baseURL.absoluteString)", "api_base_url": "\#(sandbox.baseURL.absoluteString)", "client_id": "api-app", "client_secret": "api-secret", "grant_type": "client_credentials"}"#
                #expect(try await client.api(.PUT, "/api/v1/procore/connection", token: officer, body: body).status == .forbidden)
                let saved = try await client.api(.PUT, "/api/v1/procore/connection", token: admin, body: body)
                #expect(saved.status == .ok)
                #expect(saved.body.string.contains(#""has_client_secret":true"#))
                #expect(!saved.body.string.contains("api-secret"))
                let bad = try await client.api(.PUT, "/api/v1/procore/connection", token: admin, body: #"{"environment": "custom", "client_id": "", "auth_base_url": "ftp://x"}"#)
                #expect(bad.status == .unprocessableEntity)
                #expect(bad.body.string.contains(#""auth_base_url":"#) && bad.body.string.contains(#""client_id":"#))
                let tested = try await client.api(.POST, "/api/v1/procore/connection/test", token: admin)
                #expect(tested.status == .ok)
                #expect(tested.body.string.contains(#""connected":true"#))
                #expect(tested.body.string.contains(#""name":"Kauri Construction Ltd""#))
                // A wrong secret: the test answers Procore's refusal (200: the test itself worked).
                _ = try await client.api(.PUT, "/api/v1/procore/connection", token: admin, body: body.replacingOccurrences(of: "api-secret", with: "nope"))
                let refused = try await client.api(.POST, "/api/v1/procore/connection/test", token: admin)
                #expect(refused.body.string.contains(#""connected":false"#))
            }
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func integrationLog_listsFiltersAndRetries(kind: TestDatabase.Kind) async throws {
        try await SettingsFixture.with(kind) { f in
            let org = f.link.organisationID
            let now = Date()
            let failed = SyncJob(organisationID: org, companyLinkID: f.link.id, kind: .registerHooks, nextAttemptAt: now, createdAt: now)
            try await Outbox.enqueue(failed, on: f.db)
            _ = try await Outbox.claim(limit: 1, worker: "w", lease: .seconds(60), now: now, on: f.db)
            try await Outbox.finish(failed.id, worker: "w", .failed(error: "Procore refused the data: name can't be blank"), now: now, on: f.db)
            try await Outbox.enqueue(SyncJob(organisationID: org, kind: .sweep, nextAttemptAt: now, createdAt: now), on: f.db)
            // An invoice's posting that ended held (issue 29: it showed as "✓ Done"): Held, with its reason and record.
            let invoice = Invoice.ID()
            let held = SyncJob.post(invoice, organisation: org, companyLink: f.link.id, now: now.addingTimeInterval(1))
            try await Outbox.enqueue(held, on: f.db)
            _ = try await Outbox.claim(limit: 5, worker: "w", lease: .seconds(60), now: now.addingTimeInterval(2), on: f.db)
            try await Outbox.finish(held.id, worker: "w", .held(reason: "Procore project WSA-01 has no open billing period"), now: now, on: f.db)
            #expect(try await Outbox.job(held.id, on: f.db)?.state == .held)

            let officer = f.harness.client()
            try await officer.signIn("ap_officer@a.example")
            // The AP officer reads the log (issue 29: why has my invoice not posted?) but has none of its actions,
            // and a hand-made Retry all is refused.
            let read = try await officer.get("/administration/integration-log")
            #expect(read.status == .ok && read.body.string.contains("no open billing period"))
            #expect(!read.body.string.contains("id=\"retry-all\"") && !read.body.string.contains(">Retry</button>"))
            let refused = try await officer.post("/administration/integration-log/retry-failed", form: ["_csrf": officer.csrf(from: read) ?? ""])
            #expect(refused.status == .forbidden)

            let client = try await f.harness.signedInAdmin()
            let page = try await client.get("/administration/integration-log")
            #expect(page.status == .ok)
            #expect(page.body.string.contains("Procore refused the data: name can&#39;t be blank"))
            #expect(page.body.string.contains("Kauri Construction Ltd"))
            let onlyFailed = try await client.get("/administration/integration-log?state=failed")
            #expect(onlyFailed.body.string.contains(#"data-state="failed""#) && !onlyFailed.body.string.contains(#"data-state="pending""#))
            #expect(try await client.get("/administration/integration-log?state=broken").status == .badRequest)
            let onlyHeld = try await client.get("/administration/integration-log?state=held").body.string
            #expect(onlyHeld.contains(#"data-state="held""#) && onlyHeld.contains("⏸ Held") && !onlyHeld.contains(#"data-state="failed""#))
            #expect(onlyHeld.contains("no open billing period") && onlyHeld.contains("A deleted invoice"))
            #expect(!page.body.string.contains(#"data-state="done""#), "a held job is not shown as done")
            // The summary counts every outcome under the filters, each a link to it.
            #expect(page.body.string.contains("⏸ Held 1") && page.body.string.contains("✗ Failed 1") && page.body.string.contains("?state=held"))

            let retried = try await client.post("/administration/integration-log/jobs/\(failed.id)/retry", form: ["_csrf": client.csrf(from: page) ?? ""])
            #expect(retried.status == .ok)
            #expect(try await Outbox.job(failed.id, on: f.db)?.state == .pending)
            // Another organisation's administrator cannot retry it.
            let other = f.harness.client()
            try await other.signIn("administrator@b.example")
            let otherPage = try await other.get("/administration/integration-log")
            #expect(try await other.post("/administration/integration-log/jobs/\(failed.id)/retry", form: ["_csrf": other.csrf(from: otherPage) ?? ""]).status == .conflict)
            #expect(try await client.post("/administration/integration-log/retry-failed", form: ["_csrf": client.csrf(from: page) ?? ""]).body.string.contains("No failed jobs"))
        }
    }
}

extension ConnectionAPITests {
    /// Issue 29: the Integration log exports what its filters match as CSV, and **Retry selected** runs the ticked
    /// jobs again (those that can: failed, held or cancelled), in the viewer's organisation only.
    @Test(arguments: TestDatabase.kinds)
    func integrationLog_exportsCSV_andRetriesTheSelectedJobs(kind: TestDatabase.Kind) async throws {
        try await SettingsFixture.with(kind) { f in
            let org = f.link.organisationID
            let now = Date()
            var failed: [SyncJob] = []
            for n in 0..<2 {
                let job = SyncJob(
                    organisationID: org, companyLinkID: f.link.id, kind: .registerHooks, dedupeKey: "hooks:test:\(n)",
                    nextAttemptAt: now.addingTimeInterval(Double(n)), createdAt: now.addingTimeInterval(Double(n)))
                try await Outbox.enqueue(job, on: f.db)
                _ = try await Outbox.claim(limit: 1, worker: "w", lease: .seconds(60), now: now.addingTimeInterval(Double(n)), on: f.db)
                try await Outbox.finish(job.id, worker: "w", .failed(error: "=HYPERLINK(\"x\") refused \(n)"), now: now, on: f.db)
                failed.append(job)
            }
            let waiting = SyncJob(organisationID: org, kind: .sweep, nextAttemptAt: now, createdAt: now.addingTimeInterval(5))
            try await Outbox.enqueue(waiting, on: f.db)

            let client = try await f.harness.signedInAdmin()
            let page = try await client.get("/administration/integration-log")
            #expect(page.body.string.contains(#"id="retry-selected""#) && page.body.string.contains(#"name="ids[]""#))
            #expect(page.body.string.contains(#"href="/administration/integration-log?format=csv""#))
            let csv = try await client.get("/administration/integration-log?state=failed&format=csv")
            #expect(csv.status == .ok && csv.headers.contentType?.subType == "csv")
            let lines = csv.body.string.split(separator: "\r\n").map(String.init)
            #expect(lines.count == 3, "a header and the two failed jobs: \(lines)")
            #expect(lines.first?.contains("Queued (UTC),Company,Job,Record") == true)
            #expect(lines.dropFirst().allSatisfy { $0.contains(",failed,") && $0.contains("'=HYPERLINK") }, "\(lines)")

            // Retry selected: the first failed job and the waiting one; only the failed one can run again.
            let csrf = client.csrf(from: page) ?? ""
            let retried = try await client.post("/administration/integration-log/retry-selected", fields: [
                ("_csrf", csrf), ("ids[]", failed[0].id.rawValue.uuidString), ("ids[]", waiting.id.rawValue.uuidString),
            ])
            #expect(retried.status == .ok && retried.body.string.contains("1 of 2 selected jobs will run again."), "\(retried.body.string.prefix(500))")
            #expect(try await Outbox.job(failed[0].id, on: f.db)?.state == .pending)
            #expect(try await Outbox.job(failed[1].id, on: f.db)?.state == .failed)
            #expect(try await client.post("/administration/integration-log/retry-selected", form: ["_csrf": csrf]).status == .unprocessableEntity)

            // Another organisation's administrator selects them: nothing moves. The AP officer may not retry at all.
            let other = f.harness.client()
            try await other.signIn("administrator@b.example")
            let otherPage = try await other.get("/administration/integration-log")
            let foreign = try await other.post("/administration/integration-log/retry-selected", form: [
                "_csrf": other.csrf(from: otherPage) ?? "", "ids[]": failed[1].id.rawValue.uuidString,
            ])
            #expect(foreign.body.string.contains("0 of 1 selected job will run again."))
            #expect(try await Outbox.job(failed[1].id, on: f.db)?.state == .failed)
            let officer = f.harness.client()
            try await officer.signIn("ap_officer@a.example")
            let read = try await officer.get("/administration/integration-log")
            #expect(!read.body.string.contains(#"id="retry-selected""#) && !read.body.string.contains(#"name="ids[]""#))
            #expect(try await officer.post("/administration/integration-log/retry-selected", form: [
                "_csrf": officer.csrf(from: read) ?? "", "ids[]": failed[1].id.rawValue.uuidString,
            ]).status == .forbidden)
            #expect(try await Outbox.job(failed[1].id, on: f.db)?.state == .failed)
        }
    }
}

@Suite struct ReferenceDataPageTests {
    @Test func referenceDataView_countsAndSyncNow_andThePagesShowTheSource() async throws {
        try await SettingsFixture.with { f in
            let client = try await f.harness.signedInAdmin()
            let path = "/administration/settings/procore/companies/\(f.link.id)/reference-data"
            let page = try await client.get(path)
            #expect(page.status == .ok)
            #expect(page.body.string.contains("Last read from Procore"))
            #expect(page.body.string.contains("never"))
            // Not linked: Sync now is refused with the reason.
            #expect(try await client.post(path + "/sync", form: ["_csrf": client.csrf(from: page) ?? ""]).status == .conflict)
            try await ProcoreCompanyLinkRecord.query(on: f.db).filter(\.$id == f.link.id.rawValue).set(\.$isLinked, to: true).update()
            let queued = try await client.post(path + "/sync", form: ["_csrf": client.csrf(from: page) ?? ""])
            #expect(queued.body.string.contains("will be read in a moment"))
            #expect(try await Outbox.jobs(in: f.link.organisationID, on: f.db).map(\.kind) == [.syncReferenceData])
            // Another organisation's administrator cannot see it.
            let other = f.harness.client()
            try await other.signIn("administrator@b.example")
            #expect(try await other.get(path).status == .notFound)
            // The projects page says where each project comes from.
            let projects = try await client.get("/projects")
            #expect(projects.body.string.contains("Procore (Kauri Construction Ltd)"))
            #expect(try await client.get("/suppliers").body.string.contains("<td>Lentune</td>"))
        }
    }

    @Test func supplierMapping_offersNearMisses_andAnAdministratorLinksOrKeepsApart() async throws {
        try await SettingsFixture.with { f in
            let org = f.link.organisationID
            for name in ["ABC Ltd", "Carters Bulding Supplies"] { try await ReferenceData.insert(Supplier(organisationID: org, name: name), on: f.db) }
            let counts = try await ReferenceImport.suppliers(
                [(id: 4_294_968_501, name: "A.B.C. Limited"), (id: 4_294_968_502, name: "Carters Building Supplies")], row: f.link, now: Date(), on: f.db)
            #expect(counts.awaitingMapping == 2 && counts.created == 0)
            let client = try await f.harness.signedInAdmin()
            let reference = try await client.get("/administration/settings/procore/companies/\(f.link.id)/reference-data")
            #expect(reference.body.string.contains("2 vendor names close to a supplier"))
            let path = "/administration/settings/procore/companies/\(f.link.id)/supplier-mapping"
            let page = try await client.get(path)
            #expect(page.status == .ok)
            #expect(page.body.string.contains("A.B.C. Limited") && page.body.string.contains("ABC Ltd"))
            let open = try await SupplierMappings.open(of: f.link, on: f.db)
            let abc = try #require(open.first { $0.vendorName == "A.B.C. Limited" })
            let csrf = client.csrf(from: page) ?? ""
            // Without the CSRF token, or with a made-up decision: refused, nothing changes.
            #expect(try await client.post(path, form: ["suggestion": abc.id.uuidString, "decision": "linked"]).status == .forbidden)
            #expect(try await client.post(path, form: ["_csrf": csrf, "suggestion": abc.id.uuidString, "decision": "merge"]).status == .badRequest)
            // An AP officer cannot decide.
            let officer = f.harness.client()
            try await officer.signIn("ap_officer@a.example")
            #expect(try await officer.get(path).status == .forbidden)
            // Link: ABC Ltd gets the vendor; deciding it again is a conflict.
            let linked = try await client.post(path, form: ["_csrf": csrf, "suggestion": abc.id.uuidString, "decision": "linked"])
            #expect(linked.status == .ok)
            #expect(linked.body.string.contains("ABC Ltd is now linked to the Procore vendor A.B.C. Limited"))
            #expect(try await ReferenceData.suppliers(in: org, on: f.db).first { $0.name == "ABC Ltd" }?.procoreVendors[f.link.id] == 4_294_968_501)
            #expect(try await client.post(path, form: ["_csrf": csrf, "suggestion": abc.id.uuidString, "decision": "kept_apart"]).status == .conflict)
            // Keep apart: a reference read is queued, which adds the vendor as its own supplier.
            let carters = try #require(open.first { $0.vendorName == "Carters Building Supplies" })
            let kept = try await client.post(path, form: ["_csrf": csrf, "suggestion": carters.id.uuidString, "decision": "kept_apart"])
            #expect(kept.body.string.contains("will be added as its own supplier"))
            #expect(try await Outbox.jobs(in: org, on: f.db).map(\.kind) == [.syncReferenceData])
            _ = try await ReferenceImport.suppliers([(id: 4_294_968_502, name: "Carters Building Supplies")], row: f.link, now: Date(), on: f.db)
            let suppliers = try await ReferenceData.suppliers(in: org, on: f.db)
            #expect(suppliers.filter { $0.name.hasPrefix("Carters") }.count == 2)
            #expect(try await SupplierMappings.open(of: f.link, on: f.db).isEmpty)
            // Two Procore vendors that the rule names alike are two suppliers, neither dropped, and a re-read adds none.
            let twins = [(id: Int64(4_294_968_601), name: "Bay Joinery Ltd"), (id: Int64(4_294_968_602), name: "Bay Joinery Limited")]
            #expect(try await ReferenceImport.suppliers(twins, row: f.link, now: Date(), on: f.db).created == 2)
            #expect(try await ReferenceImport.suppliers(twins, row: f.link, now: Date(), on: f.db) == ReferenceImport.Counts())
            let bays = try await ReferenceData.suppliers(in: org, on: f.db).filter { $0.name.hasPrefix("Bay Joinery") }
            #expect(Set(bays.compactMap { $0.procoreVendors[f.link.id] }) == [4_294_968_601, 4_294_968_602])
            // Both decisions are in the audit log.
            let audit = try await AuditLog.recent(organisation: org, on: f.db).map(\.action)
            #expect(audit.contains("supplier.mapping.linked") && audit.contains("supplier.mapping.kept_apart"))
        }
    }
}

extension ReferenceDataPageTests {
    @Test func taxMapping_page_mapsEachTaxCode_refusesForeignCodes_andIsForAdministratorsOnly() async throws {
        try await SettingsFixture.with { f in
            let org = f.link.organisationID
            let gst = f.harness.orgA.gst
            _ = try await TaxMappings.importProcoreCodes(
                [ProcoreTaxCode(procoreID: 7001, code: "GST", ratePercent: 15), ProcoreTaxCode(procoreID: 7002, code: "EXEMPT", ratePercent: 0)],
                row: f.link, on: f.db)
            let client = try await f.harness.signedInAdmin()
            let path = "/administration/settings/procore/companies/\(f.link.id)/tax-mapping"
            let page = try await client.get(path)
            #expect(page.status == .ok)
            #expect(page.body.string.contains("GST (15.00%)") && page.body.string.contains("Not mapped"))
            #expect(try await client.get("/administration/settings/procore/companies/\(f.link.id)/reference-data").body.string
                .contains("1 Lentune tax code is not mapped"))
            let csrf = client.csrf(from: page) ?? ""
            let field = "map[\(gst.id.rawValue.lowercasedText)]"
            // No CSRF token, a Procore code of another company, or a made-up value: refused, nothing stored.
            #expect(try await client.post(path, form: [field: "7001"]).status == .forbidden)
            #expect(try await client.post(path, form: ["_csrf": csrf, field: "9999"]).status == .unprocessableEntity)
            let junk = try await client.post(path, form: ["_csrf": csrf, field: "-1"])
            #expect(junk.status == .badRequest && junk.body.string.contains("is not a Procore tax code"))
            #expect(try await TaxMappings.mapping(of: f.link, on: f.db).mappings.isEmpty)
            // An AP officer cannot see or change it.
            let officer = f.harness.client()
            try await officer.signIn("ap_officer@a.example")
            #expect(try await officer.get(path).status == .forbidden)
            // Saved: GST → 7001, default EXEMPT; the page shows the choice, the audit log the change.
            let saved = try await client.post(path, form: ["_csrf": csrf, field: "7001", "default": "7002"])
            #expect(saved.status == .ok && saved.body.string.contains("Tax mapping of Kauri Construction Ltd saved."))
            let mapping = try await TaxMappings.mapping(of: f.link, on: f.db)
            #expect(mapping.mappings == [gst.id: 7001] && mapping.defaultProcoreTaxCodeID == 7002)
            #expect(try await AuditLog.recent(organisation: org, on: f.db).map(\.action).contains("procore.tax_mapping.saved"))
            // Unmapping: an empty choice removes it.
            #expect(try await client.post(path, form: ["_csrf": csrf, field: "", "default": "7002"]).status == .ok)
            #expect(try await TaxMappings.mapping(of: f.link, on: f.db).mappings.isEmpty)
        }
    }
}

@Suite struct ReferenceAPITests {
    @Test func referenceLists_arePagedByCursor_scopedToTheOrganisation_andNameBadParameters() async throws {
        try await WebHarness.with { h in
            let org = h.orgA.organisation.id
            for index in 1...5 { try await ReferenceData.insert(Supplier(organisationID: org, name: "Supplier \(index)"), on: h.app.db) }
            let token = try await h.apiToken("auditor@a.example")
            let client = h.client()
            struct Page: Decodable {
                struct Item: Decodable { var id: UUID; var name: String; var source: String }
                var data: [Item]
                var next_cursor: String?
            }
            var names: [String] = []
            var after: String?
            repeat {
                let reply = try await client.api(.GET, "/api/v1/suppliers?per_page=2" + (after.map { "&after=\($0)" } ?? ""), token: token)
                #expect(reply.status == .ok)
                let page = try JSONDecoder().decode(Page.self, from: Data(reply.body.string.utf8))
                names += page.data.map(\.name)
                after = page.next_cursor
            } while after != nil
            #expect(names == ["Placemakers Ltd", "Supplier 1", "Supplier 2", "Supplier 3", "Supplier 4", "Supplier 5"])
            // Organisation B sees none of A's.
            let other = try await h.apiToken("administrator@b.example")
            let theirs = try await client.api(.GET, "/api/v1/suppliers", token: other).body.string
            #expect(theirs.contains(#""data":["#))
            #expect(!theirs.contains("Supplier 1") && !theirs.contains("Supplier 2"))
            // Cost codes need A's project; B's token gets 404 for it.
            let codes = try await client.api(.GET, "/api/v1/cost-codes?project=\(h.orgA.project.id)", token: token)
            #expect(codes.body.string.contains(#""code":"03-100""#))
            #expect(try await client.api(.GET, "/api/v1/cost-codes?project=\(h.orgA.project.id)", token: other).status == .notFound)
            #expect(try await client.api(.GET, "/api/v1/cost-codes", token: token).status == .badRequest)
            for bad in ["per_page=0", "per_page=201", "after=nope"] {
                #expect(try await client.api(.GET, "/api/v1/projects?\(bad)", token: token).status == .badRequest, "\(bad)")
            }
            #expect(try await client.api(.GET, "/api/v1/tax-codes", token: token).body.string.contains(#""rate":"0.1500""#))
        }
    }
}
