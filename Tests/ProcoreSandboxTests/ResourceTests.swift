import Foundation
@testable import ProcoreSandbox
import Testing

@Suite struct SyncTests {
    @Test func syncMatchingTable() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let path = "/rest/v1.0/vendors/sync"
            // Neither id nor origin_id: create. origin_id unknown: create. id unknown: error, with 200.
            let first = try await h.api(.PATCH, path, token: token, json: [
                "company_id": 4242,
                "updates": [["name": "Plain Ltd"], ["name": "Origin Ltd", "origin_id": "erp-1"], ["id": 1, "name": "Ghost"]],
            ])
            #expect(first.status == 200)
            #expect(first.json["entities"]?.arrayValue?.count == 2)
            let errors = try #require(first.json["errors"]?.arrayValue)
            #expect(errors.count == 1)
            #expect(errors[0]["name"] == "Ghost")
            #expect(errors[0]["errors"]?["id"] == ["Entity with this ID not found"])
            let originID = try #require(first.json["entities"]?.arrayValue?[1]["id"]?.int)

            // origin_id known: update (no duplicate).
            let second = try await h.api(.PATCH, path, token: token, json: [
                "company_id": 4242, "updates": [["name": "Origin Ltd (renamed)", "origin_id": "erp-1"]],
            ])
            #expect(second.json["entities"]?.arrayValue?.first?["id"]?.int == originID)
            #expect(h.vendors.filter { $0.originID == "erp-1" }.count == 1)

            // id + origin_id: the only way to change an existing origin_id.
            let third = try await h.api(.PATCH, path, token: token, json: [
                "company_id": 4242, "updates": [["id": .int(originID), "origin_id": "erp-2"]],
            ])
            #expect(third.json["entities"]?.arrayValue?.first?["origin_id"] == "erp-2")

            // A bad item fails alone; the others in the batch still apply.
            let mixed = try await h.api(.PATCH, path, token: token, json: [
                "company_id": 4242, "updates": [["name": ""], ["name": "Good Ltd"]],
            ])
            #expect(mixed.json["entities"]?.arrayValue?.count == 1)
            #expect(mixed.json["errors"]?.arrayValue?.first?["errors"]?["name"] == ["can't be blank"])

            // More than 1000 items: refused whole.
            let tooMany = JSON.array((0...1000).map { _ in ["name": "x"] })
            let oversize = try await h.api(.PATCH, path, token: token, json: ["company_id": 4242, "updates": tooMany])
            #expect(oversize.status == 413)
        }
    }

    @Test func originID_isUniquePerCompany() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let (a, b) = (h.projects[0].id, h.projects[1].id)
            let create = { (project: Int64, number: String) in
                try await h.api(.POST, "/rest/v1.0/purchase_order_contracts", token: token, json: [
                    "project_id": .int(project), "purchase_order_contract": ["number": .string(number), "origin_id": "lentune-7"],
                ])
            }
            #expect(try await create(a, "PO-A").status == 201)
            let clash = try await create(b, "PO-B")
            #expect(clash.status == 422)
            #expect(clash.json["errors"]?["origin_id"] == ["has already been taken"])
            // Via sync in the other project: an error, not a second record.
            let sync = try await h.api(.PATCH, "/rest/v1.0/purchase_order_contracts/sync", token: token, json: [
                "project_id": .int(b), "updates": [["origin_id": "lentune-7", "title": "x"]],
            ])
            #expect(sync.json["errors"]?.arrayValue?.count == 1)
        }
    }
}

@Suite struct PurchaseOrderTests {
    @Test func purchaseOrder_lifecycle_totals_locks_andDeletion() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let project = h.firstProject
            let vendor = h.vendors[0].id
            let created = try await h.api(.POST, "/rest/v1.0/purchase_order_contracts", token: token, json: [
                "project_id": .int(project.id),
                "purchase_order_contract": [
                    "number": "PO-900", "title": "Steel", "vendor_id": .int(vendor), "status": "Draft", "delivery_date": "2026-12-24",
                ],
            ])
            #expect(created.status == 201)
            let id = try #require(created.json["id"]?.int)
            #expect(created.json["grand_total"] == "0.0")
            #expect(created.json["delivery_date"] == "2026-12-24")

