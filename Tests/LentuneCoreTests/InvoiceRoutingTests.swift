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
}
