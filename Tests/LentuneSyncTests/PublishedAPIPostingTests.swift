import FluentKit
import FluentSQL
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import LentuneTestSupport
import ProcoreAPI
import ProcoreSandbox
import Testing

/// Issue 26, the invoice side held to Procore's description: direct-cost lines carry a budget code decided before
/// the write (from the project's budget codes, created through the WBS API when missing), the PDF goes in the create
/// and is attached exactly once across a lost answer and a rerun, and requisitions reuse the project's billing periods.
@Suite struct PublishedAPIPostingTests {
    typealias World = PurchaseOrderPushTests.World

    /// Requests the sandbox answered since `mark`, as "METHOD /route/pattern".
    static func requests(_ w: World, since mark: Int) -> [String] {
        w.sandbox.server.store.requestLog.all().dropFirst(mark).filter { $0.route.hasPrefix("/rest/") }.map { "\($0.method) \($0.route)" }
    }

    /// Every waiting job due now (instead of waiting out its backoff).
    static func makeDue(_ w: World) async throws {
        try await (w.db as! any SQLDatabase).raw("UPDATE outbox_jobs SET next_attempt_at = \(bind: Date().addingTimeInterval(-1)) WHERE state = 'pending'").run()
    }

    static func invoice(
        _ w: World, number: String, project: LentuneCore.Project, codes: [LentuneCore.CostCode], amounts: [Decimal], pdf: Invoices.Document?
    ) async throws -> Invoice {
        let invoice = Invoice(
            organisationID: w.org, supplierID: w.supplier.id, number: number, invoiceDate: Date(), projectID: project.id,
            lines: amounts.enumerated().map { index, amount in
                Invoice.Line(
                    description: "Line \(index + 1)", costCodeID: codes[index % codes.count].id, costTypeID: w.costType.id, taxCodeID: w.gst.id,
                    amount: amount, tax: (amount * Decimal(string: "0.15")!))
            },
            statedTotalExcludingTax: amounts.reduce(0, +), statedTax: amounts.reduce(0, +) * Decimal(string: "0.15")!, approverID: w.admin.id)
        let captured = try await InvoiceCommands.capture(invoice, document: pdf, actor: w.admin, now: Date(), on: w.db)
        _ = try await InvoiceCommands.act(.check, on: captured.id, organisation: w.org, actor: w.admin, now: Date(), on: w.db)
        return try await InvoiceCommands.act(.approve(acceptingOverAllocation: false), on: captured.id, organisation: w.org, actor: w.admin, now: Date(), on: w.db)
    }

    @Test(arguments: TestDatabase.kinds)
    func directCosts_carryBudgetCodes_onProjectsThatRequireThemAndOnesThatDoNot_inOneRequestEach(kind: TestDatabase.Kind) async throws {
        try await PurchaseOrderPushTests.world(kind) { w in
            try await InvoicePostingTests.setSource(w, .none)
            let store = w.sandbox.server.store
            // A project that requires budget codes (the world's) …
            #expect(store.read { data in data.projects.first { $0.id == w.project.procoreProjectID }?.budgetCodesRequired } == true)
            let pdf = Invoices.Document(filename: "INV-7001.pdf", bytes: Data("%PDF-1.4\n% budget coded\n%%EOF\n".utf8))
            var mark = store.requestLog.all().count
            let required = try await Self.invoice(w, number: "INV-7001", project: w.project, codes: w.costCodes, amounts: [100, 250], pdf: pdf)
            #expect(try await w.worker.runOnce().done == 1)
            let cost = try #require(InvoicePostingTests.directCosts(w, of: required).first)
            let lines = store.read { $0.dcLineItems.filter { $0.holderID == cost.id } }
            #expect(lines.count == 2 && lines.allSatisfy { $0.wbsCodeID != nil })
            #expect(cost.attachments?.map(\.filename) == ["INV-7001.pdf"])
            // The supplier's vendor and the new cost type's budget code are made once, then the create carries the lines'
            // budget codes (read with the reference data) and the PDF.
            #expect(Self.requests(w, since: mark) == [
                "PATCH /rest/v1.0/vendors/sync", "POST /rest/v1.0/projects/:project_id/work_breakdown_structure/wbs_codes",
                "POST /rest/v1.1/projects/:project_id/direct_costs",
            ])
            // From then on, one request per invoice.
            mark = store.requestLog.all().count
            let next = try await Self.invoice(w, number: "INV-7003", project: w.project, codes: w.costCodes, amounts: [40], pdf: pdf)
            #expect(try await w.worker.runOnce().done == 1)
            #expect(Self.requests(w, since: mark) == ["POST /rest/v1.1/projects/:project_id/direct_costs"])
            #expect(InvoicePostingTests.directCosts(w, of: next).first?.attachments?.count == 1)