            let lines = "/rest/v1.0/purchase_order_contracts/\(id)/line_items"
            let code = h.costCode(in: project).id
            let calculated = try await h.api(.POST, lines, token: token, json: [
                "project_id": .int(project.id),
                "line_item": ["description": "Beams", "quantity": "3", "unit_cost": "333.335", "extended_type": "calculated", "cost_code_id": .int(code), "line_item_type_id": .int(h.costType.id), "uom": "t"],
            ])
            #expect(calculated.status == 201)
            #expect(calculated.json["amount"] == "1000.01")  // 3 × 333.335 = 1000.005 → half-up 1000.01
            let wbs = h.budgetCode(in: project).id
            #expect(try await h.api(.POST, lines, token: token, json: ["project_id": .int(project.id), "line_item": ["amount": "99.99", "wbs_code_id": .int(wbs)]]).status == 201)
            let badCode = try await h.api(.POST, lines, token: token, json: ["project_id": .int(project.id), "line_item": ["amount": "1", "cost_code_id": 5, "uom": "parsecs"]])
            #expect(badCode.status == 422)
            #expect(badCode.json["errors"]?["cost_code_id"] == ["is invalid"])
            #expect(badCode.json["errors"]?["uom"] != nil)

            let shown = try await h.api(.GET, "/rest/v1.0/purchase_order_contracts/\(id)?project_id=\(project.id)", token: token)
            #expect(shown.json["grand_total"] == "1100.0")
            #expect(shown.json["line_items"]?.arrayValue?.count == 2)

            // Title-Case statuses only.
            let lower = try await h.api(.PATCH, "/rest/v1.0/purchase_order_contracts/\(id)", token: token, json: [
                "project_id": .int(project.id), "purchase_order_contract": ["status": "approved"],
            ])
            #expect(lower.status == 422)
            let approve = try await h.api(.PATCH, "/rest/v1.0/purchase_order_contracts/\(id)", token: token, json: [
                "project_id": .int(project.id), "purchase_order_contract": ["status": "Approved"],
            ])
            #expect(approve.json["status"] == "Approved")
            // Approved: vendor, lines and deletion are locked.
            let vendorChange = try await h.api(.PATCH, "/rest/v1.0/purchase_order_contracts/\(id)", token: token, json: [
                "project_id": .int(project.id), "purchase_order_contract": ["vendor_id": .int(h.vendors[1].id)],
            ])
            #expect(vendorChange.status == 422)
            #expect(try await h.api(.POST, lines, token: token, json: ["project_id": .int(project.id), "line_item": ["amount": "1"]]).status == 422)
            #expect(try await h.api(.DELETE, "/rest/v1.0/purchase_order_contracts/\(id)?project_id=\(project.id)", token: token).status == 422)

            // Back to Draft, then delete; include_deleted finds it.
            _ = try await h.api(.PATCH, "/rest/v1.0/purchase_order_contracts/\(id)", token: token, json: [
                "project_id": .int(project.id), "purchase_order_contract": ["status": "Draft"],
            ])
            #expect(try await h.api(.DELETE, "/rest/v1.0/purchase_order_contracts/\(id)?project_id=\(project.id)", token: token).status == 200)
            let base = "/rest/v1.0/purchase_order_contracts?project_id=\(project.id)"
            #expect(!(try await h.api(.GET, base, token: token)).array.contains { $0["id"]?.int == id })
            let only = try await h.api(.GET, base + "&filters[include_deleted]=only", token: token)
            #expect(only.array.map { $0["id"]?.int } == [id])
            #expect(only.array.first?["deleted_at"]?.string != nil)
            let with = try await h.api(.GET, base + "&filters[include_deleted]=with", token: token)
            #expect(with.array.count == 3)  // the two seeded POs and this one
            let byStatus = try await h.api(.GET, base + "&filters[status]=Approved", token: token)
            #expect(byStatus.array.allSatisfy { $0["status"] == "Approved" } && !byStatus.array.isEmpty)
        }
    }

    @Test func lineItemSync_upsertsByOriginID() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let project = h.firstProject
            let po = try await h.api(.POST, "/rest/v1.0/purchase_order_contracts", token: token, json: [
                "project_id": .int(project.id), "purchase_order_contract": ["number": "PO-S1"],
            ])
            let id = try #require(po.json["id"]?.int)
            let path = "/rest/v1.0/purchase_order_contracts/\(id)/line_items/sync?project_id=\(project.id)"
            let wbs = h.budgetCode(in: project).id
            let batch: JSON = ["updates": [["origin_id": "l-1", "amount": "10.00", "wbs_code_id": .int(wbs)], ["origin_id": "l-2", "amount": "20.00", "wbs_code_id": .int(wbs)]]]
            #expect(try await h.api(.PATCH, path, token: token, json: batch).json["entities"]?.arrayValue?.count == 2)
            // Replaying the same batch (a retry after a lost answer) creates nothing new.
            #expect(try await h.api(.PATCH, path, token: token, json: batch).json["errors"]?.arrayValue?.isEmpty == true)
            let shown = try await h.api(.GET, "/rest/v1.0/purchase_order_contracts/\(id)?project_id=\(project.id)", token: token)
            #expect(shown.json["line_items"]?.arrayValue?.count == 2)
            #expect(shown.json["grand_total"] == "30.0")
        }
    }
}

