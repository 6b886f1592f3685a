import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import LentuneTestSupport
@testable import LentuneWeb
import Testing
import Vapor
import VaporTesting

/// The defects of issue 10, each through the API and the pages, as the outside review reproduced them.
@Suite struct HardeningTests {
    static func apiBody(_ h: WebHarness, title: String = "Bolts", quantity: String = "1", unitCost: String = "1", extra: String = "") -> String {
        #"{"supplier_id": "\#(h.orgA.supplier.id)", "project_id": "\#(h.orgA.project.id)", "title": "\#(title)"\#(extra), "lines": [{"description": "M12", "quantity": "\#(quantity)", "unit_cost": "\#(unitCost)"}]}"#
    }

    // MARK: - 1. Page overflow

    @Test func hugePageNumber_isA400_onTheAPIAndThePage_andTheServerLives() async throws {
        try await WebHarness.with { h in
            try await PurchaseOrders.insert(h.orgA.purchaseOrder(number: "PO-1"), on: h.app.db)
            let token = try await h.apiToken("auditor@a.example")
            let client = h.client()
            for page in ["9223372036854775807", "1000001", "-9223372036854775808", "99999999999999999999"] {
                let api = try await client.api(.GET, "/api/v1/purchase-orders?page=\(page)", token: token)
                #expect(api.status == .badRequest, "\(page)")
                #expect(api.body.string.contains(#""page":"#), "\(page)")
            }
            #expect(try await client.api(.GET, "/api/v1/purchase-orders?page=1000000", token: token).status == .ok)
            try await client.signIn("ap_officer@a.example")
            let html = try await client.get("/purchase-orders?page=9223372036854775807")
            #expect(html.status == .badRequest)
            #expect(html.body.string.contains("does not exist, so the first page is shown"))
            #expect(html.body.string.contains("PO-1"))
        }
    }

    // MARK: - 2. Money overflow

    @Test func overflowingLine_isRefused_byCreateFormAndPut_andCannotBeApproved() async throws {
        try await WebHarness.with { h in
            let token = try await h.apiToken("ap_officer@a.example")
            let client = h.client()
            let created = try await client.api(.POST, "/api/v1/purchase-orders", token: token,
                                               body: Self.apiBody(h, quantity: "1000000000", unitCost: "150000000"))
            #expect(created.status == .unprocessableEntity)
            #expect(created.body.string.contains("999,999,999,999.99"))
            #expect(try await h.purchaseOrderCount() == 0)

            // PUT on an existing draft.
            let ok = try await client.api(.POST, "/api/v1/purchase-orders", token: token, body: Self.apiBody(h))
            #expect(ok.status == .created)
            let location = try #require(ok.headers.first(name: .location))
            let put = try await client.api(.PUT, location, token: token, body: Self.apiBody(h, quantity: "1000000000", unitCost: "150000000"))
            #expect(put.status == .unprocessableEntity)
            let stored = try await client.api(.GET, location, token: token)
            #expect(stored.body.string.contains(#""total_excluding_tax":"1.00""#))
            // The AP officer's limit is 0 in the fixture: a submit sends the PO for approval, never approves it.
            let submitted = try await client.api(.POST, location + "/submit", token: token)
            #expect(!submitted.body.string.contains(#""status":"approved""#))

            // The form.
            try await client.signIn("ap_officer@a.example")
            let form = try await client.get("/purchase-orders/new")
            var fields = h.poForm(csrf: client.csrf(from: form) ?? "")
            fields["lines[0][quantity]"] = "1000000000"
            fields["lines[0][unit_cost]"] = "150000000"
            let posted = try await client.post("/purchase-orders", form: fields)
            #expect(posted.status == .unprocessableEntity)
            #expect(posted.body.string.contains("Line 1: the amount (quantity × unit cost) must be between 0 and 999,999,999,999.99."))
            #expect(try await h.purchaseOrderCount() == 1)
        }
    }

    // MARK: - 5. NUL bytes and control characters

