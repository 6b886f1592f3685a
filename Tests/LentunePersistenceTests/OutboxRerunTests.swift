import FluentKit
import FluentSQL
import Foundation
import LentuneCore
import LentunePersistence
import LentuneTestSupport
import Testing

/// A job's outcome never swallows a change queued while it ran (issue 25, defect 1): whatever the run ends with, a
/// job whose key was queued again meanwhile (`rerun`) is pending again and due at once.
@Suite struct OutboxRerunTests {
    static let outcomes: [(String, Outbox.Outcome)] = [
        ("done", .done),
        ("failed", .failed(error: "Procore refused the data")),
        ("cancelled", .cancelled(reason: "PO-00001 is draft: only approved and closed purchase orders are sent.")),
        ("held", .held(reason: "Procore project WSA-01 has no open billing period for PO-00001's invoices; it posts when one opens.")),
        ("retry", .retry(at: Date(timeIntervalSince1970: 2_000_000_000), error: "Procore answered 503")),
        ("released", .released),
    ]

    @Test(arguments: TestDatabase.kinds)
    func everyOutcome_honoursARerunQueuedWhileTheJobRan(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let db = database.db
            let org = try await Fixture.make(on: db).organisation.id
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            for (name, outcome) in Self.outcomes {
                let key = "po.push:\(name)"
                let job = SyncJob(organisationID: org, kind: .noop, dedupeKey: key, nextAttemptAt: now, createdAt: now)
                #expect(try await Outbox.enqueue(job, on: db))
                let claimed = try await Outbox.claim(limit: 10, worker: "w", lease: .seconds(60), now: now, on: db)
                #expect(claimed.map(\.id) == [job.id], "\(name)")
                // The same record changes while the job runs: the key is queued again.
                let again = SyncJob(organisationID: org, kind: .noop, dedupeKey: key, nextAttemptAt: now, createdAt: now)
                #expect(try await Outbox.enqueue(again, on: db) == false, "\(name): deduplicated onto the running job")
                let later = now.addingTimeInterval(5)
                #expect(try await Outbox.finish(job.id, worker: "w", outcome, now: later, on: db))
                let stored = try #require(try await Outbox.job(job.id, on: db))
                #expect(stored.state == .pending, "\(name): the change queued meanwhile is not lost")
                #expect(stored.nextAttemptAt <= later, "\(name): due at once, not after a backoff")
                // It runs again, and without a new change it now ends as the outcome says.
                let rerun = try await Outbox.claim(limit: 10, worker: "w", lease: .seconds(60), now: later, on: db)
                #expect(rerun.map(\.id) == [job.id], "\(name)")
                #expect(try await Outbox.finish(job.id, worker: "w", outcome, now: later, on: db))
                let final = try #require(try await Outbox.job(job.id, on: db))
                switch outcome {
                case .done: #expect(final.state == .done)
                case .failed: #expect(final.state == .failed)
                case .cancelled: #expect(final.state == .cancelled)
                case .held: #expect(final.state == .held)
                case .retry(let at, _): #expect(final.state == .pending && final.nextAttemptAt == at)
                case .released: #expect(final.state == .pending)
                }
                // Leave nothing waiting for the next outcome's round.
                _ = try await (db as! any SQLDatabase).raw("DELETE FROM outbox_jobs").run()
            }
        }
    }
}
