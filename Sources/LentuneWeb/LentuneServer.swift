import Dispatch
import Foundation
import LentunePersistence
import Vapor

/// Runs the web app until SIGINT or SIGTERM: configure, migrate, optional preparation (the demo seed), listen.
public enum LentuneServer {
    public static func run(
        config: LentuneConfig,
        prepare: @Sendable (Application) async throws -> Void = { _ in },
        onStart: @Sendable (Application, URL) -> Void
    ) async throws {
        let environment = Environment(name: config.mode == .production ? "production" : "development", arguments: ["lentune"])
        let app = try await Application.make(environment)
        do {
            try await configure(app, config: config)
            try await app.migrator.setupIfNeeded().get()
            let pending = try await app.migrator.previewPrepareBatch().get()
            try await app.autoMigrate()
            app.logger.info("database \(config.database): \(pending.isEmpty ? "up to date" : "\(pending.count) migrations applied")")
            try await prepare(app)
            try await app.server.start(address: .hostname(config.hostname, port: config.port))
            let port = app.http.server.shared.localAddress?.port ?? config.port
            let host = config.hostname.contains(":") ? "[\(config.hostname)]" : config.hostname
            onStart(app, URL(string: "http://\(host):\(port)")!)
            await waitForTermination()
            app.logger.info("shutting down")
            await app.server.shutdown()
            try await app.asyncShutdown()
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }
}

extension LentuneServer {
    /// Suspends until the process receives SIGINT or SIGTERM.
    public static func waitForTermination() async { await SignalWaiter.waitForTermination() }
}

enum SignalWaiter {
    static func waitForTermination() async {
        let stream = AsyncStream<Void> { continuation in
            let sources = [SIGINT, SIGTERM].map { number in
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { continuation.yield() }
                source.resume()
                return source
            }
            let box = SourcesBox(sources: sources)
            continuation.onTermination = { _ in box.sources.forEach { $0.cancel() } }
        }
        for await _ in stream { break }
    }
}

/// Dispatch sources are thread-safe to cancel; the box only carries them into the termination handler.
private struct SourcesBox: @unchecked Sendable {
    var sources: [any DispatchSourceSignal]
}
