import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import Logging
import Metrics
import Synchronization

/// What a job handler gets: the database, the clock and the Procore clients of this process, and, for handlers that
/// batch (a push of many POs of one project in one Procore call), a way to take more due jobs of the same kind and
/// company and to settle each of them.
public struct JobContext: Sendable {
    public var db: any Database
    public var now: @Sendable () -> Date
    public var sessions: ProcoreSessions
    public var logger: Logger
    /// Claims up to `limit` more due jobs of `kind` for `companyLink`, held by this worker like the one running.
    public var claimMore: @Sendable (_ kind: SyncJob.Kind, _ companyLink: ProcoreCompanyLink.ID, _ limit: Int) async throws -> [SyncJob] = { _, _, _ in [] }
    /// Records the outcome of a job taken with `claimMore` (nil: done), as the worker records its own.
    public var settle: @Sendable (_ job: SyncJob, _ error: SyncError?) async -> Void = { _, _ in }
    /// Is this run the job's last attempt (a transient failure now stops it at failed)?
    public var isLastAttempt: @Sendable (_ job: SyncJob) -> Bool = { _ in false }
}

/// The code that runs each kind of job. A kind without a handler fails permanently with a message saying so.
public struct JobHandlers: Sendable {
    public typealias Handler = @Sendable (SyncJob, JobContext) async throws -> Void
    var handlers: [SyncJob.Kind: Handler]

    public init(_ handlers: [SyncJob.Kind: Handler] = [:]) { self.handlers = handlers }

    public subscript(kind: SyncJob.Kind) -> Handler? {
        get { handlers[kind] }
        set { handlers[kind] = newValue }
    }
}

/// Claims due jobs and runs them (STYLE §11): `runOnce(limit:)` is the unit tests call; `SyncWorkerService` repeats it.
public struct SyncWorker: Sendable {
    public var name: String
    public var db: any Database
    public var handlers: JobHandlers
    public var sessions: ProcoreSessions
    public var policy: RetryPolicy
    /// How long a claim holds a job; a worker that dies mid-job loses it after this.
    public var lease: Duration
    /// Jobs run at once by one `runOnce` (a small width: Procore's limits are per client, STYLE §12).
    public var concurrency: Int
    /// A job still running after this is taken to be hung: the worker stops waiting for it and its lease is no longer
    /// renewed, so once it lapses another worker takes the job, and the hung run, should it ever end, cannot record over
    /// the new one. Six hours is far beyond a company's PO import at Procore's limits (5,000 commitments take about an
    /// hour).
    public var maxRunTime: Duration = .seconds(6 * 3600)
    /// Told when a run the worker stopped waiting for (past `maxRunTime`) ends after all, with its outcomes and whether
    /// each was recorded (it is not when another worker has taken the job over meanwhile). Logs by default.
    public var abandonedRunEnded: @Sendable (_ jobs: [SyncJob.ID], _ outcomes: [(Outbox.Outcome, Bool)]) -> Void
    public var now: @Sendable () -> Date
    public var random: @Sendable () -> Double
    public var logger: Logger

    public init(
        name: String = SyncWorker.defaultName(), db: any Database, handlers: JobHandlers, sessions: ProcoreSessions,
        policy: RetryPolicy = RetryPolicy(), lease: Duration = .seconds(120), concurrency: Int = 4,
        now: @escaping @Sendable () -> Date = { Date() }, random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        logger: Logger = Logger(label: "lentune.worker")
    ) {
        self.name = name
        self.db = db
        self.handlers = handlers
        self.sessions = sessions
        self.policy = policy
        self.lease = lease
        self.concurrency = max(1, concurrency)
        self.now = now
        self.random = random
        self.logger = logger
        self.abandonedRunEnded = { [logger] jobs, outcomes in
            logger.warning(
                "a job run the worker had stopped waiting for has ended",
                metadata: ["jobs": "\(jobs.map(\.description))", "recorded": "\(outcomes.map(\.1))"])
        }
    }

