import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import LentuneTestSupport
import ProcoreSandbox
import Testing

/// The sweep (docs/SYNC.md): what it reads back before its cursor, and what it queues besides.
@Suite struct SweepTests {
    typealias World = PurchaseOrderPushTests.World

    /// Runs one sweep of the world's company at `now` (as the scheduler or **Sweep now** queues it, run here in the
    /// test) and answers the jobs it queued.
    static func sweep(_ w: World, at now: Date = Date()) async throws -> [SyncJob] {
        let before = Set(try await Outbox.jobs(in: w.org, filter: .init(limit: 500), on: w.db).map(\.id))
        let engine = SyncEngine(
            sessions: w.worker.sessions,
            hooks: HookRegistration(webhookURL: { _ in "https://ap.example.com/hook" }, secrets: try SecretBox(base64Key: SecretBox.generateKey())),
            now: { now })
        try await engine.perform(.companyWide(.sweep, of: w.row, now: now), on: w.db)
        return try await Outbox.jobs(in: w.org, filter: .init(limit: 500), on: w.db).filter { !before.contains($0.id) }
    }

    /// A sweep reads what changed from 5 minutes before its cursor: a commitment changed just before the cursor (its
    /// change committed while the last sweep was reading, so that sweep did not see it) is pulled; one changed well
    /// before (the last sweep saw it) is not read again. The cursor then moves to the sweep's start.
    @Test(arguments: TestDatabase.kinds)
    func theSweep_readsFromFiveMinutesBeforeItsCursor(kind: TestDatabase.Kind) async throws {
        try await PurchaseOrderPushTests.world(kind) { w in
            try await InvoicePostingTests.setSource(w, .procore)
            let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            let cursor = now.addingTimeInterval(-3600)
            try await SweepCursors.advance(w.row.id, resource: "purchase_order_contracts", to: cursor, now: cursor, on: w.db)
            let (project, late, seen) = w.sandbox.server.store.write { data -> (Int64, Int64, Int64) in
                let (project, _) = Seeds.addPurchaseOrders(count: 2, to: &data, now: now)
                // Everything last changed a day before the cursor, but for the two new commitments.
                for index in data.purchaseOrders.indices { data.purchaseOrders[index].updatedAt = cursor.addingTimeInterval(-86_400) }
                let (late, seen) = (data.purchaseOrders.count - 2, data.purchaseOrders.count - 1)
                data.purchaseOrders[late].updatedAt = cursor.addingTimeInterval(-120)  // 2 minutes before the cursor
                data.purchaseOrders[seen].updatedAt = cursor.addingTimeInterval(-600)  // 10 minutes before it
                return (project, data.purchaseOrders[late].id, data.purchaseOrders[seen].id)
            }
            #expect(try await ProcoreSettings.linkedProcoreProjects(of: w.row, on: w.db).contains(project))
            let pulls = try await Self.sweep(w, at: now).filter { $0.kind == .pullPurchaseOrder }.map {
                try JSONDecoder().decode(ChangeJobs.PullPayload.self, from: Data($0.payload.utf8)).commitment_id
            }
            #expect(pulls == [late], "the commitment changed 2 minutes before the cursor (\(late)), not the one 10 minutes before (\(seen))")
            #expect(try await SweepCursors.cursor(w.row.id, resource: "purchase_order_contracts", on: w.db) == now)
        }
    }
}
