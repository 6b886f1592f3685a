import Foundation
import Testing

@testable import LentuneCore

/// The capture rules, the PDF check, the Check/Approve workflow and allocations (issue 15).
@Suite struct InvoiceRulesTests {
    let org = Organisation.ID()
    let today = Date(timeIntervalSince1970: 1_796_083_200)  // 2026-12-01
    let day: TimeInterval = 86_400

    func invoice(
        excluding: String = "100.00", tax: String = "15.00", date: Date? = nil, lines: [(String, String)] = [("100.00", "15.00")]
    ) -> Invoice {
        Invoice(
            organisationID: org, supplierID: .init(), number: "INV-1", invoiceDate: date ?? today, projectID: .init(),
            lines: lines.map { Invoice.Line(description: "Work", costCodeID: .init(), costTypeID: .init(), amount: Decimal(string: $0.0)!, tax: Decimal(string: $0.1)!) },
            statedTotalExcludingTax: Decimal(string: excluding)!, statedTax: Decimal(string: tax)!, approverID: .init())
    }

    @Test func aWellFormedInvoice_hasNoProblems() {
        #expect(InvoiceRules.problems(invoice(), today: today).isEmpty)
    }

    @Test func badInput_isRefusedWithTheFieldAndAReason() {
        #expect(InvoiceRules.problems(invoice(excluding: "-1.00", tax: "0", lines: []), today: today)["total_excluding_tax"]?.contains("negative") == true)
        #expect(InvoiceRules.problems(invoice(excluding: "10.00", tax: "11.00", lines: []), today: today)["total_including_tax"]?.contains("greater than") == true)
        #expect(InvoiceRules.problems(invoice(excluding: "10.00", tax: "-1.00", lines: []), today: today)["total_including_tax"] != nil)
        let notAddingUp = InvoiceRules.problems(invoice(excluding: "100.00", tax: "15.00", lines: [("60.00", "9.00"), ("30.00", "4.50")]), today: today)
        #expect(notAddingUp["lines"] == "The lines add up to 90.00 excluding GST; the invoice says 100.00.")
        let taxNotAddingUp = InvoiceRules.problems(invoice(excluding: "100.00", tax: "15.00", lines: [("100.00", "14.00")]), today: today)
        #expect(taxNotAddingUp["lines"]?.contains("GST adds up to 14.00") == true)
        #expect(InvoiceRules.problems(invoice(lines: [("100.00", "150.00")]), today: today)["lines[0]"]?.contains("GST must be between") == true)

        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = .gmt
        let in1899 = gregorian.date(from: DateComponents(year: 1899, month: 6, day: 1))!
        #expect(InvoiceRules.problems(invoice(date: in1899), today: today)["invoice_date"]?.contains("before 2000") == true)
        let twentyYearsAhead = gregorian.date(byAdding: .year, value: 20, to: today)!
        #expect(InvoiceRules.problems(invoice(date: twentyYearsAhead), today: today)["invoice_date"]?.contains("year ahead") == true)
        // A supplier dating an invoice a few weeks ahead is fine.
        #expect(InvoiceRules.problems(invoice(date: today.addingTimeInterval(30 * day)), today: today).isEmpty)

        var dueBefore = invoice()
        dueBefore.dueDate = today.addingTimeInterval(-day)
        #expect(InvoiceRules.problems(dueBefore, today: today)["due_date"] == "The due date is before the invoice date.")
        var hugeLine = invoice(excluding: "99999999999.00", tax: "0", lines: [("99999999999.00", "0")])
        hugeLine.number = ""
        let huge = InvoiceRules.problems(hugeLine, today: today)
        #expect(huge["total_excluding_tax"] != nil && huge["lines[0]"] != nil && huge["number"] != nil)
    }

    @Test func aPDF_mustBeAPDF_complete_andAtMost20MB() {
        let pdf = Array("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".utf8)
        #expect(InvoiceDocument.problem(pdf, filename: "inv.pdf") == nil)
        #expect(InvoiceDocument.problem(Array("PK\u{3}\u{4} not a pdf".utf8), filename: "inv.pdf")?.contains("is not a PDF") == true)
        #expect(InvoiceDocument.problem(Array("%PDF-1.4\ncut off".utf8), filename: "inv.pdf")?.contains("not a complete PDF") == true)
        #expect(InvoiceDocument.problem([UInt8](), filename: "inv.pdf")?.contains("empty") == true)
        let big = Array("%PDF-1.4\n".utf8) + [UInt8](repeating: 32, count: 50 * 1024 * 1024) + Array("%%EOF".utf8)
        #expect(InvoiceDocument.problem(big, filename: "big.pdf")?.contains("at most 20 MB") == true)
    }

