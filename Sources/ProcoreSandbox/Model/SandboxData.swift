import Foundation

/// Everything the sandbox knows, as one value: it is persisted to a file as JSON when a state file is configured.
public struct SandboxData: Codable, Sendable {
    public var nextID: Int64 = 4_294_968_000  // beyond 32 bits, so clients that narrow ids fail fast
    public var users: [SandboxUser] = []
    public var clients: [OAuthClient] = []
    public var tokens: [String: OAuthToken] = [:]
    /// refresh token → access token it belongs to
    public var refreshTokens: [String: String] = [:]
    public var codes: [String: AuthorizationCode] = [:]
    public var companies: [Company] = []
    public var stages: [ProjectStage] = []
    public var projects: [Project] = []
    public var vendors: [Vendor] = []
    public var subJobs: [SubJob] = []
    public var costCodes: [CostCode] = []
    /// Budget codes (absent from state files written before they existed).
    @DefaultEmpty public var wbsCodes: [WBSCode] = []
    public var lineItemTypes: [LineItemType] = []
    public var taxCodes: [TaxCode] = []
    public var uoms: [UnitOfMeasure] = []
    public var purchaseOrders: [PurchaseOrderContract] = []
    public var poLineItems: [LineItem] = []
    public var directCosts: [DirectCost] = []
    public var dcLineItems: [LineItem] = []
    public var billingPeriods: [BillingPeriod] = []
    public var requisitions: [Requisition] = []
    public var hooks: [WebhookHook] = []
    public var triggers: [WebhookTrigger] = []
    public var deliveries: [WebhookDelivery] = []
    public var settings = SandboxSettings()

    public init() {}

    public mutating func newID() -> Int64 {
        nextID += 1
        return nextID
    }

    func company(_ id: Int64) -> Company? { companies.first { $0.id == id } }
    func project(_ id: Int64, company: Int64) -> Project? { projects.first { $0.id == id && $0.companyID == company } }
}

public struct SandboxSettings: Codable, Sendable {
    /// `expires_in` of new access tokens.
    public var tokenLifetime: Int = 5400
    public var hourlyLimit: Int = 3600
    public var spikeLimit: Int = 100
    public var spikeWindow: Double = 10
    /// Divides webhook retry delays (1 s … 1 h) and the 12 h discard window, so tests can see them quickly.
    public var webhookTimeScale: Double = 1
    /// Seconds before a webhook delivery attempt gives up.
    public var webhookTimeout: Double = 5

    public init() {}

    /// Every field is optional in a settings document: what is left out keeps its default.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SandboxSettings()
        tokenLifetime = try c.decodeIfPresent(Int.self, forKey: .tokenLifetime) ?? d.tokenLifetime
        hourlyLimit = try c.decodeIfPresent(Int.self, forKey: .hourlyLimit) ?? d.hourlyLimit
        spikeLimit = try c.decodeIfPresent(Int.self, forKey: .spikeLimit) ?? d.spikeLimit
        spikeWindow = try c.decodeIfPresent(Double.self, forKey: .spikeWindow) ?? d.spikeWindow
        webhookTimeScale = try c.decodeIfPresent(Double.self, forKey: .webhookTimeScale) ?? d.webhookTimeScale
        webhookTimeout = try c.decodeIfPresent(Double.self, forKey: .webhookTimeout) ?? d.webhookTimeout
    }
}

