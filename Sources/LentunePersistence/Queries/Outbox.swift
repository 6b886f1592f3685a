import FluentKit
import FluentSQL
import Foundation
import LentuneCore

/// The outbox: jobs are rows, written in the same transaction as the change they follow (DESIGN.md §2.2, STYLE §10).
///
/// A worker claims due jobs with one `UPDATE … RETURNING` that sets a lease (`locked_by`, `locked_until`); on
/// PostgreSQL the candidate rows are read `FOR UPDATE SKIP LOCKED`, so concurrent workers take different jobs; on
/// SQLite the statement runs under the process's single writer. A job whose lease ran out (its worker died) is due
/// again. Every outcome is written `WHERE locked_by = <worker> AND state = 'running'`, so a worker that lost its
/// lease cannot finish a job over its new owner.
public enum Outbox {
    /// Queues `job` (inside the caller's transaction). With a `dedupeKey` that a pending or running job already has,
    /// nothing is added and the answer is `false`; a *running* one is marked to run again when it finishes (it may
    /// have read what it acts on before this change), so no change is lost to the deduplication.
    @discardableResult
    public static func enqueue(_ job: SyncJob, on db: any Database) async throws -> Bool {
        let sql = db as! any SQLDatabase
        let rows = try await sql.raw("""
            INSERT INTO outbox_jobs (id, organisation_id, company_link_id, kind, payload, dedupe_key, state, attempts,
                next_attempt_at, created_at, updated_at)
            VALUES (\(bind: job.id.rawValue), \(bind: job.organisationID.rawValue), \(bind: job.companyLinkID?.rawValue),
                \(bind: job.kind.rawValue), \(bind: job.payload), \(bind: job.dedupeKey), 'pending', 0,
                \(bind: job.nextAttemptAt), \(bind: job.createdAt), \(bind: job.createdAt))
            ON CONFLICT (dedupe_key) WHERE state IN ('pending', 'running') DO NOTHING
            RETURNING id
            """).all()
        if rows.isEmpty, let key = job.dedupeKey {
            try await sql.raw("""
                UPDATE outbox_jobs SET rerun = \(bind: true) WHERE dedupe_key = \(bind: key) AND state = 'running'
                """).run()
        }
        return !rows.isEmpty
    }

    /// Claims up to `limit` due jobs for `worker` until `now + lease`: pending ones whose time has come, and running
    /// ones whose lease expired. Each claim counts as an attempt.
    public static func claim(
        limit: Int, worker: String, lease: Duration, now: Date, kinds: [SyncJob.Kind]? = nil, companyLink: ProcoreCompanyLink.ID? = nil,
        on db: any Database
    ) async throws -> [SyncJob] {
        let sql = db as! any SQLDatabase
        let until = now.addingTimeInterval(lease.seconds)
        let postgres = sql.dialect.name == "postgresql"
        var candidates: SQLQueryString = """
            SELECT id FROM outbox_jobs
            WHERE ((state = 'pending' AND next_attempt_at <= \(bind: now)) OR (state = 'running' AND locked_until < \(bind: now)))
            """
        if let kinds { candidates = "\(candidates) AND kind IN (\(binds: kinds.map(\.rawValue)))" }
        if let companyLink { candidates = "\(candidates) AND company_link_id = \(bind: companyLink.rawValue)" }
        candidates = "\(candidates) ORDER BY next_attempt_at, created_at LIMIT \(literal: max(1, limit))"
        if postgres { candidates = "\(candidates) FOR UPDATE SKIP LOCKED" }
        // PostgreSQL: `id = ANY(ARRAY(…))` makes the candidates an InitPlan, read (and locked) once, then the rows
        // found by primary key. `id IN (…)` let the planner pick a semi join that re-ran the candidates' query for
        // every row of the table when its statistics were stale (a burst of jobs into a table analysed empty): a claim
        // of 64 from 20,000 new jobs took 440 ms and claimed 107, and a bench drain fell from 5,000 to 298 jobs/s.
        let chosen: SQLQueryString = postgres ? "id = ANY(ARRAY(\(candidates)))" : "id IN (\(candidates))"
        let statement: SQLQueryString = """
            UPDATE outbox_jobs SET state = 'running', locked_by = \(bind: worker), locked_until = \(bind: until),
                attempts = attempts + 1, updated_at = \(bind: now)
            WHERE \(chosen)
            RETURNING \(unsafeRaw: columns)
            """
        let run: @Sendable (any Database) async throws -> [SyncJob] = { tx in
            try await (tx as! any SQLDatabase).raw(statement).all().map(job)
        }
        // SQLite: one writer at a time makes the read-and-update a compare-and-set.
        return postgres ? try await run(db) : try await db.writeTransaction(run)
    }

