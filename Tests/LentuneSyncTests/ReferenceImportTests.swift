import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import LentuneTestSupport
import ProcoreAPI
import ProcoreSandbox
import Testing

/// `reference.sync` against the sandbox over HTTP: projects by stage, cost codes, cost types, vendors → suppliers.
@Suite struct ReferenceImportTests {
    /// The demo company of the sandbox, linked in `org` through a service-account connection, and a worker.
    static func linkedCompany(
        _ org: Organisation.ID, sandbox: RunningSandbox, clientID: String, secret: String, company: Int64 = Seeds.demoCompanyID,
        on db: any Database
    ) async throws -> (ProcoreCompanyLink, SyncWorker, ProcoreSessions) {
        let box = try SecretBox(base64Key: SecretBox.generateKey())
        let admin = try await Accounts.createUser(
            organisation: org, email: "admin@a.example", name: "Admin", role: .administrator, passwordHash: "x", on: db)
        let connection = try await ProcoreSettings.saveConnection(
            .init(environment: .custom(authBaseURL: sandbox.authBaseURL, apiBaseURL: sandbox.apiBaseURL), clientID: clientID,
                  clientSecret: secret, grantType: .clientCredentials, redirectURI: nil, serviceCompanyID: nil),
            organisation: org, actor: admin, secrets: box, now: Date(), on: db)
        let row = ProcoreCompanyLink(
            organisationID: org, connectionID: .init(connection.id), procoreCompanyID: company, name: "Kauri", isLinked: true)
        try await ProcoreSettings.insert(row, on: db)
        let sessions = ProcoreSessions(connector: ProcoreConnector(secrets: box))
        let worker = SyncEngine(
            sessions: sessions, hooks: HookRegistration(webhookURL: { _ in "https://ap.example.com/hook" }, secrets: box)).worker(db: db)
        return (row, worker, sessions)
    }

    /// One full `reference.sync` of the row, which must succeed (its error is shown when it does not).
    static func readAll(_ row: ProcoreCompanyLink, _ worker: SyncWorker, on db: any Database) async throws {
        try await Outbox.enqueue(.companyWide(.syncReferenceData, of: row, now: Date()), on: db)
        let summary = try await worker.runOnce()
        let error = try await Outbox.jobs(in: row.organisationID, on: db).first?.lastError ?? ""
        #expect(summary.done == 1, "\(error)")
    }

