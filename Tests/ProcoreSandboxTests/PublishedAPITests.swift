import Foundation
import NIOHTTP1
@testable import ProcoreSandbox
import Testing

/// Issue 26: where the sandbox agreed with the client and not with Procore's published description
/// (`Tests/Fixtures/ProcoreOpenAPI`).
@Suite struct PublishedAPITests {
    static func directCostPath(_ project: Project) -> String { "/rest/v1.1/projects/\(project.id)/direct_costs" }

    static func multipart(_ fields: [(String, String)], files: [(String, String, String)], boundary: String = "b-26") -> String {
        var text = ""
        for (name, value) in fields { text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n" }
        for (name, filename, content) in files {
            text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: application/pdf\r\n\r\n\(content)\r\n"
        }
        return text + "--\(boundary)--\r\n"
    }

    /// 1. Procore's v1.1 nested direct-cost line requires `wbs_code_id` and has no cost code + cost type fields.
    @Test func directCostLines_needABudgetCode_andAPairIsNotOne() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let project = h.firstProject
            let budget = h.budgetCode(in: project)
            let vendor = h.vendors[0].id
            func create(_ number: String, _ line: JSON) async throws -> SandboxHarness.Reply {
                try await h.api(.POST, Self.directCostPath(project), token: token, json: ["direct_cost": [
                    "direct_cost_type": "invoice", "vendor_id": .int(vendor), "invoice_number": .string(number), "line_items": [line],
                ]])
            }
            let pair = try await create("DC-26-1", ["manual_amount": 10, "cost_code_id": .int(budget.costCodeID), "line_item_type_id": .int(budget.lineItemTypeID)])
            #expect(pair.status == 422, "\(pair.text)")
            #expect(h.store.read { $0.directCosts.contains { $0.invoiceNumber == "DC-26-1" } } == false)
            let coded = try await create("DC-26-2", ["manual_amount": 10, "wbs_code_id": .int(budget.id)])
            #expect(coded.status == 201, "\(coded.text)")
            #expect(coded.json["line_items"]?.arrayValue?.first?["wbs_code"]?["id"]?.int == budget.id)
        }
    }

    /// 2. Attachments are `{id, url, filename}`; and (for requests per invoice) the create takes them as multipart.
    @Test func directCostAttachments_areIdURLAndFilename_andTheCreateTakesThem() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let project = h.firstProject
            let budget = h.budgetCode(in: project)
            let body = Self.multipart([
                ("direct_cost[direct_cost_type]", "invoice"), ("direct_cost[vendor_id]", String(h.vendors[0].id)),
                ("direct_cost[invoice_number]", "DC-26-3"), ("direct_cost[origin_id]", "inv-26-3"),
                ("direct_cost[line_items][0][wbs_code_id]", String(budget.id)), ("direct_cost[line_items][0][manual_amount]", "12.50"),
                ("direct_cost[line_items][0][description]", "Sand"),
            ], files: [("attachments[]", "INV-26-3.pdf", "%PDF-1.4")])
            let created = try await h.send(
                .POST, Self.directCostPath(project), body: body, contentType: "multipart/form-data; boundary=b-26",
                headers: [("Authorization", "Bearer \(token)"), ("Procore-Company-Id", String(SandboxHarness.company))])
            #expect(created.status == 201, "\(created.text)")
            #expect(created.json["grand_total"]?.string == "12.5")
            let attachment = try #require(created.json["attachments"]?.arrayValue?.first?.objectValue)
            #expect(Set(attachment.keys) == ["id", "url", "filename"])
            #expect(attachment["filename"] == "INV-26-3.pdf")
            let shown = try await h.api(.GET, Self.directCostPath(project) + "/\(try #require(created.json["id"]?.int))", token: token)
            #expect(shown.json["attachments"]?.arrayValue?.compactMap { $0["filename"]?.string } == ["INV-26-3.pdf"])
            #expect(shown.json["attachments"]?.arrayValue?.first?["name"] == nil)
        }
    }

    /// 3. `position` is not a writable line item field in Procore's schema: the sandbox places lines itself.
    @Test func lineItemPosition_isNotWritable() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let project = h.firstProject
            let budget = h.budgetCode(in: project)
            let po = try await h.api(.POST, "/rest/v1.0/purchase_order_contracts", token: token, json: [
                "project_id": .int(project.id), "purchase_order_contract": ["number": "PO-26-POS"],
            ])
            let lines = "/rest/v1.0/purchase_order_contracts/\(try #require(po.json["id"]?.int))/line_items"
            let first = try await h.api(.POST, lines, token: token, json: [
                "project_id": .int(project.id), "line_item": ["amount": "10", "wbs_code_id": .int(budget.id), "position": 7],
            ])
            #expect(first.status == 201)
            #expect(first.json["position"]?.int == 1)
            let synced = try await h.api(.PATCH, lines + "/sync?project_id=\(project.id)", token: token, json: [
                "updates": [["origin_id": "l-2", "amount": "5", "wbs_code_id": .int(budget.id), "position": 1]],
            ])
            #expect(synced.json["entities"]?.arrayValue?.first?["position"]?.int == 2)
        }
    }

    /// 4. Triggers echo Procore's event names (`CREATED`); a company hook takes company resources only; a project
    /// hook takes the project resources; the resource lists are Procore's.
    @Test func triggers_echoProcoresEventNames_andEachHookLevelTakesItsOwnResources() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let company = SandboxHarness.company
            let project = h.firstProject.id
            func hook(_ base: String) async throws -> Int64 {
                let made = try await h.api(.POST, base + "/webhooks/hooks", token: token, json: [
                    "payload_version": "v3.0", "namespace": "levels", "destination_url": "https://ap.example.com/h",
                ])
                return Int64(try #require(made.json["data"]?["id"]?.string))!
            }
            let companyBase = "/rest/v2.0/companies/\(company)"
            let projectBase = companyBase + "/projects/\(project)"
            let companyHook = try await hook(companyBase)
            let projectHook = try await hook(projectBase)
            let vendors = try await h.api(.POST, companyBase + "/webhooks/hooks/\(companyHook)/triggers", token: token, json: [
                "resource_name": "Company Vendors", "event_type": "create",
            ])
            #expect(vendors.status == 201)
            #expect(vendors.json["data"]?["event_type"] == "CREATED")
            let listed = try await h.api(.GET, companyBase + "/webhooks/hooks/\(companyHook)/triggers", token: token)
            #expect(listed.json["data"]?.arrayValue?.compactMap { $0["event_type"]?.string } == ["CREATED"])
            let poOnCompany = try await h.api(.POST, companyBase + "/webhooks/hooks/\(companyHook)/triggers", token: token, json: [
                "resource_name": "Purchase Order Contracts", "event_type": "update",
            ])
            #expect(poOnCompany.status == 422, "\(poOnCompany.text)")
            let poOnProject = try await h.api(.POST, projectBase + "/webhooks/hooks/\(projectHook)/triggers", token: token, json: [
                "resource_name": "Purchase Order Contracts", "event_type": "update",
            ])
            #expect(poOnProject.status == 201)
            #expect(poOnProject.json["data"]?["event_type"] == "UPDATED")
            #expect(poOnProject.json["data"]?["company_id"] == .null)
            let vendorsOnProject = try await h.api(.POST, projectBase + "/webhooks/hooks/\(projectHook)/triggers", token: token, json: [
                "resource_name": "Company Vendors", "event_type": "update",
            ])
            #expect(vendorsOnProject.status == 422)
            // 6. The resource lists have no resources Procore's lack.
            let companyResources = try await h.api(.GET, companyBase + "/webhooks/resources?payload_version=v3.0", token: token)
            let names = Set(companyResources.json["data"]?.arrayValue?.compactMap { $0["name"]?.string } ?? [])
            #expect(names.contains("Projects") && names.contains("Company Vendors"))
            #expect(!names.contains("Purchase Order Contracts"))
            let projectResources = try await h.api(.GET, projectBase + "/webhooks/resources?payload_version=v3.0", token: token)
            let projectNames = Set(projectResources.json["data"]?.arrayValue?.compactMap { $0["name"]?.string } ?? [])
            #expect(projectNames.contains("Purchase Order Contract Line Items"))
            #expect(names.union(projectNames).isDisjoint(with: ["Requisitions", "Tax Codes"]))
        }
    }

    /// 5. A sync action answers 200 with per-item errors, also on an Approved commitment.
    @Test func lineItemSync_onAnApprovedCommitment_answers200_withAnErrorPerItem() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let approved = try #require(h.store.read { $0.purchaseOrders.first { $0.status == "Approved" && $0.companyID == SandboxHarness.company } })
            let budget = h.budgetCode(in: try #require(h.projects.first { $0.id == approved.projectID }))
            let reply = try await h.api(
                .PATCH, "/rest/v1.0/purchase_order_contracts/\(approved.id)/line_items/sync?project_id=\(approved.projectID)", token: token,
                json: ["updates": [["origin_id": "a-1", "amount": "1", "wbs_code_id": .int(budget.id)], ["origin_id": "a-2", "amount": "2", "wbs_code_id": .int(budget.id)]]])
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.json["entities"]?.arrayValue?.isEmpty == true)
            let errors = reply.json["errors"]?.arrayValue ?? []
            #expect(errors.compactMap { $0["origin_id"]?.string } == ["a-1", "a-2"])
            #expect(errors.allSatisfy { $0["errors"]?.objectValue?.keys.isEmpty == false })
        }
    }

    /// 6. Smaller ones: the tax rate is a string, a repeated budget-code POST is 201, a repeated single filter is refused.
    @Test func taxRateIsAString_budgetCodePostIs201_andASingleFilterTakesOneValue() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let project = h.firstProject
            let budget = h.budgetCode(in: project)
            let gst = try #require(h.store.read { $0.taxCodes.first { $0.companyID == SandboxHarness.company && $0.code == "GST" } })
            let cost = try await h.api(.POST, Self.directCostPath(project), token: token, json: ["direct_cost": [
                "direct_cost_type": "invoice", "vendor_id": .int(h.vendors[0].id), "invoice_number": "DC-26-T",
                "line_items": [["manual_amount": 100, "wbs_code_id": .int(budget.id), "tax_code_id": .int(gst.id)]],
            ]])
            #expect(cost.status == 201)
            let rate = cost.json["tax_breakdown"]?["tax_details"]?.arrayValue?.first?["tax_code_rate"]
            #expect(rate?.string.flatMap { Decimal(string: $0) } == 15, "\(String(describing: rate))")

            let again = try await h.api(.POST, "/rest/v1.0/projects/\(project.id)/work_breakdown_structure/wbs_codes", token: token, json: [
                "segment_items": [["segment_id": 2, "segment_item_id": .int(budget.costCodeID)], ["segment_id": 3, "segment_item_id": .int(budget.lineItemTypeID)]],
            ])
            #expect(again.status == 201)
            #expect(again.json["id"]?.int == budget.id)

            let twice = try await h.api(
                .GET, "/rest/v1.0/purchase_order_contracts?project_id=\(project.id)&filters%5Bstatus%5D=Approved&filters%5Bstatus%5D=Draft", token: token)
            #expect(twice.status == 400, "\(twice.text)")
            let once = try await h.api(.GET, "/rest/v1.0/purchase_order_contracts?project_id=\(project.id)&filters%5Bstatus%5D=Approved", token: token)
            #expect(once.status == 200)
        }
    }
}
