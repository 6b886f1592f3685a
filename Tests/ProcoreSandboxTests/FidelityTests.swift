import Foundation
@testable import ProcoreSandbox
import NIOHTTP1
import Testing

/// Issue 11: budget codes, and the deviations an OpenAPI-generated Procore SDK found.
@Suite struct BudgetCodeTests {
    func wbsPath(_ project: Project) -> String { "/rest/v1.0/projects/\(project.id)/work_breakdown_structure/wbs_codes" }

    @Test func wbsCodes_listShowCreateUpdateAndBulkCreate() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let project = h.firstProject
            let list = try await h.api(.GET, wbsPath(project), token: token)
            #expect(list.status == 200)
            let concrete = try #require(list.array.first { $0["flat_code"] == "03-300.M" })
            #expect(concrete["segment_items"]?.arrayValue?.compactMap { $0["segment"]?["type"]?.string } == ["cost_code", "line_item_type"])
            #expect(list.array.contains { $0["flat_code"] == "SJ1-03-300.M" })
            let id = try #require(concrete["id"]?.int)
            #expect(try await h.api(.GET, wbsPath(project) + "/\(id)", token: token).json["flat_code"] == "03-300.M")

            // A new combination is created; posting it again updates it, never duplicates it.
            let code = h.costCode(in: project).id
            let other = h.store.read { $0.lineItemTypes.first { $0.code == "O" }!.id }
            let body: JSON = ["description": "Preliminaries – other", "segment_items": [
                ["segment_id": 2, "segment_item_id": .int(code)], ["segment_id": 3, "segment_item_id": .int(other)],
            ]]
            let count = h.store.read { $0.wbsCodes.count }
            let made = try await h.api(.POST, wbsPath(project), token: token, json: body)
            #expect(made.status == 201)  // the demo seed already has every combination: an update (Procore answers 201 either way)
            #expect(made.json["description"] == "Preliminaries – other")
            #expect(h.store.read { $0.wbsCodes.count } == count)
            let fresh = try await h.api(.POST, wbsPath(project), token: token, json: ["segment_items": [
                ["segment_id": 1, "segment_item_id": .int(h.store.read { $0.subJobs[0].id })],
                ["segment_id": 2, "segment_item_id": .int(code)], ["segment_id": 3, "segment_item_id": .int(other)],
            ]])
            #expect(fresh.status == 201)
            #expect(fresh.json["flat_code"]?.string?.hasPrefix("SJ1-") == true)
            let missingType = try await h.api(.POST, wbsPath(project), token: token, json: ["segment_items": [["segment_id": 2, "segment_item_id": .int(code)]]])
            #expect(missingType.status == 422)

            let bulk = try await h.api(.PATCH, wbsPath(project) + "/bulk_create", token: token, json: ["wbs_codes": [body, body]])
            #expect(bulk.status == 200)
            #expect(Set(bulk.array.compactMap { $0["id"]?.int }).count == 1)

