import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import LentuneTestSupport
import ProcoreAPI
import ProcoreSandbox
import Synchronization
import Testing

/// `po.push` against the sandbox over HTTP (issue 14, Lentune → Procore): the commitment and its lines keyed by
/// origin_id, a missing vendor created first, the ledger and the PO's Procore ids, a close, a lost answer, a switch
/// away from Lentune purchase order, and a line that cannot be sent.
@Suite struct PurchaseOrderPushTests {
    struct World {
        var db: any Database
        var sandbox: RunningSandbox
        var org: LentuneCore.Organisation.ID
        var row: ProcoreCompanyLink
        var worker: SyncWorker
        /// A worker whose clock is an hour ahead: retries scheduled with backoff are due for it.
        var later: SyncWorker
        var admin: LentuneCore.User
        var project: LentuneCore.Project
        var costCodes: [LentuneCore.CostCode]
        var costType: LentuneCore.CostType
        var gst: LentuneCore.TaxCode
        var supplier: LentuneCore.Supplier
    }

    static func world(_ kind: TestDatabase.Kind, _ body: @escaping @Sendable (World) async throws -> Void) async throws {
        try await RunningSandbox.with(clientID: "push-app", clientSecret: "push-secret") { sandbox in
            try await TestDatabase.with(kind) { database in
                let db = database.db
                let fixture = try await Fixture.make(on: db)
                let org = fixture.organisation.id
                let (row, worker, sessions) = try await ReferenceImportTests.linkedCompany(
                    org, sandbox: sandbox, clientID: "push-app", secret: "push-secret", on: db)
                try await ProcoreCompanyLinkRecord.query(on: db).filter(\.$id == row.id.rawValue)
                    .set(\.$purchaseOrderSource, to: PurchaseOrderSource.lentune.rawValue).update()
                try await ReferenceImportTests.readAll(row, worker, on: db)
                let admin = try await Accounts.createUser(
                    organisation: org, email: "approver@a.example", name: "Approver", role: .administrator, passwordHash: "x",
                    approvalLimit: 1_000_000, on: db)
                let gstID = sandbox.server.store.read { $0.taxCodes.first { $0.companyID == Seeds.demoCompanyID && $0.code == "GST" }!.id }
                _ = try await TaxMappings.save([fixture.gst.id: gstID], default: nil, row: row, actor: admin, now: Date(), on: db)
                let project = try #require(try await ReferenceData.projects(in: org, on: db).first { $0.procoreCompanyLinkID == row.id && $0.isActive })
                let codes = try await ReferenceData.costCodes(in: org, project: project.id, on: db).filter { $0.procoreCostCodeID != nil }
                let supplier = LentuneCore.Supplier(organisationID: org, name: "Wellington Scaffolding Ltd")  // no Procore vendor yet
                try await ReferenceData.insert(supplier, on: db)
                let later = SyncEngine(
                    sessions: sessions, hooks: HookRegistration(webhookURL: { _ in "https://ap.example.com/hook" }, secrets: try SecretBox(base64Key: SecretBox.generateKey())),
                    now: { Date().addingTimeInterval(3600) }
                ).worker(db: db)
                try await body(World(
                    db: db, sandbox: sandbox, org: org, row: row, worker: worker, later: later, admin: admin, project: project,
                    costCodes: codes, costType: fixture.costType, gst: fixture.gst, supplier: supplier))
            }
        }
    }

    /// An approved PO of `lines` lines on the world's Procore project.
    static func approvedPO(_ w: World, title: String, lines: Int = 2, taxCode: LentuneCore.TaxCode.ID? = nil) async throws -> LentuneCore.PurchaseOrder {
        let po = LentuneCore.PurchaseOrder(
            organisationID: w.org, number: "", supplierID: w.supplier.id, projectID: w.project.id, title: title,
            lines: (0..<lines).map { index in
                LentuneCore.PurchaseOrder.Line(
                    position: index + 1, description: "Scaffold stage \(index + 1)", costCodeID: w.costCodes[index % w.costCodes.count].id,
                    costTypeID: w.costType.id, taxCodeID: taxCode ?? w.gst.id, quantity: Decimal(index + 2),
                    unitCost: Decimal(string: "1250.50")!, taxRate: Decimal(string: "0.15")!)
            })
        let (created, _) = try await PurchaseOrderCommands.create(po, requestKey: nil, actor: w.admin, now: Date(), on: w.db)
        return try await PurchaseOrderCommands.act(.submit, on: created.id, organisation: w.org, actor: w.admin, now: Date(), on: w.db)
    }

