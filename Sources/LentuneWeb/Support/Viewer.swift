import LentuneCore
import LentunePersistence
import LentuneSync
import Vapor

/// The signed-in user of a request, with their organisation and their session's CSRF token.
public struct Viewer: Sendable {
    public var user: User
    public var organisation: Organisation
    public var csrfToken: String
    public var sessionTokenHash: String
    /// Invoices awaiting this user's approval (the navigation's Approvals count; read for pages, 0 otherwise).
    public var awaitingMyApproval = 0

    public var organisationID: Organisation.ID { organisation.id }
}

extension Request {
    private struct ViewerKey: StorageKey { typealias Value = Viewer }

    /// Set by `SessionAuthenticator` when the request carries a live session.
    public var viewer: Viewer? {
        get { storage[ViewerKey.self] }
        set { storage[ViewerKey.self] = newValue }
    }

    /// The signed-in viewer; routes behind `RequireSignIn` can rely on it.
    public func requireViewer() throws -> Viewer {
        guard let viewer else { throw Abort(.unauthorized) }
        return viewer
    }

    /// Parses `:id`; a malformed id is a 404 like an unknown one.
    public func idParameter() throws -> UUID {
        guard let id = parameters.get("id", as: UUID.self) else { throw Abort(.notFound) }
        return id
    }
}

/// Services built once in `configure` and handed to handlers (no client is constructed inside a handler).
public struct LentuneServices: Sendable {
    public var config: LentuneConfig
    public var now: @Sendable () -> Date
    public var secrets: SecretBox
    public var connector: ProcoreConnector
    /// One Procore session per connection and company, shared by the web app and the in-process worker.
    public var sessions: ProcoreSessions
    /// The sync engine's handlers and factories (workers, sweeps), built once here.
    public var engine: SyncEngine
    /// A bcrypt hash at the configured cost, checked when the email is unknown so both answers take as long.
    public var dummyPasswordHash: String
    /// Recent totals of the PO list.
    public let purchaseOrderCounts = PurchaseOrders.ListCounts()
    /// Webhook events are written with group commit (see `WebhookEvents.Writer`); set by `configure` once the
    /// database exists.
    public var webhookWriter: WebhookEvents.Writer?
    /// Webhook connections and their Authorization values, briefly.
    let webhookConnections = WebhookConnections()
    /// The PO list's projects, suppliers and company sources, briefly.
    let listReferences = ListReferenceCache()

    public init(config: LentuneConfig, now: @escaping @Sendable () -> Date = { Date() }) throws {
        self.config = config
        self.now = now
        secrets = try SecretBox(base64Key: config.secretKey)
        connector = ProcoreConnector(secrets: secrets, allowLoopback: config.allowLoopbackProcore, clock: now)
        engine = Self.engine(config: config, secrets: secrets, connector: connector, now: now)
        sessions = engine.sessions
        dummyPasswordHash = try Bcrypt.hash(Tokens.random(), cost: config.passwordCost)
    }

    /// The sync engine of a process (the web app's, or `lentune worker`'s): its own Procore sessions, the handlers.
    public static func engine(
        config: LentuneConfig, secrets: SecretBox, connector: ProcoreConnector, now: @escaping @Sendable () -> Date = { Date() }
    ) -> SyncEngine {
        let publicURL = config.publicURL.absoluteString.trimmingSuffix("/")
        return SyncEngine(
            sessions: ProcoreSessions(connector: connector),
            hooks: HookRegistration(webhookURL: { publicURL + SiteURL.procoreWebhook($0).path }, secrets: secrets),
            now: now)
    }

    /// Where Procore sends users back after consent.
    public var oauthRedirectURI: URL { URL(string: config.publicURL.absoluteString.trimmingSuffix("/") + SiteURL.procoreCallback.path)! }

    /// Where Procore delivers webhooks for a connection.
    public func webhookURL(connection: UUID) -> String {
        config.publicURL.absoluteString.trimmingSuffix("/") + SiteURL.procoreWebhook(connection).path
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}

extension Application {
    private struct ServicesKey: StorageKey { typealias Value = LentuneServices }

    public var lentune: LentuneServices {
        get {
            guard let services = storage[ServicesKey.self] else { fatalError("configure(_:) has not run") }
            return services
        }
        set { storage[ServicesKey.self] = newValue }
    }
}
