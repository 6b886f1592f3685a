import Foundation
import NIOConcurrencyHelpers
@testable import ProcoreSandbox
import Testing
import Vapor

/// A local webhook receiver: records what arrives and can be told to fail.
final class Listener: Sendable {
    let app: Application
    let url: String
    private let received = NIOLockedValueBox<[(authorization: String?, body: JSON)]>([])
    private let failing = NIOLockedValueBox(false)

    private init(app: Application, url: String) {
        self.app = app
        self.url = url
    }

    static func start() async throws -> Listener {
        let app = try await Application.make(.testing)
        app.logger.logLevel = .error
        let box = NIOLockedValueBox<Listener?>(nil)
        app.post("hook") { req async throws -> Response in
            guard let listener = box.withLockedValue({ $0 }) else { return Response(status: .serviceUnavailable) }
            if listener.failing.withLockedValue({ $0 }) { return Response(status: .internalServerError) }
            let body = try JSON.parse(Data(buffer: req.body.data ?? ByteBuffer()))
            listener.received.withLockedValue { $0.append((req.headers.first(name: .authorization), body)) }
            return Response(status: .noContent)
        }
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        let port = app.http.server.shared.localAddress!.port!
        let listener = Listener(app: app, url: "http://127.0.0.1:\(port)/hook")
        box.withLockedValue { $0 = listener }
        return listener
    }

    var events: [(authorization: String?, body: JSON)] { received.withLockedValue { $0 } }
    func fail(_ on: Bool) { failing.withLockedValue { $0 = on } }

    func stop() async {
        await app.server.shutdown()
        try? await app.asyncShutdown()
    }
}

