import Foundation
import Testing

@testable import LentuneCore

@Suite struct PurchaseOrderWorkflowTests {
    let org = Organisation.ID()

    func user(_ role: Role, limit: Decimal = 0) -> User {
        User(organisationID: org, email: "\(role.rawValue)@x.co", name: role.title, role: role, approvalLimit: limit)
    }

    func po(_ status: PurchaseOrder.Status, total: Decimal = 100, origin: PurchaseOrder.Origin = .lentune) -> PurchaseOrder {
        PurchaseOrder(
            organisationID: org, number: "PO-1", origin: origin, status: status, supplierID: .init(), projectID: .init(), title: "T",
            lines: [.init(position: 0, description: "x", quantity: 1, unitCost: total)])
    }

    @Test func submit_withinLimit_autoApproves_otherwiseAwaitsApproval() throws {
        let within = try PurchaseOrderWorkflow.apply(.submit, to: po(.draft, total: 100), by: user(.apOfficer, limit: 100), project: nil).get()
        #expect(within.status == .approved)
        let above = try PurchaseOrderWorkflow.apply(.submit, to: po(.draft, total: 100.01), by: user(.apOfficer, limit: 100), project: nil).get()
        #expect(above.status == .awaitingApproval)
    }

    @Test func approve_needsAnApprover() throws {
        #expect(throws: PurchaseOrderWorkflow.Refusal.role(.approve)) {
            try PurchaseOrderWorkflow.apply(.approve, to: po(.awaitingApproval), by: user(.apOfficer), project: nil).get()
        }
        #expect(try PurchaseOrderWorkflow.apply(.approve, to: po(.awaitingApproval), by: user(.approver), project: nil).get().status == .approved)
    }

    @Test func everyTransition() {
        let admin = user(.administrator, limit: 0)
        var allowed: [String] = []
        for status in PurchaseOrder.Status.allCases {
            for action in PurchaseOrderWorkflow.Action.allCases
            where (try? PurchaseOrderWorkflow.apply(action, to: po(status), by: admin, project: nil).get()) != nil {
                allowed.append("\(action.rawValue):\(status.rawValue)")
            }
        }
        #expect(allowed == ["submit:draft", "approve:awaiting_approval", "close:approved", "reopen:closed"])
    }

    @Test func procoreOwnedPOs_takeNoAction() {
        let admin = user(.administrator, limit: 1_000_000)
        for status in PurchaseOrder.Status.allCases {
            #expect(PurchaseOrderWorkflow.available(for: po(status, origin: .procore), user: admin, project: nil).isEmpty)
        }
        let procoreCompany = PurchaseOrderPolicy.ProjectSource(companyName: "K", source: .procore)
        #expect(PurchaseOrderWorkflow.available(for: po(.approved), user: admin, project: procoreCompany).isEmpty)
    }

    @Test func auditor_canDoNothing() {
        let auditor = user(.auditor, limit: 1_000_000)
        for status in PurchaseOrder.Status.allCases {
            #expect(PurchaseOrderWorkflow.available(for: po(status), user: auditor, project: nil).isEmpty)
        }
    }
}
