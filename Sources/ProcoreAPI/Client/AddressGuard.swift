import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension Procore {
    /// Where a connection's client may connect (custom Procore URLs, issue 30). Before each request the host is
    /// resolved, and every address it resolves to is checked by `check` (Lentune's `OutboundPolicy`); the request then
    /// goes to the address that was checked, and no other: AsyncHTTPClient is told that address for the host
    /// (`dnsOverride`, with TLS still verified for the host name), so a name that answers one address to the check and
    /// another to the connection (DNS rebinding) cannot slip through. A host written as an address is checked as it is.
    public struct AddressGuard: Sendable {
        /// Why `host`, resolved to `addresses`, must not be connected to; `nil` when it may.
        public var check: @Sendable (_ host: String, _ addresses: [String]) -> String?
        /// The host's addresses (getaddrinfo); tests substitute a fixed answer.
        public var resolve: @Sendable (_ host: String) async throws -> [String]
        let pinned = PinnedClients()

        public init(
            check: @escaping @Sendable (_ host: String, _ addresses: [String]) -> String?,
            resolve: @escaping @Sendable (_ host: String) async throws -> [String] = AddressGuard.systemResolve
        ) {
            self.check = check
            self.resolve = resolve
        }

        /// The client to send `url` with: `base` for a checked address literal, a client pinned to the checked address
        /// for a name. Throws, having sent nothing, when the policy refuses.
        func client(for url: URL, base: HTTPClient) async throws(TransportError) -> HTTPClient {
            guard let rawHost = url.host, !rawHost.isEmpty else {
                throw TransportError(requestSent: false, description: "the URL \(url.absoluteString) has no host")
            }
            let host = rawHost.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            if Self.isAddressLiteral(host) {
                if let refusal = check(host, [host]) { throw Self.refused(host, refusal) }
                return base
            }
            let addresses: [String]
            do {
                addresses = try await resolve(host)
            } catch {
                throw TransportError(requestSent: false, description: "the name \(host) could not be resolved")
            }
            guard let first = addresses.first else {
                throw TransportError(requestSent: false, description: "the name \(host) has no address")
            }
            if let refusal = check(host, addresses) { throw Self.refused(host, refusal) }
            return await pinned.client(host: host, address: first)
        }

        static func refused(_ host: String, _ reason: String) -> TransportError {
            TransportError(requestSent: false, description: "Lentune does not connect to \(host): \(reason)")
        }

        static func isAddressLiteral(_ host: String) -> Bool {
            var v4 = in_addr()
            var v6 = in6_addr()
            return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
        }

        /// Every address getaddrinfo gives for `host`, as text, read on NIO's thread pool (the call blocks).
        public static let systemResolve: @Sendable (String) async throws -> [String] = { host in
            try await NIOThreadPool.singleton.runIfActive { try addresses(of: host) }
        }

        static func addresses(of host: String) throws -> [String] {
            var hints = addrinfo()
            hints.ai_family = AF_UNSPEC
            #if canImport(Darwin)
                hints.ai_socktype = SOCK_STREAM
            #else
                hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            #endif
            var result: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { throw ResolveFailure() }
            defer { freeaddrinfo(first) }
            var found: [String] = []
            var cursor: UnsafeMutablePointer<addrinfo>? = first
            while let info = cursor {
                var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                if getnameinfo(info.pointee.ai_addr, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                    let text = String(cString: buffer)
                    if !found.contains(text) { found.append(text) }
                }
                cursor = info.pointee.ai_next
            }
            return found
        }

        struct ResolveFailure: Swift.Error {}
    }

    /// One client per (host, checked address), kept for reuse (connections stay pooled), at most 16 at once.
    actor PinnedClients {
        private var clients: [String: HTTPClient] = [:]
        private var order: [String] = []

        func client(host: String, address: String) -> HTTPClient {
            let key = host + "|" + address
            if let client = clients[key] { return client }
            var configuration = HTTPClient.Configuration.singletonConfiguration
            configuration.redirectConfiguration = .disallow
            configuration.dnsOverride = [host: address]
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            clients[key] = client
            order.append(key)
            if order.count > 16, let oldest = order.first, let retired = clients.removeValue(forKey: oldest) {
                order.removeFirst()
                // Requests still running on it finish first (graceful shutdown waits for them).
                Task { try? await retired.shutdown() }
            }
            return client
        }
    }
}
