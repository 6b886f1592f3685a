import FluentKit
import FluentSQL
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import LentuneTestSupport
import Synchronization
import Testing

/// The PO commands: one path for the page and the API, the setting re-read inside the transaction, audit rows and
/// outbox jobs written with the change.
@Suite struct PurchaseOrderCommandTests {
    struct World {
        var db: any Database
        var fixture: Fixture
        var admin: User
        var link: ProcoreCompanyLink
    }

    static func world(_ database: LentuneDatabase, source: PurchaseOrderSource) async throws -> World {
        let db = database.db
        let fixture = try await Fixture.make(on: db)
        let admin = try await Accounts.createUser(
            organisation: fixture.organisation.id, email: "admin@a.example", name: "Admin", role: .administrator, passwordHash: "x",
            approvalLimit: 1_000_000, on: db)
        let box = try SecretBox(base64Key: SecretBox.generateKey())
        let connection = try await ProcoreSettings.saveConnection(
            .init(environment: .production, clientID: "cid", clientSecret: "s", grantType: .clientCredentials, redirectURI: nil, serviceCompanyID: nil),
            organisation: fixture.organisation.id, actor: admin, secrets: box, now: Date(), on: db)
        let link = ProcoreCompanyLink(
            organisationID: fixture.organisation.id, connectionID: .init(connection.id), procoreCompanyID: 42, name: "Kauri",
            isLinked: true, purchaseOrderSource: source)
        try await ProcoreSettings.insert(link, on: db)
        try await ProjectRecord.query(on: db).filter(\.$id == fixture.project.id.rawValue).set(\.$procoreCompanyLinkID, to: link.id.rawValue).update()
        return World(db: db, fixture: fixture, admin: admin, link: link)
    }

    @Test(arguments: TestDatabase.kinds)
    func approvingOnLentunePurchaseOrder_queuesThePush_withTheChangeAndItsAudit(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let w = try await Self.world(database, source: .lentune)
            let (po, created) = try await PurchaseOrderCommands.create(
                w.fixture.purchaseOrder(number: ""), requestKey: nil, actor: w.admin, now: Date(), on: w.db)
            #expect(created)
            #expect(po.number == "PO-00001")
            let approved = try await PurchaseOrderCommands.act(.submit, on: po.id, organisation: po.organisationID, actor: w.admin, now: Date(), on: w.db)
            #expect(approved.status == .approved)  // within the administrator's limit
            let jobs = try await Outbox.jobs(in: po.organisationID, on: w.db)
            #expect(jobs.map(\.kind) == [.pushPurchaseOrder])
            #expect(jobs.first?.dedupeKey == "po.push:\(po.id)")
            let audits = try await AuditLog.recent(organisation: po.organisationID, on: w.db).map(\.action)
            #expect(audits.contains("purchase_order.created") && audits.contains("purchase_order.submit"))
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func onNeither_approvingQueuesNothing(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let w = try await Self.world(database, source: .none)
            let (po, _) = try await PurchaseOrderCommands.create(w.fixture.purchaseOrder(number: "PO-7"), requestKey: nil, actor: w.admin, now: Date(), on: w.db)
            _ = try await PurchaseOrderCommands.act(.submit, on: po.id, organisation: po.organisationID, actor: w.admin, now: Date(), on: w.db)
            #expect(try await Outbox.jobs(in: po.organisationID, on: w.db).isEmpty)
        }
    }

