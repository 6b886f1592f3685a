import FluentKit
import Foundation
import LentuneCore

/// A Procore connection. `sealedClientSecret` and the tokens are `SecretBox`-sealed; this record is never rendered.
public final class ProcoreConnectionRecord: Model, TenantRecord, @unchecked Sendable {
    public static let schema = "procore_connections"
    public static var organisationKey: KeyPath<ProcoreConnectionRecord, FieldProperty<ProcoreConnectionRecord, UUID>> {
        \.$organisationID
    }

    // managed fields
    @ID(key: .id) public var id: UUID?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?

    // data fields
    @Field(key: "organisation_id") public var organisationID: UUID
    @Field(key: "environment") public var environment: String
    @OptionalField(key: "auth_base_url") public var authBaseURL: String?
    @OptionalField(key: "api_base_url") public var apiBaseURL: String?
    @Field(key: "client_id") public var clientID: String
    @OptionalField(key: "sealed_client_secret") public var sealedClientSecret: String?
    @Field(key: "grant_type") public var grantType: String
    @OptionalField(key: "redirect_uri") public var redirectURI: String?
    @Field(key: "status") public var status: String
    @OptionalField(key: "sealed_access_token") public var sealedAccessToken: String?
    @OptionalField(key: "sealed_refresh_token") public var sealedRefreshToken: String?
    @OptionalField(key: "token_expires_at") public var tokenExpiresAt: Date?
    /// Random per connection: Procore sends it back in the webhook `Authorization` header.
    @Field(key: "sealed_webhook_secret") public var sealedWebhookSecret: String
    /// SHA-256 of the `state` sent to Procore's consent page, until the callback arrives.
    @OptionalField(key: "oauth_state_hash") public var oauthStateHash: String?
    /// Procore's name for the user or service account of the last successful test.
    @OptionalField(key: "connected_as") public var connectedAs: String?
    /// Procore's words for the last failure, shown on the page.
    @OptionalField(key: "last_error") public var lastError: String?
    /// A service account (client credentials) must name a company on every call, even to list companies.
    @OptionalField(key: "service_company_id") public var serviceCompanyID: Int64?

    public init() {}

    public init(
        id: UUID? = nil, organisationID: Organisation.ID, environment: ProcoreEnvironment, clientID: String,
        sealedClientSecret: String?, grantType: ProcoreGrantType, redirectURI: URL?, sealedWebhookSecret: String
    ) {
        self.id = id
        self.organisationID = organisationID.rawValue
        self.clientID = clientID
        self.sealedClientSecret = sealedClientSecret
        self.grantType = grantType.rawValue
        self.redirectURI = redirectURI?.absoluteString
        self.status = ProcoreConnection.Status.notConnected.rawValue
        self.sealedWebhookSecret = sealedWebhookSecret
        self.environment = environment.kind
        set(environment: environment)
    }

    public func set(environment: ProcoreEnvironment) {
        self.environment = environment.kind
        if case .custom(let auth, let api) = environment {
            authBaseURL = auth.absoluteString
            apiBaseURL = api.absoluteString
        } else {
            authBaseURL = nil
            apiBaseURL = nil
        }
    }

    public var domain: ProcoreConnection {
        let env: ProcoreEnvironment =
            switch environment {
            case "developer_sandbox": .developerSandbox
            case "custom":
                .custom(
                    authBaseURL: URL(string: authBaseURL ?? "") ?? ProcoreEnvironment.production.authBaseURL,
                    apiBaseURL: URL(string: apiBaseURL ?? "") ?? ProcoreEnvironment.production.apiBaseURL)
            default: .production
            }
        return ProcoreConnection(
            id: .init(id!), organisationID: .init(organisationID), environment: env, clientID: clientID,
            grantType: ProcoreGrantType(rawValue: grantType) ?? .clientCredentials,
            redirectURI: redirectURI.flatMap(URL.init(string:)), hasClientSecret: sealedClientSecret != nil,
            status: ProcoreConnection.Status(rawValue: status) ?? .notConnected)
    }
}

/// A row of the Procore company list. `version` supports optimistic concurrency on saves.
public final class ProcoreCompanyLinkRecord: Model, TenantRecord, @unchecked Sendable {
    public static let schema = "procore_company_links"
    public static var organisationKey: KeyPath<ProcoreCompanyLinkRecord, FieldProperty<ProcoreCompanyLinkRecord, UUID>> {
        \.$organisationID
    }

    // managed fields
    @ID(key: .id) public var id: UUID?
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?

    // data fields
    @Field(key: "organisation_id") public var organisationID: UUID
    @Field(key: "connection_id") public var connectionID: UUID
    @Field(key: "procore_company_id") public var procoreCompanyID: Int64
    @Field(key: "name") public var name: String
    @Field(key: "is_linked") public var isLinked: Bool
    @Field(key: "purchase_order_source") public var purchaseOrderSource: String
    /// Stage names separated by newlines (portable across SQLite and PostgreSQL).
    @Field(key: "project_stages") public var projectStages: String
    @Field(key: "rounding_tolerance_cents") public var roundingToleranceCents: Int64
    @Field(key: "version") public var version: Int
    /// The company's own stage names separated by newlines; `nil` until read from Procore.
    @OptionalField(key: "available_stages") public var availableStages: String?
    @OptionalField(key: "hook_id") public var hookID: String?
    /// registered, failing or NULL (not registered)
    @OptionalField(key: "hook_state") public var hookState: String?
    @OptionalField(key: "hook_error") public var hookError: String?
    /// The Tax mapping page's default, for lines without a tax code (`TaxMappings`).
    @OptionalField(key: "default_procore_tax_code_id") public var defaultProcoreTaxCodeID: Int64?

    public init() {}

    public init(_ link: ProcoreCompanyLink) throws {
        id = link.id.rawValue
        organisationID = link.organisationID.rawValue
        connectionID = link.connectionID.rawValue
        procoreCompanyID = link.procoreCompanyID
        version = 1
        try apply(link)
    }

    public func apply(_ link: ProcoreCompanyLink) throws {
        name = link.name
        isLinked = link.isLinked
        purchaseOrderSource = link.purchaseOrderSource.rawValue
        projectStages = link.projectStages.joined(separator: "\n")
        roundingToleranceCents = try Scaled.money(link.roundingTolerance)
        availableStages = link.availableStages?.joined(separator: "\n")
    }

    public var domain: ProcoreCompanyLink {
        ProcoreCompanyLink(
            id: .init(id!), organisationID: .init(organisationID), connectionID: .init(connectionID),
            procoreCompanyID: procoreCompanyID, name: name, isLinked: isLinked,
            purchaseOrderSource: PurchaseOrderSource(rawValue: purchaseOrderSource) ?? .none,
            projectStages: projectStages.split(separator: "\n").map(String.init),
            roundingTolerance: Scaled.money(roundingToleranceCents),
            availableStages: availableStages.map { $0.split(separator: "\n").map(String.init) },
            hook: hookDomain)
    }

    var hookDomain: ProcoreCompanyLink.HookState {
        switch hookState {
        case "registered": hookID.map { .registered(hookID: $0) } ?? .notRegistered
        case "partly_registered": hookID.map { .partlyRegistered(hookID: $0, refused: hookError ?? "") } ?? .notRegistered
        case "failing": .failing(hookError ?? "")
        default: .notRegistered
        }
    }
}