    public enum Outcome: Sendable, Equatable {
        case done
        /// Due again at `at` with the reason.
        case retry(at: Date, error: String)
        /// Stopped with the reason (permanent, or attempts exhausted).
        case failed(error: String)
        /// No longer wanted (the setting changed), with the reason.
        case cancelled(reason: String)
        /// Its record waits for something in Procore, with the reason (`SyncJob.State.held`).
        case held(reason: String)
        /// Handed back unfinished (shutdown): due at once, the attempt not counted.
        case released
    }

    /// Records what happened to a job `worker` holds. `false` when the worker no longer holds it (its lease expired
    /// and another worker claimed it): nothing is written then. Whatever the outcome, a job marked to run again
    /// (`rerun`: the same key was queued while it ran) is pending again, due at once: no outcome swallows a change
    /// queued while the job ran (DESIGN.md §2.2a).
    @discardableResult
    public static func finish(_ id: SyncJob.ID, worker: String, _ outcome: Outcome, now: Date, on db: any Database) async throws -> Bool {
        let sql = db as! any SQLDatabase
        let set: SQLQueryString
        switch outcome {
        case .done:
            // Marked to run again (queued while it ran): due at once instead of done.
            set = """
                state = CASE WHEN rerun THEN 'pending' ELSE 'done' END, last_error = NULL, next_attempt_at = \(bind: now),
                finished_at = CASE WHEN rerun THEN NULL ELSE \(bind: now) END, attempts = CASE WHEN rerun THEN 0 ELSE attempts END,
                rerun = \(bind: false)
                """
        case .retry(let at, let error):
            // A change queued while it ran is due at once, not after the backoff.
            set = """
                state = 'pending', next_attempt_at = CASE WHEN rerun THEN \(bind: now) ELSE \(bind: at) END,
                last_error = \(bind: String(error.prefix(4000))), rerun = \(bind: false)
                """
        case .failed(let error):
            // A change queued while it ran may be what it needed: due again instead of failed.
            set = """
                state = CASE WHEN rerun THEN 'pending' ELSE 'failed' END, last_error = \(bind: String(error.prefix(4000))),
                next_attempt_at = \(bind: now), finished_at = CASE WHEN rerun THEN NULL ELSE \(bind: now) END,
                attempts = CASE WHEN rerun THEN 0 ELSE attempts END, rerun = \(bind: false)
                """
        case .cancelled(let reason), .held(let reason):
            // The run found nothing to do with what it read, or its record must wait; a change queued meanwhile (the
            // PO approved again, its lines sent) may be what it needed: due again at once.
            let state = if case .held = outcome { "held" } else { "cancelled" }
            set = """
                state = CASE WHEN rerun THEN 'pending' ELSE \(bind: state) END, last_error = \(bind: String(reason.prefix(4000))),
                next_attempt_at = \(bind: now), finished_at = CASE WHEN rerun THEN NULL ELSE \(bind: now) END,
                attempts = CASE WHEN rerun THEN 0 ELSE attempts END, rerun = \(bind: false)
                """
        case .released:
            // Runs again anyway, so a rerun asked meanwhile is already honoured.
            set = "state = 'pending', next_attempt_at = \(bind: now), attempts = attempts - 1, rerun = \(bind: false)"
        }
        let rows = try await sql.raw("""
            UPDATE outbox_jobs SET \(set), locked_by = NULL, locked_until = NULL, updated_at = \(bind: now)
            WHERE id = \(bind: id.rawValue) AND locked_by = \(bind: worker) AND state = 'running'
            RETURNING id
            """).all()
        return !rows.isEmpty
    }

