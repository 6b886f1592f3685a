import FluentKit
import FluentSQL
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import LentuneTestSupport
import ProcoreAPI
import Synchronization
import Testing

/// The outbox and its workers on SQLite and PostgreSQL (issue 12's "done when").
@Suite struct EngineTests {
    /// A clock a test moves by hand.
    final class Clock: Sendable {
        private let value: Mutex<Date>
        init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { value = Mutex(start) }
        var now: Date { value.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { value.withLock { $0 = $0.addingTimeInterval(seconds) } }
    }

    /// Counts runs per job id; `effects` is the idempotent effect (a set), as a real handler's upsert would be.
    final class Ledger: Sendable {
        let runs = Mutex<[UUID: Int]>([:])
        let effects = Mutex<Set<UUID>>([])
        let running = Mutex<Set<UUID>>([])
        let overlaps = Mutex(0)

        func enter(_ id: UUID) {
            running.withLock { set in
                if !set.insert(id).inserted { overlaps.withLock { $0 += 1 } }
            }
            runs.withLock { $0[id, default: 0] += 1 }
        }
        func leave(_ id: UUID) { _ = running.withLock { $0.remove(id) } }
    }

    static func worker(_ db: any Database, _ handlers: JobHandlers, clock: Clock, name: String, lease: Duration = .seconds(60)) -> SyncWorker {
        let box = try! SecretBox(base64Key: SecretBox.generateKey())
        return SyncWorker(
            name: name, db: db, handlers: handlers, sessions: ProcoreSessions(connector: ProcoreConnector(secrets: box)),
            policy: RetryPolicy(base: .seconds(2), cap: .seconds(60), maxAttempts: 3), lease: lease, concurrency: 4,
            now: { clock.now }, random: { 0.5 })
    }

    /// A worker on the real clock with a short lease (1.5 s), one job at a time: for the lease tests.
    static func realTimeWorker(_ name: String, _ db: any Database, _ handlers: JobHandlers, maxRunTime: Duration? = nil) -> SyncWorker {
        let box = try! SecretBox(base64Key: SecretBox.generateKey())
        var worker = SyncWorker(
            name: name, db: db, handlers: handlers, sessions: ProcoreSessions(connector: ProcoreConnector(secrets: box)),
            lease: .milliseconds(1500), concurrency: 1)
        if let maxRunTime { worker.maxRunTime = maxRunTime }
        return worker
    }

    static func job(_ org: Organisation.ID, kind: SyncJob.Kind = .noop, key: String? = nil, at date: Date) -> SyncJob {
        SyncJob(organisationID: org, kind: kind, dedupeKey: key, nextAttemptAt: date, createdAt: date)
    }

    /// An administrator of `organisation` saves a Procore connection: the connection a webhook event belongs to.
    static func connect(_ organisation: Organisation.ID, email: String, clientID: String = "cid", on db: any Database) async throws -> ProcoreConnection.ID {
        let admin = try await Accounts.createUser(
            organisation: organisation, email: email, name: "Admin", role: .administrator, passwordHash: "x", on: db)
        return .init(try await ProcoreSettings.saveConnection(
            .init(environment: .production, clientID: clientID, clientSecret: "s", grantType: .clientCredentials, redirectURI: nil, serviceCompanyID: nil),
            organisation: organisation, actor: admin, secrets: try SecretBox(base64Key: SecretBox.generateKey()), now: Date(), on: db).id)
    }

    @Test(arguments: TestDatabase.kinds)
    func aJobWhoseWorkerDied_runsAgainAfterItsLease_andItsEffectHappensOnce(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let db = database.db
            let org = try await Fixture.make(on: db).organisation.id
            let clock = Clock()
            let ledger = Ledger()
            let job = Self.job(org, at: clock.now)
            try await Outbox.enqueue(job, on: db)
            // The first worker claims the job and "dies": it never finishes it.
            let claimed = try await Outbox.claim(limit: 10, worker: "dead", lease: .seconds(60), now: clock.now, on: db)
            #expect(claimed.map(\.id) == [job.id])
            var handlers = JobHandlers()
            handlers[.noop] = { job, _ in ledger.enter(job.id.rawValue); ledger.effects.withLock { _ = $0.insert(job.id.rawValue) }; ledger.leave(job.id.rawValue) }
            let alive = Self.worker(db, handlers, clock: clock, name: "alive")
            // Before the lease ends nobody else may take it.
            #expect(try await alive.runOnce().claimed == 0)
            clock.advance(61)
            let summary = try await alive.runOnce()
            #expect(summary.done == 1)
            // Run once by the worker that took it over (the dead one never ran it), and its effect is there.
            #expect(ledger.runs.withLock { $0 } == [job.id.rawValue: 1])
            #expect(ledger.effects.withLock { $0 } == [job.id.rawValue])
            // The dead worker coming back cannot finish it over the new owner.
            #expect(try await Outbox.finish(job.id, worker: "dead", .done, now: clock.now, on: db) == false)
            let stored = try #require(try await Outbox.job(job.id, on: db))
            #expect(stored.state == .done)
            #expect(stored.attempts == 2)
        }
    }

