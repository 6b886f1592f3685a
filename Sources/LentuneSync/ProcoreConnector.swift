import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import Logging
import ProcoreAPI

/// Turns a stored Procore connection into a working client, and does the connection-level chores of the settings
/// page: test, refresh the company list, and the authorization-code round trip. Secrets are decrypted only here,
/// only in memory, and never logged.
public struct ProcoreConnector: Sendable {
    let secrets: SecretBox
    let transport: any Procore.Transport
    let logger: Logger
    let clock: @Sendable () -> Date
    /// The client over a connection's session: `.live` in the app; tests substitute canned answers.
    let makeClient: @Sendable (Procore.Session) -> Procore.Client
    /// Whether custom Procore URLs may reach this machine (`OutboundPolicy`): the process's configuration decides;
    /// the default (true) is for tests and tools against a local sandbox.
    public let allowLoopback: Bool

    public init(
        secrets: SecretBox, transport: any Procore.Transport = Procore.LiveTransport(), allowLoopback: Bool = true,
        logger: Logger = Logger(label: "lentune.procore"), clock: @escaping @Sendable () -> Date = { Date() },
        makeClient: @escaping @Sendable (Procore.Session) -> Procore.Client = { .live(session: $0) }
    ) {
        self.secrets = secrets
        self.allowLoopback = allowLoopback
        self.transport = transport
        self.logger = logger
        self.clock = clock
        self.makeClient = makeClient
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case incomplete(String)
        case procore(Procore.Error)
        case stateMismatch

        public var description: String {
            switch self {
            case .incomplete(let what): "The connection is not complete: \(what)."
            case .procore(let error): error.description
            case .stateMismatch: "The answer from Procore did not match this connection's request. Start again with Connect to Procore."
            }
        }
    }

    // MARK: - Sessions

    public func configuration(for connection: StoredConnection, company: Int64?) throws(Failure) -> Procore.Configuration {
        guard let sealed = connection.sealedClientSecret else { throw .incomplete("the client secret is missing") }
        let secret: String
        do { secret = try secrets.open(sealed) } catch { throw .incomplete("the stored client secret cannot be decrypted with this LENTUNE_SECRET_KEY; enter it again") }
        let domain = connection.domain
        let environment: Procore.Environment =
            switch domain.environment {
            case .production: .production
            case .developerSandbox: .developerSandbox
            case .custom(let auth, let api): .custom(authBaseURL: auth, apiBaseURL: api)
            }
        let grant: Procore.Grant =
            switch domain.grantType {
            case .clientCredentials: .clientCredentials
            case .authorizationCode: .authorizationCode(redirectURI: domain.redirectURI?.absoluteString ?? "")
            }
        return Procore.Configuration(
            environment: environment, clientID: domain.clientID, clientSecret: secret, grant: grant, companyID: company)
    }

    /// A session whose rotated tokens are sealed and written to the connection before they are used.
    public func session(for connection: StoredConnection, company: Int64?, db: any Database) throws(Failure) -> Procore.Session {
        let configuration = try configuration(for: connection, company: company)
        let secrets = self.secrets
        var tokens: Procore.Tokens?
        if let access = connection.sealedAccessToken.flatMap({ try? secrets.open($0) }), let expires = connection.tokenExpiresAt {
            tokens = Procore.Tokens(
                accessToken: access, refreshToken: connection.sealedRefreshToken.flatMap { try? secrets.open($0) }, expiresAt: expires)
        }
        let connectionID = connection.id
        return Procore.Session(
            configuration: configuration, tokens: tokens, transport: transport(for: configuration.environment), logger: logger, clock: clock,
            persistTokens: { fresh in
                try await ProcoreSettings.storeTokens(
                    connectionID, sealedAccessToken: try secrets.seal(fresh.accessToken),
                    sealedRefreshToken: try fresh.refreshToken.map(secrets.seal), expiresAt: fresh.expiresAt, on: db)
            })
    }

    /// The transport for an environment: a custom one's addresses are checked at every connection (`OutboundPolicy`),
    /// Procore's own hosts are fixed HTTPS names.
    func transport(for environment: Procore.Environment) -> any Procore.Transport {
        guard case .custom = environment, let live = transport as? Procore.LiveTransport else { return transport }
        return live.guarded(by: Self.addressGuard(allowLoopback: allowLoopback))
    }