            let inactive = try await h.api(.PATCH, wbsPath(project) + "/\(id)", token: token, json: ["status": "inactive"])
            #expect(inactive.json["status"] == "inactive")
            #expect(try await h.api(.PATCH, wbsPath(project) + "/\(id)", token: token, json: ["segment_items": []]).status == 422)
        }
    }

    @Test func poLines_acceptEitherForm_resolveOneBudgetCode_andRefuseWhatProcoreRefuses() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let project = h.firstProject  // budget codes required here
            let budget = h.budgetCode(in: project)
            let po = try await h.api(.POST, "/rest/v1.0/purchase_order_contracts", token: token, json: [
                "project_id": .int(project.id), "purchase_order_contract": ["number": "PO-WBS"],
            ])
            let lines = "/rest/v1.0/purchase_order_contracts/\(try #require(po.json["id"]?.int))/line_items"
            func post(_ line: JSON) async throws -> SandboxHarness.Reply {
                try await h.api(.POST, lines, token: token, json: ["project_id": .int(project.id), "line_item": line])
            }
            // wbs_code_id alone: all three objects echoed.
            let byWBS = try await post(["amount": "10", "wbs_code_id": .int(budget.id)])
            #expect(byWBS.status == 201)
            #expect(byWBS.json["wbs_code"]?["id"]?.int == budget.id)
            #expect(byWBS.json["cost_code"]?["id"]?.int == budget.costCodeID)
            #expect(byWBS.json["line_item_type"]?["id"]?.int == budget.lineItemTypeID)
            // Cost code + cost type resolve to the same budget code.
            let byPair = try await post(["amount": "10", "cost_code_id": .int(budget.costCodeID), "line_item_type_id": .int(budget.lineItemTypeID)])
            #expect(byPair.json["wbs_code"]?["id"]?.int == budget.id)
            #expect(byPair.json["wbs_code"]?["flat_code"]?.string?.hasSuffix(".L") == true)
            // Both: wbs_code_id wins.
            let other = h.store.read { data in data.wbsCodes.first { $0.projectID == project.id && $0.id != budget.id }! }
            let both = try await post(["amount": "10", "wbs_code_id": .int(other.id), "cost_code_id": .int(budget.costCodeID), "line_item_type_id": .int(budget.lineItemTypeID)])
            #expect(both.json["wbs_code"]?["id"]?.int == other.id)
            #expect(both.json["cost_code"]?["id"]?.int == other.costCodeID)

            // No code, another project's budget code, or a pair that forms none here: 422 in Procore's shape.
            let none = try await post(["amount": "10"])
            #expect(none.status == 422)
            #expect(none.json["errors"]?["wbs_code_id"]?.arrayValue?.isEmpty == false)
            let second = h.projects[1]
            let foreign = try await post(["amount": "10", "wbs_code_id": .int(h.budgetCode(in: second).id)])
            #expect(foreign.status == 422)
            #expect(foreign.json["errors"]?["wbs_code_id"] == ["is not a budget code of this project"])
            let unbudgeted = h.store.read { data in data.costCodes.first { $0.projectID == project.id && $0.parentID == nil }! }
            let pair = try await post(["amount": "10", "cost_code_id": .int(unbudgeted.id), "line_item_type_id": .int(budget.lineItemTypeID)])
            #expect(pair.status == 422)
            #expect(pair.json["errors"]?["wbs_code_id"] == ["The cost code and cost type do not form a budget code of this project"])
            // Only cost_code_id (no cost type) is no code either.
            #expect(try await post(["amount": "10", "cost_code_id": .int(budget.costCodeID)]).status == 422)
        }
    }

    @Test func projectsThatDoNotRequireBudgetCodes_getOneMadeForANewPair() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let project = h.projects[3]  // pre-construction: budget codes not required
            #expect(project.budgetCodesRequired == false)
            let division = h.store.read { data in data.costCodes.first { $0.projectID == project.id && $0.parentID == nil }! }
            let before = h.store.read { $0.wbsCodes.count }
            // A commitment line (direct-cost lines take only wbs_code_id, issue 26).
            let po = try await h.api(.POST, "/rest/v1.0/purchase_order_contracts", token: token, json: [
                "project_id": .int(project.id), "purchase_order_contract": ["number": "PO-NEW-PAIR"],
            ])
            let created = try await h.api(
                .POST, "/rest/v1.0/purchase_order_contracts/\(try #require(po.json["id"]?.int))/line_items", token: token,
                json: ["project_id": .int(project.id), "line_item": ["amount": "5", "cost_code_id": .int(division.id), "line_item_type_id": .int(h.costType.id)]])
            #expect(created.status == 201)
            #expect(h.store.read { $0.wbsCodes.count } == before + 1)
            #expect(created.json["wbs_code"]?["flat_code"] == .string(division.code + ".L"))
        }
    }

    @Test func directCostLines_needACode_onBothVersions() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let project = h.firstProject
            let v11 = "/rest/v1.1/projects/\(project.id)/direct_costs"
            let uncoded = try await h.api(.POST, v11, token: token, json: ["direct_cost": ["direct_cost_type": "expense", "line_items": [["manual_amount": 5]]]])
            #expect(uncoded.status == 422)
            #expect(uncoded.json["errors"]?["line_items[0].wbs_code_id"] != nil)
            let wbsOnly = try await h.api(.POST, v11, token: token, json: ["direct_cost": [
                "direct_cost_type": "expense", "line_items": [["manual_amount": 5, "wbs_code_id": .int(h.budgetCode(in: project).id)]],
            ]])
            #expect(wbsOnly.status == 201)
            let line = try #require(wbsOnly.json["line_items"]?.arrayValue?.first)
            #expect(line["cost_code"]?["id"]?.int == h.costCode(in: project).id)
            #expect(line["line_item_type"]?["id"]?.int == h.costType.id)
            // The v1.0 line endpoint follows the same rule.
            let cost = try #require(wbsOnly.json["id"]?.int)
            let v10 = "/rest/v1.0/projects/\(project.id)/direct_costs/\(cost)/line_items"
            #expect(try await h.api(.POST, v10, token: token, json: ["line_item": ["amount": 1]]).status == 422)
            #expect(try await h.api(.POST, v10, token: token, json: ["line_item": ["amount": 1, "wbs_code_id": .int(h.budgetCode(in: project).id)]]).status == 201)
        }
    }
}

