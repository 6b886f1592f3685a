import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import Vapor

/// `POST /webhooks/procore/{connection}`: Procore's deliveries (DESIGN.md §2.1). The Authorization value is compared
/// in constant time (401 and nothing stored otherwise); the event is stored, deduplicated by `ulid`/`id`, with the job
/// that processes it, and acknowledged before any call to Procore. Events caused by Lentune's own writes are recorded
/// and skipped.
enum WebhookController {
    static let maxBody: ByteCount = "256kb"

    @Sendable static func receive(req: Request) async throws -> Response {
        let services = req.application.lentune
        guard let id = req.parameters.get("connection").flatMap({ UUID(text: $0) }),
            let (connection, expected) = try await services.webhookConnections.lookup(id, secrets: services.secrets, on: { req.db }),
            SecureTokens.constantTimeEqual(req.headers.first(name: .authorization) ?? "", expected)
        else {
            SyncMetrics.webhook("rejected")
            return Response(status: .unauthorized)
        }
        if (req.body.data?.readableBytes ?? 0) > 256 * 1024 {
            SyncMetrics.webhook("rejected")
            return APIController.problem(.payloadTooLarge, "A webhook body may have at most 256 KB.")
        }
        guard let body = req.body.data, let delivery = Delivery(Data(buffer: body)) else {
            SyncMetrics.webhook("rejected")
            return APIController.problem(.badRequest, "The body is not a Procore webhook event.")
        }
        let now = services.now()
        let ownWrite = delivery.sourceApplicationID == connection.clientID
        let event = WebhookEvents.Event(
            organisationID: connection.organisationID, connectionID: connection.id, key: delivery.key,
            resourceName: delivery.resourceName, eventType: delivery.eventType, resourceID: delivery.resourceID,
            companyID: delivery.companyID, projectID: delivery.projectID, sourceApplicationID: delivery.sourceApplicationID,
            payload: String(decoding: Data(buffer: body), as: UTF8.self), outcome: ownWrite ? .ownWrite : .queued, receivedAt: now)
        let job = ownWrite ? nil : SyncJob(
            organisationID: connection.organisationID, kind: .processWebhook,
            payload: #"{"event_id":"\#(event.id.lowercasedText)"}"#, nextAttemptAt: now, createdAt: now)
        let stored: WebhookEvents.Stored
        if let writer = services.webhookWriter {
            stored = try await writer.store(event, job: job)
        } else {
            stored = try await WebhookEvents.store(event, job: job, on: req.db)
        }
        switch stored {
        case .stored: SyncMetrics.webhook(ownWrite ? "own_write" : "received")
        case .duplicate: SyncMetrics.webhook("deduplicated")
        }
        return Response(status: .noContent)
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
actor WebhookConnections {
    private var entries: [UUID: (connection: ProcoreConnection, authorization: String, at: ContinuousClock.Instant)] = [:]

    /// `db` is asked for only on a miss (a request's database handle is built anew on every `req.db`).
    func lookup(
        _ id: UUID, secrets: SecretBox, on db: @Sendable () -> any Database
    ) async throws -> (connection: ProcoreConnection, authorization: String)? {
        if let entry = entries[id], ContinuousClock.now - entry.at < .seconds(30) { return (entry.connection, entry.authorization) }
        guard let (connection, sealed) = try await ProcoreSettings.webhookConnection(id, on: db()),
            let secret = try? secrets.open(sealed)
        else {
            entries[id] = nil
            return nil
        }
        if entries.count > 1000 { entries.removeAll() }
        entries[id] = (connection, "Bearer " + secret, ContinuousClock.now)
        return (connection, "Bearer " + secret)
    }

    func forget(_ id: UUID) { entries[id] = nil }
}