    /// `OutboundPolicy` as the transport's check: every address the host resolves to must be allowed.
    public static func addressGuard(
        allowLoopback: Bool, resolve: (@Sendable (String) async throws -> [String])? = nil
    ) -> Procore.AddressGuard {
        let check: @Sendable (String, [String]) -> String? = { host, addresses in
            if OutboundPolicy.isLoopbackName(host), !allowLoopback { return "this server does not connect to itself (localhost) in production" }
            for text in addresses {
                guard let address = IPAddress(text.split(separator: "%").first.map(String.init) ?? text) else {
                    return "\(text) is not an address Lentune can check"
                }
                if let refusal = OutboundPolicy.check(address: address, allowLoopback: allowLoopback) { return refusal.reason }
            }
            return nil
        }
        if let resolve { return Procore.AddressGuard(check: check, resolve: resolve) }
        return Procore.AddressGuard(check: check)
    }

    // MARK: - Test connection

    public struct TestResult: Sendable, Equatable {
        public var user: String
        public var companies: [(id: Int64, name: String)]
        /// Each company's project stage names, where Procore answered (a company whose stages could not be read keeps
        /// what was read before).
        public var stages: [Int64: [String]] = [:]

        public static func == (lhs: TestResult, rhs: TestResult) -> Bool {
            lhs.user == rhs.user && lhs.companies.map(\.id) == rhs.companies.map(\.id)
        }
    }

    /// Signs in, reads `/me` and the companies, stores the outcome on the connection (connected or Procore's error),
    /// and refreshes the Procore company list. Nothing is marked connected unless Procore accepted the credentials.
    @discardableResult
    ///
    /// `using` is the process's shared session (`ProcoreSessions.test`); without it a session is made for this call.
    public func test(
        _ connection: StoredConnection, serviceCompany: Int64?, using shared: Procore.Session? = nil, on db: any Database
    ) async -> Result<TestResult, Failure> {
        let result: Result<TestResult, Failure>
        do throws(Failure) {
            let session: Procore.Session
            if let shared { session = shared } else { session = try self.session(for: connection, company: serviceCompany, db: db) }
            let client = makeClient(session)
            do throws(Procore.Error) {
                let me = try await client.me()
                let companies = try await client.companies().all().filter { $0.isActive ?? true }
                var stages: [Int64: [String]] = [:]
                for company in companies {
                    if let names = try? await client.projectStages(company: company.id).all().map(\.name), !names.isEmpty {
                        stages[company.id] = names
                    }
                }
                result = .success(TestResult(
                    user: me.name.map { "\($0) (\(me.login))" } ?? me.login, companies: companies.map { ($0.id, $0.name) },
                    stages: stages))
            } catch {
                throw Failure.procore(error)
            }
        } catch {
            result = .failure(error)
        }
        do {
            switch result {
            case .success(let outcome):
                try await ProcoreSettings.recordTest(connection.id, .connected(as: outcome.user), on: db)
                try await ProcoreSettings.refreshCompanies(outcome.companies, stages: outcome.stages, connection: connection, on: db)
            case .failure(let failure):
                try await ProcoreSettings.recordTest(connection.id, .failed(failure.description), on: db)
            }
        } catch {
            logger.error("could not store the connection test's outcome: \(String(reflecting: error))")
        }
        return result
    }

    // MARK: - Authorization code

    /// The consent page URL; remembers a hash of `state` on the connection.
    public func authorizationURL(for connection: StoredConnection, state: String, on db: any Database) async throws -> URL {
        let configuration = try configuration(for: connection, company: nil)
        guard case .authorizationCode(let redirect) = configuration.grant else {
            throw Failure.incomplete("the grant type is not authorization code")
        }
        try await ProcoreSettings.setOAuthStateHash(connection.id, SecureTokens.sha256(state), on: db)
        return Procore.Endpoint.authorizeURL(
            environment: configuration.environment, clientID: configuration.clientID, redirectURI: redirect, state: state)
    }

    /// Completes the redirect back from Procore: checks `state`, exchanges the code, stores the sealed tokens.
    public func completeAuthorization(_ connection: StoredConnection, code: String, state: String, on db: any Database) async throws(Failure) {
        guard let expected = connection.oauthStateHash, expected == SecureTokens.sha256(state) else { throw .stateMismatch }
        let session = try session(for: connection, company: nil, db: db)
        do {
            _ = try await session.exchange(code: code)
        } catch {
            throw .procore(error)
        }
        do {
            try await ProcoreSettings.setOAuthStateHash(connection.id, nil, on: db)
        } catch {
            throw .incomplete("the authorization could not be saved")
        }
    }
}
