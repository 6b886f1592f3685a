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

/// Issue 25: stories, not requests. Each test is one interleaving the outside reliability run found losing,
/// duplicating or diverging a record, against the sandbox over HTTP.
@Suite struct InterleavingTests {
    typealias W = PurchaseOrderPushTests.World

    static func engine(_ w: W) throws -> SyncEngine {
        SyncEngine(
            sessions: w.worker.sessions,
            hooks: HookRegistration(webhookURL: { _ in "https://ap.example.com/hook" }, secrets: try SecretBox(base64Key: SecretBox.generateKey())))
    }

    static func edit(_ w: W, _ id: PurchaseOrder.ID, _ change: (inout PurchaseOrder) -> Void) async throws -> PurchaseOrder {
        var po = try #require(try await PurchaseOrders.find(id, in: w.org, on: w.db))
        change(&po)
        return try await PurchaseOrderCommands.update(po, actor: w.admin, now: Date(), on: w.db)
    }

    /// Defect 1: approved (push queued), edited back to draft, and, while its push runs and finds it a draft, approved
    /// again and closed. The run ends cancelled; the change queued meanwhile must still reach Procore.
    @Test(arguments: TestDatabase.kinds)
    func aPushCancelledWhileARerunWasAsked_stillSendsTheChange(kind: TestDatabase.Kind) async throws {
        try await PurchaseOrderPushTests.world(kind) { w in
            let po = try await PurchaseOrderPushTests.approvedPO(w, title: "Formwork", lines: 2)
            let claimed = try await Outbox.claim(limit: 10, worker: "slow", lease: .seconds(120), now: Date(), on: w.db)
            let job = try #require(claimed.first { $0.kind == .pushPurchaseOrder })
            _ = try await Self.edit(w, po.id) { $0.status = .draft; $0.lines[0].unitCost = 999; $0.lines[0].amount = 1998 }
            // The push reads the PO now: a draft, so it is not sent.
            await #expect(throws: SyncError.self) { try await Self.engine(w).perform(job, on: w.db) }
            _ = try await PurchaseOrderCommands.act(.submit, on: po.id, organisation: w.org, actor: w.admin, now: Date(), on: w.db)
            _ = try await PurchaseOrderCommands.act(.close, on: po.id, organisation: w.org, actor: w.admin, now: Date(), on: w.db)
            #expect(try await Outbox.finish(job.id, worker: "slow", .cancelled(reason: "\(po.number) is draft"), now: Date(), on: w.db))

            #expect(try await w.worker.runOnce().done == 1)
            let commitments = PurchaseOrderPushTests.commitments(w, of: po)
            #expect(commitments.map(\.status) == ["Closed"])
            let lines = try PurchaseOrderPushTests.lines(w, of: #require(commitments.first).id)
            #expect(lines.map(\.amount).sorted() == [Decimal(999) * 2, Decimal(string: "1250.50")! * 3].sorted())
            #expect(try await SyncLedger.records(of: po.id.rawValue, in: w.org, on: w.db).map(\.state) == [.synced])
        }
    }

    /// The sweep repairs a lost push: a closed PO whose ledger says pending and whose job is gone gets a push.
    @Test(arguments: TestDatabase.kinds)
    func theSweep_queuesAPushForALentunePOWhoseJobWasLost(kind: TestDatabase.Kind) async throws {
        try await PurchaseOrderPushTests.world(kind) { w in
            let po = try await PurchaseOrderPushTests.approvedPO(w, title: "Lost push", lines: 1)
            _ = try await (w.db as! any SQLDatabase).raw("DELETE FROM outbox_jobs").run()
            try await Outbox.enqueue(.companyWide(.sweep, of: w.row, now: Date()), on: w.db)
            for _ in 0..<4 { _ = try await w.worker.runOnce() }
            #expect(PurchaseOrderPushTests.commitments(w, of: po).map(\.status) == ["Approved"])
            #expect(try await SyncLedger.records(of: po.id.rawValue, in: w.org, on: w.db).map(\.state) == [.synced])
        }
    }

    /// Defect 2: a PO pushed, then edited (a line repriced, one removed), approved and closed before its push runs:
    /// Procore gets the new lines on a Closed commitment.
    @Test(arguments: TestDatabase.kinds)
    func aRevisedPOClosedBeforeItsPushRuns_sendsItsNewLines(kind: TestDatabase.Kind) async throws {
        try await PurchaseOrderPushTests.world(kind) { w in
            let po = try await PurchaseOrderPushTests.approvedPO(w, title: "Revised then closed", lines: 3)
            #expect(try await w.worker.runOnce().done == 1)
            let commitment = try #require(PurchaseOrderPushTests.commitments(w, of: po).first)
            let revised = try await Self.edit(w, po.id) { po in
                po.status = .draft
                po.lines[0].unitCost = Decimal(string: "95.18")!
                po.lines[0].quantity = 1
                po.lines[0].amount = Decimal(string: "95.18")!
                po.lines.remove(at: 2)
            }
            _ = try await PurchaseOrderCommands.act(.submit, on: po.id, organisation: w.org, actor: w.admin, now: Date(), on: w.db)
            _ = try await PurchaseOrderCommands.act(.close, on: po.id, organisation: w.org, actor: w.admin, now: Date(), on: w.db)
            #expect(try await w.worker.runOnce().done == 1)
            #expect(PurchaseOrderPushTests.commitments(w, of: po).map(\.status) == ["Closed"])
            let lines = PurchaseOrderPushTests.lines(w, of: commitment.id)
            #expect(Set(lines.compactMap(\.originID)) == Set(revised.lines.map { $0.id.rawValue.lowercasedText }))
            #expect(lines.first { $0.originID == revised.lines[0].id.rawValue.lowercasedText }?.amount == Decimal(string: "95.18")!)
        }
    }

    /// Defect 3: the header of a push is written, its lines fail, the company is switched to Procore purchase order.
    /// The import pairs the commitment with the Lentune PO (by the id stored at once, and by origin_id when even that
    /// was lost), never making a second PO of it.
    @Test(arguments: TestDatabase.kinds)
    func aHalfFinishedPush_thenASwitchToProcore_keepsOnePO(kind: TestDatabase.Kind) async throws {
        try await PurchaseOrderPushTests.world(kind) { w in
            let po = try await PurchaseOrderPushTests.approvedPO(w, title: "Half pushed", lines: 2)
            // The header is written, then every lines call fails (Procore down for that call).
            var faults = SandboxFaults()
            faults.errorRates = ["PATCH /rest/v1.0/purchase_order_contracts/*/line_items/sync": 1.0]
            w.sandbox.server.store.faults = faults
            #expect(try await w.worker.runOnce().retried == 1)
            w.sandbox.server.store.faults = SandboxFaults()
            let commitment = try #require(PurchaseOrderPushTests.commitments(w, of: po).first)
            let stored = try #require(try await PurchaseOrders.find(po.id, in: w.org, on: w.db))
            #expect(stored.procoreCommitmentID == commitment.id, "stored the moment Procore answered")
            // The push completes later; then Lentune loses every Procore id it stored (the shape an earlier version
            // left: ids stored only at the end, a crash before): origin_id still pairs the PO and each line.
            #expect(try await w.later.runOnce().done == 1)
            #expect(PurchaseOrderPushTests.lines(w, of: commitment.id).count == 2)
            try await PurchaseOrderRecord.query(on: w.db).filter(\.$id == po.id.rawValue).set(\.$procoreCommitmentID, to: nil).update()
            try await PurchaseOrderLineRecord.query(on: w.db).filter(\.$purchaseOrder.$id == po.id.rawValue).set(\.$procoreLineItemID, to: nil).update()

            try await ProcoreCompanyLinkRecord.query(on: w.db).filter(\.$id == w.row.id.rawValue)
                .set(\.$purchaseOrderSource, to: PurchaseOrderSource.procore.rawValue).update()
            try await Outbox.enqueue(.companyWide(.importPurchaseOrders, of: w.row, now: Date()), on: w.db)
            for _ in 0..<3 { _ = try await w.worker.runOnce() }
            let all = try await PurchaseOrders.list(in: w.org, filter: .init(perPage: 100), on: w.db).items
            #expect(!all.contains { $0.id != po.id && $0.number.hasPrefix(po.number) }, "no second PO of it: \(all.map(\.number))")
            let paired = try #require(try await PurchaseOrders.find(po.id, in: w.org, on: w.db))
            #expect(paired.procoreCommitmentID == commitment.id && paired.origin == .lentune && paired.number == po.number)
            #expect(Set(paired.lines.map(\.id)) == Set(po.lines.map(\.id)), "its lines keep their ids (and so their allocations)")
            #expect(paired.lines.allSatisfy { $0.procoreLineItemID != nil })
        }
    }

    /// Defect 6: an edit built from a PO read before a push stored its Procore ids does not wipe them.
    @Test(arguments: TestDatabase.kinds)
    func anEditReadBeforeAPushLanded_keepsTheIDsThePushStored(kind: TestDatabase.Kind) async throws {
        try await PurchaseOrderPushTests.world(kind) { w in
            let po = try await PurchaseOrderPushTests.approvedPO(w, title: "Ids kept", lines: 2)
            var readBefore = try #require(try await PurchaseOrders.find(po.id, in: w.org, on: w.db))
            #expect(try await w.worker.runOnce().done == 1)
            readBefore.status = .draft
            readBefore.title = "Ids kept, retitled"
            _ = try await PurchaseOrderCommands.update(readBefore, actor: w.admin, now: Date(), on: w.db)
            let after = try #require(try await PurchaseOrders.find(po.id, in: w.org, on: w.db))
            #expect(after.title == "Ids kept, retitled")
            #expect(after.procoreCommitmentID == PurchaseOrderPushTests.commitments(w, of: po).first?.id)
            #expect(after.lines.allSatisfy { $0.procoreLineItemID != nil })
        }
    }

    /// Drift: a Lentune PO's commitment changed in Procore by another application is found by the sweep, shown as
    /// Changed in Procore (never read back), and Send Lentune's version puts it right.
    @Test(arguments: TestDatabase.kinds)
    func aCommitmentChangedInProcore_isShownAsDrift_andSendLentunesVersionRepairsIt(kind: TestDatabase.Kind) async throws {
        try await PurchaseOrderPushTests.world(kind) { w in
            let po = try await PurchaseOrderPushTests.approvedPO(w, title: "Drifting", lines: 2)
            #expect(try await w.worker.runOnce().done == 1)
            let commitment = try #require(PurchaseOrderPushTests.commitments(w, of: po).first)
            let line = try #require(PurchaseOrderPushTests.lines(w, of: commitment.id).first)
            w.sandbox.server.store.write { data in
                if let index = data.poLineItems.firstIndex(where: { $0.id == line.id }) { data.poLineItems[index].amount = 1 }
                if let index = data.purchaseOrders.firstIndex(where: { $0.id == commitment.id }) {
                    data.purchaseOrders[index].status = "Draft"
                    data.purchaseOrders[index].updatedAt = Date()
                }
            }
            try await Outbox.enqueue(.companyWide(.sweep, of: w.row, now: Date()), on: w.db)
            for _ in 0..<4 { _ = try await w.worker.runOnce() }
            let record = try #require(try await SyncLedger.records(of: po.id.rawValue, in: w.org, on: w.db).first)
            #expect(record.state == .changed)
            #expect(record.lastError?.contains("status is Draft in Procore, Approved in Lentune") == true)
            #expect(record.lastError?.contains("amount: 1") == true)
            let check = try #require(try await Outbox.jobs(in: w.org, filter: .init(kind: .checkPurchaseOrder), on: w.db).first)
            #expect(check.state == .failed && check.lastError?.contains("Changed in Procore") == true)
            // Lentune's PO is untouched.
            #expect(try await PurchaseOrders.find(po.id, in: w.org, on: w.db)?.lines.map(\.amount) == po.lines.map(\.amount))

            _ = try await PurchaseOrderCommands.retryPush(po.id, organisation: w.org, actor: w.admin, now: Date(), on: w.db)
            #expect(try await w.worker.runOnce().done == 1)
            #expect(PurchaseOrderPushTests.commitments(w, of: po).map(\.status) == ["Approved"])
            #expect(PurchaseOrderPushTests.lines(w, of: commitment.id).map(\.amount).sorted() == po.lines.map(\.amount).sorted())
            #expect(try await SyncLedger.records(of: po.id.rawValue, in: w.org, on: w.db).map(\.state) == [.synced])
        }
    }
}

/// Defects 4 and 5: two Procore companies in one organisation, and a commitment deleted during an import.
@Suite struct SeveralCompaniesTests {
    /// Two companies whose cost types share codes (L, M, S, E, O) and whose vendors share names both import: one
    /// Lentune cost type and one supplier per code and name, each linked to its line item type or vendor in each
    /// company; a PO of the second company is sent with the second company's ids.
    @Test(arguments: TestDatabase.kinds)
    func aSecondCompanyWithTheSameCostTypeCodesAndVendorNames_imports(kind: TestDatabase.Kind) async throws {
        try await RunningSandbox.with(clientID: "multi-app", clientSecret: "multi-secret", seed: "multi") { sandbox in
            try await TestDatabase.with(kind) { database in
                let db = database.db
                let fixture = try await Fixture.make(on: db)
                let org = fixture.organisation.id
                let (first, worker, _) = try await ReferenceImportTests.linkedCompany(
                    org, sandbox: sandbox, clientID: "multi-app", secret: "multi-secret", on: db)
                try await ReferenceImportTests.readAll(first, worker, on: db)
                let connection = first.connectionID
                let second = ProcoreCompanyLink(
                    organisationID: org, connectionID: connection, procoreCompanyID: 4343, name: "Tōtara", isLinked: true)
                try await ProcoreSettings.insert(second, on: db)
                try await ReferenceImportTests.readAll(second, worker, on: db)

                let types = try await ReferenceData.costTypes(in: org, on: db)
                #expect(Set(types.map(\.code)) == ["L", "M", "S", "E", "O"])
                let procoreTypes = sandbox.server.store.read { $0.lineItemTypes }
                for type in types {
                    for (row, company) in [(first.id, Seeds.demoCompanyID), (second.id, Int64(4343))] {
                        let expected = procoreTypes.first { $0.companyID == company && $0.code == type.code }?.id
                        #expect(type.procoreLineItemTypes[row] == expected, "\(type.code) in \(company)")
                    }
                }
                let suppliers = try await ReferenceData.suppliers(in: org, on: db)
                let placemakers = try #require(suppliers.first { $0.name == "Placemakers Ltd" })
                #expect(suppliers.filter { $0.name == "Placemakers Ltd" }.count == 1)
                let vendors = sandbox.server.store.read { $0.vendors.filter { $0.name == "Placemakers Ltd" } }
                func vendor(_ company: Int64) -> Int64? { vendors.first { $0.companyID == company }?.id }
                #expect(placemakers.procoreVendors == [first.id: vendor(Seeds.demoCompanyID)!, second.id: vendor(4343)!])
                // Both companies' projects are in.
                let projects = try await ReferenceData.projects(in: org, on: db)
                #expect(projects.contains { $0.procoreCompanyLinkID == second.id && $0.isActive })
                #expect(try await ReferenceImport.summary(of: second, on: db).costTypesLinked == 5)
            }
        }
    }

