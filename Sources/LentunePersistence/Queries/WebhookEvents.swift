import FluentKit
import FluentSQL
import Foundation
import LentuneCore
import Synchronization

/// Webhook events as Procore delivered them: stored before they are acknowledged, once per event (`ulid`, else `id`),
/// with the job that processes them written in the same transaction.
public enum WebhookEvents {
    public struct Event: Sendable, Hashable {
        public var id: UUID
        public var organisationID: Organisation.ID
        public var connectionID: ProcoreConnection.ID
        /// `ulid` (v2/v3 payloads) or the event `id` (v4): what makes a repeat delivery the same event.
        public var key: String
        public var resourceName: String
        public var eventType: String
        public var resourceID: ProcoreID
        public var companyID: ProcoreID?
        public var projectID: ProcoreID?
        public var sourceApplicationID: String?
        public var payload: String
        public var outcome: Outcome
        public var receivedAt: Date

        public init(
            id: UUID = .random(), organisationID: Organisation.ID, connectionID: ProcoreConnection.ID, key: String,
            resourceName: String, eventType: String, resourceID: ProcoreID, companyID: ProcoreID?, projectID: ProcoreID?,
            sourceApplicationID: String?, payload: String, outcome: Outcome, receivedAt: Date
        ) {
            self.id = id
            self.organisationID = organisationID
            self.connectionID = connectionID
            self.key = key
            self.resourceName = resourceName
            self.eventType = eventType
            self.resourceID = resourceID
            self.companyID = companyID
            self.projectID = projectID
            self.sourceApplicationID = sourceApplicationID
            self.payload = payload
            self.outcome = outcome
            self.receivedAt = receivedAt
        }
    }

    public enum Outcome: String, Sendable, Hashable, CaseIterable {
        /// Stored and a job queued to process it.
        case queued
        /// Caused by Lentune's own write (`metadata.source_application_id` is our client id): recorded, not processed.
        case ownWrite = "own_write"
        /// For a company Lentune does not link.
        case unlinkedCompany = "unlinked_company"
    }

    public enum Stored: Sendable, Equatable {
        case stored
        /// The same event was stored before: nothing written.
        case duplicate
    }

    /// Stores `event` and, when given, its processing job, in one transaction.
    public static func store(_ event: Event, job: SyncJob?, on db: any Database) async throws -> Stored {
        try await store([(event, job)], on: db).contains(event.id) ? .stored : .duplicate
    }

    public static func find(_ id: UUID, on db: any Database) async throws -> Event? {
        try await (db as! any SQLDatabase).raw("SELECT * FROM webhook_events WHERE id = \(bind: id)").first().map(event)
    }

    public static func recent(in organisation: Organisation.ID, limit: Int = 50, on db: any Database) async throws -> [Event] {
        try await (db as! any SQLDatabase).raw("""
            SELECT * FROM webhook_events WHERE organisation_id = \(bind: organisation.rawValue)
            ORDER BY received_at DESC LIMIT \(literal: min(max(limit, 1), 500))
            """).all().map(event)
    }

    public static func count(in organisation: Organisation.ID, on db: any Database) async throws -> Int {
        try await (db as! any SQLDatabase).raw("SELECT COUNT(*) AS n FROM webhook_events WHERE organisation_id = \(bind: organisation.rawValue)")
            .first()?.decode(column: "n", as: Int.self) ?? 0
    }

    static func event(_ row: any SQLRow) throws -> Event {
        Event(
            id: try row.decode(column: "id", as: UUID.self),
            organisationID: .init(try row.decode(column: "organisation_id", as: UUID.self)),
            connectionID: .init(try row.decode(column: "connection_id", as: UUID.self)),
            key: try row.decode(column: "event_key", as: String.self),
            resourceName: try row.decode(column: "resource_name", as: String.self),
            eventType: try row.decode(column: "event_type", as: String.self),
            resourceID: try row.decode(column: "resource_id", as: Int64.self),
            companyID: try row.decode(column: "company_id", as: Int64?.self),
            projectID: try row.decode(column: "project_id", as: Int64?.self),
            sourceApplicationID: try row.decode(column: "source_application_id", as: String?.self),
            payload: try row.decode(column: "payload", as: String.self),
            outcome: Outcome(rawValue: try row.decode(column: "outcome", as: String.self)) ?? .queued,
            receivedAt: try row.decode(column: "received_at", as: Date.self))
    }
}

