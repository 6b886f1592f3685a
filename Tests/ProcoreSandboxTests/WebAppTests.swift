import Foundation
@testable import ProcoreSandbox
import Testing

/// The sandbox's stand-in for Procore's web app (issue 29): Lentune's "View in Procore" links open these pages in
/// the demo. Each names its record; another project's or an unknown id is a 404, never another record.
@Suite struct WebAppTests {
    @Test func eachRecordsPage_namesIt_andAnUnknownOneIsNotFound() async throws {
        try await SandboxHarness.with { h in
            let token = try await h.token()
            let project = h.firstProject
            let other = h.projects[1]
            let vendor = h.vendors.first { $0.companyID == SandboxHarness.company }!
            let created = try await h.api(.POST, "/rest/v1.0/purchase_order_contracts", token: token, json: [
                "project_id": .int(project.id), "purchase_order_contract": ["number": "PO-WEB-1", "title": "Steel", "status": "Draft"],
            ])
            let commitment = try #require(created.json["id"]?.int)
            let cost = try await h.api(.POST, "/rest/v1.1/projects/\(project.id)/direct_costs", token: token, json: ["direct_cost": [
                "direct_cost_type": "invoice", "invoice_number": "INV-WEB-1", "vendor_id": .int(vendor.id),
                "line_items": [["manual_amount": 5, "wbs_code_id": .int(h.budgetCode(in: project).id)]],
            ]])
            let directCost = try #require(cost.json["id"]?.int, "\(cost.status) \(cost.text.prefix(300))")
            let companyName = h.store.read { data in data.companies.first { $0.id == SandboxHarness.company }!.name }

            let pages: [(String, String)] = [
                ("/\(SandboxHarness.company)/company/home/list", "Company \(companyName)"),
                ("/\(project.id)/project/direct_costs/\(directCost)", "Direct cost INV-WEB-1"),
                ("/\(project.id)/project/home", "Project \(project.projectNumber.map { "\($0) " } ?? "")\(project.name)"),
                ("/\(SandboxHarness.company)/company/directory/vendors/\(vendor.id)", "Vendor \(vendor.name)"),
                ("/\(project.id)/project/commitments/purchase_order_contracts/\(commitment)", "Commitment PO-WEB-1 Steel"),
            ]
            for (path, title) in pages {
                let page = try await h.send(.GET, path)
                #expect(page.status == 200 && page.text.contains("<h1 id=\"record\">\(ConsoleRoutes.h(title))</h1>"), "\(path): \(page.text.prefix(300))")
            }
            for path in [
                "/\(other.id)/project/commitments/purchase_order_contracts/\(commitment)",  // another project's
                "/\(project.id)/project/direct_costs/\(commitment)",  // a commitment is not a direct cost
                "/\(project.id)/project/commitments/purchase_order_contracts/\(commitment)/invoices/1",
                "/999/project/home", "/-1/project/home", "/abc/project/home",
            ] {
                let page = try await h.send(.GET, path)
                #expect(page.status == 404 && page.text.contains("There is no such record"), "\(path)")
            }
        }
    }
}