    /// Found by the soak: four companies' first imports at once. Each reads the organisation's cost types and
    /// suppliers and creates what is missing, so on PostgreSQL two at once both created "L" and one failed for good on
    /// `uq_cost_types_code`. Now they take turns (an advisory lock per organisation): every import succeeds, one cost
    /// type per code and one supplier per name, paired in every company. Fails without the lock on PostgreSQL.
    @Test(arguments: TestDatabase.kinds)
    func severalCompaniesFirstImportsAtOnce_shareOneCostTypeAndSupplier(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let db = database.db
            let org = try await Accounts.organisation(named: "Four Companies Ltd", on: db).domain.id
            let admin = try await Accounts.createUser(
                organisation: org, email: "admin@four.example", name: "Admin", role: .administrator, passwordHash: "x", on: db)
            let connection = try await ProcoreSettings.saveConnection(
                .init(environment: .custom(authBaseURL: URL(string: "https://login.example")!, apiBaseURL: URL(string: "https://api.example")!),
                      clientID: "four", clientSecret: "secret", grantType: .clientCredentials, redirectURI: nil, serviceCompanyID: nil),
                organisation: org, actor: admin, secrets: try SecretBox(base64Key: SecretBox.generateKey()), now: Date(), on: db)
            var rows: [ProcoreCompanyLink] = []
            for company in Int64(1)...8 {
                let row = ProcoreCompanyLink(
                    organisationID: org, connectionID: .init(connection.id), procoreCompanyID: 7000 + company, name: "C\(company)", isLinked: true)
                try await ProcoreSettings.insert(row, on: db)
                rows.append(row)
            }
            let codes = ["L", "M", "S", "E", "O"]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, row) in rows.enumerated() {
                    let base = Int64(index + 1) * 100
                    group.addTask {
                        _ = try await ReferenceImport.costTypes(
                            codes.enumerated().map { (id: base + Int64($0.offset), code: $0.element, name: $0.element) }, row: row, on: db)
                        _ = try await ReferenceImport.suppliers(
                            [(id: base + 50, name: "Placemakers Ltd"), (id: base + 51, name: "Firth Concrete")], row: row, now: Date(), on: db)
                    }
                }
                try await group.waitForAll()
            }
            let types = try await ReferenceData.costTypes(in: org, on: db)
            #expect(types.map(\.code).sorted() == codes.sorted())
            #expect(types.allSatisfy { $0.procoreLineItemTypes.count == rows.count })
            let suppliers = try await ReferenceData.suppliers(in: org, on: db)
            #expect(suppliers.map(\.name).sorted() == ["Firth Concrete", "Placemakers Ltd"])
            #expect(suppliers.allSatisfy { $0.procoreVendors.count == rows.count })
        }
    }

    /// A commitment deleted in Procore while its company's import reads it fails alone: the import is done, every
    /// other commitment is in Lentune.
    @Test(arguments: TestDatabase.kinds)
    func aCommitmentDeletedDuringAnImport_doesNotFailTheImport(kind: TestDatabase.Kind) async throws {
        try await PurchaseOrderPushTests.world(kind) { w in
            try await ProcoreCompanyLinkRecord.query(on: w.db).filter(\.$id == w.row.id.rawValue)
                .set(\.$purchaseOrderSource, to: PurchaseOrderSource.procore.rawValue).update()
            let linked = Set(try await ReferenceData.projects(in: w.org, on: w.db).compactMap(\.procoreProjectID))
            let commitments = w.sandbox.server.store.read { $0.purchaseOrders.filter { linked.contains($0.projectID) && $0.deletedAt == nil } }
            #expect(commitments.count >= 3)
            let doomed = try #require(commitments.first)
            // Another application deletes it right after the import's list named it: its lines then answer 404.
            var faults = SandboxFaults()
            faults.deleteAfterListing = [doomed.id]
            w.sandbox.server.store.faults = faults
            try await Outbox.enqueue(.companyWide(.importPurchaseOrders, of: w.row, now: Date()), on: w.db)
            for _ in 0..<3 { _ = try await w.worker.runOnce() }
            let job = try #require(try await Outbox.jobs(in: w.org, filter: .init(kind: .importPurchaseOrders), on: w.db).first)
            #expect(job.state == .done, "\(job.lastError ?? "")")
            for commitment in commitments.dropFirst() {
                #expect(try await PurchaseOrders.find(commitment: commitment.id, in: w.org, on: w.db) != nil, "\(commitment.number)")
            }
            #expect(try await PurchaseOrders.find(commitment: doomed.id, in: w.org, on: w.db) == nil)
        }
    }
}

