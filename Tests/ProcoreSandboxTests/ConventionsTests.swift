import Foundation
@testable import ProcoreSandbox
import NIOHTTP1
import Testing

/// Company header, pagination, filters, errors and rate limits: the conventions every endpoint shares.
@Suite struct ConventionsTests {
    @Test func companyHeader_isEnforced() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let missing = try await h.api(.GET, "/rest/v1.0/vendors?company_id=4242", token: token, company: nil)
            #expect(missing.status == 400)
            #expect(missing.json["errors"] == "Missing Procore-Company-Id header!")
            // Show User Info and List Companies need no header, for a service account (client credentials) too.
            #expect(try await h.api(.GET, "/rest/v1.0/me", token: token, company: nil).status == 200)
            let companies = try await h.api(.GET, "/rest/v1.0/companies", token: token, company: nil)
            #expect(companies.status == 200)
            #expect(companies.array.count >= 1)
            #expect(try await h.api(.GET, "/rest/v1.0/companies", token: token).status == 200)
            // Sent anyway, the header must still name a company the token can reach.
            #expect(try await h.api(.GET, "/rest/v1.0/companies", token: token, company: 99).status == 404)
            // A company that does not exist, or a project of another company: 404.
            #expect(try await h.api(.GET, "/rest/v1.0/vendors?company_id=99", token: token, company: 99).status == 404)
            let project = h.firstProject.id
            #expect(try await h.api(.GET, "/rest/v1.0/purchase_order_contracts?project_id=\(project)", token: token, company: 99).status == 404)
            #expect(try await h.api(.GET, "/rest/v1.0/purchase_order_contracts?project_id=1", token: token).status == 404)
        }
    }

    @Test func pagination_edges() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            // 5 active-or-not projects; default filter shows active ones (all 5 in the seed).
            func page(_ n: Int, per: Int) async throws -> SandboxHarness.Reply {
                try await h.api(.GET, "/rest/v1.1/projects?company_id=4242&page=\(n)&per_page=\(per)", token: token)
            }
            let first = try await page(1, per: 2)
            #expect(first.header("Total") == "5")
            #expect(first.header("Per-Page") == "2")
            #expect(first.array.count == 2)
            #expect(rels(first) == ["next", "last"])
            #expect(rels(try await page(2, per: 2)) == ["first", "next", "last"])
            let last = try await page(3, per: 2)
            #expect(last.array.count == 1)
            #expect(rels(last) == ["first", "prev", "last"])
            // Exactly one page.
            let one = try await page(1, per: 5)
            #expect(one.array.count == 5)
            #expect(rels(one) == ["last"])
            // Beyond the end: empty, still the headers.
            #expect(try await page(9, per: 2).array.isEmpty)
            // per_page above the maximum is clamped (v1.1 projects: 300).
            #expect(try await page(1, per: 5000).header("Per-Page") == "300")
            // An empty list has Total 0 and no Link.
            let empty = try await h.api(.GET, "/rest/v1.1/projects?company_id=4242&filters[project_number]=none", token: token)
            #expect(empty.header("Total") == "0")
            #expect(empty.header("Link") == nil)
            #expect(empty.text == "[]")
        }
    }

    func rels(_ reply: SandboxHarness.Reply) -> [String] {
        (reply.header("Link") ?? "").components(separatedBy: ", ").compactMap { part in
            part.range(of: "rel=\"").map { String(part[$0.upperBound...].dropLast()) }
        }
    }

    @Test func nextLinks_walkEveryRecordOnce() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            var url: String? = "/rest/v1.0/cost_codes?project_id=\(h.firstProject.id)&per_page=3"
            var ids: [Int64] = []
            while let next = url {
                let reply = try await h.api(.GET, next, token: token)
                ids += reply.array.compactMap { $0["id"]?.int }
                url = (reply.header("Link") ?? "").components(separatedBy: ", ").first { $0.hasSuffix("rel=\"next\"") }
                    .map { String($0.dropFirst().prefix { $0 != ">" }) }
            }
            let project = h.firstProject.id
            let expected = h.store.read { data in data.costCodes.filter { $0.projectID == project } }.count
            #expect(ids.count == expected)
            #expect(Set(ids).count == expected)
        }
    }

    @Test func filters_updatedAtIdAndOrigin() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let company = "company_id=4242"
            let all = try await h.api(.GET, "/rest/v1.0/vendors?\(company)", token: token).array
            let ids = all.prefix(2).compactMap { $0["id"]?.int }
            let byID = try await h.api(.GET, "/rest/v1.0/vendors?\(company)&filters[id][]=\(ids[0])&filters[id][]=\(ids[1])", token: token)
            #expect(byID.array.compactMap { $0["id"]?.int } == ids)

            let created = try await h.api(
                .POST, "/rest/v1.0/vendors", token: token, json: ["company_id": 4242, "vendor": ["name": "Later Ltd", "origin_id": "v-9"]])
            #expect(created.status == 201)
            let byOrigin = try await h.api(.GET, "/rest/v1.0/vendors?\(company)&filters[origin_id]=v-9", token: token)
            #expect(byOrigin.array.map { $0["name"] } == ["Later Ltd"])

            let stamp = try #require(created.json["updated_at"]?.string)
            let window = try await h.api(.GET, "/rest/v1.0/vendors?\(company)&filters[updated_at]=\(stamp)...2100-01-01T00:00:00Z", token: token)
            #expect(window.array.contains { $0["name"] == "Later Ltd" })
            let before = try await h.api(.GET, "/rest/v1.0/vendors?\(company)&filters[updated_at]=2000-01-01...2000-01-02", token: token)
            #expect(before.array.isEmpty)
            let bad = try await h.api(.GET, "/rest/v1.0/vendors?\(company)&filters[updated_at]=yesterday", token: token)
            #expect(bad.status == 400)
            #expect(bad.json["errors"]?["filters[updated_at]"] != nil)
        }
    }

    @Test func badRequests_getProcoreErrors_neverA500() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let project = h.firstProject.id
            let malformed = try await h.api(.POST, "/rest/v1.0/purchase_order_contracts", token: token, rawBody: "{\"project_id\": ")
            #expect(malformed.status == 400)
            let missingWrapper = try await h.api(.POST, "/rest/v1.0/purchase_order_contracts", token: token, json: ["project_id": .int(project)])
            #expect(missingWrapper.status == 400)
            #expect(missingWrapper.json["errors"]?["purchase_order_contract"] != nil)
            let wrongTypes = try await h.api(
                .POST, "/rest/v1.0/purchase_order_contracts", token: token,
                json: ["project_id": .int(project), "purchase_order_contract": ["vendor_id": "abc", "status": "approved", "executed": "maybe"]])
            #expect(wrongTypes.status == 422)
            #expect(wrongTypes.json["errors"]?["vendor_id"] != nil)
            #expect(wrongTypes.json["errors"]?["status"] != nil)
            #expect(wrongTypes.json["errors"]?["executed"] != nil)
            #expect(try await h.api(.GET, "/rest/v1.0/purchase_order_contracts/123?project_id=\(project)", token: token).status == 404)
            #expect(try await h.api(.GET, "/rest/v1.0/nothing-here", token: token).status == 404)

            // A spread of hostile bodies against every writing endpoint family: nothing may answer 5xx.
            let bodies = ["[]", "null", "\"x\"", "{\"updates\": 5}", "{\"updates\": [1, 2]}", "{\"project_id\": \"x\"}",
                          String(repeating: "[", count: 200), "{\"line_item\": {\"quantity\": {}}}", "{\"a\":\"\\ud800\"}"]
            let paths = [
                "/rest/v1.0/purchase_order_contracts", "/rest/v1.0/purchase_order_contracts/sync",
                "/rest/v1.0/vendors", "/rest/v1.0/vendors/sync?company_id=4242", "/rest/v1.0/cost_codes/sync?project_id=\(project)",
                "/rest/v1.1/projects/\(project)/direct_costs", "/rest/v1.0/projects/\(project)/direct_costs/sync",
                "/rest/v1.1/requisitions", "/rest/v2.0/companies/4242/webhooks/hooks", "/rest/v1.0/webhooks/hooks",
                "/rest/v1.0/tax_codes?company_id=4242", "/rest/v1.0/line_item_types/sync",
            ]
            for path in paths {
                for body in bodies {
                    for method in [HTTPMethod.POST, .PATCH] {
                        let reply = try await h.api(method, path, token: token, rawBody: body)
                        #expect(reply.status < 500, "\(method) \(path) \(body) → \(reply.status) \(reply.text)")
                    }
                }
            }
        }
    }

    @Test func rateLimit_spikeWindow() async throws {
        var settings = SandboxSettings()
        settings.spikeLimit = 3
        settings.spikeWindow = 60
        try await SandboxHarness.with(settings: settings) { h in
            let token = try await h.token()
            for remaining in [2, 1, 0] {
                let reply = try await h.api(.GET, "/rest/v1.0/me", token: token)
                #expect(reply.status == 200)
                #expect(reply.header("X-Rate-Limit-Limit") == "3")
                #expect(reply.header("X-Rate-Limit-Remaining") == String(remaining))
            }
            let limited = try await h.api(.GET, "/rest/v1.0/me", token: token)
            #expect(limited.status == 429)
            #expect(limited.text == "You have surpassed the max number of requests for an hour. Please wait until your limit resets.")
            let retry = try #require(limited.header("Retry-After").flatMap(Int.init))
            #expect(retry >= 1 && retry <= 60)
            let reset = try #require(limited.header("X-Rate-Limit-Reset").flatMap(Int.init))
            #expect(reset > Int(Date().timeIntervalSince1970))
            // Another company has its own bucket... but this token reaches only one; errors also spend quota.
        }
    }

    @Test func rateLimit_hourlyWindow() async throws {
        var settings = SandboxSettings()
        settings.hourlyLimit = 2
        try await SandboxHarness.with(settings: settings) { h in
            let token = try await h.token()
            _ = try await h.api(.GET, "/rest/v1.0/me", token: token)
            let second = try await h.api(.GET, "/rest/v1.0/nothing", token: token)  // a 404 spends quota too
            #expect(second.status == 404)
            #expect(second.header("X-Rate-Limit-Limit") == "2")
            let third = try await h.api(.GET, "/rest/v1.0/me", token: token)
            #expect(third.status == 429)
            #expect(third.header("X-Rate-Limit-Limit") == "2")
            #expect((third.header("Retry-After").flatMap(Int.init) ?? 0) > 3000)
        }
    }

    @Test func faults_stormsErrorsAndDroppedResponses() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            _ = try await h.admin(.PUT, "/faults", #"{"storm": {"status": 503, "count": 2, "retry_after": 3}}"#)
            let shed = try await h.api(.GET, "/rest/v1.0/me", token: token)
            #expect(shed.status == 503)
            #expect(shed.header("Retry-After") == "3")
            #expect(try await h.api(.GET, "/rest/v1.0/me", token: token).status == 503)
            #expect(try await h.api(.GET, "/rest/v1.0/me", token: token).status == 200)

            _ = try await h.admin(.PUT, "/faults", #"{"error_rates": {"GET /rest/v1.0/me": 1.0}}"#)
            #expect(try await h.api(.GET, "/rest/v1.0/me", token: token).status == 500)
            _ = try await h.admin(.DELETE, "/faults")

            let project = h.firstProject
            _ = try await h.admin(.PUT, "/faults", #"{"drop_after_commit": {"POST /rest/v1.0/purchase_order_contracts": 1}}"#)
            await #expect(throws: (any Error).self) {
                _ = try await h.api(
                    .POST, "/rest/v1.0/purchase_order_contracts", token: token,
                    json: ["project_id": .int(project.id), "purchase_order_contract": ["number": "PO-DROP", "origin_id": "drop-1"]])
            }
            // The write committed although the answer was lost: a lookup by origin_id finds it.
            let found = try await h.api(
                .GET, "/rest/v1.0/purchase_order_contracts?project_id=\(project.id)&filters[origin_id]=drop-1", token: token)
            #expect(found.array.count == 1)

            let log = try await h.admin(.GET, "/requests")
            #expect((log.json["counts"]?["GET /rest/v1.0/me"]?.int ?? 0) >= 4)
        }
    }
}