    /// `host:pid:random`, unique per worker so a lease names its holder.
    public static func defaultName() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8))"
    }

    public struct Summary: Sendable, Equatable {
        public var claimed = 0
        public var done = 0
        public var retried = 0
        public var failed = 0
        public var cancelled = 0
        /// Ended with their record held (`SyncJob.State.held`).
        public var held = 0
        /// Finished after the lease was lost: the outcome was not recorded (the new owner's stands).
        public var lostLeases = 0
        /// Still running after `maxRunTime`: the worker stopped waiting for them and went on; their leases lapse, so
        /// another worker takes them over.
        public var abandoned = 0

        public init() {}
    }

    /// Claims up to `limit` due jobs and runs them, at most `concurrency` at once; returns what happened.
    @discardableResult
    public func runOnce(limit: Int = 32) async throws -> Summary {
        let claimed = try await Outbox.claim(limit: limit, worker: name, lease: lease, now: now(), on: db)
        var summary = Summary()
        summary.claimed = claimed.count
        guard !claimed.isEmpty else { return summary }
        let units = Self.units(claimed)
        let leases = Leases(claimed.map(\.id))
        let heartbeat = Task { await keepLeased(leases) }
        defer { heartbeat.cancel() }
        let outcomes = await withTaskGroup(of: [(Outbox.Outcome, Bool)]?.self) { group in
            var iterator = units.makeIterator()
            var results: [(Outbox.Outcome, Bool)] = []
            for _ in 0..<concurrency {
                guard let unit = iterator.next() else { break }
                group.addTask { await runBounded(unit, leases: leases) }
            }
            while let result = await group.next() {
                if let result { results += result } else { summary.abandoned += 1 }
                if let unit = iterator.next() { group.addTask { await runBounded(unit, leases: leases) } }
            }
            return results
        }
        for (outcome, recorded) in outcomes {
            guard recorded else {
                summary.lostLeases += 1
                continue
            }
            switch outcome {
            case .done: summary.done += 1
            case .retry: summary.retried += 1
            case .failed: summary.failed += 1
            case .cancelled: summary.cancelled += 1
            case .held: summary.held += 1
            case .released: break
            }
        }
        return summary
    }

    /// Kinds whose handler sends many jobs of one company at once (`JobContext.claimMore`).
    static let batched: Set<SyncJob.Kind> = [.pushPurchaseOrder]

    /// The claimed jobs as units of work: a batched kind's jobs of one company go to one handler run (up to
    /// `PurchaseOrderJobs.batchSize`), every other job runs alone.
    static func units(_ claimed: [SyncJob]) -> [(leader: SyncJob, siblings: [SyncJob])] {
        var units: [(leader: SyncJob, siblings: [SyncJob])] = []
        var open: [String: Int] = [:]
        for job in claimed {
            if batched.contains(job.kind), let link = job.companyLinkID {
                let key = "\(job.kind.rawValue):\(link)"
                if let index = open[key], units[index].siblings.count < PurchaseOrderJobs.batchSize - 1 {
                    units[index].siblings.append(job)
                    continue
                }
                open[key] = units.count
            }
            units.append((job, []))
        }
        return units
    }

    /// The jobs one `runOnce` holds: claimed, or taken by a batch handler, and not finished yet.
    final class Leases: Sendable {
        /// Each job held, with when this run took it.
        private let since: Mutex<[SyncJob.ID: ContinuousClock.Instant]>
        init(_ ids: [SyncJob.ID]) { since = Mutex(Dictionary(ids.map { ($0, .now) }, uniquingKeysWith: { first, _ in first })) }
        func add(_ more: [SyncJob.ID]) { since.withLock { for id in more where $0[id] == nil { $0[id] = .now } } }
        func remove(_ id: SyncJob.ID) { _ = since.withLock { $0.removeValue(forKey: id) } }

        /// The jobs held for less than `limit`, to renew; those held longer are let go (and not renewed again).
        func renewable(within limit: Duration) -> [SyncJob.ID] {
            since.withLock { since in
                since = since.filter { ContinuousClock.now - $0.value < limit }
                return Array(since.keys)
            }
        }
    }

    /// Renews the lease of every job still held, every third of a lease, until cancelled: a job that runs longer than
    /// one lease (a reference import, a company's PO import at Procore's limits) is never taken by another worker
    /// meanwhile. A renewal that finds a lease gone is logged. A job running longer than `maxRunTime` is taken to be
    /// hung: its lease is left to lapse, so another worker takes it over.
    func keepLeased(_ leases: Leases) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: lease / 3)
            // A job past the limit is not renewed (`runBounded` stops waiting for it and says so).
            let ids = leases.renewable(within: maxRunTime)
            guard !Task.isCancelled, !ids.isEmpty else { continue }
            do {
                let held = try await Outbox.renew(ids, worker: name, lease: lease, now: now(), on: db)
                if held.count < ids.count {
                    logger.warning("job lease lost while running", metadata: ["jobs": "\(Set(ids).subtracting(held).map(\.description).sorted())"])
                }
            } catch {
                logger.warning("job leases not renewed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Runs a unit of work, but waits for it no longer than `maxRunTime`: a handler that hangs (and does not stop when
    /// cancelled) would otherwise hold this worker's `runOnce`, and so the worker, for good. Past the limit the run is
    /// cancelled and left behind (nil): its leases are no longer renewed, so another worker takes its jobs over, and if
    /// it ends after all, its outcome is recorded only where nobody has taken the job meanwhile.
    func runBounded(_ unit: (leader: SyncJob, siblings: [SyncJob]), leases: Leases) async -> [(Outbox.Outcome, Bool)]? {
        let jobs = [unit.leader.id] + unit.siblings.map(\.id)
        let work = Task { await run(unit.leader, with: unit.siblings, leases: leases) }
        let ended = abandonedRunEnded
        let result = await withTaskCancellationHandler {
            await Self.value(of: work, within: maxRunTime, orLater: { ended(jobs, $0) })
        } onCancel: {
            work.cancel()  // shutdown past its grace period: the handler is asked to stop, and its jobs are released
        }
        if let result { return result }
        work.cancel()
        for job in jobs { leases.remove(job) }
        logger.error(
            "job still running past the worker's limit; the worker goes on without it, and its lease lapses so that another worker takes it over",
            metadata: ["jobs": "\(jobs.map(\.description))", "limit": "\(maxRunTime)"])
        return nil
    }

    /// The task's value, or nil if it has none within `limit`; the task goes on, and `late` gets its value if it ends.
    static func value<T: Sendable>(of work: Task<T, Never>, within limit: Duration, orLater late: @escaping @Sendable (T) -> Void) async -> T? {
        let first = FirstOnly()
        return await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
            let timer = Task {
                try? await Task.sleep(for: limit)
                if !Task.isCancelled, first.claim() { continuation.resume(returning: nil) }
            }
            Task {
                let value = await work.value
                timer.cancel()
                if first.claim() { continuation.resume(returning: value) } else { late(value) }
            }
        }
    }

    /// Lets exactly one of two racers resume a continuation.
    final class FirstOnly: Sendable {
        private let taken = Mutex(false)
        func claim() -> Bool { taken.withLock { taken in defer { taken = true }; return !taken } }
    }

    /// Runs one claimed job (with the siblings claimed alongside it, for a batched kind) and records the outcomes;
    /// `false` in a pair when that job's lease was lost meanwhile.
    func run(_ job: SyncJob, with siblings: [SyncJob] = [], leases: Leases) async -> [(Outbox.Outcome, Bool)] {
        let started = ContinuousClock.now
        let outcome: Outbox.Outcome
        let settled = Mutex<[(Outbox.Outcome, Bool)]>([])
        let handed = Mutex(siblings)
        if Task.isCancelled {
            outcome = .released
        } else if let handler = handlers[job.kind] {
            do {
                var context = JobContext(db: db, now: now, sessions: sessions, logger: logger)
                context.claimMore = { [name, lease, now, db] kind, link, limit in
                    // The siblings claimed with this job first, then more due ones from the outbox.
                    let taken = handed.withLock { list in
                        let mine = list.filter { $0.kind == kind && $0.companyLinkID == link }.prefix(limit)
                        list.removeAll { job in mine.contains { $0.id == job.id } }
                        return Array(mine)
                    }
                    guard taken.count < limit else { return taken }
                    let more = try await Outbox.claim(
                        limit: limit - taken.count, worker: name, lease: lease, now: now(), kinds: [kind], companyLink: link, on: db)
                    leases.add(more.map(\.id))
                    return taken + more
                }
                context.isLastAttempt = { [policy] job in job.attempts >= policy.maxAttempts }
                context.settle = { [self] other, error in
                    let outcome = error.map { self.outcome(of: $0, job: other) } ?? .done
                    leases.remove(other.id)
                    let recorded = await self.record(other, outcome, started: ContinuousClock.now)
                    settled.withLock { $0.append((outcome, recorded)) }
                }
                try await handler(job, context)
                outcome = .done
            } catch {
                // Cancelled at shutdown (past the grace period): handed back, due at once, the attempt not counted.
                if let database = DatabaseFailure(error) {
                    logger.warning("job met a database error", metadata: [
                        "job": "\(job.id)", "kind": "\(job.kind.rawValue)", "sqlstate": "\(database.sqlState ?? "-")",
                        "constraint": "\(database.constraint ?? "-")", "table": "\(database.table ?? "-")",
                    ])
                }
                outcome = Task.isCancelled ? .released : self.outcome(of: SyncError(any: error, job: job), job: job)
            }
        } else {
            outcome = .failed(error: "No handler for \(job.kind.rawValue) jobs in this version of Lentune.")
        }
        // Siblings the handler did not take (it failed before asking) are handed back, due at once.
        for other in handed.withLock({ $0 }) {
            leases.remove(other.id)
            let recorded = await record(other, .released, started: started)
            settled.withLock { $0.append((.released, recorded)) }
        }
        leases.remove(job.id)
        let own = (outcome, await record(job, outcome, started: started))
        return [own] + settled.withLock { $0 }
    }

    /// Writes a job's outcome (unless the lease was lost), counts it, logs a failure; `false` when not recorded.
    func record(_ job: SyncJob, _ outcome: Outbox.Outcome, started: ContinuousClock.Instant) async -> Bool {
        let recorded = (try? await Outbox.finish(job.id, worker: name, outcome, now: now(), on: db)) ?? false
        SyncMetrics.jobFinished(kind: job.kind, outcome: outcome, recorded: recorded, since: started, queuedSince: job.nextAttemptAt, claimedAt: now())
        if case .failed(let error) = outcome {
            logger.warning("job failed", metadata: ["job": "\(job.id)", "kind": "\(job.kind.rawValue)", "error": "\(error)"])
        }
        return recorded
    }

    func outcome(of error: SyncError, job: SyncJob) -> Outbox.Outcome {
        switch error {
        case .permanent(let message):
            return .failed(error: message)
        case .cancelled(let reason):
            return .cancelled(reason: reason)
        case .held(let reason):
            return .held(reason: reason)
        case .transient(let message, let retryAfter):
            switch policy.decision(afterAttempt: job.attempts, serverWait: retryAfter, unit: random()) {
            case .retry(let wait): return .retry(at: now().addingTimeInterval(wait.seconds), error: message)
            case .giveUp: return .failed(error: "Gave up after \(job.attempts) attempts: \(message)")
            }
        }
    }
}