    /// A worker whose lease ran out while the job is now another's cannot record an outcome over the new owner: its
    /// finish changes nothing, and the new owner's does.
    @Test(arguments: TestDatabase.kinds)
    func aWorkerThatLostItsLease_cannotFinishTheJobOverItsNewOwner(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let db = database.db
            let org = try await Fixture.make(on: db).organisation.id
            let clock = Clock()
            let job = Self.job(org, at: clock.now)
            try await Outbox.enqueue(job, on: db)
            #expect(try await Outbox.claim(limit: 1, worker: "first", lease: .seconds(60), now: clock.now, on: db).map(\.id) == [job.id])
            clock.advance(61)
            #expect(try await Outbox.claim(limit: 1, worker: "second", lease: .seconds(60), now: clock.now, on: db).map(\.id) == [job.id])
            for outcome in [Outbox.Outcome.done, .failed(error: "late"), .released, .retry(at: clock.now, error: "late")] {
                #expect(try await Outbox.finish(job.id, worker: "first", outcome, now: clock.now, on: db) == false, "\(outcome)")
            }
            let held = try #require(try await Outbox.job(job.id, on: db))
            #expect(held.state == .running && held.lockedBy == "second" && held.attempts == 2)
            #expect(try await Outbox.finish(job.id, worker: "second", .done, now: clock.now, on: db))
            #expect(try await Outbox.job(job.id, on: db)?.state == .done)
        }
    }

    /// While jobs run: moves the test's clock past their lease `times` times; each time waits (with a deadline) for the
    /// heartbeat to renew every job in `held`, then lets `other` try to claim. Answers how many jobs `other` claimed.
    static func outliveLeases(
        _ held: [SyncJob.ID], times: Int = 3, lease: Duration, clock: Clock, other: SyncWorker, on db: any Database
    ) async throws -> Int {
        var claimed = 0
        for round in 1...times {
            clock.advance(lease.seconds * 2)
            do {
                try await waitUntil("the heartbeat renewing the leases of \(held.count) running jobs (round \(round))", timeout: .seconds(15)) {
                    for id in held {
                        guard let job = try await Outbox.job(id, on: db), job.state == .running, let until = job.lockedUntil,
                            until > clock.now
                        else { return false }
                    }
                    return true
                }
            } catch let error as TimedOut {
                Issue.record("\(error)")  // and go on: what the other worker claims shows what a lapsed lease costs
            }
            claimed += try await other.runOnce().claimed
        }
        return claimed
    }

    /// A job that runs for several leases (a company's PO import can take an hour) keeps its lease renewed: another
    /// worker trying all the while never takes it, and it runs once. The clock passes the lease three times while it runs.
    @Test(arguments: TestDatabase.kinds)
    func aJobRunningLongerThanItsLease_keepsIt_andNoOtherWorkerRunsItMeanwhile(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let db = database.db
            let org = try await Fixture.make(on: db).organisation.id
            let clock = Clock()
            let lease: Duration = .milliseconds(600)
            let ledger = Ledger()
            let other = Self.worker(db, JobHandlers([.noop: { job, _ in ledger.enter(job.id.rawValue); ledger.leave(job.id.rawValue) }]),
                                    clock: clock, name: "other", lease: lease)
            let othersClaims = Mutex(-1)
            var handlers = JobHandlers()
            handlers[.noop] = { job, _ in
                ledger.enter(job.id.rawValue)
                let claims = try await Self.outliveLeases([job.id], lease: lease, clock: clock, other: other, on: db)
                othersClaims.withLock { $0 = claims }
                ledger.leave(job.id.rawValue)
            }
            let job = Self.job(org, at: clock.now)
            try await Outbox.enqueue(job, on: db)
            let summary = try await Self.worker(db, handlers, clock: clock, name: "slow", lease: lease).runOnce()
            #expect(summary.done == 1 && summary.lostLeases == 0)
            #expect(othersClaims.withLock { $0 } == 0)
            #expect(ledger.runs.withLock { $0 } == [job.id.rawValue: 1] && ledger.overlaps.withLock { $0 } == 0)
            let stored = try #require(try await Outbox.job(job.id, on: db))
            #expect(stored.state == .done && stored.attempts == 1)
        }
    }

    /// The jobs a batch handler takes with `claimMore` (a push of a company's POs) are held like the one it was handed:
    /// their leases are renewed while the batch runs, so no other worker takes them meanwhile, and each runs once.
    @Test(arguments: TestDatabase.kinds)
    func jobsABatchHandlerTakes_keepTheirLeases_whileTheBatchRuns(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let db = database.db
            let org = try await Fixture.make(on: db).organisation.id
            let connection = try await Self.connect(org, email: "admin@a.example", on: db)
            let row = ProcoreCompanyLink(organisationID: org, connectionID: connection, procoreCompanyID: 42, name: "Kauri", isLinked: true)
            try await ProcoreSettings.insert(row, on: db)
            let clock = Clock()
            let lease: Duration = .milliseconds(600)
            let jobs = (1...3).map {
                SyncJob(organisationID: org, companyLinkID: row.id, kind: .pushPurchaseOrder, dedupeKey: "po.push:\($0)",
                        nextAttemptAt: clock.now, createdAt: clock.now)
            }
            for job in jobs { try await Outbox.enqueue(job, on: db) }
            let ledger = Ledger()
            let other = Self.worker(
                db, JobHandlers([.pushPurchaseOrder: { job, _ in ledger.enter(job.id.rawValue); ledger.leave(job.id.rawValue) }]),
                clock: clock, name: "other", lease: lease)
            let othersClaims = Mutex(-1)
            var handlers = JobHandlers()
            handlers[.pushPurchaseOrder] = { job, ctx in
                ledger.enter(job.id.rawValue)
                let taken = try await ctx.claimMore(.pushPurchaseOrder, row.id, 10)
                for more in taken { ledger.enter(more.id.rawValue) }
                let claims = try await Self.outliveLeases([job.id] + taken.map(\.id), lease: lease, clock: clock, other: other, on: db)
                othersClaims.withLock { $0 = claims }
                for more in taken {
                    ledger.leave(more.id.rawValue)
                    await ctx.settle(more, nil)
                }
                ledger.leave(job.id.rawValue)
            }
            // One job claimed; its handler takes the other two.
            let summary = try await Self.worker(db, handlers, clock: clock, name: "batch", lease: lease).runOnce(limit: 1)
            #expect(summary.claimed == 1 && summary.done == 3 && summary.lostLeases == 0)
            #expect(othersClaims.withLock { $0 } == 0)
            #expect(ledger.runs.withLock { $0 } == Dictionary(uniqueKeysWithValues: jobs.map { ($0.id.rawValue, 1) }))
            #expect(ledger.overlaps.withLock { $0 } == 0)
            for job in jobs {
                let stored = try #require(try await Outbox.job(job.id, on: db))
                #expect(stored.state == .done && stored.attempts == 1)
            }
        }
    }

    /// A job that hangs past the worker's `maxRunTime` (and ignores being cancelled) no longer holds its worker, nor is it
    /// kept leased: the worker's `runOnce` returns without it, once its lease lapses another worker takes it and
    /// finishes it, and the hung run, when it ends, records nothing over it.
    @Test(arguments: TestDatabase.kinds)
    func aJobHungPastTheMaxRunTime_isTakenOverByAnotherWorker_andTheHungRunRecordsNothing(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let db = database.db
            let org = try await Fixture.make(on: db).organisation.id
            let ledger = Ledger()
            let takenOver = Mutex(false)
            var handlers = JobHandlers()
            handlers[.noop] = { job, _ in
                let run = ledger.runs.withLock { runs in
                    runs[job.id.rawValue, default: 0] += 1
                    return runs[job.id.rawValue, default: 0]
                }
                guard run == 1 else { return takenOver.withLock { $0 = true } }
                // The first run hangs until another worker has run the job (at most 30 s), however slow the machine,
                // and does not stop when cancelled (its naps are detached, so cancelling does not cut them short).
                let limit = ContinuousClock.now + .seconds(30)
                while !takenOver.withLock({ $0 }), ContinuousClock.now < limit {
                    await Task.detached { try? await Task.sleep(for: .milliseconds(50)) }.value
                }
            }
            let job = Self.job(org, at: Date())
            try await Outbox.enqueue(job, on: db)
            var hung = Self.realTimeWorker("hung", db, handlers, maxRunTime: .seconds(2))
            let lateRun = Mutex<[(Outbox.Outcome, Bool)]?>(nil)
            hung.abandonedRunEnded = { _, outcomes in lateRun.withLock { $0 = outcomes } }
            let other = Self.realTimeWorker("other", db, handlers, maxRunTime: .seconds(2))
            // The hung worker gives up waiting after 2 s, while its run still hangs: nobody can take the job over before
            // its lease (1.5 s, renewed until the 2 s are up) has lapsed.
            let summary = try await hung.runOnce()
            #expect(summary.claimed == 1 && summary.abandoned == 1 && summary.done == 0)
            var taken = SyncWorker.Summary()
            let deadline = ContinuousClock.now + .seconds(30)
            while taken.done == 0, ContinuousClock.now < deadline {
                let summary = try await other.runOnce()
                taken.claimed += summary.claimed
                taken.done += summary.done
                try await Task.sleep(for: .milliseconds(100))
            }
            // Renewed while young, then let go and taken over.
            #expect(taken.claimed == 1 && taken.done == 1)
            // The hung run ends once the job is taken over; what it would record is refused (the lease is the other's).
            let ended = ContinuousClock.now + .seconds(30)
            while lateRun.withLock({ $0 }) == nil, ContinuousClock.now < ended { try await Task.sleep(for: .milliseconds(50)) }
            let late = try #require(lateRun.withLock { $0 })
            #expect(late.count == 1 && late[0].1 == false)
            #expect(ledger.runs.withLock { $0 } == [job.id.rawValue: 2])
            let stored = try #require(try await Outbox.job(job.id, on: db))
            #expect(stored.state == .done)
        }
    }

    /// A change queued while its job runs is not lost to the deduplication: the job runs once more after.
    @Test(arguments: TestDatabase.kinds)
    func aJobQueuedAgainWhileItRuns_runsOnceMoreAfter_andNotTwiceAtOnce(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let db = database.db
            let org = try await Fixture.make(on: db).organisation.id
            let clock = Clock()
            let ledger = Ledger()
            let first = Self.job(org, key: "po.pull:x:1", at: clock.now)
            #expect(try await Outbox.enqueue(first, on: db))
            var handlers = JobHandlers()
            handlers[.noop] = { (job: SyncJob, _: JobContext) async throws in
                ledger.enter(job.id.rawValue)
                // While it runs, the same change is queued again (a second webhook for the record).
                if job.id == first.id, ledger.runs.withLock({ $0[job.id.rawValue] }) == 1 {
                    let queued = try await Outbox.enqueue(Self.job(org, key: "po.pull:x:1", at: clock.now), on: db)
                    #expect(queued == false)
                }
                ledger.leave(job.id.rawValue)
            }
            let worker = Self.worker(db, handlers, clock: clock, name: "w")
            #expect(try await worker.runOnce().done == 1)
            #expect(try await Outbox.job(first.id, on: db)?.state == .pending)  // due again, not done
            #expect(try await worker.runOnce().done == 1)
            #expect(try await Outbox.job(first.id, on: db)?.state == .done)
            #expect(ledger.runs.withLock { $0[first.id.rawValue] } == 2 && ledger.overlaps.withLock { $0 } == 0)
            #expect(try await Outbox.jobs(in: org, on: db).count == 1)
            // Queued again while it waits (not running): nothing is added and it runs once.
            #expect(try await Outbox.enqueue(Self.job(org, key: "po.pull:x:2", at: clock.now), on: db))
            #expect(try await Outbox.enqueue(Self.job(org, key: "po.pull:x:2", at: clock.now), on: db) == false)
            #expect(try await worker.runOnce().done == 1)
            #expect(try await worker.runOnce().claimed == 0)
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func transientFailures_retryWithBackoff_thenFail_andPermanentOnesStopAtOnce(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let db = database.db
            let org = try await Fixture.make(on: db).organisation.id
            let clock = Clock()
            var handlers = JobHandlers()
            handlers[.sweep] = { _, _ in throw Procore.Error.status(code: 503, message: "Service Unavailable", requestID: nil) }
            handlers[.registerHooks] = { _, _ in throw Procore.Error.validation(code: 422, fields: ["name": ["can't be blank"]], requestID: nil) }
            handlers[.processWebhook] = { _, _ in throw Procore.Error.rateLimited(retryAfter: .seconds(45)) }
            let transient = Self.job(org, kind: .sweep, at: clock.now)
            let permanent = Self.job(org, kind: .registerHooks, at: clock.now)
            let limited = Self.job(org, kind: .processWebhook, at: clock.now)
            for job in [transient, permanent, limited] { try await Outbox.enqueue(job, on: db) }
            let worker = Self.worker(db, handlers, clock: clock, name: "w")
            let first = try await worker.runOnce()
            #expect(first.retried == 2 && first.failed == 1)
            let failed = try #require(try await Outbox.job(permanent.id, on: db))
            #expect(failed.state == .failed)
            #expect(failed.lastError?.contains("name can't be blank") == true)
            // Full jitter with a draw of 0.5: attempt 1 waits 1 s; a Retry-After of 45 s is honoured.
            #expect(try await Outbox.job(transient.id, on: db)?.nextAttemptAt == clock.now.addingTimeInterval(1))
            #expect(try await Outbox.job(limited.id, on: db)?.nextAttemptAt == clock.now.addingTimeInterval(45))
            clock.advance(2)
            #expect(try await worker.runOnce().retried == 1)
            clock.advance(10)
            #expect(try await worker.runOnce().failed == 1)  // the third attempt was the last
            #expect(try await Outbox.job(transient.id, on: db)?.lastError?.hasPrefix("Gave up after 3 attempts") == true)
            // Retry all failed: both failed jobs are due again, their attempts reset.
            #expect(try await Outbox.retryAllFailed(in: org, now: clock.now, on: db) == 2)
            #expect(try await Outbox.job(transient.id, on: db)?.state == .pending)
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func aDedupeKey_allowsOneWaitingJob_andAgainOnceItFinished(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let db = database.db
            let org = try await Fixture.make(on: db).organisation.id
            let clock = Clock()
            #expect(try await Outbox.enqueue(Self.job(org, key: "po.push:1", at: clock.now), on: db))
            #expect(try await Outbox.enqueue(Self.job(org, key: "po.push:1", at: clock.now), on: db) == false)
            let worker = Self.worker(db, JobHandlers([.noop: { _, _ in }]), clock: clock, name: "w")
            #expect(try await worker.runOnce().done == 1)
            #expect(try await Outbox.enqueue(Self.job(org, key: "po.push:1", at: clock.now), on: db))
        }
    }

    /// Two workers on one PostgreSQL database never run the same job at the same time, and every job runs once.
    @Test func twoWorkers_tenThousandJobs_eachRunsOnce() async throws {
        guard TestDatabase.kinds.contains(.postgres) else { return }
        try await TestDatabase.with(.postgres) { database in
            let db = database.db
            let org = try await Fixture.make(on: db).organisation.id
            let clock = Clock()
            let sql = db as! any SQLDatabase
            // 10,000 jobs in one statement (enqueueing them one by one would dominate the test).
            try await sql.raw("""
                INSERT INTO outbox_jobs (id, organisation_id, kind, payload, state, attempts, next_attempt_at, created_at, updated_at)
                SELECT gen_random_uuid(), \(bind: org.rawValue), 'noop', '{}', 'pending', 0, \(bind: clock.now), \(bind: clock.now), \(bind: clock.now)
                FROM generate_series(1, 10000)
                """).run()
            let ledger = Ledger()
            let handlers = JobHandlers([.noop: { job, _ in ledger.enter(job.id.rawValue); await Task.yield(); ledger.leave(job.id.rawValue) }])
            let workers = (1...2).map { Self.worker(db, handlers, clock: clock, name: "worker-\($0)") }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in workers {
                    group.addTask {
                        while try await worker.runOnce(limit: 100).claimed > 0 {}
                    }
                }
                try await group.waitForAll()
            }
            let runs = ledger.runs.withLock { $0 }
            #expect(runs.count == 10_000)
            #expect(runs.values.allSatisfy { $0 == 1 })
            #expect(ledger.overlaps.withLock { $0 } == 0)
            #expect(try await Outbox.depth(on: db)[.done] == 10_000)
        }
    }

    /// The webhook intake's group commit: 46 deliveries at once, in batches of at most 16 (several transactions, or
    /// on PostgreSQL several single statements). Each event is stored once, whether its repeat is in the same batch,
    /// another batch, or came earlier; each new event that is not our own write is named by exactly one job, and a
    /// job names only events of its own write (so a batch makes at most one job per organisation).
    @Test(arguments: TestDatabase.kinds)
    func theGroupCommit_storesEachEventOnce_andNamesEachNewEventInOneJob(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let db = database.db
            let org = try await Fixture.make(on: db).organisation.id
            let connection = try await Self.connect(org, email: "admin@a.example", on: db)
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            func delivery(_ key: String, ownWrite: Bool = false) -> WebhookEvents.Event {
                WebhookEvents.Event(
                    organisationID: org, connectionID: connection, key: key, resourceName: "Purchase Order Contracts",
                    eventType: "update", resourceID: 4_294_968_269, companyID: 42, projectID: nil,
                    sourceApplicationID: ownWrite ? "cid" : nil, payload: #"{"ulid":"\#(key)"}"#, outcome: ownWrite ? .ownWrite : .queued,
                    receivedAt: now)
            }
            let earlier = delivery("k-0")
            #expect(try await WebhookEvents.store(earlier, on: db) == .stored)

            let deliveries = (1...20).flatMap { [delivery("k-\($0)"), delivery("k-\($0)")] } + [delivery("k-0")]
                + (1...5).map { delivery("own-\($0)", ownWrite: true) }
            let writer = WebhookEvents.Writer(db: db, maxBatch: 16)
            let outcomes = try await withThrowingTaskGroup(of: WebhookEvents.Stored.self) { group in
                for event in deliveries.shuffled() { group.addTask { try await writer.store(event) } }
                return try await group.reduce(into: [WebhookEvents.Stored]()) { $0.append($1) }
            }
            #expect(outcomes.count(where: { $0 == .stored }) == 25)  // k-1…k-20 once each, and the five own writes
            #expect(outcomes.count(where: { $0 == .duplicate }) == 21)  // the 20 repeats and k-0
            let events = try await WebhookEvents.recent(in: org, limit: 100, on: db)
            #expect(events.count == 26 && Set(events.map(\.key)).count == 26)
            let jobs = try await Outbox.jobs(in: org, on: db)
            #expect(jobs.allSatisfy { $0.kind == .processWebhook && $0.state == .pending && $0.nextAttemptAt == now })
            let named = try jobs.flatMap { try JSONDecoder().decode(WebhookEvents.ProcessPayload.self, from: Data($0.payload.utf8)).event_ids }
            // Each of the 21 queued events (k-0…k-20) in exactly one job; no own write, no duplicate's unstored id.
            #expect(named.count == 21 && Set(named) == Set(events.filter { $0.outcome == .queued }.map(\.id)))

            // One write of several organisations' events: one job for each, naming its own new events only.
            let second = try await Accounts.organisation(named: "Second Ltd", on: db).domain.id
            let secondConnection = try await Self.connect(second, email: "admin@b.example", clientID: "cid2", on: db)
            var theirs = (1...3).map { delivery("b-\($0)") }
            for index in theirs.indices {
                theirs[index].organisationID = second
                theirs[index].connectionID = secondConnection
            }
            let ours = (21...25).map { delivery("k-\($0)") } + [delivery("k-1"), delivery("own-6", ownWrite: true)]
            let stored = try await WebhookEvents.store((ours + theirs).shuffled(), on: db)
            #expect(stored.count == 9)  // k-21…k-25, own-6 and b-1…b-3; k-1 was stored before
            for (organisation, expected) in [(org, ours.prefix(5)), (second, theirs[...])] {
                let new = try await Outbox.jobs(in: organisation, on: db).filter { job in !jobs.contains { $0.id == job.id } }
                #expect(new.count == 1)
                let payload = try JSONDecoder().decode(WebhookEvents.ProcessPayload.self, from: Data(new[0].payload.utf8))
                #expect(Set(payload.event_ids) == Set(expected.map(\.id)))
            }
        }
    }

    /// A `webhook.process` job processes each event it names once, with its company's setting as it is when the job
    /// runs: a PO event queues a pull, a vendor event a reference read, an unlinked company's event is ignored with a
    /// reason. A second job naming events already processed, or another organisation's, changes nothing.
    @Test(arguments: TestDatabase.kinds)
    func aWebhookJob_processesEachEventItNamesOnce(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let db = database.db
            let org = try await Fixture.make(on: db).organisation.id
            let box = try SecretBox(base64Key: SecretBox.generateKey())
            let connection = try await Self.connect(org, email: "admin@a.example", on: db)
            var row = ProcoreCompanyLink(organisationID: org, connectionID: connection, procoreCompanyID: 42, name: "Kauri", isLinked: true)
            row.purchaseOrderSource = .procore
            try await ProcoreSettings.insert(row, on: db)
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            func event(_ key: String, _ resource: String, company: Int64) -> WebhookEvents.Event {
                WebhookEvents.Event(
                    organisationID: org, connectionID: connection, key: key, resourceName: resource, eventType: "update",
                    resourceID: 501, companyID: company, projectID: 7, sourceApplicationID: nil, payload: "{}", outcome: .queued,
                    receivedAt: now)
            }
            let po = event("e-po", "Purchase Order Contracts", company: 42)
            let vendors = event("e-vendor", "Company Vendors", company: 42)
            let unlinked = event("e-other-company", "Purchase Order Contracts", company: 99)
            _ = try await WebhookEvents.store([po, vendors, unlinked], on: db)
            #expect(try await Outbox.jobs(in: org, on: db).map(\.kind) == [.processWebhook])
            // The worker runs what is due at its clock: the jobs queued here are not (they would call Procore).
            func worker(at date: Date) -> SyncWorker {
                SyncEngine(
                    sessions: ProcoreSessions(connector: ProcoreConnector(secrets: box)),
                    hooks: HookRegistration(webhookURL: { _ in "https://ap.example.com/hook" }, secrets: box), now: { date }).worker(db: db)
            }
            #expect(try await worker(at: now).runOnce().done == 1)
            func outcome(_ event: WebhookEvents.Event) async throws -> String? {
                try await (db as! any SQLDatabase).raw("SELECT outcome FROM webhook_events WHERE id = \(bind: event.id)").first()?
                    .decode(column: "outcome", as: String.self)
            }
            #expect(try await outcome(po) == "queued po.pull")
            #expect(try await outcome(vendors) == "queued reference.sync")
            #expect(try await outcome(unlinked) == "ignored: the company is not linked")
            func pending() async throws -> [SyncJob] { try await Outbox.jobs(in: org, filter: .init(state: .pending), on: db) }
            let queued = try await pending()
            #expect(queued.map(\.kind.rawValue).sorted() == ["po.pull", "reference.sync"])

            // Again, naming the same events and another organisation's: nothing more is queued, nothing changes.
            let second = try await Accounts.organisation(named: "Second Ltd", on: db).domain.id
            let theirs = WebhookEvents.Event(
                organisationID: second, connectionID: try await Self.connect(second, email: "admin@b.example", on: db), key: "e-theirs",
                resourceName: "Purchase Order Contracts", eventType: "update", resourceID: 502, companyID: 42, projectID: 7,
                sourceApplicationID: nil, payload: "{}", outcome: .queued, receivedAt: now)
            #expect(try await WebhookEvents.store(theirs, on: db) == .stored)
            try await (db as! any SQLDatabase).raw("DELETE FROM outbox_jobs WHERE organisation_id = \(bind: second.rawValue)").run()
            let again = WebhookEvents.ProcessPayload(event_ids: [po.id, vendors.id, unlinked.id, theirs.id])
            let earlier = now.addingTimeInterval(-60)
            try await Outbox.enqueue(SyncJob(
                organisationID: org, kind: .processWebhook, payload: String(decoding: try JSONEncoder().encode(again), as: UTF8.self),
                nextAttemptAt: earlier, createdAt: earlier), on: db)
            #expect(try await worker(at: earlier).runOnce().done == 1)
            #expect(Set(try await pending().map(\.id)) == Set(queued.map(\.id)))
            #expect(try await outcome(theirs) == "queued")
            #expect(try await outcome(po) == "queued po.pull")

            // A job none of whose events exist fails with a message saying so.
            try await Outbox.enqueue(SyncJob(
                organisationID: org, kind: .processWebhook, payload: #"{"event_ids":["\#(UUID().lowercasedText)"]}"#,
                nextAttemptAt: earlier, createdAt: earlier), on: db)
            #expect(try await worker(at: earlier).runOnce().failed == 1)
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func savingACompanyRow_queuesTheWorkTheSwitchImplies(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let db = database.db
            let fixture = try await Fixture.make(on: db)
            let org = fixture.organisation.id
            let box = try SecretBox(base64Key: SecretBox.generateKey())
            let admin = try await Accounts.createUser(
                organisation: org, email: "admin@a.example", name: "Admin", role: .administrator, passwordHash: "x", on: db)
            let connection = try await ProcoreSettings.saveConnection(
                .init(environment: .production, clientID: "cid", clientSecret: "s", grantType: .clientCredentials, redirectURI: nil, serviceCompanyID: nil),
                organisation: org, actor: admin, secrets: box, now: Date(), on: db)
            var row = ProcoreCompanyLink(organisationID: org, connectionID: .init(connection.id), procoreCompanyID: 42, name: "Kauri")
            try await ProcoreSettings.insert(row, on: db)
            try await ProjectRecord.query(on: db).filter(\.$id == fixture.project.id.rawValue).set(\.$procoreCompanyLinkID, to: row.id.rawValue).update()
            var approved = fixture.purchaseOrder(number: "PO-1")
            approved.status = .approved
            try await PurchaseOrders.insert(approved, on: db)
            try await PurchaseOrders.insert(fixture.purchaseOrder(number: "PO-2"), on: db)  // a draft: sent once approved
            func kinds() async throws -> [String] {
                try await Outbox.jobs(in: org, filter: .init(state: .pending), on: db).map(\.kind.rawValue).sorted()
            }
            // Linked on Lentune purchase order: hooks, reference data, and a push of the approved PO (not of the draft).
            row.isLinked = true
            row.purchaseOrderSource = .lentune
            var saved = try await ProcoreSettings.save(row, expectedVersion: 1, actor: admin, now: Date(), on: db)
            #expect(try await kinds() == ["hooks.register", "po.push", "reference.sync"])
            // Switched to Procore: the push is cancelled and an import queued.
            row.purchaseOrderSource = .procore
            saved = try await ProcoreSettings.save(row, expectedVersion: saved.version, actor: admin, now: Date(), on: db)
            #expect(try await kinds() == ["hooks.register", "po.import", "reference.sync"])
            #expect(try await Outbox.jobs(in: org, filter: .init(state: .cancelled), on: db).map(\.kind) == [.pushPurchaseOrder])
            // Neither: no PO jobs at all.
            row.purchaseOrderSource = .none
            saved = try await ProcoreSettings.save(row, expectedVersion: saved.version, actor: admin, now: Date(), on: db)
            #expect(try await kinds() == ["hooks.register", "reference.sync"])
            // Unlinked: the hook is removed.
            row.isLinked = false
            _ = try await ProcoreSettings.save(row, expectedVersion: saved.version, actor: admin, now: Date(), on: db)
            #expect(try await kinds().contains("hooks.unregister"))
        }
    }

    @Test func retryPolicy_fullJitter_capAndServerWait() {
        let policy = RetryPolicy(base: .seconds(2), cap: .seconds(60), maxAttempts: 5)
        #expect(policy.decision(afterAttempt: 1, unit: 0.999) == .retry(after: .seconds(2) * 0.999))
        #expect(policy.decision(afterAttempt: 4, unit: 1) == .retry(after: .seconds(16)))
        #expect(policy.decision(afterAttempt: 4, serverWait: .seconds(40), unit: 0) == .retry(after: .seconds(40)))
        #expect(policy.decision(afterAttempt: 3, serverWait: .seconds(7200), unit: 0) == .retry(after: .seconds(60)))
        #expect(policy.decision(afterAttempt: 5, unit: 0.5) == .giveUp)
        // Never traps on absurd attempt counts.
        #expect(RetryPolicy(maxAttempts: .max).decision(afterAttempt: .max - 1, unit: 1) == .retry(after: .seconds(3600)))
    }
}