    @Test func check_needsCodingAndAnApprover_approveNeedsTheRole_andSendBackAReason() throws {
        let clerk = User(organisationID: org, email: "ap@a.example", name: "AP", role: .apOfficer)
        let approver = User(organisationID: org, email: "boss@a.example", name: "Boss", role: .approver)
        var uncoded = invoice()
        uncoded.lines[0].costTypeID = nil
        #expect(InvoiceWorkflow.apply(.check, to: uncoded, by: clerk) == .failure(.incomplete("Line 1 needs a cost code and a cost type before the invoice can be marked Checked.")))
        var unassigned = invoice()
        unassigned.approverID = nil
        #expect(InvoiceWorkflow.apply(.check, to: unassigned, by: clerk) == .failure(.incomplete("Assign an approver before marking the invoice Checked.")))

        var assigned = invoice()
        assigned.approverID = approver.id
        let checked = try InvoiceWorkflow.apply(.check, to: assigned, by: clerk).get()
        #expect(checked.status == .awaitingApproval)
        #expect(InvoiceWorkflow.apply(.approve(acceptingOverAllocation: false), to: checked, by: clerk) == .failure(.role("Only approvers and administrators can approve invoices.")))
        let other = User(organisationID: org, email: "other@a.example", name: "Other", role: .approver)
        #expect(InvoiceWorkflow.apply(.approve(acceptingOverAllocation: false), to: checked, by: other) == .failure(.role("This invoice is assigned to another approver.")))
        #expect(InvoiceWorkflow.apply(.sendBack(reason: "  "), to: checked, by: approver) == .failure(.incomplete("Say why the invoice is sent back (up to 1,000 characters).")))
        let sentBack = try InvoiceWorkflow.apply(.sendBack(reason: "Wrong cost code"), to: checked, by: approver).get()
        #expect(sentBack.status == .unchecked && sentBack.sendBackReason == "Wrong cost code")

        // Over-allocation: refused until the approver accepts it.
        let warning = ["PO-1 line 1 has 10.00 remaining; 20.00 is allocated to it."]
        #expect(InvoiceWorkflow.apply(.approve(acceptingOverAllocation: false), to: checked, by: approver, overAllocation: warning) == .failure(.overAllocated(warning)))
        let approved = try InvoiceWorkflow.apply(.approve(acceptingOverAllocation: true), to: checked, by: approver, overAllocation: warning).get()
        #expect(approved.status == .approved && approved.overAllocationAccepted)
        #expect(!InvoiceWorkflow.mayEditContent(approved))
        #expect(try InvoiceWorkflow.apply(.reverseApproval, to: approved, by: approver).get().status == .awaitingApproval)
        var posted = approved
        posted.status = .posted
        #expect(InvoiceWorkflow.apply(.reverseApproval, to: posted, by: approver) == .failure(.notAllowed(action: "reversed", status: .posted)))
    }

    @Test func allocations_automaticForOneLine_byQuantity_overRemaining_andTheIndicator() {
        let line = PurchaseOrder.Line(position: 1, description: "Timber", quantity: 10, unitCost: Decimal(string: "12.50")!)
        let second = PurchaseOrder.Line(position: 2, description: "Nails", quantity: 1, unitCost: 40)
        let one = PurchaseOrder(organisationID: org, number: "PO-1", status: .approved, supplierID: .init(), projectID: .init(), title: "T", lines: [line])
        let two = PurchaseOrder(organisationID: org, number: "PO-2", status: .approved, supplierID: .init(), projectID: .init(), title: "T", lines: [line, second])
        let bill = invoice(excluding: "100.00", tax: "15.00")
        #expect(InvoiceAllocations.automatic(bill, po: one) == [Invoice.Allocation(purchaseOrderLineID: line.id, amount: 100)])
        #expect(InvoiceAllocations.automatic(bill, po: two) == nil)
        #expect(InvoiceAllocations.byQuantity(4, of: line).amount == 50)
        #expect(InvoiceAllocations.compare(bill, with: one) == .under)  // 100 < 125
        #expect(InvoiceAllocations.compare(invoice(excluding: "125.00", tax: "0", lines: []), with: one).colour == "green")
        #expect(InvoiceAllocations.compare(invoice(excluding: "130.00", tax: "0", lines: []), with: one).colour == "red")
        let warnings = InvoiceAllocations.overRemaining(
            [Invoice.Allocation(purchaseOrderLineID: line.id, amount: 100)], po: one, allocatedElsewhere: [line.id: 50])
        #expect(warnings == ["PO-1 line 1 has 75.00 remaining; 100.00 is allocated to it."])
        #expect(InvoiceAllocations.overRemaining([Invoice.Allocation(purchaseOrderLineID: line.id, amount: 75)], po: one, allocatedElsewhere: [line.id: 50]).isEmpty)
    }
}