extension WebhookEvents {
    /// What processing decided, for the integration log.
    public static func setOutcome(_ id: UUID, _ outcome: String, on db: any Database) async throws {
        try await (db as! any SQLDatabase).raw("UPDATE webhook_events SET outcome = \(bind: outcome) WHERE id = \(bind: id)").run()
    }
}

/// Where each company's sweep got to, per resource: the next sweep reads from a little before it.
public enum SweepCursors {
    public static func cursor(_ link: ProcoreCompanyLink.ID, resource: String, on db: any Database) async throws -> Date? {
        try await (db as! any SQLDatabase).raw("""
            SELECT updated_through FROM sweep_cursors WHERE company_link_id = \(bind: link.rawValue) AND resource = \(bind: resource)
            """).first()?.decode(column: "updated_through", as: Date.self)
    }

    public static func advance(_ link: ProcoreCompanyLink.ID, resource: String, to date: Date, now: Date, on db: any Database) async throws {
        try await (db as! any SQLDatabase).raw("""
            INSERT INTO sweep_cursors (id, company_link_id, resource, updated_through, swept_at)
            VALUES (\(bind: UUID()), \(bind: link.rawValue), \(bind: resource), \(bind: date), \(bind: now))
            ON CONFLICT (company_link_id, resource) DO UPDATE SET updated_through = excluded.updated_through, swept_at = excluded.swept_at
            """).run()
    }
}

extension ProcoreSettings {
    /// Every linked row of every organisation (the sweep scheduler's list).
    public static func allLinkedRows(on db: any Database) async throws -> [ProcoreCompanyLink] {
        try await ProcoreCompanyLinkRecord.query(on: db).filter(\.$isLinked == true).all().map(\.domain)
    }

    /// The Procore project ids of a row's linked Lentune projects.
    public static func linkedProcoreProjects(of link: ProcoreCompanyLink, on db: any Database) async throws -> [Int64] {
        try await ProjectRecord.scoped(to: link.organisationID, on: db)
            .filter(\.$procoreCompanyLinkID == link.id.rawValue).all().compactMap(\.procoreProjectID)
    }
}

extension WebhookEvents {
    /// Stores webhook events with group commit: deliveries that arrive while a write is in flight are written together
    /// in the next write (one statement on PostgreSQL, one transaction on SQLite), and each delivery is answered when
    /// its own event is committed. Procore sends bursts (one edit of a PO with 200 lines is 200 events); one
    /// transaction per event would make the last of a burst wait for all the others' round trips.
    public final class Writer: Sendable {
        public typealias Reply = @Sendable (Result<Stored, any Error>) -> Void
        struct Queue: ~Copyable {
            var pending: [(event: Event, job: SyncJob?, reply: Reply)] = []
            var flushing = false
        }

        let db: any Database
        /// At most this many events per write (on SQLite, 13 bound values each; SQLite allows 32,766 per statement).
        let maxBatch: Int
        private let queue = Mutex(Queue())

        public init(db: any Database, maxBatch: Int = 400) {
            self.db = db
            self.maxBatch = maxBatch
        }

        public func store(_ event: Event, job: SyncJob?) async throws -> Stored {
            try await withCheckedThrowingContinuation { continuation in
                store(event, job: job) { continuation.resume(with: $0) }
            }
        }

        /// Queues the event and calls `reply` once its transaction has committed (or failed). The caller is not
        /// suspended: the webhook route answers from its event loop without a task of its own.
        public func store(_ event: Event, job: SyncJob?, reply: @escaping Reply) {
            let startsFlush = queue.withLock { queue in
                queue.pending.append((event, job, reply))
                guard !queue.flushing else { return false }
                queue.flushing = true
                return true
            }
            if startsFlush { Task { await flush() } }
        }

