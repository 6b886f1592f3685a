import Foundation

extension Procore {
    /// A v2.0 hook (`{"data": …}`, string ids).
    public struct Hook: Hashable, Sendable, Decodable {
        public var id: ID
        public var status: String
        public var payloadVersion: String
        public var namespace: String
        public var destinationUrl: String

        enum CodingKeys: String, CodingKey {
            case id, status, payloadVersion, namespace, destinationUrl
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decodeStringID(.id)
            status = try c.decode(String.self, forKey: .status)
            payloadVersion = try c.decode(String.self, forKey: .payloadVersion)
            namespace = try c.decode(String.self, forKey: .namespace)
            destinationUrl = try c.decode(String.self, forKey: .destinationUrl)
        }
    }

    public struct Trigger: Hashable, Sendable, Decodable {
        public var id: ID
        public var resourceName: String
        public var eventType: String

        enum CodingKeys: String, CodingKey {
            case id, resourceName, eventType
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decodeStringID(.id)
            resourceName = try c.decode(String.self, forKey: .resourceName)
            eventType = Self.event(try c.decode(String.self, forKey: .eventType))
        }

        /// Procore's v2.0 answers spell a trigger's event `CREATED` (the Webhooks reference's examples; v1.0 says
        /// `CREATE`), while it is created as `create`: the three forms are one event.
        public static func event(_ raw: String) -> String {
            let lower = raw.lowercased()
            return switch lower {
            case "created": "create"
            case "updated": "update"
            case "deleted": "delete"
            default: lower
            }
        }
    }

    /// REST v2.0 wraps every answer in `{"data": …}`.
    public struct DataEnvelope<T: Decodable & Sendable>: Decodable, Sendable {
        public var data: T
    }

    /// A webhook delivery's body in any payload version (v2, v3.0, v4.0), normalised.
    public struct WebhookEvent: Hashable, Sendable, Decodable {
        /// The event id: a 64-bit integer in v2/v3, a ULID string in v4. Use it (or `ulid`) to deduplicate.
        public var id: String
        public var ulid: String?
        public var timestamp: Date
        /// create, update or delete (v4: `reason`).
        public var eventType: String
        public var resourceName: String
        public var resourceID: ID
        public var companyID: ID
        public var projectID: ID?
        public var userID: ID?
        /// The OAuth client id that made the change: ignore events caused by our own writes.
        public var sourceApplicationID: String?
        public var relatedResources: [Ref]
        public var payloadVersion: String

        enum CodingKeys: String, CodingKey {
            case id, ulid, timestamp, apiVersion, eventType, reason, resourceName, resourceType, resourceId, companyId,
                projectId, userId, metadata, relatedResources
        }

        struct Metadata: Decodable {
            var sourceApplicationId: String?
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            if let reason = try c.decodeIfPresent(String.self, forKey: .reason) {
                payloadVersion = "v4.0"
                id = try c.decode(String.self, forKey: .id)
                ulid = id
                eventType = reason
                resourceName = try c.decode(String.self, forKey: .resourceType)
            } else {
                payloadVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion) ?? "v2"
                id = String(try c.decode(Int64.self, forKey: .id))
                ulid = try c.decodeIfPresent(String.self, forKey: .ulid)
                eventType = try c.decode(String.self, forKey: .eventType)
                resourceName = try c.decode(String.self, forKey: .resourceName)
            }
            timestamp = try c.decode(Date.self, forKey: .timestamp)
            resourceID = try c.decodeStringID(.resourceId)
            companyID = try c.decodeStringID(.companyId)
            projectID = try c.decodeStringIDIfPresent(.projectId)
            userID = try c.decodeStringIDIfPresent(.userId)
            sourceApplicationID = try c.decodeIfPresent(Metadata.self, forKey: .metadata)?.sourceApplicationId
            relatedResources = try c.decodeIfPresent([Ref].self, forKey: .relatedResources) ?? []
        }

        /// The key to deduplicate deliveries by.
        public var dedupeKey: String { ulid ?? id }
    }
}

extension KeyedDecodingContainer {
    /// Ids arrive as integers (v1) or strings (v2.0, webhook v4).
    func decodeStringID(_ key: Key) throws -> Int64 {
        if let value = try? decode(Int64.self, forKey: key) { return value }
        let text = try decode(String.self, forKey: key)
        guard let value = Int64(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "“\(text)” is not an id")
        }
        return value
    }

    func decodeStringIDIfPresent(_ key: Key) throws -> Int64? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        return try decodeStringID(key)
    }
}
