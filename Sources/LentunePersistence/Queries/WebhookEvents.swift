import FluentKit
import FluentSQL
import Foundation
import LentuneCore
import PostgresNIO
import Synchronization

/// Webhook events as Procore delivered them: stored before they are acknowledged, once per event (`ulid`, else `id`),
/// with the job that processes them written in the same transaction (one `webhook.process` job per organisation and
/// write, naming the new events it is to process: see `store(_:on:)`).
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

    /// Stores `event` and, when it is new and to be processed, a job naming it, in one transaction.
    public static func store(_ event: Event, on db: any Database) async throws -> Stored {
        try await store([event], on: db).contains(event.id) ? .stored : .duplicate
    }

    /// The organisation's events among `ids`, in the order they were received (another organisation's are not read).
    public static func events(_ ids: [UUID], in organisation: Organisation.ID, on db: any Database) async throws -> [Event] {
        guard !ids.isEmpty else { return [] }
        let list = SQLList(ids.map { SQLBind($0) })
        return try await (db as! any SQLDatabase).raw("""
            SELECT * FROM webhook_events WHERE organisation_id = \(bind: organisation.rawValue) AND id IN (\(list))
            ORDER BY received_at, id
            """).all().map(event)
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
    public static func linkedProcoreProjects(of link: ProcoreCompanyLink, on db: any Database, activeOnly: Bool = false) async throws -> [Int64] {
        try await ProjectRecord.scoped(to: link.organisationID, on: db)
            .filter(\.$procoreCompanyLinkID == link.id.rawValue).all().filter { !activeOnly || $0.isActive }.compactMap(\.procoreProjectID)
    }
}

extension WebhookEvents {
    /// The payload of a `webhook.process` job: the events it is to process, all of one organisation.
    public struct ProcessPayload: Codable, Sendable, Equatable {
        public var event_ids: [UUID]
        public init(event_ids: [UUID]) { self.event_ids = event_ids }
    }

    /// Stores webhook events with group commit: deliveries that arrive while a write is in flight are written together
    /// in the next write (one statement on PostgreSQL, one transaction on SQLite), and each delivery is answered when
    /// its own event is committed. Procore sends bursts (one edit of a PO with 200 lines is 200 events); one
    /// transaction per event would make the last of a burst wait for all the others' round trips.
    public final class Writer: Sendable {
        public typealias Reply = @Sendable (Result<Stored, any Error>) -> Void
        struct Queue: ~Copyable {
            var pending: [(event: Event, reply: Reply)] = []
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

        public func store(_ event: Event) async throws -> Stored {
            try await withCheckedThrowingContinuation { continuation in
                store(event) { continuation.resume(with: $0) }
            }
        }

        /// Queues the event and calls `reply` once its transaction has committed (or failed). The caller is not
        /// suspended: the webhook route answers from its event loop without a task of its own.
        public func store(_ event: Event, reply: @escaping Reply) {
            let startsFlush = queue.withLock { queue in
                queue.pending.append((event, reply))
                guard !queue.flushing else { return false }
                queue.flushing = true
                return true
            }
            if startsFlush { db.eventLoop.execute { self.flushNext() } }
        }

        /// Writes the next batch, and again once it has committed, until the queue is empty. The loop runs on the
        /// database's event loop and answers each batch from there; each write is one task (PostgresNIO's prepared
        /// statements are `async`).
        private func flushNext() {
            let batch = queue.withLock { queue in
                let batch = Array(queue.pending.prefix(maxBatch))
                queue.pending.removeFirst(batch.count)
                if batch.isEmpty { queue.flushing = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            db.eventLoop.makeFutureWithTask { [db] in
                try await WebhookEvents.store(batch.map(\.event), on: db)
            }.whenComplete { result in
                switch result {
                case .success(let stored):
                    for item in batch { item.reply(.success(stored.contains(item.event.id) ? .stored : .duplicate)) }
                case .failure(let error):
                    for item in batch { item.reply(.failure(error)) }
                }
                self.flushNext()
            }
        }
    }

    /// Stores events atomically with the jobs that process them; answers the ids of the new ones (a key seen before,
    /// or twice in the batch, stores once). The new events to be processed (outcome `queued`) get one
    /// `webhook.process` job per organisation, naming them (`ProcessPayload`): a burst of 200 events is a few jobs,
    /// not 200, and each job row costs the write as much as an event's (docs/BENCHMARKS.md).
    ///
    /// On PostgreSQL this is one prepared statement (`GroupInsert`): one round trip instead of four (BEGIN, two
    /// inserts, COMMIT), and no parsing or planning once a connection has prepared it. The group commit writes a batch
    /// per flush, and while a flush waits for the database the deliveries in it wait too. SQLite has no
    /// data-modifying CTE: there the two inserts share a transaction.
    public static func store(_ events: [Event], on db: any Database) async throws -> Set<UUID> {
        guard !events.isEmpty else { return [] }
        if let postgres = db as? any PostgresDatabase {
            let logger = db.logger
            return try await postgres.withConnection { connection in
                connection.eventLoop.makeFutureWithTask {
                    var stored = Set<UUID>()
                    for try await id in try await connection.execute(GroupInsert(events), logger: logger) { stored.insert(id) }
                    return stored
                }
            }.get()
        }

        var rows: [SQLQueryString] = []
        for event in events {
            rows.append("""
                (\(bind: event.id), \(bind: event.organisationID.rawValue), \(bind: event.connectionID.rawValue), \(bind: event.key),
                 \(bind: event.resourceName), \(bind: event.eventType), \(bind: event.resourceID), \(bind: event.companyID),
                 \(bind: event.projectID), \(bind: event.sourceApplicationID), \(bind: event.payload), \(bind: event.outcome.rawValue),
                 \(bind: event.receivedAt))
                """)
        }
        let insertEvents: SQLQueryString = """
            INSERT INTO webhook_events (id, organisation_id, connection_id, event_key, resource_name, event_type, resource_id,
                company_id, project_id, source_application_id, payload, outcome, received_at)
            VALUES \(rows.joined(separator: ", "))
            ON CONFLICT (connection_id, event_key) DO NOTHING
            RETURNING id
            """
        return try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            let stored = Set(try await sql.raw(insertEvents).all().map { try $0.decode(column: "id", as: UUID.self) })
            let toProcess = Dictionary(grouping: events.filter { stored.contains($0.id) && $0.outcome == .queued }, by: \.organisationID)
            for (organisation, events) in toProcess {
                let at = events.map(\.receivedAt).max()!
                let payload = String(decoding: try JSONEncoder().encode(ProcessPayload(event_ids: events.map(\.id))), as: UTF8.self)
                try await Outbox.enqueue(SyncJob(
                    organisationID: organisation, kind: .processWebhook, payload: payload, nextAttemptAt: at, createdAt: at), on: tx)
            }
            return stored
        }
    }

