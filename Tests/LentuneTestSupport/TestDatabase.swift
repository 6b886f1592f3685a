import FluentKit
import FluentSQL
import Foundation
import LentuneCore
import LentunePersistence

/// A fresh, migrated database per test: SQLite in memory always; PostgreSQL (a schema per test) when
/// `LENTUNE_TEST_POSTGRES_URL` is set. On CI (`CI` set) the PostgreSQL URL is required, so the PostgreSQL suite can
/// never be skipped silently.
public enum TestDatabase {
    public enum Kind: String, Sendable, CaseIterable, CustomStringConvertible {
        case sqlite
        case postgres
        public var description: String { rawValue }
    }

    public static let postgresURL = ProcessInfo.processInfo.environment["LENTUNE_TEST_POSTGRES_URL"]

    /// The databases every persistence test runs on.
    public static var kinds: [Kind] {
        let onCI = ProcessInfo.processInfo.environment["CI"] != nil
        return postgresURL != nil || onCI ? [.sqlite, .postgres] : [.sqlite]
    }

    public struct MissingPostgres: Error, CustomStringConvertible {
        public var description: String { "LENTUNE_TEST_POSTGRES_URL is not set; .ci/run starts PostgreSQL and sets it" }
    }

    /// Runs `body` against a new, fully migrated database of `kind`, then throws it away.
    public static func with<T: Sendable>(
        _ kind: Kind, _ body: @Sendable (LentuneDatabase) async throws -> T
    ) async throws -> T {
        switch kind {
        case .sqlite:
            let database = try LentuneDatabase(location: .sqliteMemory(identifier: UUID().uuidString))
            return try await run(database, body)
        case .postgres:
            return try await withPostgresSchema { location in try await run(try LentuneDatabase(location: location), body) }
        }
    }

    /// Runs `body` with the location of a new, empty PostgreSQL schema (for an app that migrates it itself), then
    /// drops the schema.
    public static func withPostgresSchema<T: Sendable>(_ body: (DatabaseLocation) async throws -> T) async throws -> T {
        guard let url = postgresURL else { throw MissingPostgres() }
        // Tests only ever touch a local server.
        precondition(url.contains("@127.0.0.1") || url.contains("@localhost"), "test database must be local")
        await gate.enter()
        let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let admin = try LentuneDatabase(location: .postgres(url: url))
        do {
            // Extensions belong to the database, not to a schema: pg_trgm (migration 0007) goes to `public` once,
            // so dropping a test's schema never drops it from under another test.
            _ = try? await (admin.db as! any SQLDatabase).raw("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public").run()
            try await (admin.db as! any SQLDatabase).raw("CREATE SCHEMA \(unsafeRaw: schema)").run()
            let result = try await body(.postgres(url: url, searchPath: schema))
            try await (admin.db as! any SQLDatabase).raw("DROP SCHEMA \(unsafeRaw: schema) CASCADE").run()
            await admin.shutdown()
            await gate.leave()
            return result
        } catch {
            _ = try? await (admin.db as! any SQLDatabase).raw("DROP SCHEMA IF EXISTS \(unsafeRaw: schema) CASCADE").run()
            await admin.shutdown()
            await gate.leave()
            throw error
        }
    }

    private static func run<T: Sendable>(
        _ database: LentuneDatabase, _ body: @Sendable (LentuneDatabase) async throws -> T
    ) async throws -> T {
        do {
            try await database.migrate()
            let result = try await body(database)
            await database.shutdown()
            return result
        } catch {
            await database.shutdown()
            throw error
        }
    }

    /// At most a few PostgreSQL tests at once: 2 cores, and each test holds a small connection pool.
    private static let gate = AsyncGate(width: 3)
}

/// A counting semaphore for async code.
public actor AsyncGate {
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init(width: Int) { available = width }

    public func enter() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    public func leave() {
        if waiters.isEmpty {
            available += 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
