import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import Synchronization
import Vapor

/// `POST /webhooks/procore/{connection}`: Procore's deliveries (DESIGN.md §2.1). The Authorization value is compared
/// in constant time (401 and nothing stored otherwise); the event is stored, deduplicated by `ulid`/`id`, with the job
/// that processes it, and acknowledged before any call to Procore. Events caused by Lentune's own writes are recorded
/// and skipped.
enum WebhookController {
    static let maxBody: ByteCount = "256kb"

    /// Future-based, not `async`: a delivery for a cached connection runs on its event loop from start to answer, with
    /// no task of its own and no hop to another thread but the group commit's (the intake's latency target, issue 12).
    @Sendable static func receive(req: Request) -> EventLoopFuture<Response> {
        receive(req, connection: req.parameters.get("connection") ?? "")
    }

    /// The delivery for the connection the path names (`WebhookLane` reads it from the path; the route from its
    /// parameter). The body is collected.
    static func receive(_ req: Request, connection: Substring) -> EventLoopFuture<Response> {
        let services = req.application.lentune
        guard let id = UUID(text: String(connection)) else {
            return req.eventLoop.makeSucceededFuture(unauthorized())
        }
        if let cached = services.webhookConnections.cached(id) { return accept(req, cached) }
        // Not cached (the first delivery in 30 s for this connection): read and decrypt it.
        return req.eventLoop.makeFutureWithTask {
            try await services.webhookConnections.lookup(id, secrets: services.secrets, on: { req.db })
        }.flatMap { found in
            guard let found else { return req.eventLoop.makeSucceededFuture(unauthorized()) }
            return accept(req, found)
        }
    }

    static func tooLarge() -> Response {
        SyncMetrics.webhook("rejected")
        return APIController.problem(.payloadTooLarge, "A webhook body may have at most 256 KB.")
    }

    private static func unauthorized() -> Response {
        SyncMetrics.webhook("rejected")
        return Response(status: .unauthorized)
    }

    /// Checks the Authorization value and the body, then stores the event (and its job) and answers 204 once it is
    /// committed.
    private static func accept(_ req: Request, _ found: WebhookConnections.Entry) -> EventLoopFuture<Response> {
        let services = req.application.lentune
        let connection = found.connection
        guard SecureTokens.constantTimeEqual(req.headers.first(name: .authorization) ?? "", found.authorization) else {
            return req.eventLoop.makeSucceededFuture(unauthorized())
        }
        if (req.body.data?.readableBytes ?? 0) > maxBody.value {
            return req.eventLoop.makeSucceededFuture(tooLarge())
        }
        guard let body = req.body.data, let delivery = Delivery(Data(buffer: body)) else {
            SyncMetrics.webhook("rejected")
            return req.eventLoop.makeSucceededFuture(APIController.problem(.badRequest, "The body is not a Procore webhook event."))
        }
        let now = services.now()
        let ownWrite = delivery.sourceApplicationID == connection.clientID
        let event = WebhookEvents.Event(
            organisationID: connection.organisationID, connectionID: connection.id, key: delivery.key,
            resourceName: delivery.resourceName, eventType: delivery.eventType, resourceID: delivery.resourceID,
            companyID: delivery.companyID, projectID: delivery.projectID, sourceApplicationID: delivery.sourceApplicationID,
            payload: String(buffer: body), outcome: ownWrite ? .ownWrite : .queued, receivedAt: now)
        let job = ownWrite ? nil : SyncJob(
            organisationID: connection.organisationID, kind: .processWebhook,
            payload: #"{"event_id":"\#(event.id.lowercasedText)"}"#, nextAttemptAt: now, createdAt: now)
        let stored = req.eventLoop.makePromise(of: WebhookEvents.Stored.self)
        if let writer = services.webhookWriter {
            writer.store(event, job: job) { stored.completeWith($0) }
        } else {
            stored.completeWithTask { try await WebhookEvents.store(event, job: job, on: req.db) }
        }
        return stored.futureResult.map { outcome in
            switch outcome {
            case .stored: SyncMetrics.webhook(ownWrite ? "own_write" : "received")
            case .duplicate: SyncMetrics.webhook("deduplicated")
            }
            return Response(status: .noContent)
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

        /// An id as an integer or a string of digits; anything else (a fraction, past Int64) is no id.
        struct FlexibleID: Decodable {
            var value: Int64?
            /// The text of a string id (v4 event ids are ULIDs).
            var text: String?
            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let number = try? container.decode(Int64.self) {
                    value = number
                } else {
                    text = try? container.decode(String.self)
                    value = text.flatMap { Int64($0) }
                }
            }
        }

        struct Raw: Decodable {
            struct Metadata: Decodable { var source_application_id: String? }
            var ulid: String?
            var id: FlexibleID?
            var resource_name: String?
            var resource_type: String?
            var event_type: String?
            var reason: String?
            var resource_id: FlexibleID?
            var company_id: FlexibleID?
            var project_id: FlexibleID?
            var metadata: Metadata?
        }

        init?(_ data: Data) {
            guard data.count <= 256 * 1024, let raw = try? JSONDecoder().decode(Raw.self, from: data) else { return nil }
            func text(_ value: String?, max: Int = 200) -> String? {
                guard let value, !value.isEmpty, value.count <= max, !InputRules.hasForbiddenControlCharacter(value) else { return nil }
                return value
            }
            guard let key = text(raw.ulid) ?? raw.id?.value.map(String.init) ?? text(raw.id?.text),
                let resource = text(raw.resource_name) ?? text(raw.resource_type),
                let event = text(raw.event_type) ?? text(raw.reason),
                let resourceID = raw.resource_id?.value
            else { return nil }
            self.key = key
            resourceName = resource
            eventType = event.lowercased()
            self.resourceID = resourceID
            companyID = raw.company_id?.value
            projectID = raw.project_id?.value
            sourceApplicationID = text(raw.metadata?.source_application_id)
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