@Suite(.serialized) struct WebhookTests {
    /// Waits (bounded) until `condition` holds, driving the dispatcher directly.
    func eventually(_ h: SandboxHarness, _ condition: () -> Bool) async throws {
        for _ in 0..<200 where !condition() {
            await h.sandbox.server.dispatcher.tick()
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// A hook with triggers for `resources`: a project hook (in the first project) for project-level resources, as
    /// Procore offers them there, else a company hook.
    func hook(_ h: SandboxHarness, token: String, listener: Listener, version: String = "v2", resources: [String]) async throws -> String {
        let projectLevel = resources.contains { Resource(rawValue: $0)?.isCompanyLevel == false }
        let base = "/rest/v2.0/companies/4242" + (projectLevel ? "/projects/\(h.firstProject.id)" : "") + "/webhooks/hooks"
        let created = try await h.api(.POST, base, token: token, json: [
            "payload_version": .string(version), "namespace": "lentune-test", "destination_url": .string(listener.url),
            "destination_headers": ["Authorization": "Bearer hook-secret"],
        ])
        #expect(created.status == 201)
        #expect(created.json["data"]?["destination_headers"]?["Authorization"] == "*****ecret")
        let id = try #require(created.json["data"]?["id"]?.string)
        for resource in resources {
            // Company Vendors offer create and update only (Procore never deletes a company vendor).
            for event in resource == "Company Vendors" ? ["create", "update"] : ["create", "update", "delete"] {
                let trigger = try await h.api(.POST, base + "/\(id)/triggers", token: token,
                                              json: ["resource_name": .string(resource), "event_type": .string(event)])
                #expect(trigger.status == 201)
            }
        }
        return id
    }

    @Test func events_arriveWithAuthorizationAndSourceApplication() async throws {
        let listener = try await Listener.start()
        try await SandboxHarness.with { h in
            let token = try await h.token()
            _ = try await hook(h, token: token, listener: listener, resources: ["Purchase Order Contracts", "Purchase Order Contract Line Items"])
            let project = h.firstProject.id
            let po = try await h.api(.POST, "/rest/v1.0/purchase_order_contracts", token: token, json: [
                "project_id": .int(project), "purchase_order_contract": ["number": "PO-W1"],
            ])
            let id = try #require(po.json["id"]?.int)
            _ = try await h.api(.POST, "/rest/v1.0/purchase_order_contracts/\(id)/line_items", token: token,
                                json: ["project_id": .int(project), "line_item": ["amount": "5", "wbs_code_id": .int(h.budgetCode(in: h.firstProject).id)]])
            try await eventually(h) { listener.events.count >= 2 }
            let events = listener.events
            try #require(events.count == 2)
            #expect(events.allSatisfy { $0.authorization == "Bearer hook-secret" })
            #expect(events[0].body["resource_name"] == "Purchase Order Contracts")
            #expect(events[0].body["event_type"] == "create")
            #expect(events[0].body["resource_id"]?.int == id)
            #expect(events[0].body["metadata"]?["source_application_id"] == .string(SandboxHarness.clientID))
            #expect(events[0].body["ulid"]?.string?.count == 26)
            #expect(events[1].body["resource_name"] == "Purchase Order Contract Line Items")
        }
        await listener.stop()
    }

    @Test func payloadVersions_v3AndV4() async throws {
        let listener = try await Listener.start()
        try await SandboxHarness.with { h in
            let token = try await h.token()
            _ = try await hook(h, token: token, listener: listener, version: "v3.0", resources: ["Purchase Order Contract Line Items"])
            let v4 = try await h.api(.POST, "/rest/v1.0/webhooks/hooks", token: token, json: [
                "company_id": 4242,
                "hook": ["api_version": "v4.0", "namespace": "lentune-v4", "destination_url": .string(listener.url)],
            ])
            #expect(v4.status == 201)
            let v4ID = try #require(v4.json["id"]?.int)
            let trigger = try await h.api(.POST, "/rest/v1.0/webhooks/hooks/\(v4ID)/triggers", token: token, json: [
                "company_id": 4242, "api_version": "v4.0", "trigger": ["resource_name": "Company Vendors", "event_type": "create"],
            ])
            #expect(trigger.json["event_type"] == "CREATE")
            let po = h.store.read { $0.purchaseOrders.first { $0.status == "Draft" }! }
            _ = try await h.api(.POST, "/rest/v1.0/purchase_order_contracts/\(po.id)/line_items", token: token,
                                json: ["project_id": .int(po.projectID), "line_item": ["amount": "5", "wbs_code_id": .int(h.budgetCode(in: h.projects.first { $0.id == po.projectID }!).id)]])
            _ = try await h.api(.POST, "/rest/v1.0/vendors", token: token, json: ["company_id": 4242, "vendor": ["name": "V4 Ltd"]])
            try await eventually(h) { listener.events.count >= 2 }
            let v3 = try #require(listener.events.first { $0.body["api_version"] == "v3.0" })
            #expect(v3.body["related_resources"]?.arrayValue?.first?["id"]?.int == po.id)
            let four = try #require(listener.events.first { $0.body["reason"] != nil })
            #expect(four.body["resource_type"] == "Company Vendors")
            #expect(four.body["company_id"] == "4242")
            #expect(four.body["resource_id"]?.string != nil)
        }
        await listener.stop()
    }

    @Test func failingEndpoint_pausesQueue_retriesInOrder_thenRecovers() async throws {
        let listener = try await Listener.start()
        var settings = SandboxSettings()
        settings.webhookTimeScale = 1000  // 1 s backoff becomes 1 ms
        try await SandboxHarness.with(settings: settings) { h in
            let token = try await h.token()
            let hookID = try await hook(h, token: token, listener: listener, resources: ["Company Vendors"])
            listener.fail(true)
            for name in ["First Ltd", "Second Ltd"] {
                _ = try await h.api(.POST, "/rest/v1.0/vendors", token: token, json: ["company_id": 4242, "vendor": .object(["name": .string(name)])])
            }
            // While the first delivery keeps failing, the second waits behind it.
            for _ in 0..<5 {
                await h.sandbox.server.dispatcher.tick()
                try await Task.sleep(for: .milliseconds(10))
            }
            let deliveries = try await h.api(.GET, "/rest/v2.0/companies/4242/webhooks/hooks/\(hookID)/deliveries", token: token)
            let statuses = deliveries.json["data"]?.arrayValue?.compactMap { $0["status"]?.string } ?? []
            #expect(statuses.sorted() == ["enqueued", "retrying"])
            let retrying = try #require(deliveries.json["data"]?.arrayValue?.first { $0["status"] == "retrying" })
            #expect((retrying["delivery_attempts"]?.arrayValue?.count ?? 0) >= 2)
            #expect(listener.events.isEmpty)

            listener.fail(false)
            try await eventually(h) { listener.events.count >= 2 }
            #expect(listener.events.map { $0.body["resource_id"]?.int } == h.vendors.suffix(2).map(\.id))
        }
        await listener.stop()
    }

    @Test func failingEndpoint_isDiscardedAfterTwelveHours() async throws {
        let listener = try await Listener.start()
        var settings = SandboxSettings()
        settings.webhookTimeScale = 43_200  // 12 h becomes 1 s; backoff 1 s becomes 23 µs
        try await SandboxHarness.with(settings: settings) { h in
            let token = try await h.token()
            let hookID = try await hook(h, token: token, listener: listener, resources: ["Company Vendors"])
            listener.fail(true)
            _ = try await h.api(.POST, "/rest/v1.0/vendors", token: token, json: ["company_id": 4242, "vendor": ["name": "Doomed Ltd"]])
            try await eventually(h) { h.store.read { $0.deliveries.allSatisfy { $0.status == "discarded" } } }
            let v1 = try await h.api(.GET, "/rest/v1.0/webhooks/hooks/\(hookID)/deliveries?company_id=4242&filters[status]=discarded", token: token)
            #expect(v1.array.count == 1)
            #expect(v1.array.first?["outcome"] == "discarded")
            // A new event starts a fresh cycle and is delivered once the endpoint works again.
            listener.fail(false)
            _ = try await h.api(.POST, "/rest/v1.0/vendors", token: token, json: ["company_id": 4242, "vendor": ["name": "Fresh Ltd"]])
            try await eventually(h) { listener.events.count == 1 }
            #expect(listener.events.first?.body["resource_id"]?.int == h.vendors.last?.id)
        }
        await listener.stop()
    }

    @Test func duplicateDeliveries_whenInjected() async throws {
        let listener = try await Listener.start()
        try await SandboxHarness.with { h in
            let token = try await h.token()
            _ = try await hook(h, token: token, listener: listener, resources: ["Company Vendors"])
            _ = try await h.admin(.PUT, "/faults", #"{"duplicate_webhooks": true}"#)
            _ = try await h.api(.POST, "/rest/v1.0/vendors", token: token, json: ["company_id": 4242, "vendor": ["name": "Twice Ltd"]])
            try await eventually(h) { listener.events.count >= 2 }
            #expect(listener.events.count == 2)
            #expect(listener.events[0].body["ulid"] == listener.events[1].body["ulid"])
        }
        await listener.stop()
    }

    @Test func hookValidation() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let bad = try await h.api(.POST, "/rest/v2.0/companies/4242/webhooks/hooks", token: token, json: [
                "payload_version": "v9", "namespace": "Bad Namespace", "destination_url": "http://example.com/hook",
            ])
            #expect(bad.status == 422)
            let sources = bad.json["error"]?["details"]?.arrayValue?.compactMap { $0["source"]?.string } ?? []
            #expect(Set(sources) == ["payload_version", "namespace", "destination_url"])
            let list = try await h.api(.GET, "/rest/v2.0/companies/4242/webhooks/hooks", token: token)
            #expect(list.status == 400)  // namespace is required on the company list
        }
    }
}
