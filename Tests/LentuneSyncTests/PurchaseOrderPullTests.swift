import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import LentuneTestSupport
import ProcoreAPI
import ProcoreSandbox
import Testing

/// `po.import` and `po.pull` against the sandbox over HTTP (issue 14, Procore → Lentune): the initial import, a PO
/// with 200 lines, an edit in Procore, repeats changing nothing, a deletion, and a company no longer on Procore
/// purchase order.
@Suite struct PurchaseOrderPullTests {
    static func pull(_ commitment: Int64, project: Int64, deleted: Bool = false, row: ProcoreCompanyLink, on db: any Database) async throws -> Bool {
        let payload = #"{"commitment_id":\#(commitment),"project_id":\#(project)\#(deleted ? #","deleted":true"# : "")}"#
        return try await Outbox.enqueue(SyncJob(
            organisationID: row.organisationID, companyLinkID: row.id, kind: .pullPurchaseOrder, payload: payload,
            dedupeKey: "po.pull:\(row.id):\(commitment)", nextAttemptAt: Date(), createdAt: Date()), on: db)
    }

    @Test(arguments: TestDatabase.kinds)
    func theImport_readsEveryCommitment_thenPullsFollowEditsAndDeletions(kind: TestDatabase.Kind) async throws {
        try await RunningSandbox.with(clientID: "pull-app", clientSecret: "pull-secret") { sandbox in
            try await TestDatabase.with(kind) { database in
                let db = database.db
                let fixture = try await Fixture.make(on: db)
                let org = fixture.organisation.id
                let (row, worker, sessions) = try await ReferenceImportTests.linkedCompany(
                    org, sandbox: sandbox, clientID: "pull-app", secret: "pull-secret", on: db)
                try await ProcoreCompanyLinkRecord.query(on: db).filter(\.$id == row.id.rawValue)
                    .set(\.$purchaseOrderSource, to: PurchaseOrderSource.procore.rawValue).update()
                try await ReferenceImportTests.readAll(row, worker, on: db)
                let projects = try await ReferenceData.projects(in: org, on: db).filter { $0.procoreCompanyLinkID == row.id }
                let linked = Set(projects.compactMap(\.procoreProjectID))

                // "Procore" gets a commitment with 200 lines on a linked project (another app's writes, over HTTP).
                let client = try await sessions.client(organisation: org, company: row.procoreCompanyID, on: db)
                let project = try #require(projects.first { $0.isActive }?.procoreProjectID)
                let code = sandbox.server.store.read { data in data.wbsCodes.first { $0.projectID == project }! }
                let vendor = sandbox.server.store.read { $0.vendors.first { $0.companyID == Seeds.demoCompanyID }!.id }
                let big = try await client.createPurchaseOrder(project, .init(number: "BIG-200", title: "Two hundred lines", status: .draft, vendorId: vendor, originId: "other-app-big"))
                let bigLines = (1...200).map { index in
                    Procore.LineItemWrite(description: "Item \(index)", amount: .init(Decimal(index) + Decimal(string: "0.25")!), wbsCodeId: code.id,
                                          originId: "big-\(index)", position: Int64(index))
                }
                let written = try await client.syncPurchaseOrderLineItems(project, big.id, bigLines)
                #expect(written.errors.isEmpty && written.entities.count == 200)

                // The import: every commitment of the linked projects, once.
                try await Outbox.enqueue(.companyWide(.importPurchaseOrders, of: row, now: Date()), on: db)
                let imported = try await worker.runOnce()
                let importError = try await Outbox.jobs(in: org, filter: .init(kind: .importPurchaseOrders), on: db).first?.lastError ?? ""
                // The import, and the hooks registration the switch to Procore purchase order queues (issue 26).
                #expect(imported.done == 2, "\(importError)")
                let inProcore = sandbox.server.store.read { data in data.purchaseOrders.filter { linked.contains($0.projectID) && $0.deletedAt == nil } }
                func lentunePOs() async throws -> [PurchaseOrder] {
                    var all: [PurchaseOrder] = []
                    for item in try await PurchaseOrders.list(in: org, filter: .init(origin: .procore, perPage: 200), on: db).items {
                        all.append(try #require(try await PurchaseOrders.find(item.id, in: org, on: db)))
                    }
                    return all
                }
                var pulled = try await lentunePOs()
                #expect(Set(pulled.compactMap(\.procoreCommitmentID)) == Set(inProcore.map(\.id)))
                #expect(pulled.count == inProcore.count)
                let bigPO = try #require(pulled.first { $0.procoreCommitmentID == big.id })
                #expect(bigPO.lines.count == 200 && bigPO.number == "BIG-200" && bigPO.status == .draft && bigPO.origin == .procore)
                #expect(bigPO.totals.excludingTax == (1...200).reduce(Decimal(0)) { $0 + Decimal($1) + Decimal(string: "0.25")! })
                #expect(bigPO.lines.allSatisfy { $0.procoreLineItemID != nil && $0.costCodeID != nil && $0.costTypeID != nil })
                #expect(try await ReferenceData.suppliers(in: org, on: db).first { $0.id == bigPO.supplierID }?.procoreVendors[row.id] == vendor)
                let seeded = try #require(pulled.first { $0.number.hasPrefix("PO-") && $0.status == .approved })
                #expect(seeded.lines.count == 3 && seeded.lines.allSatisfy { $0.taxCodeID == nil && $0.tax > 0 })  // GST not mapped: rate kept
                #expect(try await SyncLedger.records(of: bigPO.id.rawValue, in: org, on: db).map(\.direction) == [.pull])

                // The import again, and a pull of an unchanged commitment: nothing changes.
                try await Outbox.enqueue(.companyWide(.importPurchaseOrders, of: row, now: Date()), on: db)
                #expect(try await worker.runOnce().done == 1)
                #expect(try await lentunePOs() == pulled)

                // An invoice is allocated to two of its lines (the allocations point at Lentune's line rows).
                let firstLine = try #require(written.entities.first { $0.originId == "big-1" })
                let (secondLine, thirdLine) = (try #require(written.entities.first { $0.originId == "big-2" }), try #require(written.entities.first { $0.originId == "big-3" }))
                let lineOf = { (procoreID: Int64) in bigPO.lines.first { $0.procoreLineItemID == procoreID }!.id }
                let admin = try await Accounts.createUser(organisation: org, email: "ap@pull.example", name: "AP", role: .administrator, passwordHash: "x", on: db)
                let invoice = try await InvoiceCommands.capture(
                    Invoice(
                        organisationID: org, supplierID: bigPO.supplierID, number: "BIG-INV-1", invoiceDate: Date(), projectID: bigPO.projectID,
                        purchaseOrderID: bigPO.id, lines: [Invoice.Line(description: "Stage 1", amount: 100, tax: 0)],
                        allocations: [
                            Invoice.Allocation(purchaseOrderLineID: lineOf(firstLine.id), amount: 50),
                            Invoice.Allocation(purchaseOrderLineID: lineOf(secondLine.id), amount: 50),
                        ],
                        statedTotalExcludingTax: 100, statedTax: 0),
                    document: nil, actor: admin, now: Date(), on: db)

                // Edited in Procore: a line's amount, and two lines deleted (one of them allocated). Two events make one
                // job; the PO keeps its id, the allocations keep their lines, and the allocated line is kept.
                _ = try await client.syncPurchaseOrderLineItems(project, big.id, [.init(id: firstLine.id, amount: .init(Decimal(999)))])
                try await sandbox.server.store.write { data in
                    for index in data.poLineItems.indices where [secondLine.id, thirdLine.id].contains(data.poLineItems[index].id) {
                        data.poLineItems[index].deletedAt = Date()
                    }
                }
                #expect(try await Self.pull(big.id, project: project, row: row, on: db))
                #expect(try await !Self.pull(big.id, project: project, row: row, on: db))
                let editRun = try await worker.runOnce()
                let editError = try await Outbox.jobs(in: org, filter: .init(kind: .pullPurchaseOrder), on: db).first?.lastError ?? ""
                #expect(editRun.done == 1, "\(editError)")
                let edited = try #require(try await PurchaseOrders.find(bigPO.id, in: org, on: db))
                #expect(edited.lines.first { $0.procoreLineItemID == firstLine.id }?.amount == 999)
                #expect(edited.lines.count == 199 && Set(edited.lines.map(\.id)) == Set(bigPO.lines.map(\.id)).subtracting([lineOf(thirdLine.id)]))
                #expect(try await Invoices.find(invoice.id, in: org, on: db)?.allocations.map(\.purchaseOrderLineID) == invoice.allocations.map(\.purchaseOrderLineID))
                let kept = try await SyncLedger.records(of: bigPO.id.rawValue, in: org, on: db).first { $0.direction == .pull }
                #expect(kept?.lastError?.contains("invoices are allocated") == true)

                // Deleted in Procore: the PO is kept and marked.
                try await sandbox.server.store.write { data in
                    let index = data.purchaseOrders.firstIndex { $0.id == big.id }!
                    data.purchaseOrders[index].deletedAt = Date()
                }
                #expect(try await Self.pull(big.id, project: project, row: row, on: db))
                #expect(try await worker.runOnce().done == 1)
                let deleted = try #require(try await PurchaseOrders.find(bigPO.id, in: org, on: db))
                #expect(deleted.deletedInProcoreAt != nil && deleted.lines.count == 199)
                // An update event that arrives after the deletion (out of order): the read finds it deleted; it stays so.
                #expect(try await Self.pull(big.id, project: project, row: row, on: db))
                #expect(try await worker.runOnce().done == 1)
                #expect(try await PurchaseOrders.find(bigPO.id, in: org, on: db)?.deletedInProcoreAt != nil)

                // A commitment whose webhook never came (none is delivered in this test): the sweep finds it.
                let missed = try await client.createPurchaseOrder(project, .init(number: "MISSED-1", title: "Webhook lost", status: .approved, vendorId: vendor, originId: "other-app-missed"))
                #expect(try await PurchaseOrders.find(commitment: missed.id, in: org, on: db) == nil)
                try await Outbox.enqueue(.companyWide(.sweep, of: row, now: Date()), on: db)
                #expect(try await worker.runOnce().done >= 1)  // the sweep queues a pull of what changed
                _ = try await worker.runOnce()
                #expect(try await PurchaseOrders.find(commitment: missed.id, in: org, on: db)?.title == "Webhook lost")

                // The company switched to Lentune purchase order: a pull queued before is cancelled, nothing is read.
                try await ProcoreCompanyLinkRecord.query(on: db).filter(\.$id == row.id.rawValue)
                    .set(\.$purchaseOrderSource, to: PurchaseOrderSource.lentune.rawValue).update()
                #expect(try await Self.pull(seeded.procoreCommitmentID!, project: project, row: row, on: db))
                sandbox.server.store.requestLog.clear()
                #expect(try await worker.runOnce().cancelled == 1)
                #expect(sandbox.server.store.requestLog.all().filter { $0.path.hasPrefix("/rest/") }.isEmpty)
                pulled = try await lentunePOs()
                #expect(pulled.count == inProcore.count + 1)  // the import's, and the one the sweep found
            }
        }
    }

    /// The import under injected faults (a fifth of requests fail with 500, a 429 storm, answers lost, latency):
    /// Lentune ends holding exactly the commitments Procore has, each with its lines.
    @Test(arguments: TestDatabase.kinds)
    func theImport_underInjectedFaults_holdsExactlyProcoresCommitments(kind: TestDatabase.Kind) async throws {
        try await RunningSandbox.with(clientID: "fault-app", clientSecret: "fault-secret") { sandbox in
            try await TestDatabase.with(kind) { database in
                let db = database.db
                let org = try await Fixture.make(on: db).organisation.id
                let (row, worker, sessions) = try await ReferenceImportTests.linkedCompany(
                    org, sandbox: sandbox, clientID: "fault-app", secret: "fault-secret", on: db)
                try await ProcoreCompanyLinkRecord.query(on: db).filter(\.$id == row.id.rawValue)
                    .set(\.$purchaseOrderSource, to: PurchaseOrderSource.procore.rawValue).update()
                try await ReferenceImportTests.readAll(row, worker, on: db)
                sandbox.server.store.write { data in _ = Seeds.addPurchaseOrders(count: 150, to: &data, now: Date()) }
                let clock = PurchaseOrderPushTests.MovableClock()
                let faulty = SyncEngine(
                    sessions: sessions,
                    hooks: HookRegistration(webhookURL: { _ in "https://ap.example.com/hook" }, secrets: try SecretBox(base64Key: SecretBox.generateKey())),
                    now: { clock.now() }
                ).worker(db: db)
                var faults = SandboxFaults()
                faults.errorRates = ["*": 0.2]
                faults.storm = .init(status: 429, count: 5, retryAfter: 1)
                faults.dropAfterCommit = ["*": 5]
                faults.latencyMilliseconds = 10
                sandbox.server.store.faults = faults
                try await Outbox.enqueue(.companyWide(.importPurchaseOrders, of: row, now: clock.now()), on: db)
                for _ in 0..<40 {
                    let job = try await Outbox.jobs(in: org, filter: .init(kind: .importPurchaseOrders, limit: 1), on: db).first
                    if job?.state == .done { break }
                    try await faulty.runOnce()
                    clock.advance(3600)
                }
                sandbox.server.store.faults = SandboxFaults()
                let job = try await Outbox.jobs(in: org, filter: .init(kind: .importPurchaseOrders, limit: 1), on: db).first
                #expect(job?.state == .done, "\(job?.lastError ?? "")")
                let linked = Set(try await ReferenceData.projects(in: org, on: db).filter { $0.procoreCompanyLinkID == row.id }.compactMap(\.procoreProjectID))
                let inProcore = sandbox.server.store.read { data in data.purchaseOrders.filter { linked.contains($0.projectID) && $0.deletedAt == nil } }
                let items = try await PurchaseOrders.list(in: org, filter: .init(origin: .procore, perPage: 200), on: db)
                #expect(items.total == inProcore.count)
                var commitments: [Int64] = []
                for item in items.items {
                    let po = try #require(try await PurchaseOrders.find(item.id, in: org, on: db))
                    commitments.append(po.procoreCommitmentID ?? 0)
                    let lines = sandbox.server.store.read { data in data.poLineItems.filter { $0.holderID == po.procoreCommitmentID && $0.deletedAt == nil } }
                    #expect(po.lines.count == lines.count && po.totals.excludingTax == lines.reduce(Decimal(0)) { $0 + $1.amount })
                }
                #expect(Set(commitments) == Set(inProcore.map(\.id)) && commitments.count == inProcore.count)
            }
        }
    }
}