/// Faults the tests and demos can switch on (`/_sandbox/faults`). None is active by default.
public struct SandboxFaults: Codable, Sendable {
    /// Route pattern (e.g. `GET /rest/v1.0/purchase_order_contracts`) or `*` → probability of a 500.
    public var errorRates: [String: Double] = [:]
    /// Added to every API response.
    public var latencyMilliseconds: Int = 0
    /// How long a direct-cost write holds its claim on the direct cost (default: `latencyMilliseconds`), so a test can
    /// overlap two writes and get the 409 without racing the clock.
    public var writeHoldMilliseconds: Int = 0
    /// The next `count` API requests get `status` (429 or 503) with `Retry-After: retryAfter`.
    public var storm: Storm?
    /// The next `count` matching requests perform their write, then lose the response.
    public var dropAfterCommit: [String: Int] = [:]
    /// This share of writes (any method but GET) that succeed lose their response after committing (the soak's
    /// "answers dropped after the write committed").
    public var dropAfterCommitRate: Double = 0
    /// Deliver every webhook event twice.
    public var duplicateWebhooks = false
    /// The next `dropWebhooks` deliveries are never sent: marked `discarded` at once, as Procore discards a hook's
    /// queue after 12 h of failures. The change they announced is only found by a sweep.
    public var dropWebhooks = 0
    /// Answer this share of API requests with 503 + Retry-After (load shedding).
    public var shedRate: Double = 0
    /// Commitments another application deletes right after a list answer has named them (a deletion during an
    /// import): each is deleted once, then forgotten.
    public var deleteAfterListing: [Int64] = []
    /// Resource names whose webhook triggers are refused (422), as Procore refuses a trigger an application may not
    /// have: the client must show it and cover the resource with its sweep.
    public var refusedTriggers: [String] = []

    public struct Storm: Codable, Sendable {
        public var status: Int
        public var count: Int
        public var retryAfter: Int

        public init(status: Int, count: Int, retryAfter: Int) {
            (self.status, self.count, self.retryAfter) = (status, count, retryAfter)
        }
    }

    public init() {}

    /// The error rate for a request (`METHOD /path`): its exact key, else a key whose path segments are `*` where the
    /// request's differ (`PATCH /rest/v1.0/purchase_order_contracts/*/line_items/sync`), else `*`.
    public func errorRate(for route: String) -> Double? {
        if let rate = errorRates[route] { return rate }
        let parts = route.split(separator: "/", omittingEmptySubsequences: false)
        for (key, rate) in errorRates where key.contains("/*") {
            let pattern = key.split(separator: "/", omittingEmptySubsequences: false)
            if pattern.count == parts.count, zip(pattern, parts).allSatisfy({ $0 == "*" || $0 == $1 }) { return rate }
        }
        return errorRates["*"]
    }

    /// Every field is optional in a faults document: what is left out is off.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        errorRates = try c.decodeIfPresent([String: Double].self, forKey: .errorRates) ?? [:]
        latencyMilliseconds = try c.decodeIfPresent(Int.self, forKey: .latencyMilliseconds) ?? 0
        writeHoldMilliseconds = try c.decodeIfPresent(Int.self, forKey: .writeHoldMilliseconds) ?? 0
        storm = try c.decodeIfPresent(Storm.self, forKey: .storm)
        dropAfterCommit = try c.decodeIfPresent([String: Int].self, forKey: .dropAfterCommit) ?? [:]
        duplicateWebhooks = try c.decodeIfPresent(Bool.self, forKey: .duplicateWebhooks) ?? false
        refusedTriggers = try c.decodeIfPresent([String].self, forKey: .refusedTriggers) ?? []
        dropWebhooks = max(0, try c.decodeIfPresent(Int.self, forKey: .dropWebhooks) ?? 0)
        shedRate = try c.decodeIfPresent(Double.self, forKey: .shedRate) ?? 0
        dropAfterCommitRate = try c.decodeIfPresent(Double.self, forKey: .dropAfterCommitRate) ?? 0
        deleteAfterListing = try c.decodeIfPresent([Int64].self, forKey: .deleteAfterListing) ?? []
    }
}

/// A collection that decodes as empty when its key is missing, so older state documents still load.
@propertyWrapper
public struct DefaultEmpty<Value: Codable & Sendable & RangeReplaceableCollection>: Codable, Sendable {
    public var wrappedValue: Value

    public init(wrappedValue: Value) { self.wrappedValue = wrappedValue }

    public init(from decoder: any Decoder) throws {
        wrappedValue = try decoder.singleValueContainer().decode(Value.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue)
    }
}

extension KeyedDecodingContainer {
    func decode<Value>(_ type: DefaultEmpty<Value>.Type, forKey key: Key) throws -> DefaultEmpty<Value> {
        try decodeIfPresent(type, forKey: key) ?? DefaultEmpty(wrappedValue: Value())
    }
}
