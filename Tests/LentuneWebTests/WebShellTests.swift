import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import LentuneTestSupport
import LentuneWeb
import Testing
import Vapor
import VaporTesting

@Suite struct SignInTests {
    @Test func signIn_withRightPassword_opensSessionAndNavigation() async throws {
        try await WebHarness.with { harness in
            let client = harness.client()
            let response = try await client.signIn("administrator@a.example")
            #expect(response.status == .seeOther)
            #expect(response.headers.first(name: .location) == "/")
            let setCookie = response.headers[.setCookie].joined(separator: "\n")
            #expect(setCookie.contains("lentune_session=") && setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax"))
            let page = try await client.get("/invoices")
            #expect(page.status == .ok)
            for label in ["Invoices", "Purchase Orders", "Suppliers", "Projects", "Administration"] {
                #expect(page.body.string.contains(">\(label)</a>"), "\(label)")
            }
            // Only the hash of the token is stored.
            let stored = try await SessionRecord.query(on: harness.app.db).all()
            #expect(stored.count == 1)
            #expect(stored[0].tokenHash != client.cookies["lentune_session"])
        }
    }

    @Test(arguments: [("administrator@a.example", "wrong password"), ("nobody@a.example", WebHarness.password)])
    func signIn_wrongPasswordOrUnknownUser_refusedWithSameMessage(email: String, password: String) async throws {
        try await WebHarness.with { harness in
            let client = harness.client()
            let response = try await client.signIn(email, password: password)
            #expect(response.status == .unauthorized)
            #expect(response.body.string.contains("The email or password is incorrect."))
            #expect(client.cookies["lentune_session"] == nil)
            #expect(try await SessionRecord.query(on: harness.app.db).count() == 0)
            // Still signed out.
            #expect(try await client.get("/invoices").status == .seeOther)
        }
    }

    @Test func signIn_withoutCSRFToken_isRefused() async throws {
        try await WebHarness.with { harness in
            let client = harness.client()
            _ = try await client.get("/sign-in")
            let response = try await client.post(
                "/sign-in", form: ["email": "administrator@a.example", "password": WebHarness.password])
            #expect(response.status == .forbidden)
            #expect(response.body.string.contains("This form has expired or did not come from Lentune"))
            #expect(try await SessionRecord.query(on: harness.app.db).count() == 0)
        }
    }

    @Test func signOut_withoutCSRFToken_isRefusedAndSessionSurvives() async throws {
        try await WebHarness.with { harness in
            let client = harness.client()
            try await client.signIn("ap_officer@a.example")
            #expect(try await client.post("/sign-out", form: [:]).status == .forbidden)
            #expect(try await client.post("/sign-out", form: ["_csrf": "forged"]).status == .forbidden)
            #expect(try await SessionRecord.query(on: harness.app.db).count() == 1)
            let page = try await client.get("/invoices")
            #expect(page.status == .ok)
            let signOut = try await client.post("/sign-out", form: ["_csrf": client.csrf(from: page) ?? ""])
            #expect(signOut.status == .seeOther)
            #expect(try await SessionRecord.query(on: harness.app.db).count() == 0)
            #expect(try await client.get("/invoices").status == .seeOther)
        }
    }

    @Test func signIn_nextParameter_neverRedirectsOffSite() async throws {
        try await WebHarness.with { harness in
            let client = harness.client()
            let page = try await client.get("/sign-in")
            let response = try await client.post(
                "/sign-in",
                form: ["email": "administrator@a.example", "password": WebHarness.password, "next": "//evil.example/x",
                       "_csrf": client.csrf(from: page) ?? ""])
            #expect(response.headers.first(name: .location) == "/")
        }
    }

    @Test func signedOut_pagesRedirectToSignIn_andJSONGets401Problem() async throws {
        try await WebHarness.with { harness in
            let client = harness.client()
            let page = try await client.get("/purchase-orders")
            #expect(page.status == .seeOther)
            #expect(page.headers.first(name: .location) == "/sign-in?next=%2Fpurchase%2Dorders")
            let json = try await client.get("/purchase-orders", accept: "application/json")
            #expect(json.status == .unauthorized)
            #expect(json.headers.first(name: .contentType) == "application/problem+json")
            #expect(json.body.string.contains(#""status":401"#))
        }
    }
}