    /// The setting switched after a page was read: the command obeys the setting as it is when it stores.
    @Test(arguments: TestDatabase.kinds)
    func aSwitchToProcore_isObeyed_evenByARequestThatReadTheOldSetting(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let w = try await Self.world(database, source: .lentune)
            let (po, _) = try await PurchaseOrderCommands.create(w.fixture.purchaseOrder(number: "PO-1"), requestKey: nil, actor: w.admin, now: Date(), on: w.db)
            var switched = w.link
            switched.purchaseOrderSource = .procore
            _ = try await ProcoreSettings.save(switched, expectedVersion: 1, actor: w.admin, now: Date(), on: w.db)
            await #expect(throws: PurchaseOrderCommands.Failure.self) {
                try await PurchaseOrderCommands.create(w.fixture.purchaseOrder(number: "PO-2"), requestKey: nil, actor: w.admin, now: Date(), on: w.db)
            }
            await #expect(throws: PurchaseOrderCommands.Failure.self) {
                try await PurchaseOrderCommands.update(po, actor: w.admin, now: Date(), on: w.db)
            }
            await #expect(throws: PurchaseOrderCommands.Failure.self) {
                try await PurchaseOrderCommands.act(.submit, on: po.id, organisation: po.organisationID, actor: w.admin, now: Date(), on: w.db)
            }
            #expect(try await PurchaseOrders.count(in: po.organisationID, on: w.db) == 1)
            #expect(try await PurchaseOrders.find(po.id, in: po.organisationID, on: w.db)?.status == .draft)
        }
    }

    /// A switch to Procore that is committing while a PO is created (PostgreSQL, where they really run at once): the
    /// create reads the company row `FOR SHARE`, so it waits for the switch and then obeys it. Without the lock it
    /// would read the setting as it was before the switch and store a Lentune PO for a Procore-sourced company.
    @Test func aCreateDuringAnUncommittedSwitch_waitsForIt_andObeysIt() async throws {
        guard TestDatabase.kinds.contains(.postgres) else { return }
        try await TestDatabase.with(.postgres) { database in
            let w = try await Self.world(database, source: .lentune)
            let held = Mutex(false)
            let release = Mutex(false)
            let created = Mutex(false)
            var procore = w.link
            procore.purchaseOrderSource = .procore
            let switched = procore
            let switching = Task {
                try await w.db.transaction { tx in
                    _ = try await ProcoreSettings.save(switched, expectedVersion: 1, actor: w.admin, now: Date(), on: tx)
                    held.withLock { $0 = true }
                    try await waitUntil("the test letting the switch commit", timeout: .seconds(60)) { release.withLock { $0 } }
                }
            }
            try await waitUntil("the switch holding the company row") { held.withLock { $0 } }
            let creating = Task {
                defer { created.withLock { $0 = true } }
                return try await PurchaseOrderCommands.create(
                    w.fixture.purchaseOrder(number: "PO-1"), requestKey: nil, actor: w.admin, now: Date(), on: w.db)
            }
            // The create either waits on the row lock (as it must) or, without the lock, has already finished.
            let sql = w.db as! any SQLDatabase
            try await waitUntil("the create waiting for the switch, or finishing") {
                if created.withLock({ $0 }) { return true }
                let waiting = try await sql.raw("""
                    SELECT count(*) AS n FROM pg_stat_activity
                    WHERE wait_event_type = 'Lock' AND query LIKE '%FROM procore_company_links%FOR SHARE%'
                    """).first()?.decode(column: "n", as: Int.self)
                return (waiting ?? 0) > 0
            }
            #expect(!created.withLock { $0 }, "the create did not wait for the switch holding the company row")
            release.withLock { $0 = true }
            try await awaitTask(switching, "the switch committing")
            await #expect(throws: PurchaseOrderCommands.Failure.self) { _ = try await awaitTask(creating, "the create") }
            #expect(try await PurchaseOrders.count(in: w.fixture.organisation.id, on: w.db) == 0)
        }
    }

    /// An invoice allocated to a PO's lines: editing the PO keeps the lines' rows (and so the allocations); removing a
    /// line that is allocated is refused with the line named, and nothing changes.
    @Test(arguments: TestDatabase.kinds)
    func editingAPOWithInvoiceAllocations_keepsThem_andRefusesToRemoveAnAllocatedLine(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let w = try await Self.world(database, source: .lentune)
            let org = w.fixture.organisation.id
            let (po, _) = try await PurchaseOrderCommands.create(w.fixture.purchaseOrder(number: "PO-7"), requestKey: nil, actor: w.admin, now: Date(), on: w.db)
            let invoice = try await InvoiceCommands.capture(
                Invoice(
                    organisationID: org, supplierID: po.supplierID, number: "INV-7", invoiceDate: Date(), projectID: po.projectID,
                    purchaseOrderID: po.id, lines: [Invoice.Line(description: "Part", amount: 3, tax: 0)],
                    allocations: [Invoice.Allocation(purchaseOrderLineID: po.lines[1].id, amount: 3)], statedTotalExcludingTax: 3, statedTax: 0),
                document: nil, actor: w.admin, now: Date(), on: w.db)

            // A new unit cost on every line and a line removed that nothing is allocated to: saved, allocation intact.
            var edited = po
            edited.lines.removeLast()
            for index in edited.lines.indices { edited.lines[index].unitCost = 5 }
            _ = try await PurchaseOrderCommands.update(edited, actor: w.admin, now: Date(), on: w.db)
            let stored = try #require(try await PurchaseOrders.find(po.id, in: org, on: w.db))
            #expect(stored.lines.map(\.id) == edited.lines.map(\.id) && stored.lines.allSatisfy { $0.unitCost == 5 })
            #expect(try await Invoices.find(invoice.id, in: org, on: w.db)?.allocations.map(\.purchaseOrderLineID) == [po.lines[1].id])

            // Removing the allocated line: refused, naming it; the PO is as it was.
            var removing = stored
            removing.lines.removeAll { $0.id == po.lines[1].id }
            await #expect(throws: PurchaseOrders.Error.lineAllocated(position: po.lines[1].position)) {
                try await PurchaseOrderCommands.update(removing, actor: w.admin, now: Date(), on: w.db)
            }
            #expect(try await PurchaseOrders.find(po.id, in: org, on: w.db) == stored)
        }
    }
}