    /// The group commit's statement on PostgreSQL: each column is bound as one array and `unnest` makes the rows,
    /// so its text is the same for every batch and each connection prepares it once. Parsing and planning it cost
    /// PostgreSQL about 1.5 ms per flush, a third of a 50-event flush (docs/BENCHMARKS.md). The jobs' insert reads the
    /// events' `RETURNING`, so only new events are named, each in its organisation's job (the job ids come bound, one
    /// per organisation in the batch). Nullable columns travel as text, '' for none: every text here is non-empty
    /// when present (the intake refuses empty fields).
    struct GroupInsert: PostgresPreparedStatement {
        typealias Row = UUID
        static let name = "lentune_webhook_group_insert_v2"
        static let sql = """
            WITH events AS (
                INSERT INTO webhook_events (id, organisation_id, connection_id, event_key, resource_name, event_type, resource_id,
                    company_id, project_id, source_application_id, payload, outcome, received_at)
                SELECT id, organisation_id, connection_id, event_key, resource_name, event_type, resource_id,
                    CAST(NULLIF(company_id, '') AS bigint), CAST(NULLIF(project_id, '') AS bigint), NULLIF(source_application_id, ''),
                    payload, outcome, received_at
                FROM unnest(CAST($1 AS uuid[]), CAST($2 AS uuid[]), CAST($3 AS uuid[]), CAST($4 AS text[]), CAST($5 AS text[]),
                    CAST($6 AS text[]), CAST($7 AS bigint[]), CAST($8 AS text[]), CAST($9 AS text[]), CAST($10 AS text[]),
                    CAST($11 AS text[]), CAST($12 AS text[]), CAST($13 AS timestamptz[]))
                    AS e (id, organisation_id, connection_id, event_key, resource_name, event_type, resource_id, company_id,
                        project_id, source_application_id, payload, outcome, received_at)
                ON CONFLICT (connection_id, event_key) DO NOTHING
                RETURNING id, organisation_id, outcome, received_at
            ), jobs AS (
                INSERT INTO outbox_jobs (id, organisation_id, kind, payload, state, attempts, next_attempt_at, created_at, updated_at)
                SELECT j.id, j.organisation_id, '\(SyncJob.Kind.processWebhook.rawValue)',
                    CAST(json_build_object('event_ids', e.ids) AS text), 'pending', 0, e.at, e.at, e.at
                FROM unnest(CAST($14 AS uuid[]), CAST($15 AS uuid[])) AS j (organisation_id, id)
                JOIN (SELECT organisation_id, json_agg(id) AS ids, max(received_at) AS at FROM events
                      WHERE outcome = '\(Outcome.queued.rawValue)' GROUP BY organisation_id) AS e
                    ON e.organisation_id = j.organisation_id
            )
            SELECT id FROM events
            """

        let events: [Event]
        init(_ events: [Event]) { self.events = events }

        func makeBindings() throws -> PostgresBindings {
            func optional<T>(_ value: T?) -> String { value.map { "\($0)" } ?? "" }
            let organisations = Array(Set(events.filter { $0.outcome == .queued }.map(\.organisationID.rawValue)))
            var bindings = PostgresBindings(capacity: 15)
            bindings.append(events.map(\.id))
            bindings.append(events.map(\.organisationID.rawValue))
            bindings.append(events.map(\.connectionID.rawValue))
            bindings.append(events.map(\.key))
            bindings.append(events.map(\.resourceName))
            bindings.append(events.map(\.eventType))
            bindings.append(events.map(\.resourceID))
            bindings.append(events.map { optional($0.companyID) })
            bindings.append(events.map { optional($0.projectID) })
            bindings.append(events.map { optional($0.sourceApplicationID) })
            bindings.append(events.map(\.payload))
            bindings.append(events.map(\.outcome.rawValue))
            bindings.append(events.map(\.receivedAt))
            bindings.append(organisations)
            bindings.append(organisations.map { _ in UUID() })
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> UUID { try row.decode(UUID.self) }
    }
}