@Suite struct AuthorisationTests {
    @Test(arguments: [Role.apOfficer, .approver, .auditor])
    func nonAdministrator_isRefusedAdministration(role: Role) async throws {
        try await WebHarness.with { harness in
            let client = harness.client()
            try await client.signIn("\(role.rawValue)@a.example")
            for path in ["/administration", "/administration/users", "/administration/audit-log"] {
                let response = try await client.get(path)
                #expect(response.status == .forbidden, "\(path)")
                #expect(response.body.string.contains("Only administrators can open this page."))
            }
            // The navigation does not offer what they cannot open.
            #expect(!(try await client.get("/invoices")).body.string.contains(">Administration</a>"))
        }
    }

    @Test func administrator_opensAdministration() async throws {
        try await WebHarness.with { harness in
            let client = harness.client()
            try await client.signIn("administrator@a.example")
            #expect(try await client.get("/administration").status == .ok)
            let users = try await client.get("/administration/users")
            #expect(users.body.string.contains("ap_officer@a.example"))
            #expect(!users.body.string.contains("administrator@b.example"))
            #expect(try await client.get("/administration/audit-log").status == .ok)
        }
    }

    @Test func recordOfAnotherOrganisation_is404() async throws {
        try await WebHarness.with { harness in
            let poA = harness.orgA.purchaseOrder(number: "PO-A1")
            let poB = harness.orgB.purchaseOrder(number: "PO-B1")
            try await PurchaseOrders.insert(poA, on: harness.app.db)
            try await PurchaseOrders.insert(poB, on: harness.app.db)
            let client = harness.client()
            try await client.signIn("administrator@a.example")
            let own = try await client.get("/purchase-orders/\(poA.id)")
            #expect(own.status == .ok)
            #expect(own.body.string.contains("PO-A1"))
            let foreign = try await client.get("/purchase-orders/\(poB.id)")
            #expect(foreign.status == .notFound)
            #expect(!foreign.body.string.contains("PO-B1"))
            #expect(try await client.get("/projects/\(harness.orgB.project.id)").status == .notFound)
            #expect(try await client.get("/projects/\(harness.orgA.project.id)").status == .ok)
            #expect(try await client.get("/purchase-orders/not-a-uuid").status == .notFound)
            let list = try await client.get("/purchase-orders")
            #expect(list.body.string.contains("PO-A1") && !list.body.string.contains("PO-B1"))
        }
    }
}

@Suite struct PageTests {
    @Test func text_isEscapedOnOutput() async throws {
        try await WebHarness.with { harness in
            let hostile = Supplier(
                organisationID: harness.orgA.organisation.id, name: #"<script>alert(1)</script>" onmouseover="x"#)
            try await ReferenceData.insert(hostile, on: harness.app.db)
            let client = harness.client()
            try await client.signIn("ap_officer@a.example")
            let html = try await client.get("/suppliers").body.string
            #expect(!html.contains("<script>alert(1)"))
            #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x"))
        }
    }

    @Test func purchaseOrderPage_showsTotalsAndSource() async throws {
        try await WebHarness.with { harness in
            var po = harness.orgA.purchaseOrder(number: "PO-7")
            po.origin = .procore
            try await PurchaseOrders.insert(po, on: harness.app.db)
            let client = harness.client()
            try await client.signIn("auditor@a.example")
            let html = try await client.get("/purchase-orders/\(po.id)").body.string
            #expect(html.contains("Source: Procore"))
            // 1×3.33 + 2×3.33 + 3×3.33 = 19.98; GST per line 0.50 + 1.00 + 1.50 = 3.00.
            #expect(html.contains(#"<dd id="total-excl">19.98</dd>"#))
            #expect(html.contains(#"<dd id="total-tax">3.00</dd>"#))
            #expect(html.contains(#"<dd id="total-incl">22.98</dd>"#))
        }
    }

    @Test func healthzAndMetrics() async throws {
        try await WebHarness.with { harness in
            let client = harness.client()
            let health = try await client.get("/healthz", accept: "application/json")
            #expect(health.status == .ok)
            #expect(health.body.string.contains(#""database":"ok""#))
            // In-process requests have no remote address, so they are not "this machine": without the token, 403
            // (HardeningTests.metrics_needTheTokenWhenOneIsSet scrapes them with the token).
            let metrics = try await client.get("/metrics", accept: "text/plain")
            #expect(metrics.status == .forbidden)
            #expect(metrics.body.string.contains("LENTUNE_METRICS_TOKEN"))
        }
    }

    @Test func securityHeaders_onEveryPage() async throws {
        try await WebHarness.with { harness in
            let response = try await harness.client().get("/sign-in")
            #expect(response.headers.first(name: "Content-Security-Policy")?.contains("script-src 'self'") == true)
            #expect(response.headers.first(name: "X-Frame-Options") == "DENY")
        }
    }
}

@Suite struct ConfigTests {
    @Test func defaults_forDevelopment() throws {
        let config = try LentuneConfig.load(environment: [:])
        #expect(config.database == .sqliteFile(path: "lentune.sqlite"))
        #expect(config.port == 8080)
        #expect(config.mode == .development)
    }