    static func commitments(_ w: World, of po: PurchaseOrder) -> [ProcoreSandbox.PurchaseOrderContract] {
        w.sandbox.server.store.read { data in data.purchaseOrders.filter { $0.originID == po.id.rawValue.lowercasedText && $0.deletedAt == nil } }
    }

    static func lines(_ w: World, of commitment: Int64) -> [ProcoreSandbox.LineItem] {
        w.sandbox.server.store.read { data in data.poLineItems.filter { $0.holderID == commitment && $0.deletedAt == nil } }
    }

    @Test(arguments: TestDatabase.kinds)
    func anApprovedPO_becomesOneCommitment_withItsLines_andACloseUpdatesIt(kind: TestDatabase.Kind) async throws {
        try await Self.world(kind) { w in
            let po = try await Self.approvedPO(w, title: "Scaffolding, stages 1–2")
            #expect(po.status == .approved)
            #expect(try await SyncLedger.records(of: po.id.rawValue, in: w.org, on: w.db).map(\.state) == [.pending])
            #expect(try await w.worker.runOnce().done == 1)

            let commitments = Self.commitments(w, of: po)
            #expect(commitments.count == 1)
            let commitment = try #require(commitments.first)
            #expect(commitment.status == "Approved" && commitment.number == po.number && commitment.title == po.title)
            // The supplier had no vendor: one was created in Procore (origin_id = the supplier's id) and is the PO's.
            let vendor = w.sandbox.server.store.read { $0.vendors.first { $0.originID == w.supplier.id.rawValue.lowercasedText } }
            #expect(vendor != nil && commitment.vendorID == vendor?.id)
            // Lines: amounts excluding tax, Procore's cost codes, the mapped tax code, origin_id = the line's id.
            // In the PO's order (Procore numbers the positions itself: a client cannot write them).
            let order = Dictionary(uniqueKeysWithValues: po.lines.map { ($0.id.rawValue.lowercasedText, $0.position) })
            let procoreLines = Self.lines(w, of: commitment.id).sorted { (order[$0.originID ?? ""] ?? 0) < (order[$1.originID ?? ""] ?? 0) }
            #expect(procoreLines.map(\.amount) == po.lines.map(\.amount))
            #expect(procoreLines.map(\.costCodeID) == po.lines.map { line in w.costCodes.first { $0.id == line.costCodeID }?.procoreCostCodeID })
            let gst = w.sandbox.server.store.read { $0.taxCodes.first { $0.companyID == Seeds.demoCompanyID && $0.code == "GST" }!.id }
            #expect(procoreLines.allSatisfy { $0.taxCodeID == gst })
            #expect(Set(procoreLines.compactMap(\.originID)) == Set(po.lines.map { $0.id.rawValue.lowercasedText }))
            // Lentune stores the ids; the ledger says synced with the commitment's id.
            let stored = try #require(try await PurchaseOrders.find(po.id, in: w.org, on: w.db))
            #expect(stored.procoreCommitmentID == commitment.id)
            #expect(Set(stored.lines.compactMap(\.procoreLineItemID)) == Set(procoreLines.map(\.id)))
            let ledger = try await SyncLedger.records(of: po.id.rawValue, in: w.org, on: w.db)
            #expect(ledger.map(\.state) == [.synced] && ledger.first?.procoreID == commitment.id)
            #expect(try await PurchaseOrders.list(in: w.org, filter: .init(syncState: .synced), on: w.db).items.map(\.id) == [po.id])

            // Closing it reads the commitment's lines (they may have been revised before the close) and, finding them
            // the PO's, sends the status alone: two requests, the same commitment, no line written again.
            _ = try await PurchaseOrderCommands.act(.close, on: po.id, organisation: w.org, actor: w.admin, now: Date(), on: w.db)
            w.sandbox.server.store.requestLog.clear()
            #expect(try await w.worker.runOnce().done == 1)
            #expect(Self.commitments(w, of: po).map(\.status) == ["Closed"])
            #expect(Self.lines(w, of: commitment.id).count == 2)
            let closeCalls = w.sandbox.server.store.requestLog.all().filter { $0.path.hasPrefix("/rest/") }
            #expect(closeCalls.count == 2 && closeCalls.filter { $0.method == "PATCH" }.count == 1)

            // Switched to Procore purchase order: the pushed PO is read-only, is never sent again, and a read of its
            // commitment (the import) keeps it the one PO, still Lentune's by origin, with Procore's data.
            try await ProcoreCompanyLinkRecord.query(on: w.db).filter(\.$id == w.row.id.rawValue)
                .set(\.$purchaseOrderSource, to: PurchaseOrderSource.procore.rawValue).update()
            let source = try await PurchaseOrders.currentSource(of: po.projectID, in: w.org, on: w.db)
            let closed = try #require(try await PurchaseOrders.find(po.id, in: w.org, on: w.db))
            #expect((try? PurchaseOrderPolicy.mayEdit(closed, project: source).get()) == nil)
            await #expect(throws: PurchaseOrderCommands.Failure.self) {
                try await PurchaseOrderCommands.retryPush(po.id, organisation: w.org, actor: w.admin, now: Date(), on: w.db)
            }
            try await Outbox.enqueue(.companyWide(.importPurchaseOrders, of: w.row, now: Date()), on: w.db)
            #expect(try await w.worker.runOnce().done == 1)
            let after = try #require(try await PurchaseOrders.find(po.id, in: w.org, on: w.db))
            #expect(after.origin == .lentune && after.number == po.number && after.procoreCommitmentID == commitment.id)
            #expect(after.status == .closed && after.lines.count == 2)
            #expect(try await Outbox.jobs(in: w.org, filter: .init(kind: .pushPurchaseOrder, state: .pending), on: w.db).isEmpty)
            #expect(Self.commitments(w, of: po).count == 1)
        }
    }

    /// Edited after its push (a line changed, one removed, one added) and approved again: the same commitment is
    /// brought to the new lines, the removed line is deleted in Procore, and it is Approved again.
    @Test(arguments: TestDatabase.kinds)
    func anApprovedPO_editedAndApprovedAgain_bringsTheCommitmentToItsNewLines(kind: TestDatabase.Kind) async throws {
        try await Self.world(kind) { w in
            let po = try await Self.approvedPO(w, title: "Scaffolding, revised", lines: 3)
            #expect(try await w.worker.runOnce().done == 1)
            let commitment = try #require(Self.commitments(w, of: po).first)
            #expect(Self.lines(w, of: commitment.id).count == 3)

            var edited = try #require(try await PurchaseOrders.find(po.id, in: w.org, on: w.db))
            #expect(PurchaseOrderWorkflow.mayEditContent(edited))
            edited.status = .draft
            edited.lines[0].unitCost = 2000
            edited.lines.remove(at: 1)
            edited.lines.append(LentuneCore.PurchaseOrder.Line(
                position: 4, description: "Scaffold stage 4", costCodeID: w.costCodes[0].id, costTypeID: w.costType.id, taxCodeID: w.gst.id,
                quantity: 1, unitCost: 99, taxRate: Decimal(string: "0.15")!))
            _ = try await PurchaseOrderCommands.update(edited, actor: w.admin, now: Date(), on: w.db)
            // Back to draft: nothing is sent until it is approved again.
            #expect(try await w.worker.runOnce().claimed == 0)
            let again = try await PurchaseOrderCommands.act(.submit, on: po.id, organisation: w.org, actor: w.admin, now: Date(), on: w.db)
            #expect(again.status == .approved)
            #expect(try await w.worker.runOnce().done == 1)

            let commitments = Self.commitments(w, of: po)
            #expect(commitments.map(\.id) == [commitment.id] && commitments.first?.status == "Approved")
            let procoreLines = Self.lines(w, of: commitment.id)
            #expect(Set(procoreLines.compactMap(\.originID)) == Set(again.lines.map { $0.id.rawValue.lowercasedText }))
            #expect(procoreLines.first { $0.originID == again.lines[0].id.rawValue.lowercasedText }?.amount == again.lines[0].amount)
            let added = try #require(again.lines.first { $0.description == "Scaffold stage 4" })
            #expect(procoreLines.count == 3 && procoreLines.first { $0.originID == added.id.rawValue.lowercasedText }?.amount == 99)
            #expect(!procoreLines.contains { $0.originID == po.lines[1].id.rawValue.lowercasedText })
            let stored = try #require(try await PurchaseOrders.find(po.id, in: w.org, on: w.db))
            #expect(Set(stored.lines.compactMap(\.procoreLineItemID)) == Set(procoreLines.map(\.id)))
            #expect(try await SyncLedger.records(of: po.id.rawValue, in: w.org, on: w.db).map(\.state) == [.synced])

            // Sent again unchanged (Retry): its lines are read and found equal, so only the status is sent; the
            // commitment is never taken back to Draft.
            _ = try await PurchaseOrderCommands.retryPush(po.id, organisation: w.org, actor: w.admin, now: Date(), on: w.db)
            w.sandbox.server.store.requestLog.clear()
            #expect(try await w.worker.runOnce().done == 1)
            let calls = w.sandbox.server.store.requestLog.all().filter { $0.path.hasPrefix("/rest/") }
            #expect(calls.count == 2 && calls.filter { $0.method == "PATCH" }.count == 1)
            #expect(Self.lines(w, of: commitment.id).count == 3 && Self.commitments(w, of: po).first?.status == "Approved")

            // Revised again, a unit cost alone (every line already has its Procore id): the read finds the difference
            // and the line is written.
            var repriced = try #require(try await PurchaseOrders.find(po.id, in: w.org, on: w.db))
            repriced.status = .draft
            repriced.lines[0].unitCost = 10
            _ = try await PurchaseOrderCommands.update(repriced, actor: w.admin, now: Date(), on: w.db)
            let approvedAgain = try await PurchaseOrderCommands.act(.submit, on: po.id, organisation: w.org, actor: w.admin, now: Date(), on: w.db)
            #expect(try await w.worker.runOnce().done == 1)
            let first = try #require(approvedAgain.lines.first)
            #expect(Self.lines(w, of: commitment.id).first { $0.originID == first.id.rawValue.lowercasedText }?.amount == first.amount)
            #expect(Self.commitments(w, of: po).first?.status == "Approved")
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func aLostAnswer_aSwitchAwayFromLentune_andAnUnmappedTaxCode(kind: TestDatabase.Kind) async throws {
        try await Self.world(kind) { w in
            // Procore creates the commitment but the answer is lost (and the client's own retry is lost too): the job
            // retries later and lands on the same commitment by origin_id.
            let lost = try await Self.approvedPO(w, title: "Lost answer")
            var faults = SandboxFaults()
            faults.dropAfterCommit = ["PATCH /rest/v1.0/purchase_order_contracts/sync": 50]
            w.sandbox.server.store.faults = faults
            let first = try await w.worker.runOnce()
            #expect(first.retried == 1 && first.done == 0)
            #expect(Self.commitments(w, of: lost).count == 1)  // created, answer lost
            #expect(try await SyncLedger.records(of: lost.id.rawValue, in: w.org, on: w.db).first?.state == .pending)
            w.sandbox.server.store.faults = SandboxFaults()
            #expect(try await w.later.runOnce().done == 1)
            let commitments = Self.commitments(w, of: lost)
            #expect(commitments.count == 1 && commitments.first?.status == "Approved")
            #expect(Self.lines(w, of: commitments[0].id).count == 2)

            // Approved under Lentune, then the company switched to Procore purchase order before the push ran.
            let switched = try await Self.approvedPO(w, title: "Switched before sending")
            try await ProcoreCompanyLinkRecord.query(on: w.db).filter(\.$id == w.row.id.rawValue)
                .set(\.$purchaseOrderSource, to: PurchaseOrderSource.procore.rawValue).update()
            #expect(try await w.worker.runOnce().cancelled == 1)
            #expect(Self.commitments(w, of: switched).isEmpty)
            let skipped = try await SyncLedger.records(of: switched.id.rawValue, in: w.org, on: w.db).first
            #expect(skipped?.state == .skipped && skipped?.lastError?.contains("no longer on Lentune purchase order") == true)
            try await ProcoreCompanyLinkRecord.query(on: w.db).filter(\.$id == w.row.id.rawValue)
                .set(\.$purchaseOrderSource, to: PurchaseOrderSource.lentune.rawValue).update()

            // Procore down for good: on the job's last attempt the ledger says failed (not pending for ever).
            let down = try await Self.approvedPO(w, title: "Procore down")
            var outage = SandboxFaults()
            outage.errorRates = ["*": 1.0]
            w.sandbox.server.store.faults = outage
            let lastTry = SyncWorker(
                db: w.db, handlers: SyncEngine(
                    sessions: w.worker.sessions,
                    hooks: HookRegistration(webhookURL: { _ in "https://ap.example.com/hook" }, secrets: try SecretBox(base64Key: SecretBox.generateKey()))
                ).handlers,
                sessions: w.worker.sessions, policy: RetryPolicy(maxAttempts: 1))
            #expect(try await lastTry.runOnce().failed == 1)
            w.sandbox.server.store.faults = SandboxFaults()
            let gaveUp = try await SyncLedger.records(of: down.id.rawValue, in: w.org, on: w.db).first
            #expect(gaveUp?.state == .failed && gaveUp?.lastError?.hasPrefix("Gave up after 1 attempts") == true)

            // A line whose tax code is not mapped: nothing is sent, the PO fails with the line's reason.
            let zero = LentuneCore.TaxCode(organisationID: w.org, code: "Z", name: "Zero-rated", rate: 0)
            try await ReferenceData.insert(zero, on: w.db)
            let unmapped = try await Self.approvedPO(w, title: "Unmapped tax", taxCode: zero.id)
            #expect(try await w.worker.runOnce().failed == 1)
            #expect(Self.commitments(w, of: unmapped).isEmpty)
            let failed = try await SyncLedger.records(of: unmapped.id.rawValue, in: w.org, on: w.db).first
            #expect(failed?.state == .failed)
            #expect(failed?.lastError?.contains("\(unmapped.number) line 1") == true && failed?.lastError?.contains("Tax mapping page") == true)
        }
    }

    /// A clock the test moves forward, so retries scheduled with backoff become due without waiting.
    final class MovableClock: Sendable {
        let offset = Mutex<TimeInterval>(0)
        func now() -> Date { Date().addingTimeInterval(offset.withLock { $0 }) }
        func advance(_ seconds: TimeInterval) { offset.withLock { $0 += seconds } }
    }

    @Test(arguments: TestDatabase.kinds)
    func manyPOs_areBatched_andUnderInjectedFaults_eachBecomesExactlyOneCommitment(kind: TestDatabase.Kind) async throws {
        try await Self.world(kind) { w in
            let clock = MovableClock()
            let engine = SyncEngine(
                sessions: w.worker.sessions,
                hooks: HookRegistration(webhookURL: { _ in "https://ap.example.com/hook" }, secrets: try SecretBox(base64Key: SecretBox.generateKey())),
                now: { clock.now() })
            let worker = engine.worker(db: w.db)
            func drain() async throws {
                for _ in 0..<60 {
                    let waiting = try await Outbox.jobs(in: w.org, filter: .init(kind: .pushPurchaseOrder, limit: 500), on: w.db)
                        .filter { $0.state == .pending || $0.state == .running }
                    if waiting.isEmpty { return }
                    try await worker.runOnce(limit: 200)
                    clock.advance(600)
                }
            }

            // Clean: 30 POs of one project in one run: one commitment call, one lines call per PO, one status call.
            var clean: [LentuneCore.PurchaseOrder] = []
            for index in 0..<30 { clean.append(try await Self.approvedPO(w, title: "Batch \(index)")) }
            w.sandbox.server.store.requestLog.clear()
            try await drain()
            let requests = w.sandbox.server.store.requestLog.all().filter { $0.path.hasPrefix("/rest/") }
            #expect(requests.filter { $0.path.hasSuffix("purchase_order_contracts/sync") }.count == 2)
            // 30 line calls, 2 commitment calls, the new vendor, and the first budget code (read, create, resend).
            #expect(requests.count <= 30 + 2 + 1 + 3, "\(requests.count) requests for 30 POs")
            for po in clean { #expect(Self.commitments(w, of: po).count == 1) }

            // Faults: a fifth of requests fail with 500, a 429 storm, answers lost after the write committed.
            var pos: [LentuneCore.PurchaseOrder] = []
            for index in 0..<60 { pos.append(try await Self.approvedPO(w, title: "Faulty \(index)", lines: 2)) }
            var faults = SandboxFaults()
            faults.errorRates = ["*": 0.2]
            faults.storm = .init(status: 429, count: 5, retryAfter: 1)
            faults.dropAfterCommit = ["*": 6]
            faults.latencyMilliseconds = 20
            w.sandbox.server.store.faults = faults
            try await drain()
            w.sandbox.server.store.faults = SandboxFaults()
            try await drain()
            for po in pos {
                let commitments = Self.commitments(w, of: po)
                #expect(commitments.count == 1, "\(po.number): \(commitments.count) commitments")
                guard let commitment = commitments.first else { continue }
                #expect(commitment.status == "Approved")
                let lines = Self.lines(w, of: commitment.id)
                #expect(lines.count == 2 && Set(lines.compactMap(\.originID)).count == 2)
                #expect(lines.reduce(Decimal(0)) { $0 + $1.amount } == po.totals.excludingTax)
                #expect(try await SyncLedger.records(of: po.id.rawValue, in: w.org, on: w.db).first?.state == .synced)
            }
            let all = w.sandbox.server.store.read { $0.purchaseOrders.filter { $0.deletedAt == nil && $0.originID != nil } }
            #expect(Set(all.compactMap(\.originID)).count == all.count)  // no origin_id twice anywhere
        }
    }
}