/// A database error in a job says what happened: its SQLSTATE and constraint, never PostgresNIO's "Generic
/// description…"; a constraint violation is a permanent failure naming the job's record.
@Suite struct DatabaseErrorTests {
    @Test(arguments: TestDatabase.kinds)
    func aConstraintViolation_isPermanent_andNamesItsConstraintAndRecord(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let db = database.db
            let fixture = try await Fixture.make(on: db)
            let duplicate = CostType(organisationID: fixture.organisation.id, code: fixture.costType.code, name: "Again")
            var caught: (any Error)?
            do { try await ReferenceData.insert(duplicate, on: db) } catch { caught = error }
            let error = try #require(caught)
            let job = SyncJob.companyWide(.syncReferenceData, of: ProcoreCompanyLink(
                organisationID: fixture.organisation.id, connectionID: .init(UUID()), procoreCompanyID: 1, name: "Kauri", isLinked: true), now: Date())
            let classified = SyncError(any: error, job: job)
            guard case .permanent(let message) = classified else {
                Issue.record("a constraint violation must be permanent: \(classified)")
                return
            }
            #expect(message.contains("Reference data"))
            #expect(!message.contains("Generic description"))
            if kind == .postgres {
                #expect(message.contains("uq_cost_types_code") && message.contains("SQLSTATE 23505"), "\(message)")
            } else {
                #expect(message.contains("UNIQUE constraint failed"), "\(message)")
            }
        }
    }
}

/// The sweep repairs a lost posting: an approved invoice whose ledger says pending and whose job is gone is posted.
@Suite struct LostPostingTests {
    @Test(arguments: TestDatabase.kinds)
    func theSweep_postsAnApprovedInvoiceWhosePostingJobWasLost(kind: TestDatabase.Kind) async throws {
        try await PurchaseOrderPushTests.world(kind) { w in
            try await InvoicePostingTests.setSource(w, .none)
            let invoice = try await InvoicePostingTests.approvedInvoice(w, number: "LOST-1", lines: [(400, 60)])
            #expect(try await InvoicePostingTests.posting(w, invoice)?.state == .pending)
            _ = try await (w.db as! any SQLDatabase).raw("DELETE FROM outbox_jobs").run()
            try await Outbox.enqueue(.companyWide(.sweep, of: w.row, now: Date()), on: w.db)
            for _ in 0..<4 { _ = try await w.worker.runOnce() }
            #expect(InvoicePostingTests.directCosts(w, of: invoice).count == 1)
            #expect(try await Invoices.find(invoice.id, in: w.org, on: w.db)?.status == .posted)
        }
    }
}