    @Test(arguments: TestDatabase.kinds)
    func importsByStage_linksByCode_deactivates_andIsIdempotent(kind: TestDatabase.Kind) async throws {
        try await RunningSandbox.with(clientID: "ref-app", clientSecret: "ref-secret") { sandbox in
            try await TestDatabase.with(kind) { database in
                let db = database.db
                let fixture = try await Fixture.make(on: db)  // project P-100, supplier "Placemakers Ltd"
                let org = fixture.organisation.id
                let wharf = Project(organisationID: org, code: "wsa-01", name: "Wharf Street (Lentune's name)")
                try await ReferenceData.insert(wharf, on: db)
                let (row, worker, _) = try await Self.linkedCompany(org, sandbox: sandbox, clientID: "ref-app", secret: "ref-secret", on: db)
                func sync() async throws { try await Self.readAll(row, worker, on: db) }
                try await sync()

                let projects = try await ReferenceData.projects(in: org, on: db)
                let sandboxProjects = sandbox.server.store.read { $0.projects }
                func procoreID(_ number: String) -> Int64 { sandboxProjects.first { $0.projectNumber == number }!.id }
                // WSA-01 exists in Lentune (any case): linked, not duplicated; the other two under construction are new.
                #expect(projects.first { $0.id == wharf.id }?.procoreProjectID == procoreID("WSA-01"))
                #expect(Set(projects.filter { $0.procoreCompanyLinkID == row.id }.map(\.code))
                        == ["wsa-01", "PROCORE\(procoreID("KRS-02"))", "PROCORE\(procoreID("HBW-03"))"])
                #expect(!projects.contains { $0.procoreProjectID == procoreID("TPO-04") })  // Pre-Construction: not imported
                // Cost codes with their division, and the sub job's code as its own, labelled with it.
                let codes = try await ReferenceData.costCodes(in: org, project: wharf.id, on: db).map(\.code)
                #expect(codes.contains("03-300"))
                #expect(codes.contains("03-300 [Basement Carpark]"))
                // Procore's five cost types; the fixture's "M" is linked to Procore's, not duplicated.
                let types = try await ReferenceData.costTypes(in: org, on: db)
                #expect(types.count == 5)
                #expect(types.first { $0.id == fixture.costType.id }?.procoreLineItemTypes[row.id] != nil)
                // Vendors: "Placemakers Ltd" is the fixture's supplier, linked, not duplicated.
                let suppliers = try await ReferenceData.suppliers(in: org, on: db)
                #expect(suppliers.count == 6)
                #expect(suppliers.first { $0.id == fixture.supplier.id }?.procoreVendors[row.id] != nil)

                // A project leaves the accepted stages, another enters them, a vendor is renamed: one more sync.
                sandbox.server.store.write { data in
                    let pre = data.stages.first { $0.name == "Pre-Construction" }!.id
                    let coc = data.stages.first { $0.name == "Course of Construction" }!.id
                    let hbw = data.projects.firstIndex { $0.projectNumber == "HBW-03" }!
                    data.projects[hbw].stageID = pre
                    let tpo = data.projects.firstIndex { $0.projectNumber == "TPO-04" }!
                    data.projects[tpo].stageID = coc
                    let vendor = data.vendors.firstIndex { $0.name == "Firth Concrete" }!
                    data.vendors[vendor].name = "Firth Industries"
                }
                try await sync()
                let after = try await ReferenceData.projects(in: org, on: db)
                #expect(after.first { $0.procoreProjectID == procoreID("HBW-03") }?.isActive == false)  // kept, inactive
                #expect(after.first { $0.procoreProjectID == procoreID("TPO-04") }?.isActive == true)
                #expect(try await ReferenceData.suppliers(in: org, on: db).contains { $0.name == "Firth Industries" })
                #expect(try await ReferenceData.suppliers(in: org, on: db).count == 6)

                // Idempotent: a third run changes nothing.
                let before = (try await ReferenceData.projects(in: org, on: db), try await ReferenceData.costCodes(in: org, on: db).count)
                try await sync()
                #expect(try await ReferenceData.projects(in: org, on: db) == before.0)
                #expect(try await ReferenceData.costCodes(in: org, on: db).count == before.1)

                // A change whose webhook never reaches Lentune (none is delivered in this test) is caught by the sweep:
                // the sweep queues a reference sync, which imports the project that entered an accepted stage.
                sandbox.server.store.write { data in
                    let coc = data.stages.first { $0.name == "Course of Construction" }!.id
                    let rcl = data.projects.firstIndex { $0.projectNumber == "RCL-05" }!
                    data.projects[rcl].stageID = coc
                }
                #expect(!(try await ReferenceData.projects(in: org, on: db)).contains { $0.procoreProjectID == procoreID("RCL-05") })
                let now = Date()
                try await Outbox.enqueue(SyncJob(organisationID: org, companyLinkID: row.id, kind: .sweep, nextAttemptAt: now, createdAt: now), on: db)
                #expect(try await worker.runOnce().done == 1)
                #expect(try await worker.runOnce().done == 1)  // the reference sync the sweep queued
                #expect(try await ReferenceData.projects(in: org, on: db).first { $0.procoreProjectID == procoreID("RCL-05") }?.isActive == true)

                // A Projects webhook reads that project alone (one request here: it left the stages, so no cost codes
                // are read), and no other project is touched (KRS-02 stays active although it is not in the answer).
                sandbox.server.store.write { data in
                    let completed = data.stages.first { $0.name == "Completed" }!.id
                    let rcl = data.projects.firstIndex { $0.projectNumber == "RCL-05" }!
                    data.projects[rcl].stageID = completed
                }
                sandbox.server.store.requestLog.clear()
                try await Outbox.enqueue(ReferenceJobs.job(.init(project_id: procoreID("RCL-05")), of: row, now: Date()), on: db)
                #expect(try await worker.runOnce().done == 1)
                let targeted = try await ReferenceData.projects(in: org, on: db)
                #expect(targeted.first { $0.procoreProjectID == procoreID("RCL-05") }?.isActive == false)
                #expect(targeted.first { $0.procoreProjectID == procoreID("KRS-02") }?.isActive == true)
                #expect(sandbox.server.store.requestLog.all().filter { $0.path.hasPrefix("/rest/") }.count == 1)
            }
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func vendorNames_matchPunctuationInsensitively_andNearMissesWaitForAPerson(kind: TestDatabase.Kind) async throws {
        try await RunningSandbox.with(clientID: "map-app", clientSecret: "map-secret") { sandbox in
            try await TestDatabase.with(kind) { database in
                let db = database.db
                let fixture = try await Fixture.make(on: db)  // supplier "Placemakers Ltd"
                let org = fixture.organisation.id
                // Lentune's names for three of Procore's vendors: one the same by the rule, two near misses.
                let hynds = Supplier(organisationID: org, name: "HYNDS Pipe-Systems")  // the same name by the rule
                let carters = Supplier(organisationID: org, name: "Carters Bulding Supplies")  // one typo
                let mitre = Supplier(organisationID: org, name: "Mitre10 Trade")  // spacing
                let firth = Supplier(organisationID: org, name: "FIRTH   concrete.")  // the same name by the rule
                for supplier in [hynds, carters, mitre, firth] { try await ReferenceData.insert(supplier, on: db) }
                let (row, worker, _) = try await Self.linkedCompany(org, sandbox: sandbox, clientID: "map-app", secret: "map-secret", on: db)
                func sync() async throws { try await Self.readAll(row, worker, on: db) }
                let vendors = sandbox.server.store.read { data in data.vendors.filter { $0.companyID == Seeds.demoCompanyID } }
                func vendorID(_ name: String) -> Int64 { vendors.first { $0.name == name }!.id }
                func supplier(_ id: Supplier.ID) async throws -> Supplier? { try await ReferenceData.suppliers(in: org, on: db).first { $0.id == id } }
                try await sync()

                // Placemakers, Firth and Hynds: linked by the rule (case, spaces, punctuation), not duplicated.
                #expect(try await supplier(firth.id)?.procoreVendors[row.id] == vendorID("Firth Concrete"))
                #expect(try await supplier(hynds.id)?.procoreVendors[row.id] == vendorID("Hynds Pipe Systems"))
                #expect(try await supplier(fixture.supplier.id)?.procoreVendors[row.id] == vendorID("Placemakers Ltd"))
                // The near misses are neither merged nor duplicated: they wait on the Supplier mapping page.
                var all = try await ReferenceData.suppliers(in: org, on: db)
                #expect(!all.contains { $0.name == "Carters Building Supplies" || $0.name == "Mitre 10 Trade" })
                #expect(try await supplier(carters.id)?.procoreVendors[row.id] == nil)
                let open = try await SupplierMappings.open(of: row, on: db)
                #expect(Set(open.map { "\($0.vendorName) ~ \($0.supplierName)" }) == [
                    "Carters Building Supplies ~ Carters Bulding Supplies", "Mitre 10 Trade ~ Mitre10 Trade"])
                // A second read suggests nothing twice.
                try await sync()
                #expect(try await SupplierMappings.open(of: row, on: db).count == 2)

                // Link Mitre; keep Carters apart; deciding again is refused and changes nothing.
                let user = try await Accounts.user(email: "admin@a.example", on: db)!.domain
                let mitreSuggestion = open.first { $0.supplierID == mitre.id.rawValue }!
                let cartersSuggestion = open.first { $0.supplierID == carters.id.rawValue }!
                #expect(try await SupplierMappings.decide(mitreSuggestion.id, .link, row: row, actor: user, now: Date(), on: db) != .stale)
                #expect(try await SupplierMappings.decide(mitreSuggestion.id, .keepApart, row: row, actor: user, now: Date(), on: db) == .stale)
                #expect(try await SupplierMappings.decide(cartersSuggestion.id, .keepApart, row: row, actor: user, now: Date(), on: db) != .stale)
                try await sync()
                all = try await ReferenceData.suppliers(in: org, on: db)
                #expect(try await supplier(mitre.id)?.procoreVendors[row.id] == vendorID("Mitre 10 Trade"))
                #expect(all.filter { $0.procoreVendors[row.id] == vendorID("Mitre 10 Trade") }.count == 1)
                #expect(all.first { $0.name == "Carters Building Supplies" }?.procoreVendors[row.id] == vendorID("Carters Building Supplies"))
                #expect(try await supplier(carters.id)?.procoreVendors[row.id] == nil)  // kept apart: still Lentune's own
                #expect(try await SupplierMappings.open(of: row, on: db).isEmpty)
                // Every Procore vendor is now exactly one supplier.
                #expect(Set(all.compactMap { $0.procoreVendors[row.id] }) == Set(vendors.map(\.id)))
                #expect(all.compactMap { $0.procoreVendors[row.id] }.count == vendors.count)
            }
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func aMissingVendorAndCostType_areCreatedInProcoreExactlyOnce_evenConcurrentlyOrAfterALostResponse(kind: TestDatabase.Kind) async throws {
        try await RunningSandbox.with(clientID: "write-app", clientSecret: "write-secret") { sandbox in
            try await TestDatabase.with(kind) { database in
                let db = database.db
                let org = try await Fixture.make(on: db).organisation.id
                let scaffolding = Supplier(organisationID: org, name: "Wellington Scaffolding Ltd")
                let hire = Supplier(organisationID: org, name: "Kapiti Plant Hire")
                for supplier in [scaffolding, hire] { try await ReferenceData.insert(supplier, on: db) }
                let rental = CostType(organisationID: org, code: "R", name: "Rental")
                try await ReferenceData.insert(rental, on: db)
                let (row, _, sessions) = try await Self.linkedCompany(org, sandbox: sandbox, clientID: "write-app", secret: "write-secret", on: db)
                let client = try await sessions.client(organisation: org, company: row.procoreCompanyID, on: db)

                // Four jobs need the vendor and the cost type at the same moment.
                let vendorIDs = try await withThrowingTaskGroup(of: Int64.self, returning: [Int64].self) { group in
                    for _ in 0..<4 {
                        group.addTask { try await ReferenceWrites.ensureVendor(scaffolding.id, row: row, client: client, on: db) }
                        group.addTask { try await ReferenceWrites.ensureCostType(rental.id, row: row, client: client, on: db) }
                    }
                    var ids: [Int64] = []
                    for try await id in group { ids.append(id) }
                    return ids
                }
                let procoreVendors = sandbox.server.store.read { $0.vendors.filter { $0.originID == scaffolding.id.rawValue.lowercasedText } }
                let procoreTypes = sandbox.server.store.read { $0.lineItemTypes.filter { $0.originID == rental.id.rawValue.lowercasedText } }
                #expect(procoreVendors.count == 1)
                #expect(procoreTypes.count == 1)
                // Eight answers: four of the one vendor's id, four of the one line item type's.
                #expect(vendorIDs.sorted() == (Array(repeating: procoreVendors[0].id, count: 4) + Array(repeating: procoreTypes[0].id, count: 4)).sorted())
                #expect(procoreVendors[0].name == "Wellington Scaffolding Ltd")
                #expect(try await ReferenceData.suppliers(in: org, on: db).first { $0.id == scaffolding.id }?.procoreVendors[row.id] == procoreVendors[0].id)
                #expect(try await ReferenceData.costTypes(in: org, on: db).first { $0.id == rental.id }?.procoreLineItemTypes[row.id] == procoreTypes[0].id)

                // Procore creates the vendor but the response is lost: whether the client's own retry or the job's
                // next attempt sends it again, the sync action finds the vendor by origin_id and creates none.
                var faults = SandboxFaults()
                faults.dropAfterCommit = ["PATCH /rest/v1.0/vendors/sync": 1]
                sandbox.server.store.faults = faults
                let first = try? await ReferenceWrites.ensureVendor(hire.id, row: row, client: client, on: db)
                #expect(sandbox.server.store.faults.dropAfterCommit.isEmpty)  // the response was dropped
                let retried = try await ReferenceWrites.ensureVendor(hire.id, row: row, client: client, on: db)
                #expect(first == nil || first == retried)
                let hires = sandbox.server.store.read { $0.vendors.filter { $0.originID == hire.id.rawValue.lowercasedText } }
                #expect(hires.map(\.id) == [retried])
            }
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func taxCodes_areRead_mappedOnThePage_andAnUnmappedOrArchivedCodeIsNamed(kind: TestDatabase.Kind) async throws {
        try await RunningSandbox.with(clientID: "tax-app", clientSecret: "tax-secret") { sandbox in
            try await TestDatabase.with(kind) { database in
                let db = database.db
                let fixture = try await Fixture.make(on: db)  // GST 15%
                let org = fixture.organisation.id
                let zero = TaxCode(organisationID: org, code: "Z", name: "Zero-rated", rate: 0)
                try await ReferenceData.insert(zero, on: db)
                let (row, worker, _) = try await Self.linkedCompany(org, sandbox: sandbox, clientID: "tax-app", secret: "tax-secret", on: db)
                let admin = try await Accounts.createUser(
                    organisation: org, email: "tax-admin@a.example", name: "Tax Admin", role: .administrator, passwordHash: "x", on: db)
                try await Self.readAll(row, worker, on: db)

                // The company's three Procore tax codes are read; nothing is mapped yet.
                let procore = sandbox.server.store.read { data in data.taxCodes.filter { $0.companyID == Seeds.demoCompanyID } }
                func procoreID(_ code: String) -> Int64 { procore.first { $0.code == code }!.id }
                var mapping = try await TaxMappings.mapping(of: row, on: db)
                #expect(Set(mapping.procoreCodes.values.map(\.code)) == ["GST", "ZERO", "EXEMPT"])
                #expect(mapping.procoreCodes[procoreID("GST")]?.ratePercent == 15)
                #expect(throws: TaxMapping.Unmapped.self) { try mapping.procoreTaxCode(for: fixture.gst) }
                #expect(try mapping.procoreTaxCode(for: nil) == nil)  // no default: a line without a code has none
                do throws(TaxMapping.Unmapped) {
                    _ = try mapping.procoreTaxCode(for: fixture.gst)
                } catch {
                    #expect(error.description.contains("GST") && error.description.contains("Tax mapping page"))
                }

                // A code that is not the company's is refused and nothing changes.
                let refused = try await TaxMappings.save([fixture.gst.id: 999_999], default: nil, row: row, actor: admin, now: Date(), on: db)
                guard case .refused(let problems) = refused else { Issue.record("saved an unknown Procore tax code"); return }
                #expect(problems.first?.contains("999999") == true)
                #expect(try await TaxMappings.mapping(of: row, on: db).mappings.isEmpty)

                // Mapped: GST → GST, Z → ZERO, default EXEMPT.
                let saved = try await TaxMappings.save(
                    [fixture.gst.id: procoreID("GST"), zero.id: procoreID("ZERO")], default: procoreID("EXEMPT"), row: row, actor: admin,
                    now: Date(), on: db)
                #expect(saved == .saved(changes: 3))
                mapping = try await TaxMappings.mapping(of: row, on: db)
                #expect(try mapping.procoreTaxCode(for: fixture.gst) == procoreID("GST"))
                #expect(try mapping.procoreTaxCode(for: zero) == procoreID("ZERO"))
                #expect(try mapping.procoreTaxCode(for: nil) == procoreID("EXEMPT"))
                #expect(try await TaxMappings.save(
                    [fixture.gst.id: procoreID("GST"), zero.id: procoreID("ZERO")], default: procoreID("EXEMPT"), row: row, actor: admin,
                    now: Date(), on: db) == .saved(changes: 0))

                // ZERO is archived in Procore: the next read marks it, and Z is named as needing a new mapping.
                sandbox.server.store.write { data in
                    let index = data.taxCodes.firstIndex { $0.id == procoreID("ZERO") }!
                    data.taxCodes[index].archived = true
                }
                try await Self.readAll(row, worker, on: db)
                mapping = try await TaxMappings.mapping(of: row, on: db)
                #expect(mapping.procoreCodes[procoreID("ZERO")]?.archived == true)
                #expect(throws: TaxMapping.Unmapped.self) { try mapping.procoreTaxCode(for: zero) }
                #expect(try mapping.procoreTaxCode(for: fixture.gst) == procoreID("GST"))
                #expect(try await ReferenceImport.summary(of: row, on: db).taxCodesUnmapped == 1)
            }
        }
    }
}
