import Foundation
import Testing

@testable import LentuneCore

@Suite struct ModelTests {
    /// Record ids come from the system's generator: version 4 with the RFC's variant, and no repeats in 100,000.
    @Test func randomUUIDs_areVersion4_andDistinct() {
        let ids = (0..<100_000).map { _ in UUID.random() }
        #expect(ids.allSatisfy { $0.uuid.6 >> 4 == 4 && $0.uuid.8 >> 6 == 0b10 })
        #expect(Set(ids).count == 100_000)
        // Foundation reads the same id back from its text (the database and the API carry it as text).
        let id = UUID.random()
        #expect(UUID(uuidString: id.uuidString) == id && id.uuidString.dropFirst(14).first == "4")
    }

    @Test func supplierMatchKey_ignoresCaseAndSpacing() {
        #expect(Supplier.matchKey("  Placemakers   Ltd ") == Supplier.matchKey("PLACEMAKERS LTD"))
        #expect(Supplier.matchKey("Placemakers") != Supplier.matchKey("Place makers"))
    }

    @Test(arguments: [
        ("Fletcher-Steel Ltd.", "Fletcher Steel Limited"),
        ("Smith & Sons Limited", "SMITH AND SONS LTD"),
        ("O'Brien Plumbing", "OBrien Plumbing"),
        ("Māori Builders (NZ) Ltd", "Maori Builders NZ Ltd"),
    ])
    func supplierMatchKey_ignoresPunctuation_andLimitedIsLtd(a: String, b: String) {
        #expect(Supplier.matchKey(a) == Supplier.matchKey(b))
        #expect(!Supplier.isNearMiss(a, b))  // a match is not a near miss
    }

    @Test func nearMisses_areSpacingOrOneTypo_neverDifferentNames() {
        #expect(Supplier.isNearMiss("ABC Ltd", "A.B.C. Limited"))
        #expect(Supplier.isNearMiss("Placemakers", "Place makers"))
        #expect(Supplier.isNearMiss("Carters Building Supplies", "Carters Bulding Supplies"))  // one letter missing
        #expect(Supplier.isNearMiss("Firth Concrete", "Firth Concreta"))  // one changed
        #expect(!Supplier.isNearMiss("Firth Concrete", "Firth Industries"))
        #expect(!Supplier.isNearMiss("Hynds Pipe", "Hynds Pipes Ltd"))  // two edits and a word
        #expect(!Supplier.isNearMiss("ABC", "ABD"))  // short names: one letter is another supplier
        #expect(!Supplier.isNearMiss("", "A"))
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

@Suite struct UUIDTextTests {
    @Test func matchesFoundation_overManyIds() {
        for _ in 0..<2_000 {
            let id = UUID()
            #expect(id.lowercasedText == id.uuidString.lowercased())
            #expect(UUID(text: id.uuidString) == id)
            #expect(UUID(text: id.uuidString.lowercased()) == id)
        }
    }

    @Test func refusesAnythingButCanonicalText() {
        let good = "6BA7B810-9DAD-11D1-80B4-00C04FD430C8"
        for bad in ["", "6BA7B810", good + "0", "6BA7B8109DAD11D180B400C04FD430C8", "6BA7B810-9DAD-11D1-80B4-00C04FD430CG",
                    "6BA7B810-9DAD-11D1-80B400-C04FD430C8", " 6BA7B810-9DAD-11D1-80B4-00C04FD430C", "6ba7b810-9dad-11d1-80b4-00c04fd430c８"] {
            #expect(UUID(text: bad) == nil, "\(bad)")
        }
        // Stricter than Foundation, whose sscanf skips a leading space and reads a shifted id.
        #expect(UUID(uuidString: " 6BA7B810-9DAD-11D1-80B4-00C04FD430C") != nil)
        #expect(UUID(text: good) == UUID(uuidString: good))
    }
}

/// "View in Procore" addresses (issue 29: every Procore id is a link into Procore's web app).
@Suite struct ProcoreWebLinksTests {
    @Test func eachEnvironmentsLinks_areItsWebAppsPaths() throws {
        let commitment = ProcoreWebLinks.Target.commitment(project: 42, commitment: 4_294_968_001)
        #expect(ProcoreWebLinks.url(commitment, environment: .production)?.absoluteString
            == "https://app.procore.com/42/project/commitments/purchase_order_contracts/4294968001")
        #expect(ProcoreWebLinks.url(.directCost(project: 42, directCost: 7), environment: .developerSandbox)?.absoluteString
            == "https://sandbox.procore.com/42/project/direct_costs/7")
        // A custom environment on loopback (the local sandbox): the API's origin, never its path, query or credentials.
        func custom(_ api: String) throws -> ProcoreEnvironment {
            .custom(authBaseURL: try #require(URL(string: "http://127.0.0.1:8081")), apiBaseURL: try #require(URL(string: api)))
        }
        #expect(ProcoreWebLinks.url(.requisition(project: 1, commitment: 2, requisition: 3), environment: try custom("http://user:pw@127.0.0.1:8081/base/path?x=1#f"))?
            .absoluteString == "http://127.0.0.1:8081/1/project/commitments/purchase_order_contracts/2/invoices/3")
        #expect(ProcoreWebLinks.url(.vendor(company: 4242, vendor: 9), environment: try custom("http://localhost:8081"))?.absoluteString
            == "http://localhost:8081/4242/company/directory/vendors/9")
        #expect(ProcoreWebLinks.url(.project(5), environment: try custom("http://[::1]:8081"))?.absoluteString == "http://[::1]:8081/5/project/home")
        // Anywhere else, or by another scheme, no link: where such an environment's web app is, is not known.
        #expect(ProcoreWebLinks.url(.project(5), environment: try custom("https://procore.example:8443/api")) == nil)
        #expect(ProcoreWebLinks.url(.project(5), environment: try custom("https://127.0.0.1.example.com")) == nil)
        #expect(ProcoreWebLinks.url(.project(5), environment: try custom("ftp://127.0.0.1/x")) == nil)
    }
}
