import Foundation
import Logging

extension Procore {
    /// One connection's conversation with Procore: tokens (obtained, cached, refreshed before expiry, rotated with a
    /// single refresh shared by concurrent callers), `Procore-Company-Id`, pacing, retries and error mapping.
    public actor Session {
        public let configuration: Configuration
        let transport: any Transport
        public let pacer: RateLimitPacer
        let retry: RetryPolicy
        let logger: Logger
        let clock: @Sendable () -> Date
        let sleep: @Sendable (Duration) async throws -> Void
        /// Called with every new token pair before it is used, so a crash cannot lose a rotated refresh token.
        let persistTokens: @Sendable (Tokens) async throws -> Void

        private var tokens: Tokens?
        private var pendingTokens: Task<Tokens, any Swift.Error>?
        /// Refresh this long before `expires_in` runs out.
        let refreshMargin: TimeInterval = 60

        public init(
            configuration: Configuration, tokens: Tokens? = nil, transport: any Transport = LiveTransport(),
            pacer: RateLimitPacer? = nil, retry: RetryPolicy = RetryPolicy(), logger: Logger = Logger(label: "procore"),
            clock: @escaping @Sendable () -> Date = { Date() },
            sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
            persistTokens: @escaping @Sendable (Tokens) async throws -> Void = { _ in }
        ) {
            self.configuration = configuration
            self.tokens = tokens
            self.transport = transport
            self.pacer = pacer ?? RateLimitPacer(label: configuration.clientID, clock: clock, sleep: sleep)
            self.retry = retry
            self.logger = logger
            self.clock = clock
            self.sleep = sleep
            self.persistTokens = persistTokens
        }

        // MARK: - Requests

        /// Sends an endpoint and returns the successful answer; every failure is a `Procore.Error`.
        public func send(_ endpoint: Endpoint) async throws(Procore.Error) -> HTTPResponse {
            var attempt = 0
            var refreshedAfter401 = false
            while true {
                attempt += 1
                let token = try await accessToken()
                let request = build(endpoint, token: token)
                try Self.checkOrigin(request, configuration: configuration, host: endpoint.host)
                let ticket: Int
                do {
                    ticket = try await pacer.acquire()
                } catch {
                    throw .transport("cancelled")
                }
                let response: HTTPResponse
                do {
                    response = try await transport.send(request, maxResponseBytes: configuration.maxResponseBytes)
                } catch {
                    await pacer.abandon()
                    let decision = retry.decision(for: .transport(requestSent: error.requestSent), attempt: attempt, idempotent: endpoint.isIdempotent)
                    logger.warning("Procore transport error", metadata: ["path": "\(endpoint.path)", "attempt": "\(attempt)", "error": "\(error.description)"])
                    guard case .retry(let wait) = decision else { throw .transport(error.description) }
                    try await pause(wait)
                    continue
                }
                let retryAfter = response.header("Retry-After").flatMap(Int.init).map { Duration.seconds($0) }
                await pacer.record(
                    ticket: ticket, limit: response.header("X-Rate-Limit-Limit").flatMap(Int.init),
                    remaining: response.header("X-Rate-Limit-Remaining").flatMap(Int.init),
                    reset: response.header("X-Rate-Limit-Reset").flatMap(TimeInterval.init).map(Date.init(timeIntervalSince1970:)),
                    status: response.status, retryAfter: retryAfter)
                if (200..<300).contains(response.status) { return response }
                if let redirect = Self.redirect(response, to: request) { throw redirect }

                if response.status == 401, !refreshedAfter401 {
                    // Retry once with a fresh token (it may have been revoked or expired early).
                    refreshedAfter401 = true
                    attempt -= 1
                    invalidate(token)
                    continue
                }
                let decision = retry.decision(
                    for: .status(response.status, retryAfter: retryAfter), attempt: attempt, idempotent: endpoint.isIdempotent)
                if case .retry(let wait) = decision {
                    logger.notice("Procore answered \(response.status); retrying", metadata: ["path": "\(endpoint.path)", "attempt": "\(attempt)"])
                    try await pause(wait)
                    continue
                }
                throw Self.error(for: response)
            }
        }

        /// Sends and decodes the answer as `T`.
        public func decode<T: Decodable & Sendable>(_ type: T.Type, _ endpoint: Endpoint) async throws(Procore.Error) -> T {
            let response = try await send(endpoint)
            return try Self.decode(T.self, from: response.body)
        }

        static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(Procore.Error) -> T {
            do {
                return try Procore.decoder.decode(T.self, from: data)
            } catch let DecodingError.keyNotFound(key, context) {
                throw .decoding("missing \(Self.path(context.codingPath + [key]))")
            } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context),
                let DecodingError.dataCorrupted(context)
            {
                throw .decoding("\(Self.path(context.codingPath)): \(context.debugDescription)")
            } catch {
                throw .decoding(String(describing: error))
            }
        }

