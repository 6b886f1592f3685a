import Testing

@testable import LentuneCore

@Suite struct SourceChangeTests {
    let facts = SourceChange.Facts(openLentunePurchaseOrders: 12, projects: 3)

    @Test(arguments: PurchaseOrderSource.allCases)
    func noChange_saysNothing(source: PurchaseOrderSource) {
        #expect(SourceChange.consequences(from: source, to: source, facts: facts).isEmpty)
    }

    @Test func toLentune_countsPOsToSend() {
        let lines = SourceChange.consequences(from: .none, to: .lentune, facts: facts)
        #expect(lines.first?.hasPrefix("12 open Lentune purchase orders will be sent to Procore") == true)
        #expect(SourceChange.consequences(from: .none, to: .lentune, facts: .init(openLentunePurchaseOrders: 1, projects: 0))
            .first?.hasPrefix("1 open Lentune purchase order will") == true)
    }

    @Test func toProcore_countsProjectsAndDisablesNewPurchaseOrder() {
        let lines = SourceChange.consequences(from: .lentune, to: .procore, facts: facts)
        #expect(lines.contains("Procore purchase orders of 3 projects will be imported."))
        #expect(lines.contains("New Purchase Order will no longer be available for projects of this company."))
        #expect(lines.contains { $0.contains("read-only") })
    }

    @Test func toNone_sendsInvoicesAsDirectCosts() {
        for old in [PurchaseOrderSource.lentune, .procore] {
            #expect(SourceChange.consequences(from: old, to: .none, facts: facts).last
                == "Invoices for this company's projects go to Procore as Direct Costs.")
        }
    }
}
