import Foundation
import Vapor

/// A sandbox listening on a port: what `lentune sandbox`, `lentune demo` and tests start.
public final class RunningSandbox: Sendable {
    public let app: Application
    public let server: ProcoreSandboxServer
    public let baseURL: URL

    /// The auth and API surfaces share this host.
    public var authBaseURL: URL { baseURL }
    public var apiBaseURL: URL { baseURL }

    init(app: Application, server: ProcoreSandboxServer, baseURL: URL) {
        self.app = app
        self.server = server
        self.baseURL = baseURL
    }

    /// Starts a sandbox on `hostname:port` (port 0 picks a free one), seeded with `seed`, with one registered
    /// service-account client when `clientID` and `clientSecret` are given.
    public static func start(
        hostname: String = "127.0.0.1", port: Int = 0, seed: String = "demo", clientID: String? = nil,
        clientSecret: String? = nil, redirectURIs: [String] = [], stateFile: URL? = nil,
        settings: SandboxSettings? = nil, logLevel: Logger.Level = .warning, clock: @escaping @Sendable () -> Date = { Date() }
    ) async throws -> RunningSandbox {
        var environment = Environment(name: "sandbox", arguments: ["sandbox"])
        environment.arguments = ["sandbox"]
        let app = try await Application.make(environment)
        app.logger.logLevel = logLevel
        do {
            guard let data = Seeds.named(seed, now: clock()) else {
                throw Abort(.badRequest, reason: "Unknown seed “\(seed)”: use demo, multi or empty")
            }
            let store = SandboxStore(data: data, stateFile: stateFile, clock: clock)
            if let settings { store.write { $0.settings = settings } }
            let server = ProcoreSandboxServer(store: store, client: app.client)
            if let clientID, let clientSecret {
                server.register(clientID: clientID, secret: clientSecret, redirectURIs: redirectURIs)
            }
            server.configure(app)
            try await app.asyncBoot()
            try await app.server.start(address: .hostname(hostname, port: port))
            let actualPort = app.http.server.shared.localAddress?.port ?? port
            let host = hostname.contains(":") ? "[\(hostname)]" : hostname
            return RunningSandbox(app: app, server: server, baseURL: URL(string: "http://\(host):\(actualPort)")!)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }

    /// Runs `body` against a sandbox on a free loopback port (demo seed, one service-account client) and shuts it
    /// down afterwards, whether `body` returns or throws.
    public static func with<T>(
        clientID: String, clientSecret: String, seed: String = "demo", _ body: (RunningSandbox) async throws -> T
    ) async throws -> T {
        let sandbox = try await start(port: 0, seed: seed, clientID: clientID, clientSecret: clientSecret)
        do {
            let result = try await body(sandbox)
            await sandbox.shutdown()
            return result
        } catch {
            await sandbox.shutdown()
            throw error
        }
    }

    public func shutdown() async {
        await app.server.shutdown()
        try? await app.asyncShutdown()
    }
}
