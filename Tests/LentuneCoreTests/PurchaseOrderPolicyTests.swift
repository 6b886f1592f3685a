import Foundation
import Testing

@testable import LentuneCore

@Suite struct PurchaseOrderSourceTests {
    @Test(arguments: [
        (false, false, PurchaseOrderSource.none), (true, false, .lentune), (false, true, .procore),
    ])
    func checkboxes_mapToOneSource(lentune: Bool, procore: Bool, expected: PurchaseOrderSource) {
        let source = PurchaseOrderSource(lentuneTicked: lentune, procoreTicked: procore)
        #expect(source == expected)
        #expect(source?.lentuneTicked == lentune)
        #expect(source?.procoreTicked == procore)
    }

    @Test func bothTicked_isNotRepresentable() {
        #expect(PurchaseOrderSource(lentuneTicked: true, procoreTicked: true) == nil)
    }
}

@Suite struct PurchaseOrderPolicyTests {
    let org = Organisation.ID()

    func project(_ source: PurchaseOrderSource?) -> PurchaseOrderPolicy.ProjectSource? {
        source.map { .init(companyName: "Harbour Build Ltd", source: $0) }
    }

    func po(origin: PurchaseOrder.Origin = .lentune, status: PurchaseOrder.Status = .draft) -> PurchaseOrder {
        PurchaseOrder(
            organisationID: org, number: "PO-1", origin: origin, status: status, supplierID: .init(),
            projectID: .init(), title: "Timber")
    }

    @Test func mayCreate_refusedOnlyWhenProcoreIsSource() throws {
        #expect(throws: Never.self) { try PurchaseOrderPolicy.mayCreate(for: nil).get() }
        #expect(throws: Never.self) { try PurchaseOrderPolicy.mayCreate(for: project(PurchaseOrderSource.none)).get() }
        #expect(throws: Never.self) { try PurchaseOrderPolicy.mayCreate(for: project(.lentune)).get() }
        #expect(throws: PurchaseOrderPolicy.Refusal.procoreIsSource(companyName: "Harbour Build Ltd")) {
            try PurchaseOrderPolicy.mayCreate(for: project(.procore)).get()
        }
    }

    @Test func newPurchaseOrderButton_inaccessibleWhenEveryProjectIsProcoreSourced() {
        let onlyProcore = [project(.procore), project(.procore)]
        #expect(throws: PurchaseOrderPolicy.Refusal.noEligibleProject) {
            try PurchaseOrderPolicy.newPurchaseOrderButton(projects: onlyProcore).get()
        }
        #expect(throws: PurchaseOrderPolicy.Refusal.noEligibleProject) {
            try PurchaseOrderPolicy.newPurchaseOrderButton(projects: []).get()
        }
        for other in [project(.lentune), project(PurchaseOrderSource.none), nil] {
            #expect(throws: Never.self) {
                try PurchaseOrderPolicy.newPurchaseOrderButton(projects: onlyProcore + [other]).get()
            }
        }
    }

    @Test(arguments: PurchaseOrder.Status.allCases)
    func mayEdit_procoreOriginIsAlwaysReadOnly(status: PurchaseOrder.Status) {
        for source in [nil] + PurchaseOrderSource.allCases.map(Optional.some) {
            #expect(throws: PurchaseOrderPolicy.Refusal.procoreOwned) {
                try PurchaseOrderPolicy.mayEdit(po(origin: .procore, status: status), project: project(source)).get()
            }
        }
    }

    @Test func mayEdit_lentunePO() {
        #expect(throws: Never.self) { try PurchaseOrderPolicy.mayEdit(po(), project: project(.lentune)).get() }
        #expect(throws: Never.self) { try PurchaseOrderPolicy.mayEdit(po(), project: nil).get() }
        #expect(throws: PurchaseOrderPolicy.Refusal.closed) {
            try PurchaseOrderPolicy.mayEdit(po(status: .closed), project: project(.lentune)).get()
        }
        // After the company switched to Procore, Procore is the master of its Lentune POs too.
        #expect(throws: PurchaseOrderPolicy.Refusal.procoreIsSource(companyName: "Harbour Build Ltd")) {
            try PurchaseOrderPolicy.mayEdit(po(), project: project(.procore)).get()
        }
    }

    @Test func isPushed_onlyApprovedLentunePOsOfLentuneSourcedCompanies() {
        for source in [nil] + PurchaseOrderSource.allCases.map(Optional.some) {
            for origin in PurchaseOrder.Origin.allCases {
                for status in PurchaseOrder.Status.allCases {
                    let expected = source == .lentune && origin == .lentune && (status == .approved || status == .closed)
                    #expect(
                        PurchaseOrderPolicy.isPushed(po(origin: origin, status: status), project: project(source))
                            == expected, "source \(String(describing: source)) origin \(origin) status \(status)")
                }
            }
        }
    }

    @Test func pushAndPull_byCompanySource() {
        #expect(PurchaseOrderSource.allCases.filter(PurchaseOrderPolicy.isPulled(source:)) == [.procore])
        #expect(PurchaseOrderSource.allCases.filter(PurchaseOrderPolicy.isPushed(source:)) == [.lentune])
    }

    @Test func refusalMessages_nameTheSetting() {
        #expect(PurchaseOrderPolicy.Refusal.procoreIsSource(companyName: "X").message.contains("Procore purchase order"))
        #expect(PurchaseOrderPolicy.Refusal.procoreOwned.message.contains("Source: Procore"))
    }
}