import Logging
import ServiceLifecycle

@Suite struct ShutdownTests {
    /// SIGTERM (a graceful shutdown) while jobs run: the running job finishes, the ones not started stay due, none is
    /// lost; past the grace period a job still running is handed back: due at once, the attempt not counted.
    @Test(arguments: TestDatabase.kinds)
    func gracefulShutdown_losesNoJob(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let db = database.db
            let org = try await Fixture.make(on: db).organisation.id
            let clock = EngineTests.Clock()
            let started = Mutex(0)
            var handlers = JobHandlers()
            handlers[.noop] = { _, _ in
                started.withLock { $0 += 1 }
                try await Task.sleep(for: .milliseconds(300))
            }
            for _ in 0..<10 { try await Outbox.enqueue(EngineTests.job(org, at: clock.now), on: db) }
            var worker = EngineTests.worker(db, handlers, clock: clock, name: "w")
            worker.concurrency = 2
            let service = SyncWorkerService(worker: worker, idle: .milliseconds(20), batch: 2)
            let group = ServiceGroup(services: [service], logger: Logger(label: "test"))
            let running = Task { try await group.run() }
            try await waitUntil("a job to start") { started.withLock { $0 } > 0 }
            await group.triggerGracefulShutdown()
            try await awaitTask(running, "the worker stopping")
            let jobs = try await Outbox.jobs(in: org, on: db)
            #expect(jobs.count == 10)
            #expect(jobs.allSatisfy { $0.state == .done || $0.state == .pending })
            #expect(jobs.filter { $0.state == .done }.count == started.withLock { $0 })
            #expect(jobs.filter { $0.state == .pending }.allSatisfy { $0.lockedBy == nil && $0.attempts == 0 })
            #expect(jobs.contains { $0.state == .pending })

            // Cancelled past the grace period: the job is released, due at once, its attempt not counted.
            let slowStarted = Mutex(false)
            handlers[.noop] = { _, _ in
                slowStarted.withLock { $0 = true }
                try await Task.sleep(for: .seconds(3600))
            }
            let slow = SyncWorker(
                name: "slow", db: db, handlers: handlers, sessions: worker.sessions, lease: .seconds(60), concurrency: 1,
                now: { clock.now })
            let task = Task { try await slow.runOnce(limit: 1) }
            try await waitUntil("the slow job to start") { slowStarted.withLock { $0 } }
            let held = try #require(try await Outbox.jobs(in: org, filter: .init(state: .running), on: db).first)
            #expect(held.attempts == 1 && held.lockedBy == "slow")
            task.cancel()
            _ = try await awaitTask(task, "the cancelled run")
            let released = try #require(try await Outbox.job(held.id, on: db))
            #expect(released.state == .pending && released.lockedBy == nil && released.lockedUntil == nil)
            #expect(released.attempts == 0, "the attempt of a job handed back is not counted")
            #expect(released.nextAttemptAt == clock.now, "a job handed back is due at once")
            #expect(try await Outbox.jobs(in: org, filter: .init(state: .running), on: db).isEmpty)
        }
    }

    /// `lentune serve` and `lentune worker` give running jobs 30 s after SIGTERM, then cancel them: the process stops
    /// and the jobs are handed back (due at once, the attempt not counted). Without that escalation a job that does not
    /// end would hold the process, and its job, for good. The grace is shortened here; the group is the one both build.
    @Test(arguments: TestDatabase.kinds)
    func pastTheGracePeriod_theProcessStops_andItsRunningJobIsHandedBack(kind: TestDatabase.Kind) async throws {
        #expect(SyncWorkerService.shutdownGrace == .seconds(30))  // docs/SYNC.md: "within 30 s"
        try await TestDatabase.with(kind) { database in
            let db = database.db
            let org = try await Fixture.make(on: db).organisation.id
            let clock = EngineTests.Clock()
            let started = Mutex(false)
            var handlers = JobHandlers()
            handlers[.noop] = { _, _ in
                started.withLock { $0 = true }
                try await Task.sleep(for: .seconds(3600))  // would outlive any grace
            }
            let job = EngineTests.job(org, at: clock.now)
            try await Outbox.enqueue(job, on: db)
            let service = SyncWorkerService(worker: EngineTests.worker(db, handlers, clock: clock, name: "w"), idle: .milliseconds(20))
            let group = ServiceGroup(configuration: SyncWorkerService.group(
                [service], logger: Logger(label: "test"), handlingSignals: false, grace: .milliseconds(300)))
            let running = Task { try await group.run() }
            try await waitUntil("the job to start") { started.withLock { $0 } }
            await group.triggerGracefulShutdown()
            try await awaitTask(running, "the service group stopping once its grace period is over", within: .seconds(20))
            let stored = try #require(try await Outbox.job(job.id, on: db))
            #expect(stored.state == .pending && stored.lockedBy == nil)
            #expect(stored.attempts == 0 && stored.nextAttemptAt == clock.now)
        }
    }
}