@Suite struct SDKDeviationTests {
    @Test func requisitionItems_useProcoresFieldsAndSums() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let project = h.firstProject
            let approved = h.store.read { data in data.purchaseOrders.first { $0.projectID == project.id && $0.status == "Approved" }! }
            let period = h.store.read { data in data.billingPeriods.first { $0.projectID == project.id }!.id }
            let created = try await h.api(.POST, "/rest/v1.1/requisitions", token: token, json: [
                "project_id": .int(project.id), "commitment_id": .int(approved.id), "requisition": ["period_id": .int(period)],
            ])
            let id = try #require(created.json["id"]?.int)
            let items = try #require(created.json["items"]?.arrayValue)
            let first = try #require(items.first)
            #expect(first["description_of_work"] == "Item 1")
            #expect(first["description"] == nil)
            #expect(first["position"]?.int == 1)
            #expect(first["wbs_code"]?["flat_code"]?.string?.hasSuffix(".M") == true)
            _ = try await h.api(.PATCH, "/rest/v1.0/requisitions/\(id)/bulk_item_update?project_id=\(project.id)", token: token, json: [
                "requisition_items": [["id": first["id"]!, "item_type": "contract_item", "work_completed_this_period": "100.00"]],
            ])
            let listed = try await h.api(.GET, "/rest/v1.0/requisitions/\(id)/contract_items?project_id=\(project.id)", token: token)
            let item = try #require(listed.array.first)
            #expect(item["work_completed_this_period"] == "100.0")
            #expect(item["work_completed_from_previous_application"] == "0.0")
            #expect(item["total_completed_and_stored_to_date"] == "100.0")
            #expect(item["gross_amount"] == "100.0")
            #expect(item["net_amount"] == "100.0")
            // v1.0 list and detail.
            #expect(try await h.api(.GET, "/rest/v1.0/requisitions?project_id=\(project.id)", token: token).array.map { $0["id"]?.int } == [id])
            let detail = try await h.api(.GET, "/rest/v1.0/requisitions/\(id)/detail?project_id=\(project.id)", token: token)
            #expect(detail.json["items"]?.arrayValue?.count == 3)
        }
    }

    @Test func webhookResources_typeEventsAsStrings_andProjectsOfferNoDelete() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let resources = try await h.api(.GET, "/rest/v1.0/webhooks/resources?company_id=4242", token: token)
            let projects = try #require(resources.array.first { $0["resource_name"] == "Projects" })
            #expect(projects["create"] == "create")
            #expect(projects["delete"] == .null)
            #expect(projects["except"] == ["delete"])
            let vendors = try #require(resources.array.first { $0["resource_name"] == "Company Vendors" })
            #expect(vendors["except"] == ["delete"])
            let pos = try #require(resources.array.first { $0["resource_name"] == "Purchase Order Contracts" })
            #expect(pos["except"] == [])
            #expect(pos["delete"] == "delete")
            let v2 = try await h.api(.GET, "/rest/v2.0/companies/4242/webhooks/resources?payload_version=v4.0", token: token)
            #expect(v2.json["data"]?.arrayValue?.first { $0["name"] == "Projects" }?["actions"] == ["create", "update"])
            // A delete trigger for Projects is refused.
            let hook = try await h.api(.POST, "/rest/v2.0/companies/4242/webhooks/hooks", token: token, json: [
                "payload_version": "v2", "namespace": "lentune", "destination_url": "https://ap.example.com/hook",
            ])
            let hookID = try #require(hook.json["data"]?["id"]?.string)
            let trigger = try await h.api(.POST, "/rest/v2.0/companies/4242/webhooks/hooks/\(hookID)/triggers", token: token, json: [
                "resource_name": "Projects", "event_type": "delete",
            ])
            #expect(trigger.status == 422)
        }
    }

    @Test func projectPatch_appliesWhatProcoreAccepts_andRefusesTheRest() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let project = h.firstProject
            let path = "/rest/v1.0/projects/\(project.id)"
            let patched = try await h.api(.PATCH, path, token: token, json: ["project": [
                "address": "12 Wharf Street", "zip": "1010", "state_code": "AUK", "start_date": "2026-02-01", "total_value": "1250000.50",
            ]])
            #expect(patched.status == 200)
            #expect(patched.json["address"] == "12 Wharf Street")
            #expect(patched.json["zip"] == "1010")
            #expect(patched.json["start_date"] == "2026-02-01")
            #expect(try await h.api(.GET, path + "?company_id=4242", token: token).json["zip"] == "1010")
            let unknown = try await h.api(.PATCH, path, token: token, json: ["project": ["zip": "2020", "favourite_colour": "teal"]])
            #expect(unknown.status == 422)
            #expect(unknown.json["errors"]?["favourite_colour"] == ["is not a writable project attribute"])
            #expect(h.store.read { data in data.projects.first { $0.id == project.id }!.attributes?["zip"] } == "1010")
            let badDate = try await h.api(.PATCH, path, token: token, json: ["project": ["start_date": "soon"]])
            #expect(badDate.status == 422)
        }
    }

    @Test func companyProjects_haveProcoresCompanyShape() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let list = try await h.api(.GET, "/rest/v1.0/companies/4242/projects", token: token)
            let first = try #require(list.array.first)
            #expect(first["stage_name"] == "Course of Construction")
            #expect(first["status_name"] == "Active")
            #expect(first["address"]?["city"] == "Auckland")
            #expect(first["created_by"]?["id"] != nil)
            #expect(first["open_items"]?.int != nil)
            #expect(first["type_name"] != nil)
            #expect(first["project_stage"] == nil)
        }
    }

    @Test func directCosts_carryVendorID_andAnUnknownVendorIsOnlyInvalid() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let project = h.firstProject
            let v11 = "/rest/v1.1/projects/\(project.id)/direct_costs"
            let unknown = try await h.api(.POST, v11, token: token, json: ["direct_cost": [
                "direct_cost_type": "invoice", "vendor_id": 99, "invoice_number": "X-1",
            ]])
            #expect(unknown.status == 422)
            #expect(unknown.json["errors"]?["vendor_id"] == ["is invalid"])
            let created = try await h.api(.POST, v11, token: token, json: ["direct_cost": [
                "direct_cost_type": "invoice", "vendor_id": .int(h.vendors[0].id), "invoice_number": "X-2",
            ]])
            let id = try #require(created.json["id"]?.int)
            #expect(created.json["vendor_id"]?.int == h.vendors[0].id)
            #expect(try await h.api(.GET, v11, token: token).array.first?["vendor_id"]?.int == h.vendors[0].id)
            // v1.0 list and show.
            let v10 = "/rest/v1.0/projects/\(project.id)/direct_costs"
            #expect(try await h.api(.GET, v10 + "?filters[vendor_id]=\(h.vendors[0].id)", token: token).array.map { $0["id"]?.int } == [id])
            #expect(try await h.api(.GET, v10 + "/\(id)", token: token).json["invoice_number"] == "X-2")
        }
    }

    @Test func quantity_comesBackAsProcoreWritesIt() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let project = h.firstProject
            let po = try await h.api(.POST, "/rest/v1.0/purchase_order_contracts", token: token, json: [
                "project_id": .int(project.id), "purchase_order_contract": ["number": "PO-Q"],
            ])
            let line = try await h.api(.POST, "/rest/v1.0/purchase_order_contracts/\(try #require(po.json["id"]?.int))/line_items", token: token, json: [
                "project_id": .int(project.id),
                "line_item": ["quantity": "3", "unit_cost": "4.25", "wbs_code_id": .int(h.budgetCode(in: project).id)],
            ])
            #expect(line.json["quantity"] == "3.0")
            #expect(line.json["unit_cost"] == "4.25")
            #expect(line.json["amount"] == "12.75")
        }
    }

    @Test func projectStage_patch() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let stage = h.store.read { data in data.stages.first { $0.name == "Completed" }! }
            let path = "/rest/v1.0/companies/4242/project_stages/\(stage.id)"
            let renamed = try await h.api(.PATCH, path, token: token, json: ["project_stage": ["name": "Handed Over"]])
            #expect(renamed.status == 200)
            #expect(renamed.json["name"] == "Handed Over")
            let taken = try await h.api(.PATCH, path, token: token, json: ["project_stage": ["name": "Course of Construction"]])
            #expect(taken.status == 422)
        }
    }

    @Test func reset_keepsAClientsOwnCompanyList() async throws {
        try await SandboxHarness.with { h in
            h.sandbox.server.register(clientID: "narrow", secret: "narrow-secret", companyIDs: [777])
            _ = try await h.admin(.POST, "/reset", #"{"seed":"demo"}"#)
            let narrow = h.store.read { data in data.clients.first { $0.clientID == "narrow" } }
            #expect(narrow?.companyIDs == [777])
            // The harness's own client was registered for every company: it still reaches the demo company.
            let wide = h.store.read { data in data.clients.first { $0.clientID == SandboxHarness.clientID } }
            #expect(wide?.companyIDs == [Seeds.demoCompanyID])
        }
    }
}