/// `/metrics` for the engine: job outcomes by kind, run time, claim delay, webhook events.
public enum SyncMetrics {
    static func jobFinished(
        kind: SyncJob.Kind, outcome: Outbox.Outcome, recorded: Bool, since start: ContinuousClock.Instant, queuedSince: Date,
        claimedAt: Date
    ) {
        let name: String =
            switch outcome {
            case .done: "done"
            case .retry: "retry"
            case .failed: "failed"
            case .cancelled: "cancelled"
            case .held: "held"
            case .released: "released"
            }
        Counter(label: "lentune_sync_jobs_total", dimensions: [("kind", kind.rawValue), ("outcome", recorded ? name : "lease_lost")]).increment()
        let elapsed = ContinuousClock.now - start
        Metrics.Timer(label: "lentune_sync_job_duration_seconds", dimensions: [("kind", kind.rawValue)])
            .recordNanoseconds(Int64(elapsed.seconds * 1e9))
    }

    /// A webhook delivery: `received`, `deduplicated`, `rejected` (bad Authorization or body), `own_write`.
    public static func webhook(_ outcome: String) {
        Counter(label: "lentune_webhook_events_total", dimensions: [("outcome", outcome)]).increment()
    }

    /// Queue depth by state (set by whoever reads it: the metrics endpoint).
    public static func queueDepth(_ depth: [SyncJob.State: Int]) {
        for state in SyncJob.State.allCases {
            Gauge(label: "lentune_outbox_jobs", dimensions: [("state", state.rawValue)]).record(depth[state] ?? 0)
        }
    }
}
