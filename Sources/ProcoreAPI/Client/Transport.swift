import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

extension Procore {
    public struct HTTPRequest: Sendable {
        public var method: String
        public var url: URL
        public var headers: [(String, String)]
        public var body: Data?
        public var timeout: Duration
    }

    public struct HTTPResponse: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: Data

        public func header(_ name: String) -> String? {
            headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
        }

        public init(status: Int, headers: [(String, String)], body: Data) {
            self.status = status
            self.headers = headers
            self.body = body
        }
    }

    public struct TransportError: Swift.Error, Sendable, CustomStringConvertible {
        /// False only when the connection was never made, so the request certainly did not reach Procore.
        public var requestSent: Bool
        public var description: String
    }

    /// The one place that does I/O. Tests use the live transport against the sandbox.
    public protocol Transport: Sendable {
        func send(_ request: HTTPRequest, maxResponseBytes: Int) async throws(TransportError) -> HTTPResponse
    }

    /// AsyncHTTPClient, one shared client per process, every call bounded by a timeout and a body size.
    ///
    /// Redirects are never followed (issue 30): Procore's OAuth and API never need one, and following a 307 or 308
    /// would send the token request, client secret included, to whatever address the answer names. A 3xx comes back
    /// as an answer, and `Session` turns it into a failure naming the status and the address.
    public struct LiveTransport: Transport {
        let client: HTTPClient
        /// Checks the addresses a host resolves to before each connection (custom Procore URLs: `OutboundPolicy`).
        let addressGuard: AddressGuard?

        public init(client: HTTPClient = LiveTransport.sharedClient, addressGuard: AddressGuard? = nil) {
            self.client = client
            self.addressGuard = addressGuard
        }

        /// The process's one client for Procore: AsyncHTTPClient's shared settings, without following redirects.
        public static let sharedClient: HTTPClient = {
            var configuration = HTTPClient.Configuration.singletonConfiguration
            configuration.redirectConfiguration = .disallow
            return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        }()

        /// The same transport, checking every address it connects to with `check`.
        public func guarded(by check: AddressGuard) -> LiveTransport { LiveTransport(client: client, addressGuard: check) }

        public func send(_ request: HTTPRequest, maxResponseBytes: Int) async throws(TransportError) -> HTTPResponse {
            let client: HTTPClient
            if let addressGuard {
                client = try await addressGuard.client(for: request.url, base: self.client)
            } else {
                client = self.client
            }
            var outgoing = HTTPClientRequest(url: request.url.absoluteString)
            outgoing.method = HTTPMethod(rawValue: request.method)
            for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
            if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
            let timeout = TimeAmount.nanoseconds(Int64(request.timeout.components.seconds) * 1_000_000_000
                + request.timeout.components.attoseconds / 1_000_000_000)
            do {
                let response = try await client.execute(outgoing, timeout: timeout)
                let body = try await response.body.collect(upTo: maxResponseBytes)
                return HTTPResponse(
                    status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                    body: Data(body.readableBytesView))
            } catch {
                throw TransportError(requestSent: !Self.neverConnected(error), description: String(describing: error))
            }
        }

        /// Connection refused, connect timeout, name resolution: the request never left.
        static func neverConnected(_ error: any Swift.Error) -> Bool {
            if let client = error as? HTTPClientError, client == .connectTimeout { return true }
            if error is NIOConnectionError { return true }
            if let io = error as? IOError, io.errnoCode == ECONNREFUSED { return true }
            let text = String(describing: error)
            return text.contains("Connection refused") || text.contains("connectTimeout") || text.contains("connection refused")
        }
    }
}
