import Dispatch
import Foundation
import LentunePersistence
import LentuneSync
import ServiceLifecycle
import Vapor

/// Runs the web app until SIGINT or SIGTERM: configure, migrate, optional preparation (the demo seed), then the
/// process's services in one `ServiceGroup` (swift-service-lifecycle): the web server and, unless `worker` is nil, the
/// in-process sync worker and the sweep scheduler. SIGTERM stops taking jobs, lets running ones finish within the
/// grace period, releases the rest, then stops the web server.
public enum LentuneServer {
    /// The in-process worker's settings.
    public struct WorkerOptions: Sendable {
        public var concurrency: Int
        public var sweepInterval: Duration

        public init(concurrency: Int = 4, sweepInterval: Duration = .seconds(15 * 60)) {
            self.concurrency = concurrency
            self.sweepInterval = sweepInterval
        }
    }

    public static func run(
        config: LentuneConfig,
        worker: WorkerOptions? = WorkerOptions(),
        prepare: @Sendable (Application) async throws -> Void = { _ in },
        onStart: @escaping @Sendable (Application, URL) -> Void
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
            var services: [any Service] = [WebService(app: app, config: config, onStart: onStart)]
            if let port = config.webhookPort { services.append(WebhookIntakeService(app: app, hostname: config.hostname, port: port)) }
            if let worker {
                let engine = app.lentune.engine
                let db = app.db
                services.append(SyncWorkerService(worker: engine.worker(db: db, concurrency: worker.concurrency)))
                services.append(PeriodicService(name: "sweep scheduler", interval: worker.sweepInterval, logger: app.logger) {
                    try await engine.scheduleSweeps(on: db)
                })
            }
            try await ServiceGroup(configuration: SyncWorkerService.group(services, logger: app.logger)).run()
            try await app.asyncShutdown()
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }
}

/// The Vapor HTTP server as a service: started in `run()`, shut down on graceful shutdown.
struct WebService: Service {
    let app: Application
    let config: LentuneConfig
    let onStart: @Sendable (Application, URL) -> Void

    func run() async throws {
        try await app.server.start(address: .hostname(config.hostname, port: config.port))
        let port = app.http.server.shared.localAddress?.port ?? config.port
        let host = config.hostname.contains(":") ? "[\(config.hostname)]" : config.hostname
        onStart(app, URL(string: "http://\(host):\(port)")!)
        try? await gracefulShutdown()
        app.logger.info("shutting down the web server")
        await app.server.shutdown()
    }
}

/// `WebhookIntakeListener` as a service, when `LENTUNE_WEBHOOK_PORT` is set.
struct WebhookIntakeService: Service {
    let app: Application
    let hostname: String
    let port: Int

    func run() async throws {
        let listener = WebhookIntakeListener(app: app)
        let bound = try await listener.start(hostname: hostname, port: port)
        app.logger.info("webhook intake listening on \(hostname):\(bound)")
        try? await gracefulShutdown()
        await listener.shutdown()
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
