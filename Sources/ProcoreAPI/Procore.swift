import Foundation

/// Namespace for Lentune's client of Procore's REST API (procore-api.md is the contract).
public enum Procore {
    public typealias ID = Int64

    /// Where a connection's Procore lives.
    public enum Environment: Hashable, Sendable {
        case production
        case developerSandbox
        /// Any other hosts, such as `lentune sandbox` (one URL may serve both).
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
    }

    public enum Grant: Hashable, Sendable {
        /// A Developer Managed Service Account: no refresh token, a new access token when one expires.
        case clientCredentials
        /// A user's consent; tokens refresh with single-use, rotating refresh tokens.
        case authorizationCode(redirectURI: String)
    }

    /// One connection's settings. The secret is held in memory only; persistence encrypts it.
    public struct Configuration: Sendable {
        public var environment: Environment
        public var clientID: String
        public var clientSecret: String
        public var grant: Grant
        /// Sent as `Procore-Company-Id` on every call that needs it.
        public var companyID: ID?
        /// Per-request timeout.
        public var timeout: Duration
        /// Responses larger than this are refused (bounded bodies).
        public var maxResponseBytes: Int

        public init(
            environment: Environment, clientID: String, clientSecret: String, grant: Grant = .clientCredentials,
            companyID: ID? = nil, timeout: Duration = .seconds(30), maxResponseBytes: Int = 32 * 1024 * 1024
        ) {
            self.environment = environment
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.grant = grant
            self.companyID = companyID
            self.timeout = timeout
            self.maxResponseBytes = maxResponseBytes
        }
    }

    /// An access token and, for the authorization code grant, its refresh token.
    public struct Tokens: Hashable, Sendable, Codable {
        public var accessToken: String
        public var refreshToken: String?
        public var expiresAt: Date

        public init(accessToken: String, refreshToken: String?, expiresAt: Date) {
            self.accessToken = accessToken
            self.refreshToken = refreshToken
            self.expiresAt = expiresAt
        }
    }

    /// Everything that can go wrong talking to Procore, in words a person can act on.
    public enum Error: Swift.Error, Hashable, Sendable, CustomStringConvertible {
        /// The request never got an answer (connection refused or reset, timeout, DNS).
        case transport(String)
        /// Procore answered with an error status.
        case status(code: Int, message: String, requestID: String?)
        /// Procore refused the fields of a write (400/422 with `{"errors": {field: [messages]}}`).
        case validation(code: Int, fields: [String: [String]], requestID: String?)
        /// The answer could not be read as the expected type.
        case decoding(String)
        /// Still rate limited after waiting and retrying.
        case rateLimited(retryAfter: Duration?)
        /// The credentials were refused (`invalid_client`, `invalid_grant`, a 401 after a fresh token).
        case unauthorized(String)
        /// A test double (`Procore.Client.failing`) was called on an endpoint the test did not provide.
        case unimplemented(String)

        public var description: String {
            switch self {
            case .transport(let detail):
                "Procore could not be reached (\(detail)). Check the network and the connection's URLs."
            case .status(let code, let message, let requestID):
                "Procore answered \(code): \(message)" + (requestID.map { " (request \($0))" } ?? "")
            case .validation(_, let fields, let requestID):
                "Procore refused the data: "
                    + fields.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.joined(separator: ", "))" }
                    .joined(separator: "; ") + (requestID.map { " (request \($0))" } ?? "")
            case .decoding(let detail):
                "Procore's answer could not be read: \(detail)"
            case .rateLimited(let retryAfter):
                "Procore's rate limit is exhausted" + (retryAfter.map { "; try again in \($0.components.seconds) s" } ?? "")
            case .unauthorized(let detail):
                "Procore refused the credentials: \(detail)"
            case .unimplemented(let endpoint):
                "Procore.Client.\(endpoint) is not implemented by this test client"
            }
        }

        /// Procore refused what was sent (400 or 422, whatever the body's shape): the data, not the connection.
        public var isRefusal: Bool {
            switch self {
            case .validation: true
            case .status(let code, _, _): code == 400 || code == 422
            default: false
            }
        }

        /// Worth retrying as it is (network trouble, throttling, server trouble).
        public var isTransient: Bool {
            switch self {
            case .transport, .rateLimited: true
            case .status(let code, _, _): code == 408 || code == 429 || code >= 500
            default: false
            }
        }
    }
}