            // … and one that does not, where the pair has no budget code yet: it is made through the WBS API first.
            let other = try #require(try await ReferenceData.projects(in: w.org, on: w.db).first {
                $0.procoreCompanyLinkID == w.row.id && $0.isActive && $0.id != w.project.id
            })
            let otherCodes = try await ReferenceData.costCodes(in: w.org, project: other.id, on: w.db).filter { $0.procoreCostCodeID != nil }
            let procoreType = try #require(try await ReferenceLinks.procoreID(.costType, of: w.costType.id.rawValue, row: w.row, on: w.db))
            let procoreCode = try #require(otherCodes.first?.procoreCostCodeID)
            store.write { data in
                if let index = data.projects.firstIndex(where: { $0.id == other.procoreProjectID }) { data.projects[index].budgetCodesRequired = false }
                data.wbsCodes.removeAll { $0.projectID == other.procoreProjectID && $0.costCodeID == procoreCode && $0.lineItemTypeID == procoreType }
            }
            try await ReferenceImportTests.readAll(w.row, w.worker, on: w.db)
            mark = store.requestLog.all().count
            let optional = try await Self.invoice(w, number: "INV-7002", project: other, codes: [otherCodes[0]], amounts: [75], pdf: nil)
            #expect(try await w.worker.runOnce().done == 1)
            let second = try #require(InvoicePostingTests.directCosts(w, of: optional).first)
            let made = store.read { data in
                data.wbsCodes.first { $0.projectID == other.procoreProjectID && $0.costCodeID == procoreCode && $0.lineItemTypeID == procoreType }
            }
            #expect(made != nil)
            #expect(store.read { $0.dcLineItems.filter { $0.holderID == second.id }.map(\.wbsCodeID) } == [made?.id])
            #expect(Self.requests(w, since: mark) == [
                "POST /rest/v1.0/projects/:project_id/work_breakdown_structure/wbs_codes", "POST /rest/v1.1/projects/:project_id/direct_costs",
            ])
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func thePDF_isAttachedExactlyOnce_acrossALostAnswerAndARerun(kind: TestDatabase.Kind) async throws {
        try await PurchaseOrderPushTests.world(kind) { w in
            try await InvoicePostingTests.setSource(w, .none)
            let store = w.sandbox.server.store
            let path = "/rest/v1.1/projects/\(try #require(w.project.procoreProjectID))/direct_costs"
            let pdf = Invoices.Document(filename: "INV-7101.pdf", bytes: Data("%PDF-1.7\n% once\n%%EOF\n".utf8))
            let invoice = try await Self.invoice(w, number: "INV-7101", project: w.project, codes: w.costCodes, amounts: [120], pdf: pdf)
            // The create commits and its answer is lost, and the lookup by origin_id fails too: the job is retried.
            var faults = SandboxFaults()
            faults.dropAfterCommit = ["POST \(path)": 50]
            faults.errorRates = ["GET \(path)": 1.0]
            store.faults = faults
            let first = try await w.worker.runOnce()
            #expect(first.retried == 1 && first.done == 0)
            #expect(InvoicePostingTests.directCosts(w, of: invoice).count == 1)
            // The reruns find the direct cost and see its PDF by Procore's `filename`: nothing is sent twice, even
            // when an attachment's answer would be lost too.
            let dcID = try #require(InvoicePostingTests.directCosts(w, of: invoice).first?.id)
            faults = SandboxFaults()
            faults.dropAfterCommit = ["PATCH \(path)/\(dcID)": 1]
            store.faults = faults
            try await Self.makeDue(w)
            _ = try await w.worker.runOnce()
            store.faults = SandboxFaults()
            try await Self.makeDue(w)
            _ = try await w.worker.runOnce()
            let costs = InvoicePostingTests.directCosts(w, of: invoice)
            #expect(costs.count == 1)
            #expect(costs.first?.attachments?.map(\.filename) == ["INV-7101.pdf"])
            #expect(try await Invoices.find(invoice.id, in: w.org, on: w.db)?.status == .posted)
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func requisitions_reuseTheProjectsBillingPeriods_andReadThemAgainWhenTheOpenOneClosed(kind: TestDatabase.Kind) async throws {
        try await PurchaseOrderPushTests.world(kind) { w in
            let po = try await InvoicePostingTests.pushedPO(w, title: "Periods")
            let store = w.sandbox.server.store
            let mark = store.requestLog.all().count
            for (index, line) in po.lines.enumerated() {
                _ = try await InvoicePostingTests.approvedInvoice(
                    w, number: "INV-72\(index)", lines: [(100, 15)], po: po, allocations: [Invoice.Allocation(purchaseOrderLineID: line.id, amount: 100)])
                #expect(try await w.worker.runOnce().done == 1)
            }
            let periodReads = Self.requests(w, since: mark).filter { $0.hasSuffix("/billing_periods") }.count
            #expect(periodReads == 1)
            #expect(Self.requests(w, since: mark).filter { $0 == "POST /rest/v1.1/requisitions" }.count == po.lines.count)

            // The open period closes in Procore and a new one opens: the refused create makes Lentune read them again.
            let project = try #require(w.project.procoreProjectID)
            store.write { data in
                for index in data.billingPeriods.indices where data.billingPeriods[index].projectID == project { data.billingPeriods[index].status = "closed" }
                var next = data.billingPeriods.first { $0.projectID == project }!
                next.id = data.newID()
                next.status = "open"
                data.billingPeriods.append(next)
            }
            let later = try await InvoicePostingTests.approvedInvoice(
                w, number: "INV-729", lines: [(10, Decimal(string: "1.50")!)], po: po,
                allocations: [Invoice.Allocation(purchaseOrderLineID: po.lines[0].id, amount: 10)])
            #expect(try await w.worker.runOnce().done == 1)
            let requisition = try #require(InvoicePostingTests.requisitions(w, of: later).first)
            #expect(store.read { data in data.billingPeriods.first { $0.id == requisition.periodID }?.status } == "open")
        }
    }
}
