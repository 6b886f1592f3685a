import FluentKit
import Foundation
import LentuneCore
import Logging
import NIOCore
import NIOPosix

/// A Fluent database without Vapor, for the CLI (`lentune migrate`, `lentune user create`), workers and tests.
/// The web app registers the same `DatabaseLocation` with Vapor's `app.databases` instead.
public final class LentuneDatabase: Sendable {
    public let location: DatabaseLocation
    public let databases: Databases
    private let logger: Logger
    private let eventLoopGroup: any EventLoopGroup

    public init(location: DatabaseLocation, logger: Logger = Logger(label: "lentune.db")) throws {
        self.location = location
        self.logger = logger
        eventLoopGroup = MultiThreadedEventLoopGroup.singleton
        databases = Databases(threadPool: NIOThreadPool.singleton, on: eventLoopGroup)
        databases.use(try location.configurationFactory(), as: location.databaseID, isDefault: true)
    }

    public var db: any Database {
        databases.database(logger: logger, on: eventLoopGroup.any())!
    }

    /// Applies every pending migration of `LentuneMigrations.all`. Idempotent.
    public func migrate() async throws {
        try await migrator.setupIfNeeded().get()
        try await migrator.prepareBatch().get()
    }

    /// Reverts every migration (used by tests to prove each `revert` works).
    public func revertAll() async throws {
        try await migrator.setupIfNeeded().get()
        try await migrator.revertAllBatches().get()
    }

    public func shutdown() async {
        await databases.shutdownAsync()
    }

    private var migrator: Migrator {
        let migrations = Migrations()
        migrations.add(LentuneMigrations.all)
        return Migrator(
            databases: databases, migrations: migrations, logger: logger, on: eventLoopGroup.any(),
            migrationLogLevel: .debug)
    }
}

extension Error {
    /// A unique (or other) constraint was violated: the portable way to detect a duplicate on both databases.
    public var isConstraintFailure: Bool {
        (self as? any DatabaseError)?.isConstraintFailure ?? false
    }
}