    /// Extends the lease of the jobs `worker` still holds to `now + lease` (a running job's heartbeat, so a job that
    /// runs longer than one lease is not claimed again by another worker); answers the ids still held.
    @discardableResult
    public static func renew(_ ids: [SyncJob.ID], worker: String, lease: Duration, now: Date, on db: any Database) async throws -> Set<SyncJob.ID> {
        guard !ids.isEmpty else { return [] }
        let rows = try await (db as! any SQLDatabase).raw("""
            UPDATE outbox_jobs SET locked_until = \(bind: now.addingTimeInterval(lease.seconds)), updated_at = \(bind: now)
            WHERE id IN (\(binds: ids.map(\.rawValue))) AND locked_by = \(bind: worker) AND state = 'running'
            RETURNING id
            """).all()
        return Set(try rows.map { SyncJob.ID(try $0.decode(column: "id", as: UUID.self)) })
    }

    /// Makes a failed or cancelled job of `organisation` pending again (the integration log's **Retry**).
    @discardableResult
    public static func retry(_ id: SyncJob.ID, in organisation: Organisation.ID, now: Date, on db: any Database) async throws -> Bool {
        try await requeue(where: "id = \(bind: id.rawValue)", organisation: organisation, now: now, on: db) > 0
    }

    /// **Retry selected**: these jobs of `organisation`, those failed, held or cancelled; how many.
    public static func retry(_ ids: [SyncJob.ID], in organisation: Organisation.ID, now: Date, on db: any Database) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try await requeue(where: "id IN (\(binds: ids.map(\.rawValue)))", organisation: organisation, now: now, on: db)
    }

    /// **Retry all failed**: every failed job of `organisation`; how many.
    public static func retryAllFailed(in organisation: Organisation.ID, now: Date, on db: any Database) async throws -> Int {
        try await requeue(where: "state = 'failed'", organisation: organisation, now: now, on: db)
    }

    private static func requeue(where condition: SQLQueryString, organisation: Organisation.ID, now: Date, on db: any Database) async throws -> Int {
        // A retried job whose key already waits again (queued since) is left as it was.
        try await (db as! any SQLDatabase).raw("""
            UPDATE outbox_jobs SET state = 'pending', attempts = 0, next_attempt_at = \(bind: now), finished_at = NULL,
                updated_at = \(bind: now)
            WHERE \(condition) AND organisation_id = \(bind: organisation.rawValue) AND state IN ('failed', 'cancelled', 'held')
                AND (dedupe_key IS NULL OR dedupe_key NOT IN (
                    SELECT dedupe_key FROM outbox_jobs WHERE state IN ('pending', 'running') AND dedupe_key IS NOT NULL))
            RETURNING id
            """).all().count
    }

    /// Cancels the pending jobs of these kinds for a company row (a switch made them pointless); how many.
    public static func cancelPending(
        kinds: [SyncJob.Kind], companyLink: ProcoreCompanyLink.ID, reason: String, now: Date, on db: any Database
    ) async throws -> Int {
        try await (db as! any SQLDatabase).raw("""
            UPDATE outbox_jobs SET state = 'cancelled', last_error = \(bind: reason), finished_at = \(bind: now), updated_at = \(bind: now)
            WHERE company_link_id = \(bind: companyLink.rawValue) AND state = 'pending' AND kind IN (\(binds: kinds.map(\.rawValue)))
            RETURNING id
            """).all().count
    }

    // MARK: - Reading

    public struct Filter: Sendable, Hashable {
        public var companyLink: ProcoreCompanyLink.ID?
        public var kind: SyncJob.Kind?
        public var state: SyncJob.State?
        public var since: Date?
        public var limit: Int
        /// The column the jobs are ordered by (the Integration log's headings), and its direction.
        public var sort: Sort
        public var ascending: Bool

        /// The most jobs one read returns (the Integration log's CSV export; the API allows 500).
        public static let maximumLimit = 10_001

        public init(
            companyLink: ProcoreCompanyLink.ID? = nil, kind: SyncJob.Kind? = nil, state: SyncJob.State? = nil, since: Date? = nil, limit: Int = 100,
            sort: Sort = .queued, ascending: Bool? = nil
        ) {
            self.companyLink = companyLink
            self.kind = kind
            self.state = state
            self.since = since
            self.limit = min(max(1, limit), Self.maximumLimit)
            self.sort = sort
            self.ascending = ascending ?? sort.startsAscending
        }
    }

    /// The Integration log's sortable columns: when queued (the default, newest first), company (its name), job kind,
    /// outcome (in the order a person reads them: waiting, running, done, held, failed, cancelled), attempts, and
    /// when it finished or, waiting, when it runs next.
    public enum Sort: String, Sendable, CaseIterable {
        case queued, company, kind, outcome, attempts, finished

        /// Newest, most tried and latest first; names and outcomes from the top.
        public var startsAscending: Bool { [.company, .kind, .outcome].contains(self) }

        var expression: SQLQueryString {
            switch self {
            case .queued: "outbox_jobs.created_at"
            case .company:
                // Any case: SQLite compares bytes, PostgreSQL its locale.
                "LOWER(COALESCE((SELECT l.name FROM procore_company_links l WHERE l.id = outbox_jobs.company_link_id), ''))"
            case .kind:
                // By the name the page shows, not the stored code.
                SyncJob.Kind.allCases.sorted { $0.title < $1.title }.enumerated().reduce("(CASE outbox_jobs.kind") { sql, ranked in
                    "\(sql) WHEN \(literal: ranked.element.rawValue) THEN \(literal: ranked.offset)"
                } + " ELSE 999 END)"
            case .outcome:
                """
                (CASE outbox_jobs.state WHEN 'pending' THEN 0 WHEN 'running' THEN 1 WHEN 'done' THEN 2 WHEN 'held' THEN 3 \
                WHEN 'failed' THEN 4 ELSE 5 END)
                """
            case .attempts: "outbox_jobs.attempts"
            case .finished: "COALESCE(outbox_jobs.finished_at, outbox_jobs.next_attempt_at)"
            }
        }
    }

    /// An organisation's jobs in the filter's order (newest first unless it says otherwise; the id breaks ties).
    public static func jobs(in organisation: Organisation.ID, filter: Filter = .init(), on db: any Database) async throws -> [SyncJob] {
        let direction: SQLQueryString = filter.ascending ? "ASC" : "DESC"
        return try await (db as! any SQLDatabase).raw("""
            SELECT \(unsafeRaw: columns) FROM outbox_jobs WHERE \(condition(organisation, filter))
            ORDER BY \(filter.sort.expression) \(direction), outbox_jobs.created_at DESC, outbox_jobs.id \(direction) LIMIT \(literal: filter.limit)
            """).all().map(job)
    }

    /// How many of an organisation's jobs match the filter (all of them, not up to its limit), by state; the filter's
    /// own state is left out, so the counts say what each outcome would show (the Integration log's summary).
    public static func counts(in organisation: Organisation.ID, filter: Filter = .init(), on db: any Database) async throws -> [SyncJob.State: Int] {
        var filter = filter
        filter.state = nil
        return try byState(try await (db as! any SQLDatabase).raw("""
            SELECT state, COUNT(*) AS n FROM outbox_jobs WHERE \(condition(organisation, filter)) GROUP BY state
            """).all())
    }

    static func condition(_ organisation: Organisation.ID, _ filter: Filter) -> SQLQueryString {
        var condition: SQLQueryString = "organisation_id = \(bind: organisation.rawValue)"
        if let link = filter.companyLink { condition = "\(condition) AND company_link_id = \(bind: link.rawValue)" }
        if let kind = filter.kind { condition = "\(condition) AND kind = \(bind: kind.rawValue)" }
        if let state = filter.state { condition = "\(condition) AND state = \(bind: state.rawValue)" }
        if let since = filter.since { condition = "\(condition) AND created_at >= \(bind: since)" }
        return condition
    }

    /// The jobs of `organisation` with one of these dedupe keys (a record's sync history), newest first.
    public static func history(keys: [String], in organisation: Organisation.ID, limit: Int = 20, on db: any Database) async throws -> [SyncJob] {
        guard !keys.isEmpty else { return [] }
        return try await (db as! any SQLDatabase).raw("""
            SELECT \(unsafeRaw: columns) FROM outbox_jobs
            WHERE organisation_id = \(bind: organisation.rawValue) AND dedupe_key IN (\(binds: keys))
            ORDER BY created_at DESC LIMIT \(literal: min(max(1, limit), 200))
            """).all().map(job)
    }

    /// Which of these dedupe keys a pending or running job of `organisation` has (work already on its way).
    public static func waiting(keys: [String], in organisation: Organisation.ID, on db: any Database) async throws -> Set<String> {
        var found: Set<String> = []
        for chunk in stride(from: 0, to: keys.count, by: 500).map({ Array(keys[$0..<min($0 + 500, keys.count)]) }) {
            let rows = try await (db as! any SQLDatabase).raw("""
                SELECT dedupe_key FROM outbox_jobs
                WHERE organisation_id = \(bind: organisation.rawValue) AND state IN ('pending', 'running') AND dedupe_key IN (\(binds: chunk))
                """).all()
            for row in rows { found.insert(try row.decode(column: "dedupe_key", as: String.self)) }
        }
        return found
    }

    public static func job(_ id: SyncJob.ID, on db: any Database) async throws -> SyncJob? {
        try await (db as! any SQLDatabase).raw("SELECT \(unsafeRaw: columns) FROM outbox_jobs WHERE id = \(bind: id.rawValue)")
            .first().map(job)
    }

    /// Jobs by state across all organisations (the `/metrics` queue depth).
    public static func depth(on db: any Database) async throws -> [SyncJob.State: Int] {
        try byState(try await (db as! any SQLDatabase).raw("SELECT state, COUNT(*) AS n FROM outbox_jobs GROUP BY state").all())
    }

    /// `state, n` rows as counts by state.
    static func byState(_ rows: [any SQLRow]) throws -> [SyncJob.State: Int] {
        var result: [SyncJob.State: Int] = [:]
        for row in rows {
            if let state = SyncJob.State(rawValue: try row.decode(column: "state", as: String.self)) {
                result[state] = try row.decode(column: "n", as: Int.self)
            }
        }
        return result
    }

    // MARK: - Rows

    static let columns = """
        id, organisation_id, company_link_id, kind, payload, dedupe_key, state, attempts, next_attempt_at, locked_by, \
        locked_until, last_error, created_at, finished_at
        """

    static func job(_ row: any SQLRow) throws -> SyncJob {
        SyncJob(
            id: .init(try row.decode(column: "id", as: UUID.self)),
            organisationID: .init(try row.decode(column: "organisation_id", as: UUID.self)),
            companyLinkID: try row.decode(column: "company_link_id", as: UUID?.self).map { .init($0) },
            kind: SyncJob.Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .noop,
            payload: try row.decode(column: "payload", as: String.self),
            dedupeKey: try row.decode(column: "dedupe_key", as: String?.self),
            state: SyncJob.State(rawValue: try row.decode(column: "state", as: String.self)) ?? .failed,
            attempts: try row.decode(column: "attempts", as: Int.self),
            nextAttemptAt: try row.decode(column: "next_attempt_at", as: Date.self),
            lockedBy: try row.decode(column: "locked_by", as: String?.self),
            lockedUntil: try row.decode(column: "locked_until", as: Date?.self),
            lastError: try row.decode(column: "last_error", as: String?.self),
            createdAt: try row.decode(column: "created_at", as: Date.self),
            finishedAt: try row.decode(column: "finished_at", as: Date?.self))
    }
}

extension Duration {
    /// Whole and fractional seconds, for date arithmetic.
    public var seconds: TimeInterval {
        let (whole, fraction) = components
        return TimeInterval(whole) + TimeInterval(fraction) / 1e18
    }
}