        static func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }

        func pause(_ duration: Duration) async throws(Procore.Error) {
            do { try await sleep(duration) } catch { throw .transport("cancelled") }
        }

        func build(_ endpoint: Endpoint, token: String?) -> HTTPRequest {
            let base = endpoint.host == .auth ? configuration.environment.authBaseURL : configuration.environment.apiBaseURL
            var headers = [("Accept", "application/json"), ("User-Agent", "Lentune/1.0 (+https://lentune.com)")]
            if endpoint.host == .api, let token { headers.append(("Authorization", "Bearer \(token)")) }
            if endpoint.host == .api, endpoint.needsCompany, let company = endpoint.company ?? configuration.companyID {
                headers.append(("Procore-Company-Id", String(company)))
            }
            if let body = endpoint.body { headers.append(("Content-Type", body.contentType)) }
            return HTTPRequest(
                method: endpoint.method.rawValue, url: endpoint.url(base: base), headers: headers, body: endpoint.body?.data,
                timeout: configuration.timeout)
        }

        /// A 3xx answer as the failure it is: Lentune never follows a redirect (the transport does not), since Procore's
        /// OAuth and API never send one, and following it would send the request and its credentials elsewhere.
        static func redirect(_ response: HTTPResponse, to request: HTTPRequest) -> Procore.Error? {
            guard (300..<400).contains(response.status) else { return nil }
            let location = response.header("Location").map { " to \(String($0.prefix(200)))" } ?? ""
            return .status(
                code: response.status,
                message: "\(request.url.host ?? "the server") answered with a redirect\(location); Lentune does not follow redirects. Check the connection's URLs.",
                requestID: response.header("X-Request-Id"))
        }

        /// Credentials go only to the configured address: a request whose scheme, host or port is not the configured
        /// base URL's is refused before it is sent (a path can never name another host, but this is where that is sure).
        static func checkOrigin(_ request: HTTPRequest, configuration: Configuration, host: Procore.Host) throws(Procore.Error) {
            let base = host == .auth ? configuration.environment.authBaseURL : configuration.environment.apiBaseURL
            func origin(_ url: URL) -> String {
                let scheme = url.scheme?.lowercased() ?? ""
                return "\(scheme)://\(url.host?.lowercased() ?? ""):\(url.port ?? (scheme == "https" ? 443 : 80))"
            }
            guard origin(request.url) == origin(base) else {
                throw .transport("a request to \(origin(request.url)) is not to the configured \(origin(base)); nothing was sent")
            }
        }

        /// Maps an error answer to `Procore.Error`, keeping Procore's words and request id. Only an answer in Procore's
        /// error shape (JSON `errors`, `error.message`, `error_description`) lends its words; any other body is not
        /// shown (it may be anything the address answered, issue 30): the status alone is.
        static func error(for response: HTTPResponse) -> Procore.Error {
            let requestID = response.header("X-Request-Id")
            let json = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any]
            if let fields = json?["errors"] as? [String: Any], [400, 422].contains(response.status) {
                let mapped = fields.mapValues { value -> [String] in
                    (value as? [String]) ?? [String(describing: value)]
                }
                return .validation(code: response.status, fields: mapped, requestID: requestID)
            }
            var message = ""
            if let text = json?["errors"] as? String { message = text }
            if let error = json?["error"] as? [String: Any], let text = error["message"] as? String { message = text }
            if let text = json?["error_description"] as? String { message = text }
            message = String(message.prefix(500))
            if response.status == 429 {
                return .rateLimited(retryAfter: response.header("Retry-After").flatMap(Int.init).map { .seconds($0) })
            }
            if response.status == 401 { return .unauthorized(message) }
            return .status(code: response.status, message: message.isEmpty ? "HTTP \(response.status)" : message, requestID: requestID)
        }

        // MARK: - Tokens

        /// A valid access token, obtaining or refreshing one first when needed. Concurrent callers share one refresh.
        public func accessToken() async throws(Procore.Error) -> String {
            if let tokens, tokens.expiresAt.timeIntervalSince(clock()) > refreshMargin { return tokens.accessToken }
            if pendingTokens == nil {
                let current = tokens
                pendingTokens = Task { try await self.obtainTokens(replacing: current) }
            }
            do {
                let fresh = try await pendingTokens!.value
                pendingTokens = nil
                return fresh.accessToken
            } catch {
                pendingTokens = nil
                if let error = error as? Procore.Error { throw error }
                throw .transport(String(describing: error))
            }
        }

        /// Exchanges an authorization code (from the OAuth callback) for tokens.
        public func exchange(code: String) async throws(Procore.Error) -> Tokens {
            let endpoint = Endpoint.token(grant: configuration.grant, clientID: configuration.clientID, clientSecret: configuration.clientSecret, code: code)
            let fresh = try await requestTokens(endpoint)
            try await store(fresh)
            return fresh
        }

        public func currentTokens() -> Tokens? { tokens }

        func invalidate(_ token: String?) {
            if tokens?.accessToken == token, var current = tokens {
                current.expiresAt = .distantPast
                tokens = current
            }
        }

        private func obtainTokens(replacing current: Tokens?) async throws -> Tokens {
            let endpoint: Endpoint
            switch configuration.grant {
            case .clientCredentials:
                endpoint = .token(grant: .clientCredentials, clientID: configuration.clientID, clientSecret: configuration.clientSecret)
            case .authorizationCode(let redirectURI):
                guard let refresh = current?.refreshToken else {
                    throw Procore.Error.unauthorized("This connection has no Procore authorization yet; use Connect to Procore.")
                }
                endpoint = .refresh(refreshToken: refresh, clientID: configuration.clientID, clientSecret: configuration.clientSecret, redirectURI: redirectURI)
            }
            let fresh = try await requestTokens(endpoint)
            try await store(fresh)
            return fresh
        }

        private func store(_ fresh: Tokens) async throws(Procore.Error) {
            do {
                try await persistTokens(fresh)
            } catch {
                throw .transport("the new Procore tokens could not be saved: \(error)")
            }
            tokens = fresh
        }

        private func requestTokens(_ endpoint: Endpoint) async throws(Procore.Error) -> Tokens {
            var attempt = 0
            while true {
                attempt += 1
                let request = build(endpoint, token: nil)
                try Self.checkOrigin(request, configuration: configuration, host: endpoint.host)
                let response: HTTPResponse
                do {
                    response = try await transport.send(request, maxResponseBytes: 1 << 20)
                } catch {
                    let decision = retry.decision(for: .transport(requestSent: error.requestSent), attempt: attempt, idempotent: endpoint.isIdempotent)
                    guard case .retry(let wait) = decision else { throw .transport(error.description) }
                    try await pause(wait)
                    continue
                }
                if response.status == 200 {
                    struct TokenAnswer: Decodable {
                        var accessToken: String
                        var refreshToken: String?
                        var expiresIn: Int
                        var createdAt: Int?
                    }
                    let answer = try Self.decode(TokenAnswer.self, from: response.body)
                    let issued = answer.createdAt.map { Date(timeIntervalSince1970: TimeInterval($0)) } ?? clock()
                    // Trust our clock for the deadline when the server's differs (skew).
                    let start = min(issued, clock())
                    return Tokens(accessToken: answer.accessToken, refreshToken: answer.refreshToken, expiresAt: start.addingTimeInterval(TimeInterval(answer.expiresIn)))
                }
                if let redirect = Self.redirect(response, to: request) { throw redirect }
                if [400, 401].contains(response.status) {
                    throw .unauthorized(Self.oauthMessage(response))
                }
                let decision = retry.decision(for: .status(response.status, retryAfter: nil), attempt: attempt, idempotent: endpoint.isIdempotent)
                guard case .retry(let wait) = decision else { throw Self.error(for: response) }
                try await pause(wait)
            }
        }

        static func oauthMessage(_ response: HTTPResponse) -> String {
            let json = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any]
            switch json?["error"] as? String {
            case "invalid_client": return "the client id or secret is wrong (invalid_client)"
            case "invalid_grant": return "the authorization has expired or was revoked; connect to Procore again (invalid_grant)"
            case let other?: return (json?["error_description"] as? String).map { "\($0) (\(other))" } ?? other
            case nil: return "HTTP \(response.status)"
            }
        }
    }
}

extension Procore.Session {
    /// Marks the cached access token as expired (tests of refresh; also usable after a key rotation).
    public func expireForTesting() { invalidate(currentTokens()?.accessToken) }
}
