import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import Synchronization
import Vapor

/// `POST /webhooks/procore/{connection}`: Procore's deliveries (DESIGN.md §2.1). The Authorization value is compared
/// in constant time (401 and nothing stored otherwise); the event is stored, deduplicated by `ulid`/`id`, with a job
/// that processes it, and acknowledged before any call to Procore. Events caused by Lentune's own writes are recorded
/// and skipped.
enum WebhookController {
    static let maxBody: ByteCount = "256kb"
    /// What Vapor's collect is given: it refuses a body that *reaches* its maximum, so one byte more admits exactly
    /// 256 KB, as the intake listener does (issue 30); `accept` still refuses anything over `maxBody`.
    static let collectLimit = ByteCount(value: maxBody.value + 1)

    /// Future-based, not `async`: a delivery for a cached connection runs on its event loop from start to answer, with
    /// no task of its own and no hop to another thread but the group commit's (the intake's latency target, issue 12).
    @Sendable static func receive(req: Request) -> EventLoopFuture<Response> {
        receive(req, connection: req.parameters.get("connection") ?? "")
    }

    /// The delivery for the connection the path names (`WebhookLane` reads it from the path; the route from its
    /// parameter). The body is collected.
    static func receive(_ req: Request, connection: Substring) -> EventLoopFuture<Response> {
        let app = req.application
        return intake(
            connection: connection, authorization: req.headers.first(name: .authorization), body: req.body.data,
            services: app.lentune, db: { app.db }, on: req.eventLoop
        ).map(\.response)
    }

    /// What intake answers: 204 once the event is committed, else a refusal.
    struct Answer: Sendable, Equatable {
        var status: HTTPResponseStatus
        /// The problem document's detail; none for 204 and 401 (a wrong secret is told nothing more).
        var detail: String?

        static let stored = Answer(status: .noContent)
        static let unauthorized = Answer(status: .unauthorized)
        static let tooLarge = Answer(status: .payloadTooLarge, detail: "A webhook body may have at most 256 KB.")

        var response: Response { detail.map { APIController.problem(status, $0) } ?? Response(status: status) }
    }

    /// Webhook intake, whichever listener took the delivery (the web app's `WebhookLane`, or `WebhookIntakeListener`):
    /// the connection `connection` names, its Authorization value compared in constant time, the body read, the event
    /// stored with its job, then 204. `db` is asked for only when the connection is not cached.
    static func intake(
        connection: Substring, authorization: String?, body: ByteBuffer?, services: LentuneServices,
        db: @escaping @Sendable () -> any Database, on loop: any EventLoop
    ) -> EventLoopFuture<Answer> {
        guard let id = UUID(text: String(connection)) else { return loop.makeSucceededFuture(refuse(.unauthorized)) }
        if let cached = services.webhookConnections.cached(id) {
            return accept(cached, authorization: authorization, body: body, services: services, on: loop)
        }
        // Not cached (the first delivery in 30 s for this connection): read and decrypt it.
        let (connections, secrets) = (services.webhookConnections, services.secrets)
        return loop.makeFutureWithTask {
            try await connections.lookup(id, secrets: secrets, on: db)
        }.flatMap { found in
            guard let found else { return loop.makeSucceededFuture(refuse(.unauthorized)) }
            return accept(found, authorization: authorization, body: body, services: services, on: loop)
        }
    }

    /// Counts a refused delivery.
    static func refuse(_ answer: Answer) -> Answer {
        SyncMetrics.webhook("rejected")
        return answer
    }

    /// Checks the Authorization value and the body, then stores the event (and its job) and answers 204 once it is
    /// committed.
    private static func accept(
        _ found: WebhookConnections.Entry, authorization: String?, body: ByteBuffer?, services: LentuneServices, on loop: any EventLoop
    ) -> EventLoopFuture<Answer> {
        let connection = found.connection
        guard SecureTokens.constantTimeEqual(authorization ?? "", found.authorization) else {
            return loop.makeSucceededFuture(refuse(.unauthorized))
        }
        if (body?.readableBytes ?? 0) > maxBody.value {
            return loop.makeSucceededFuture(refuse(.tooLarge))
        }
        guard let body, let delivery = Delivery(body) else {
            return loop.makeSucceededFuture(refuse(Answer(status: .badRequest, detail: "The body is not a Procore webhook event.")))
        }
        let ownWrite = delivery.sourceApplicationID == connection.clientID
        let event = WebhookEvents.Event(
            organisationID: connection.organisationID, connectionID: connection.id, key: delivery.key,
            resourceName: delivery.resourceName, eventType: delivery.eventType, resourceID: delivery.resourceID,
            companyID: delivery.companyID, projectID: delivery.projectID, sourceApplicationID: delivery.sourceApplicationID,
            payload: String(buffer: body), outcome: ownWrite ? .ownWrite : .queued, receivedAt: services.now())
        // `configure` sets the writer; without it nothing is stored, and Procore is told to deliver again later.
        guard let writer = services.webhookWriter else {
            return loop.makeSucceededFuture(Answer(status: .serviceUnavailable, detail: "Webhook intake is not ready; deliver again later."))
        }
        let stored = loop.makePromise(of: WebhookEvents.Stored.self)
        writer.store(event) { stored.completeWith($0) }
        return stored.futureResult.map { outcome in
            switch outcome {
            case .stored: SyncMetrics.webhook(ownWrite ? "own_write" : "received")
            case .duplicate: SyncMetrics.webhook("deduplicated")
            }
            return .stored
        }
    }

