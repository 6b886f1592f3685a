import Foundation

/// Which Procore hosts a connection talks to (procore-api.md §2).
public enum ProcoreEnvironment: Hashable, Sendable, Codable {
    case production
    case developerSandbox
    case custom(authBaseURL: URL, apiBaseURL: URL)

    public var authBaseURL: URL {
        switch self {
        case .production: URL(string: "https://login.procore.com")!
        case .developerSandbox: URL(string: "https://login-sandbox.procore.com")!
        case .custom(let auth, _): auth
        }
    }

    public var apiBaseURL: URL {
        switch self {
        case .production: URL(string: "https://api.procore.com")!
        case .developerSandbox: URL(string: "https://sandbox.procore.com")!
        case .custom(_, let api): api
        }
    }

    public var kind: String {
        switch self {
        case .production: "production"
        case .developerSandbox: "developer_sandbox"
        case .custom: "custom"
        }
    }
}

public enum ProcoreGrantType: String, Sendable, Codable, CaseIterable {
    case clientCredentials = "client_credentials"
    case authorizationCode = "authorization_code"
}

/// One organisation's link to Procore. The client secret and tokens live encrypted in persistence and are never part
/// of this value, so it can be rendered or logged safely.
public struct ProcoreConnection: Hashable, Sendable {
    public typealias ID = Identifier<ProcoreConnection>
    public var id: ID
    public var organisationID: Organisation.ID
    public var environment: ProcoreEnvironment
    public var clientID: String
    public var grantType: ProcoreGrantType
    public var redirectURI: URL?
    public var hasClientSecret: Bool
    public var status: Status

    public enum Status: String, Sendable, Codable {
        /// Saved but never tested, or its last test failed.
        case notConnected = "not_connected"
        case connected
    }

    public init(
        id: ID = ID(), organisationID: Organisation.ID, environment: ProcoreEnvironment, clientID: String,
        grantType: ProcoreGrantType, redirectURI: URL? = nil, hasClientSecret: Bool, status: Status = .notConnected
    ) {
        self.id = id
        self.organisationID = organisationID
        self.environment = environment
        self.clientID = clientID
        self.grantType = grantType
        self.redirectURI = redirectURI
        self.hasClientSecret = hasClientSecret
        self.status = status
    }
}

/// Where purchase orders are created for one Procore company: the seed's two checkboxes as one value, so that
/// "both ticked" cannot be represented.
public enum PurchaseOrderSource: String, Sendable, Codable, CaseIterable {
    /// Both boxes unticked: no PO sync; invoices go to Procore as Direct Costs.
    case none
    /// **Lentune purchase order** ticked: Lentune POs are sent to Procore; nothing is pulled.
    case lentune
    /// **Procore purchase order** ticked: Procore POs are synced into Lentune; New Purchase Order is not accessible.
    case procore

    /// The two checkboxes of the Procore company list, as submitted. Returns `nil` when both are ticked.
    public init?(lentuneTicked: Bool, procoreTicked: Bool) {
        switch (lentuneTicked, procoreTicked) {
        case (false, false): self = .none
        case (true, false): self = .lentune
        case (false, true): self = .procore
        case (true, true): return nil
        }
    }

    public var lentuneTicked: Bool { self == .lentune }
    public var procoreTicked: Bool { self == .procore }
}

/// A row of the **Procore company list**: one Procore company seen through a connection, and its settings.
public struct ProcoreCompanyLink: Hashable, Sendable {
    public typealias ID = Identifier<ProcoreCompanyLink>
    public var id: ID
    public var organisationID: Organisation.ID
    public var connectionID: ProcoreConnection.ID
    public var procoreCompanyID: ProcoreID
    public var name: String
    public var isLinked: Bool
    public var purchaseOrderSource: PurchaseOrderSource
    /// Project stages whose projects are imported (DESIGN.md §1.1: default "Course of Construction").
    public var projectStages: [String]
    /// Rounding tolerance for invoice amount (DESIGN.md §1.1: default 0.05).
    public var roundingTolerance: Decimal
    /// The project stages this Procore company has, as last read from Procore; `nil` until read (Procore's six
    /// default stages are assumed meanwhile).
    public var availableStages: [String]?

    /// Procore's default project stages, which every company starts with.
    public static let procoreDefaultStages = [
        "Pre-Construction", "Course of Construction", "Post-Construction", "Completed", "Not Awarded", "Canceled",
    ]

    /// Lentune's webhook hook in this company (DESIGN.md §2.1).
    public var hook: HookState = .notRegistered

    public enum HookState: Hashable, Sendable {
        case notRegistered
        case registered(hookID: String)
        /// Registered, but Procore refused some triggers (which, and why): the sweep covers those resources.
        case partlyRegistered(hookID: String, refused: String)
        /// Registering or delivering fails, with why.
        case failing(String)

        public var title: String {
            switch self {
            case .notRegistered: "Not registered"
            case .registered: "Registered"
            case .partlyRegistered: "Registered, some triggers refused"
            case .failing: "Failing"
            }
        }
    }

    /// The stage names "Project stages to import" may hold for this company.
    public var selectableStages: [String] { availableStages ?? Self.procoreDefaultStages }

    public static let defaultProjectStages = ["Course of Construction"]
    public static let defaultRoundingTolerance = Decimal(string: "0.05")!

    public init(
        id: ID = ID(), organisationID: Organisation.ID, connectionID: ProcoreConnection.ID, procoreCompanyID: ProcoreID,
        name: String, isLinked: Bool = false, purchaseOrderSource: PurchaseOrderSource = .none,
        projectStages: [String] = ProcoreCompanyLink.defaultProjectStages,
        roundingTolerance: Decimal = ProcoreCompanyLink.defaultRoundingTolerance, availableStages: [String]? = nil,
        hook: HookState = .notRegistered
    ) {
        self.hook = hook
        self.id = id
        self.organisationID = organisationID
        self.connectionID = connectionID
        self.procoreCompanyID = procoreCompanyID
        self.name = name
        self.isLinked = isLinked
        self.purchaseOrderSource = purchaseOrderSource
        self.projectStages = projectStages
        self.roundingTolerance = roundingTolerance
        self.availableStages = availableStages
    }
}