        private func flush() async {
            while true {
                let batch = queue.withLock { queue in
                    let batch = Array(queue.pending.prefix(maxBatch))
                    queue.pending.removeFirst(batch.count)
                    if batch.isEmpty { queue.flushing = false }
                    return batch
                }
                guard !batch.isEmpty else { return }
                do {
                    let stored = try await WebhookEvents.store(batch.map { ($0.event, $0.job) }, on: db)
                    for item in batch { item.reply(.success(stored.contains(item.event.id) ? .stored : .duplicate)) }
                } catch {
                    for item in batch { item.reply(.failure(error)) }
                }
            }
        }
    }

    /// Stores events and the jobs of those that are new, atomically; answers the ids of the new ones (a key seen
    /// before, or twice in the batch, stores once).
    ///
    /// On PostgreSQL this is one statement (`postgresInsert`): one round trip instead of four (BEGIN, two inserts,
    /// COMMIT). The group commit writes a batch per flush, and while a flush waits for the database the deliveries in
    /// it wait too. SQLite has no data-modifying CTE: there the two inserts share a transaction.
    public static func store(_ items: [(Event, SyncJob?)], on db: any Database) async throws -> Set<UUID> {
        guard !items.isEmpty else { return [] }
        @Sendable func ids(_ rows: [any SQLRow]) throws -> Set<UUID> { Set(try rows.map { try $0.decode(column: "id", as: UUID.self) }) }
        if (db as! any SQLDatabase).dialect.name == "postgresql" {
            return try ids(try await (db as! any SQLDatabase).raw(postgresInsert(items)).all())
        }

        var events: [SQLQueryString] = []
        for (event, _) in items {
            events.append("""
                (\(bind: event.id), \(bind: event.organisationID.rawValue), \(bind: event.connectionID.rawValue), \(bind: event.key),
                 \(bind: event.resourceName), \(bind: event.eventType), \(bind: event.resourceID), \(bind: event.companyID),
                 \(bind: event.projectID), \(bind: event.sourceApplicationID), \(bind: event.payload), \(bind: event.outcome.rawValue),
                 \(bind: event.receivedAt))
                """)
        }
        let insertEvents: SQLQueryString = """
            INSERT INTO webhook_events (id, organisation_id, connection_id, event_key, resource_name, event_type, resource_id,
                company_id, project_id, source_application_id, payload, outcome, received_at)
            VALUES \(events.joined(separator: ", "))
            ON CONFLICT (connection_id, event_key) DO NOTHING
            RETURNING id
            """
        return try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            let stored = try ids(try await sql.raw(insertEvents).all())
            let jobs = items.compactMap { event, job in stored.contains(event.id) ? job : nil }
            if !jobs.isEmpty {
                var rows: [SQLQueryString] = []
                for job in jobs {
                    rows.append("""
                        (\(bind: job.id.rawValue), \(bind: job.organisationID.rawValue), \(bind: job.companyLinkID?.rawValue), \(bind: job.kind.rawValue),
                         \(bind: job.payload), \(bind: job.dedupeKey), 'pending', 0, \(bind: job.nextAttemptAt), \(bind: job.createdAt), \(bind: job.createdAt))
                        """)
                }
                try await sql.raw("""
                    INSERT INTO outbox_jobs (id, organisation_id, company_link_id, kind, payload, dedupe_key, state, attempts,
                        next_attempt_at, created_at, updated_at)
                    VALUES \(rows.joined(separator: ", "))
                    ON CONFLICT (dedupe_key) WHERE state IN ('pending', 'running') DO NOTHING
                    """).run()
            }
            return stored
        }
    }

    /// One PostgreSQL statement for a batch: each column is bound as one array and `unnest` makes the rows, so the
    /// statement's text, and PostgreSQL's work to parse and plan it, does not grow with the batch (a VALUES list of
    /// 400 rows is 5,200 parameters). Nullable columns travel as text, '' for none: every text here is non-empty
    /// when present (the intake refuses empty fields).
    static func postgresInsert(_ items: [(Event, SyncJob?)]) -> SQLQueryString {
        let events = items.map(\.0)
        let jobs = items.compactMap { event, job in job.map { (event, $0) } }
        func optional<T>(_ value: T?) -> String { value.map { "\($0)" } ?? "" }
        var query: SQLQueryString = """
            WITH events AS (
                INSERT INTO webhook_events (id, organisation_id, connection_id, event_key, resource_name, event_type, resource_id,
                    company_id, project_id, source_application_id, payload, outcome, received_at)
                SELECT id, organisation_id, connection_id, event_key, resource_name, event_type, resource_id,
                    CAST(NULLIF(company_id, '') AS bigint), CAST(NULLIF(project_id, '') AS bigint), NULLIF(source_application_id, ''),
                    payload, outcome, received_at
                FROM unnest(
                    CAST(\(bind: events.map(\.id)) AS uuid[]), CAST(\(bind: events.map(\.organisationID.rawValue)) AS uuid[]),
                    CAST(\(bind: events.map(\.connectionID.rawValue)) AS uuid[]), CAST(\(bind: events.map(\.key)) AS text[]),
                    CAST(\(bind: events.map(\.resourceName)) AS text[]), CAST(\(bind: events.map(\.eventType)) AS text[]),
                    CAST(\(bind: events.map(\.resourceID)) AS bigint[]), CAST(\(bind: events.map { optional($0.companyID) }) AS text[]),
                    CAST(\(bind: events.map { optional($0.projectID) }) AS text[]),
                    CAST(\(bind: events.map { optional($0.sourceApplicationID) }) AS text[]),
                    CAST(\(bind: events.map(\.payload)) AS text[]), CAST(\(bind: events.map(\.outcome.rawValue)) AS text[]),
                    CAST(\(bind: events.map(\.receivedAt)) AS timestamptz[]))
                    AS e (id, organisation_id, connection_id, event_key, resource_name, event_type, resource_id, company_id,
                        project_id, source_application_id, payload, outcome, received_at)
                ON CONFLICT (connection_id, event_key) DO NOTHING
                RETURNING id
            )
            """
        if !jobs.isEmpty {
            query = """
                \(query), jobs AS (
                    INSERT INTO outbox_jobs (id, organisation_id, company_link_id, kind, payload, dedupe_key, state, attempts,
                        next_attempt_at, created_at, updated_at)
                    SELECT id, organisation_id, CAST(NULLIF(company_link_id, '') AS uuid), kind, payload, NULLIF(dedupe_key, ''),
                        'pending', 0, next_attempt_at, created_at, created_at
                    FROM unnest(
                        CAST(\(bind: jobs.map(\.1.id.rawValue)) AS uuid[]), CAST(\(bind: jobs.map(\.1.organisationID.rawValue)) AS uuid[]),
                        CAST(\(bind: jobs.map { optional($0.1.companyLinkID?.rawValue.uuidString) }) AS text[]),
                        CAST(\(bind: jobs.map(\.1.kind.rawValue)) AS text[]), CAST(\(bind: jobs.map(\.1.payload)) AS text[]),
                        CAST(\(bind: jobs.map { optional($0.1.dedupeKey) }) AS text[]),
                        CAST(\(bind: jobs.map(\.1.nextAttemptAt)) AS timestamptz[]), CAST(\(bind: jobs.map(\.1.createdAt)) AS timestamptz[]),
                        CAST(\(bind: jobs.map(\.0.id)) AS uuid[]))
                        AS j (id, organisation_id, company_link_id, kind, payload, dedupe_key, next_attempt_at, created_at, event_id)
                    WHERE event_id IN (SELECT id FROM events)
                    ON CONFLICT (dedupe_key) WHERE state IN ('pending', 'running') DO NOTHING
                )
                """
        }
        return "\(query) SELECT id FROM events"
    }
}