    @Test func everyProblem_isReportedTogetherWithItsName() {
        #expect {
            _ = try LentuneConfig.load(environment: [
                "LENTUNE_ENV": "production", "LENTUNE_DATABASE_URL": "mysql://x", "PORT": "99999", "LOG_LEVEL": "loud",
            ])
        } throws: { error in
            guard let error = error as? LentuneConfig.Error else { return false }
            let names = ["LENTUNE_DATABASE_URL", "LENTUNE_SECRET_KEY", "PORT", "LENTUNE_PUBLIC_URL", "LOG_LEVEL"]
            return error.problems.count == names.count
                && names.allSatisfy { name in error.problems.contains { $0.hasPrefix(name + ":") } }
        }
    }

    @Test func postgresURL_switchesDatabase() throws {
        let config = try LentuneConfig.load(environment: ["LENTUNE_DATABASE_URL": "postgres://u:p@127.0.0.1:5432/lentune"])
        #expect(config.database.isPostgres)
    }

    @Test func production_refusesTheDevelopmentKey() {
        #expect(throws: LentuneConfig.Error.self) {
            _ = try LentuneConfig.load(environment: [
                "LENTUNE_ENV": "production", "LENTUNE_SECRET_KEY": LentuneConfig.developmentSecretKey,
                "LENTUNE_PUBLIC_URL": "https://ap.example.com",
            ])
        }
    }
}

@Suite struct HTMLTests {
    @Test func escapesTextAndAttributes() {
        let node = el("a", .href(#"/x?a=1&b="2""#), .disabled(false)) { "<b>Tom & 'Jerry'</b>" }
        #expect(node.render() == #"<a href="/x?a=1&amp;b=&quot;2&quot;">&lt;b&gt;Tom &amp; &#39;Jerry&#39;&lt;/b&gt;</a>"#)
        #expect(el("input", .disabled(true)).render() == "<input disabled>")
    }

    @Test func escapesAroundNonASCIIText() {
        // A combining mark right after a special character, emoji, and text with nothing to escape.
        #expect(HTML.escape("<\u{301}a&b") == "&lt;\u{301}a&amp;b")
        #expect(HTML.escape("Kauri Ōtautahi 🏗️ \"Ltd\"") == "Kauri Ōtautahi 🏗️ &quot;Ltd&quot;")
        #expect(HTML.escape("Plain text") == "Plain text")
        #expect(HTML.escape("&") == "&amp;")
        #expect(HTML.escape("") == "")
    }
}

/// Repeated wrong passwords lock the email for a while, known or not, even for the right password.
@Suite struct SignInThrottleWebTests {
    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var value = Date(timeIntervalSince1970: 1_800_000_000)
        var now: Date { lock.withLock { value } }
        func advance(minutes: Double) { lock.withLock { value.addTimeInterval(minutes * 60) } }
    }

    @Test(arguments: ["administrator@a.example", "nobody@a.example"])
    func fiveWrongPasswords_lockTheEmailForFifteenMinutes(email: String) async throws {
        try await WebHarness.with { h in
            let clock = Clock()
            h.app.lentune.now = { clock.now }
            let client = h.client()
            for _ in 0..<5 {
                #expect(try await client.signIn(email.uppercased(), password: "wrong").status == .unauthorized)
                clock.advance(minutes: 1)
            }
            // Locked: even the right password is not checked, and the answer is the same for unknown emails.
            let locked = try await client.signIn(email, password: WebHarness.password)
            #expect(locked.status == .tooManyRequests)
            #expect(locked.body.string.contains("Too many failed sign-ins with this email. Try again in 10 minutes"))
            #expect(locked.headers.first(name: .retryAfter) == "600")
            #expect(locked.headers.setCookie?["lentune_session"] == nil)
            // Another email is not affected.
            #expect(try await client.signIn("ap_officer@a.example").status == .seeOther)

            clock.advance(minutes: 11)
            let after = try await h.client().signIn(email, password: WebHarness.password)
            if email.hasPrefix("administrator") {
                #expect(after.status == .seeOther)
                // A success starts the count again: four more failures do not lock.
                let other = h.client()
                for _ in 0..<4 { _ = try await other.signIn(email, password: "wrong") }
                #expect(try await other.signIn(email, password: WebHarness.password).status == .seeOther)
            } else {
                #expect(after.status == .unauthorized)
            }
        }
    }
}
