import Foundation
import Logging
import ServiceLifecycle

/// The worker loop as a service (STYLE §11: a thin wrapper around `runOnce`). On SIGTERM it takes no new jobs; the
/// jobs of the current round finish (within the service group's grace period; past it they are cancelled and handed
/// back as due, so none is lost).
public struct SyncWorkerService: Service {
    public var worker: SyncWorker
    /// How long to wait when nothing was due.
    public var idle: Duration
    public var batch: Int

    public init(worker: SyncWorker, idle: Duration = .milliseconds(250), batch: Int = 32) {
        self.worker = worker
        self.idle = idle
        self.batch = batch
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            var claimed = 0
            do {
                claimed = try await worker.runOnce(limit: batch).claimed
            } catch {
                worker.logger.error("worker round failed: \(String(describing: error))")
            }
            if claimed == 0 {
                // Wake early on shutdown; a plain sleep would hold the process for the whole interval.
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: idle) }
            }
        }
        worker.logger.info("worker \(worker.name) stopped taking jobs")
    }

    /// How long running jobs get after SIGTERM before they are cancelled and handed back (docs/SYNC.md).
    public static let shutdownGrace: Duration = .seconds(30)

    /// The service group of a process that runs workers (`lentune serve`, `lentune worker`): SIGTERM and SIGINT start
    /// a graceful shutdown, and past `grace` it is escalated to cancellation, which hands the jobs still running back
    /// (due at once, the attempt not counted) instead of waiting for them for good. Tests pass `handlingSignals: false`.
    public static func group(
        _ services: [any Service], logger: Logger, handlingSignals: Bool = true, grace: Duration = shutdownGrace
    ) -> ServiceGroupConfiguration {
        var configuration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: handlingSignals ? [.sigterm, .sigint] : [], logger: logger)
        configuration.maximumGracefulShutdownDuration = grace
        return configuration
    }
}

/// Runs `action` every `interval` until shutdown (the sweep scheduler and other periodic chores).
public struct PeriodicService: Service {
    public var name: String
    public var interval: Duration
    public var action: @Sendable () async throws -> Void
    public var logger: Logger

    public init(name: String, interval: Duration, logger: Logger, action: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.interval = interval
        self.logger = logger
        self.action = action
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await action()
            } catch {
                logger.error("\(name) failed: \(String(describing: error))")
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
