import Foundation
import Testing

@testable import LentuneCore

@Suite struct InvoiceRoutingTests {
    let org = Organisation.ID()
    let tolerance = Decimal(string: "0.05")!

    func invoice(total: String, allocated: [String]) -> Invoice {
        Invoice(
            organisationID: org, supplierID: .init(), number: "INV-9", invoiceDate: Date(timeIntervalSince1970: 0),
            allocations: allocated.map { .init(purchaseOrderLineID: .init(), amount: Decimal(string: $0)!) },
            statedTotalExcludingTax: Decimal(string: total)!, statedTax: 0)
    }

    func po(commitment: ProcoreID?) -> PurchaseOrder {
        PurchaseOrder(
            organisationID: org, number: "PO-7", status: .approved, supplierID: .init(), projectID: .init(),
            title: "Steel", procoreCommitmentID: commitment)
    }

    @Test func unlinkedProject_isNotIntegrated() {
        let destination = InvoiceRouting.destination(
            for: invoice(total: "10", allocated: []), source: nil, purchaseOrder: nil, tolerance: tolerance)
        #expect(destination == .notIntegrated)
    }

    @Test(arguments: PurchaseOrderSource.allCases)
    func invoiceWithoutPO_isDirectCost(source: PurchaseOrderSource) {
        let destination = InvoiceRouting.destination(
            for: invoice(total: "10", allocated: []), source: source, purchaseOrder: nil, tolerance: tolerance)
        #expect(destination == .directCost)
    }

    @Test func bothUnticked_invoiceWithPO_isStillDirectCost() {
        let destination = InvoiceRouting.destination(
            for: invoice(total: "10", allocated: ["10"]), source: PurchaseOrderSource.none,
            purchaseOrder: po(commitment: 55), tolerance: tolerance)
        #expect(destination == .directCost)
    }

    @Test(arguments: [PurchaseOrderSource.lentune, .procore])
    func syncedPO_fullyAllocated_isRequisition(source: PurchaseOrderSource) {
        let destination = InvoiceRouting.destination(
            for: invoice(total: "100.00", allocated: ["60.00", "39.96"]), source: source,
            purchaseOrder: po(commitment: 9_000_000_000_123), tolerance: tolerance)
        #expect(destination == .requisition(commitmentID: 9_000_000_000_123))
    }

    @Test func allocationOutsideTolerance_isHeld() {
        let destination = InvoiceRouting.destination(
            for: invoice(total: "100.00", allocated: ["99.94"]), source: .lentune,
            purchaseOrder: po(commitment: 1), tolerance: tolerance)
        #expect(destination == .held(.allocationOutsideTolerance(difference: Decimal(string: "0.06")!, tolerance: tolerance)))
    }

    @Test func unsyncedPO_isHeld() {
        let destination = InvoiceRouting.destination(
            for: invoice(total: "5", allocated: ["5"]), source: .procore, purchaseOrder: po(commitment: nil),
            tolerance: tolerance)
        #expect(destination == .held(.purchaseOrderNotSynced(number: "PO-7")))
    }

    /// Issue 25 (found by the soak): a push that stored the commitment but not yet its lines. The requisition's
    /// amounts go on the commitment's line items, so the invoice waits (held, posted by the sweep once the lines are
    /// there) instead of failing for good. Fails if routing looks at the commitment id alone.
    @Test(arguments: [PurchaseOrderSource.lentune, .procore])
    func halfPushedPO_isHeldUntilItsAllocatedLinesAreInProcore(source: PurchaseOrderSource) {
        var order = po(commitment: 77)
        order.lines = [
            .init(position: 1, description: "Steel", quantity: 1, unitCost: 60),
            .init(position: 2, description: "Bolts", quantity: 1, unitCost: 40),
        ]
        var bill = invoice(total: "60.00", allocated: [])
        bill.allocations = [.init(purchaseOrderLineID: order.lines[0].id, amount: 60)]
        #expect(
            InvoiceRouting.destination(for: bill, source: source, purchaseOrder: order, tolerance: tolerance)
                == .held(.purchaseOrderNotSynced(number: "PO-7")))
        // Only the allocated lines matter: the second line may still be on its way.
        order.lines[0].procoreLineItemID = 501
        #expect(InvoiceRouting.destination(for: bill, source: source, purchaseOrder: order, tolerance: tolerance) == .requisition(commitmentID: 77))
    }

    /// Found by the soak: an invoice approved on a PO that was closed before it posted. Procore refuses a
    /// subcontractor invoice on a Closed commitment, so the job failed for good; now it is held with a reason a
    /// person can act on. Fails if routing sends it as a requisition.
    @Test(arguments: [PurchaseOrderSource.lentune, .procore])
    func closedPO_isHeld(source: PurchaseOrderSource) {
        var order = po(commitment: 78)
        order.status = .closed
        #expect(
            InvoiceRouting.destination(for: invoice(total: "5", allocated: ["5"]), source: source, purchaseOrder: order, tolerance: tolerance)
                == .held(.purchaseOrderClosed(number: "PO-7")))
    }
}