@Suite struct DirectCostTests {
    @Test func invoice_requiresVendorAndUniqueNumber_andComputesTax() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let project = h.firstProject
            let path = "/rest/v1.1/projects/\(project.id)/direct_costs"
            let missing = try await h.api(.POST, path, token: token, json: ["direct_cost": ["direct_cost_type": "invoice"]])
            #expect(missing.status == 422)
            #expect(missing.json["errors"]?["vendor_id"] != nil && missing.json["errors"]?["invoice_number"] != nil)
            let gst = h.store.read { $0.taxCodes.first { $0.code == "GST" }!.id }
            let body: JSON = [
                "direct_cost": [
                    "direct_cost_type": "invoice", "vendor_id": .int(h.vendors[0].id), "invoice_number": "INV-1",
                    "status": "pending", "direct_cost_date": "2026-11-20", "origin_id": "lentune-inv-1",
                    "line_items": [
                        ["description": "Sand", "quantity": 2, "unit_cost": .decimal(Decimal(string: "10.5")!), "tax_code_id": .int(gst), "wbs_code_id": .int(h.budgetCode(in: project).id)],
                        ["description": "Delivery", "manual_amount": 45, "wbs_code_id": .int(h.budgetCode(in: project).id)],
                    ],
                ],
            ]
            let created = try await h.api(.POST, path, token: token, json: body)
            #expect(created.status == 201)
            #expect(created.json["grand_total"] == "66.0")
            #expect(created.json["tax_breakdown"]?["tax_total"] == "3.15")
            #expect(created.json["vendor"]?["name"] == .string(h.vendors[0].name))
            #expect(created.json["line_items"]?.arrayValue?.count == 2)
            // Same vendor and number again: refused.
            var duplicate = body
            if case .object(var object) = duplicate, case .object(var cost)? = object["direct_cost"] {
                cost["origin_id"] = "other"
                object["direct_cost"] = .object(cost)
                duplicate = .object(object)
            }
            let again = try await h.api(.POST, path, token: token, json: duplicate)
            #expect(again.status == 422)
            #expect(again.json["errors"]?["invoice_number"] != nil)
            // The list gives the vendor as a string (as Procore's v1.1 list does).
            let list = try await h.api(.GET, path + "?filters[invoice_number]=INV-1", token: token)
            #expect(list.array.first?["vendor"] == .string(h.vendors[0].name))
            // More than 100 nested lines: refused.
            let many = JSON.array((0..<101).map { _ in ["manual_amount": 1] })
            let tooMany = try await h.api(.POST, path, token: token, json: ["direct_cost": ["direct_cost_type": "expense", "line_items": many]])
            #expect(tooMany.status == 422)
        }
    }

    @Test func concurrentWrites_toOneDirectCost_get409() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let project = h.firstProject
            let path = "/rest/v1.1/projects/\(project.id)/direct_costs"
            let created = try await h.api(.POST, path, token: token, json: ["direct_cost": ["direct_cost_type": "expense"]])
            let id = try #require(created.json["id"]?.int)
            // Held long enough that the overlapping write arrives within it even on a loaded machine (the test waits for it).
            _ = try await h.admin(.PUT, "/faults", #"{"write_hold_milliseconds": 15000}"#)
            let first = Task { try await h.api(.PATCH, "\(path)/\(id)", token: token, json: ["direct_cost": ["description": "a"]]) }
            // Wait until the first write holds the direct cost (not for a guessed time), then overlap it.
            var held = false
            for _ in 0..<200 where !held {
                let busy = try await h.admin(.GET, "/busy", nil)
                held = busy.json["direct_costs"]?.arrayValue?.contains(.int(Int64(id))) == true
                if !held { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(held)
            let second = try await h.api(.PATCH, "\(path)/\(id)", token: token, json: ["direct_cost": ["description": "b"]])
            #expect(second.status == 409)
            #expect(try await first.value.status == 200)
            // Once the first has finished, the direct cost takes writes again.
            _ = try await h.admin(.DELETE, "/faults", nil)
            let third = try await h.api(.PATCH, "\(path)/\(id)", token: token, json: ["direct_cost": ["description": "c"]])
            #expect(third.status == 200)
        }
    }
}

