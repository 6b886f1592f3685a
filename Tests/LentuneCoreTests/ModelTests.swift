import Foundation
import Testing

@testable import LentuneCore

@Suite struct ModelTests {
    @Test func supplierMatchKey_ignoresCaseAndSpacing() {
        #expect(Supplier.matchKey("  Placemakers   Ltd ") == Supplier.matchKey("PLACEMAKERS LTD"))
        #expect(Supplier.matchKey("Placemakers") != Supplier.matchKey("Place makers"))
    }

    @Test func unmatchedProcoreProject_getsProcoreCode() {
        #expect(Project.code(forUnmatchedProcoreProject: 562_949_953_421_312) == "PROCORE562949953421312")
    }

    @Test func emails_normalisedAndChecked() {
        #expect(User.normalise(email: " Admin@Example.COM ") == "admin@example.com")
        #expect(User.isPlausible(email: "a@b.co"))
        for bad in ["", "a", "a@b", "@b.co", "a@@b.co", "a b@c.co"] { #expect(!User.isPlausible(email: bad), "\(bad)") }
    }

    @Test func roles_permissions() {
        #expect(Role.allCases.filter(\.mayAdminister) == [.administrator])
        #expect(!Role.auditor.mayEditDocuments && !Role.auditor.mayApprove)
        #expect(Role.approver.mayApprove && !Role.approver.mayEditDocuments)
    }

    @Test func identifier_roundTripsThroughText() {
        let id = Project.ID()
        #expect(Project.ID(string: id.description) == id)
        #expect(Project.ID(string: "not-a-uuid") == nil)
    }
}