    /// The fields Lentune reads from a delivery, in any of Procore's payload versions (v2/v3: `ulid`, `event_type`,
    /// `resource_name`, integer ids; v4: string ids, `reason`, `resource_type`).
    struct Delivery {
        var key: String
        var resourceName: String
        var eventType: String
        var resourceID: Int64
        var companyID: Int64?
        var projectID: Int64?
        var sourceApplicationID: String?

        /// An id as an integer or a string of digits; anything else (a fraction, past Int64, not a number) is no id.
        struct FlexibleID: Equatable {
            var value: Int64?
            /// The text of a string id (v4 event ids are ULIDs).
            var text: String?

            /// Null is no id (as absent is); a boolean, an object or an array is an id without a value.
            static func read(_ reader: inout JSONFieldReader) throws -> FlexibleID? {
                switch try reader.value() {
                case .number(let value): FlexibleID(value: value)
                case .string(let text): FlexibleID(value: Int64(text), text: text)
                case .null: nil
                case .other: FlexibleID()
                }
            }
        }

        /// The members as sent. A text member holding anything but a string or null makes the body no delivery.
        struct Raw: Equatable {
            var ulid: String?
            var id: FlexibleID?
            var resourceName: String?
            var resourceType: String?
            var eventType: String?
            var reason: String?
            var resourceID: FlexibleID?
            var companyID: FlexibleID?
            var projectID: FlexibleID?
            var sourceApplicationID: String?

            /// The members of a JSON object; nil when the body is not JSON, not an object, or has a misfit member.
            static func read(_ body: UnsafeRawBufferPointer) -> Raw? {
                var raw = Raw()
                do {
                    try JSONFieldReader.readObject(body) { reader, key in
                        switch key {
                        case "ulid": raw.ulid = try reader.string()
                        case "id": raw.id = try FlexibleID.read(&reader)
                        case "resource_name": raw.resourceName = try reader.string()
                        case "resource_type": raw.resourceType = try reader.string()
                        case "event_type": raw.eventType = try reader.string()
                        case "reason": raw.reason = try reader.string()
                        case "resource_id": raw.resourceID = try FlexibleID.read(&reader)
                        case "company_id": raw.companyID = try FlexibleID.read(&reader)
                        case "project_id": raw.projectID = try FlexibleID.read(&reader)
                        case "metadata":
                            raw.sourceApplicationID = nil
                            if try reader.null() { return }
                            try reader.object { reader, key in
                                if key == "source_application_id" { raw.sourceApplicationID = try reader.string() } else { try reader.skip() }
                            }
                        default: try reader.skip()
                        }
                    }
                } catch {
                    return nil
                }
                return raw
            }
        }

        init?(_ body: ByteBuffer) {
            guard let raw = body.withUnsafeReadableBytes(Raw.read) else { return nil }
            self.init(raw)
        }

        init?(_ raw: Raw) {
            func text(_ value: String?, max: Int = 200) -> String? {
                guard let value, !value.isEmpty, value.count <= max, !InputRules.hasForbiddenControlCharacter(value) else { return nil }
                return value
            }
            guard let key = text(raw.ulid) ?? raw.id?.value.map(String.init) ?? text(raw.id?.text),
                let resource = text(raw.resourceName) ?? text(raw.resourceType),
                let event = text(raw.eventType) ?? text(raw.reason),
                let resourceID = raw.resourceID?.value
            else { return nil }
            self.key = key
            resourceName = resource
            eventType = event.lowercased()
            self.resourceID = resourceID
            companyID = raw.companyID?.value
            projectID = raw.projectID?.value
            sourceApplicationID = text(raw.sourceApplicationID)
        }
    }
}

/// The connection a webhook names and its expected Authorization value, kept 30 s per connection: a burst of
/// deliveries should not read and decrypt the same row for each event. (The webhook secret never changes; a saved
/// connection is forgotten here at once, and other processes see its new client id within 30 s.)
final class WebhookConnections: Sendable {
    struct Entry: Sendable {
        var connection: ProcoreConnection
        var authorization: String
        var at: ContinuousClock.Instant
    }

    private let entries = Mutex<[UUID: Entry]>([:])

    /// The entry, if it was read in the last 30 s: no database and no suspension.
    func cached(_ id: UUID) -> Entry? {
        entries.withLock { entries in
            guard let entry = entries[id], ContinuousClock.now - entry.at < .seconds(30) else { return nil }
            return entry
        }
    }

    /// Reads and decrypts the connection (`db` is asked for only here, on a miss: a request's database handle is
    /// built anew on every `req.db`).
    func lookup(_ id: UUID, secrets: SecretBox, on db: @Sendable () -> any Database) async throws -> Entry? {
        if let entry = cached(id) { return entry }
        guard let (connection, sealed) = try await ProcoreSettings.webhookConnection(id, on: db()),
            let secret = try? secrets.open(sealed)
        else {
            forget(id)
            return nil
        }
        let entry = Entry(connection: connection, authorization: "Bearer " + secret, at: .now)
        entries.withLock { entries in
            if entries.count > 1000 { entries.removeAll() }
            entries[id] = entry
        }
        return entry
    }

    func forget(_ id: UUID) { entries.withLock { $0[id] = nil } }
}