@Suite struct RequisitionTests {
    @Test func requisition_againstApprovedCommitment() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let project = h.firstProject
            let approved = h.store.read { data in data.purchaseOrders.first { $0.projectID == project.id && $0.status == "Approved" }! }
            let draft = h.store.read { data in data.purchaseOrders.first { $0.projectID == project.id && $0.status == "Draft" }! }
            let periods = try await h.api(.GET, "/rest/v1.0/projects/\(project.id)/billing_periods", token: token)
            let period = try #require(periods.array.first?["id"]?.int)
            // Only one open billing period at a time.
            let secondOpen = try await h.api(.POST, "/rest/v1.0/projects/\(project.id)/billing_periods", token: token, json: [
                "billing_period": ["start_date": "2027-01-01", "end_date": "2027-01-31", "due_date": "2027-01-31", "status": "open"],
            ])
            #expect(secondOpen.status == 422)

            let onDraft = try await h.api(.POST, "/rest/v1.1/requisitions", token: token, json: [
                "project_id": .int(project.id), "commitment_id": .int(draft.id), "requisition": ["period_id": .int(period)],
            ])
            #expect(onDraft.status == 422)
            let created = try await h.api(.POST, "/rest/v1.1/requisitions", token: token, json: [
                "project_id": .int(project.id), "commitment_id": .int(approved.id),
                "requisition": ["period_id": .int(period), "invoice_number": "SI-1", "origin_id": "lentune-inv-9", "status": "draft"],
            ])
            #expect(created.status == 201)
            let id = try #require(created.json["id"]?.int)
            let items = try #require(created.json["items"]?.arrayValue)
            #expect(items.count == 3)
            let firstItem = try #require(items[0]["id"]?.int)
            let update = try await h.api(
                .PATCH, "/rest/v1.0/requisitions/\(id)/bulk_item_update?project_id=\(project.id)", token: token,
                json: ["requisition_items": [["id": .int(firstItem), "item_type": "contract_item", "work_completed_this_period": "500.25"]]])
            #expect(update.status == 200)
            let shown = try await h.api(.GET, "/rest/v1.1/requisitions/\(id)?project_id=\(project.id)&view=extended", token: token)
            #expect(shown.json["summary"]?["current_payment_due"] == "500.25")
            #expect(shown.json["origin_id"] == "lentune-inv-9")
            let list = try await h.api(.GET, "/rest/v1.1/requisitions?project_id=\(project.id)&filters[origin_id]=lentune-inv-9", token: token)
            #expect(list.array.count == 1)
            let contractItems = try await h.api(.GET, "/rest/v1.0/requisitions/\(id)/contract_items?project_id=\(project.id)", token: token)
            #expect(contractItems.array.count == 3)
        }
    }
}

@Suite struct ReferenceDataTests {
    @Test func referenceEndpoints_answerWithProcoreShapes() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let project = h.firstProject
            let stages = try await h.api(.GET, "/rest/v1.0/companies/4242/project_stages", token: token)
            #expect(stages.array.map { $0["name"] }.contains("Course of Construction"))
            let codes = try await h.api(.GET, "/rest/v1.0/cost_codes?project_id=\(project.id)", token: token)
            #expect(codes.array.contains { $0["full_code"] == "03-300" })
            #expect(codes.array.contains { $0["biller_type"] == "SubJob" })
            let types = try await h.api(.GET, "/rest/v1.0/line_item_types?company_id=4242", token: token)
            #expect(types.array.contains { $0["base_type"] == "labor" && $0["code"] == "L" })
            let taxes = try await h.api(.GET, "/rest/v1.0/tax_codes?company_id=4242", token: token)
            #expect(taxes.array.contains { $0["code"] == "GST" && $0["rate1"] == .int(15) })
            let uoms = try await h.api(.GET, "/rest/v1.0/companies/4242/uoms", token: token)
            #expect(uoms.array.contains { $0["name"] == "m3" })
            let projectVendors = try await h.api(.GET, "/rest/v1.0/projects/\(project.id)/vendors", token: token)
            #expect(!projectVendors.array.isEmpty)
            let me = try await h.api(.GET, "/rest/v1.0/me", token: token)
            #expect(me.json["login"]?.string?.contains("@") == true)
            // Ids beyond 32 bits.
            #expect((codes.array.first?["id"]?.int ?? 0) > Int64(UInt32.max))
        }
    }

    @Test func stateFile_survivesRestart() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try await SandboxHarness.with(stateFile: file) { h in
            let token = try await h.token()
            let created = try await h.api(.POST, "/rest/v1.0/vendors", token: token, json: ["company_id": 4242, "vendor": ["name": "Persisted Ltd"]])
            #expect(created.status == 201)
        }
        try await SandboxHarness.with(stateFile: file) { h in
            #expect(h.vendors.contains { $0.name == "Persisted Ltd" })
        }
        // The same file also works as a seed document.
        try await SandboxHarness.with(seed: file.path) { h in
            #expect(h.vendors.contains { $0.name == "Persisted Ltd" })
        }
    }
}