    @Test func nulInATitle_isRefusedWithAMessage_fromTheAPIAndTheForm() async throws {
        try await WebHarness.with { h in
            let token = try await h.apiToken("ap_officer@a.example")
            let client = h.client()
            let api = try await client.api(.POST, "/api/v1/purchase-orders", token: token, body: Self.apiBody(h, title: #"nul\u0000byte"#))
            #expect(api.status == .unprocessableEntity)
            #expect(api.body.string.contains("The title contains a control character"))
            try await client.signIn("ap_officer@a.example")
            let form = try await client.get("/purchase-orders/new")
            var fields = h.poForm(csrf: client.csrf(from: form) ?? "")
            fields["title"] = "nul\u{0}byte"
            fields["lines[1][description]"] = "bell\u{7}"
            let posted = try await client.post("/purchase-orders", form: fields)
            #expect(posted.status == .unprocessableEntity)
            #expect(posted.body.string.contains("The title contains a control character"))
            #expect(posted.body.string.contains("Line 2: the description contains a control character"))
            #expect(try await h.purchaseOrderCount() == 0)
            // Line breaks from a text area (CRLF) are fine.
            fields["title"] = "Concrete"
            fields["lines[1][description]"] = "Rebar"
            fields["description"] = "Deliver to gate 3\r\nCall ahead\tplease"
            #expect(try await client.post("/purchase-orders", form: fields).status == .seeOther)
            // A search with NUL is left out with a message, not a 500 on PostgreSQL.
            let search = try await client.api(.GET, "/api/v1/purchase-orders?q=a%00b", token: token)
            #expect(search.status == .badRequest)
        }
    }

    // MARK: - 6. Smaller ones

    @Test func duplicateLineID_impossibleDate_combiningQuantity_areEachNamed() async throws {
        try await WebHarness.with { h in
            let token = try await h.apiToken("ap_officer@a.example")
            let client = h.client()
            let created = try await client.api(.POST, "/api/v1/purchase-orders", token: token, body: Self.apiBody(h))
            let location = try #require(created.headers.first(name: .location))
            struct Shown: Decodable { struct Line: Decodable { var id: UUID }; var lines: [Line] }
            let line = try JSONDecoder().decode(Shown.self, from: Data(created.body.string.utf8)).lines[0].id
            let twice = #"{"supplier_id": "\#(h.orgA.supplier.id)", "project_id": "\#(h.orgA.project.id)", "title": "Bolts", "lines": [{"id": "\#(line)", "description": "a", "quantity": "1", "unit_cost": "1"}, {"id": "\#(line)", "description": "b", "quantity": "1", "unit_cost": "1"}]}"#
            let put = try await client.api(.PUT, location, token: token, body: twice)
            #expect(put.status == .unprocessableEntity)
            #expect(put.body.string.contains("is listed more than once"))
            #expect(!put.body.string.contains("already used"))

            let date = try await client.api(.POST, "/api/v1/purchase-orders", token: token, body: Self.apiBody(h, extra: #", "delivery_date": "2024-02-30""#))
            #expect(date.status == .unprocessableEntity)
            #expect(date.body.string.contains("delivery_date"))

            let combining = try await client.api(.POST, "/api/v1/purchase-orders", token: token, body: Self.apiBody(h, quantity: #"1\u0308"#))
            #expect(combining.status == .unprocessableEntity)
            #expect(combining.body.string.contains("the quantity must be a number"))
            #expect(try await h.purchaseOrderCount() == 1)
        }
    }

    @Test func textPlainBody_is415_andEmptyUUIDParameter_is400() async throws {
        try await WebHarness.with { h in
            let token = try await h.apiToken("ap_officer@a.example")
            let client = h.client()
            let plain = try await client.send(
                .POST, "/api/v1/purchase-orders",
                headers: ["Authorization": "Bearer \(token)", "Content-Type": "text/plain", "Accept": "application/json"],
                body: ByteBuffer(string: Self.apiBody(h)))
            #expect(plain.status == .unsupportedMediaType)
            #expect(plain.headers.contentType?.subType == "problem+json")
            let empty = try await client.api(.GET, "/api/v1/purchase-orders?supplier=", token: token)
            #expect(empty.status == .badRequest)
            #expect(empty.body.string.contains(#""supplier":"#))
            // The page's filter form sends supplier= for "All suppliers": that stays fine there.
            try await client.signIn("ap_officer@a.example")
            #expect(try await client.get("/purchase-orders?supplier=&project=&q=").status == .ok)
        }
    }

    @Test func decodingErrors_speakTheClientsTerms() async throws {
        try await SettingsFixture.with { f in
            let token = try await f.harness.apiToken("administrator@a.example")
            let client = f.harness.client()
            let reply = try await client.api(.PUT, f.path, token: token, body: #"{"linked": "yes", "version": 1}"#)
            #expect(reply.status == .unprocessableEntity)
            #expect(reply.body.string.contains(#""linked":"must be true or false""#))
            for swiftism in ["DecodingError", "typeMismatch", "CodingKeys", "Swift."] {
                #expect(!reply.body.string.contains(swiftism), "\(swiftism)")
            }
            let lines = try await client.api(.POST, "/api/v1/purchase-orders", token: token,
                                             body: #"{"title": "x", "lines": [{"description": 5, "quantity": "1", "unit_cost": "1"}]}"#)
            #expect(lines.body.string.contains(#""lines[0].description":"must be a string""#))
            let uuid = try await client.api(.POST, "/api/v1/purchase-orders", token: token, body: #"{"supplier_id": "nope"}"#)
            #expect(uuid.body.string.contains(#""supplier_id":"must be a uuid""#))
        }
    }

    @Test func projectStages_mustBeTheCompanysOwnNames() async throws {
        try await SettingsFixture.with { f in
            let token = try await f.harness.apiToken("administrator@a.example")
            let client = f.harness.client()
            func put(_ stages: String) async throws -> TestingHTTPResponse {
                try await client.api(.PUT, f.path, token: token, body: #"{"linked": true, "lentune_purchase_order": false, "procore_purchase_order": false, "project_stages": \#(stages), "rounding_tolerance": "0.05", "version": 1}"#)
            }
            for (stages, message) in [
                (#"["Course of Construction", ""]"#, "cannot be empty"),
                (#"["Course of\u0000Construction"]"#, "control character"),
                (#"["Demolished"]"#, "is not a project stage of Kauri Construction Ltd"),
            ] {
                let reply = try await put(stages)
                #expect(reply.status == .unprocessableEntity, "\(stages)")
                #expect(reply.body.string.contains(message), "\(stages): \(reply.body.string)")
            }
            #expect(try await f.stored().version == 1)
            // Once the company's own stages are read from Procore, exactly those are accepted.
            try await ProcoreCompanyLinkRecord.query(on: f.db).filter(\.$id == f.link.id.rawValue)
                .set(\.$availableStages, to: "Course of Construction\nDemolished").update()
            #expect(try await put(#"["Demolished"]"#).status == .ok)
            #expect(try await f.stored().link.projectStages == ["Demolished"])
        }
    }

    // MARK: - 7. Metrics

    @Test func metrics_needTheTokenWhenOneIsSet() async throws {
        var environment = ["LENTUNE_ENV": "testing", "LENTUNE_DATABASE_URL": "sqlite::memory:", "LENTUNE_METRICS_TOKEN": "abcdefghijklmnop1234"]
        try await withApp(configure: { app in
            try await configure(app, config: try LentuneConfig.load(environment: environment))
            try await app.autoMigrate()
        }) { app in
            #expect(try await app.testing().sendRequest(.GET, "/metrics").status == .unauthorized)
            #expect(try await app.testing().sendRequest(.GET, "/metrics", headers: ["Authorization": "Bearer wrong-token-000000"]).status == .unauthorized)
            _ = try await app.testing().sendRequest(.GET, "/healthz")
            let ok = try await app.testing().sendRequest(.GET, "/metrics", headers: ["Authorization": "Bearer abcdefghijklmnop1234"])
            #expect(ok.status == .ok)
            #expect(ok.headers.first(name: .contentType)?.hasPrefix("text/plain; version=0.0.4") == true)
            #expect(ok.body.string.contains(#"lentune_http_requests_total{method="GET",route="/healthz",status="200"}"#))
        }
        environment["LENTUNE_METRICS_TOKEN"] = "short"
        #expect(throws: LentuneConfig.Error.self) { try LentuneConfig.load(environment: environment) }
    }
}

/// The middlewares decide CSRF exemption and body limits by the request's path, and `WebhookLane` which requests it
/// takes; it must always equal `URI.path`, which Vapor routes by.
@Suite struct RoutingPathTests {
    @Test(arguments: [
        ("/webhooks/procore/abc", "/webhooks/procore/abc"),
        ("/api/v1/invoices?page=2&x=%2F", "/api/v1/invoices"),
        ("/we%62hooks/procore/abc", "/we%62hooks/procore/abc"),  // Vapor's path keeps the escapes, and routes by them
        ("/invoices%2Fnew", "/invoices%2Fnew"),
        ("/sign-in#top", "/sign-in"),
        ("http://127.0.0.1/api/v1/me", "/api/v1/me"),  // the absolute form
    ])
    func theRoutingPath_isTheDecodedPath(target: String, expected: String) async throws {
        let app = try await Application.make(.testing)
        let request = Request(application: app, method: .GET, url: URI(string: target), on: app.eventLoopGroup.next())
        #expect(request.routingPath == expected)
        #expect(request.routingPath == request.url.path)
        try await app.asyncShutdown()
    }
}
