import FluentKit
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import LentuneCore

/// Where Lentune's data lives, parsed from `LENTUNE_DATABASE_URL`:
/// `sqlite://lentune.sqlite` (a file, relative or absolute), `sqlite::memory:`, or `postgres://user:pw@host:5432/db`.
public enum DatabaseLocation: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    case sqliteFile(path: String)
    case sqliteMemory(identifier: String)
    case postgres(url: String, searchPath: String? = nil)

    public static let `default` = DatabaseLocation.sqliteFile(path: "lentune.sqlite")

    public init?(url: String) {
        if url == "sqlite::memory:" {
            self = .sqliteMemory(identifier: UUID().uuidString)
        } else if url.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            guard !path.isEmpty else { return nil }
            self = .sqliteFile(path: path)
        } else if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            guard (try? SQLPostgresConfiguration(url: url)) != nil else { return nil }
            self = .postgres(url: url)
        } else {
            return nil
        }
    }

    public var databaseID: DatabaseID {
        switch self {
        case .sqliteFile, .sqliteMemory: .sqlite
        case .postgres: .psql
        }
    }

    public var isPostgres: Bool { databaseID == .psql }

    public func configurationFactory() throws -> DatabaseConfigurationFactory {
        switch self {
        case .sqliteFile(let path):
            return .sqlite(SQLiteConfiguration(storage: .file(path: path)), sqlLogLevel: .trace)
        case .sqliteMemory(let identifier):
            return .sqlite(SQLiteConfiguration(storage: .memory(identifier: identifier)), sqlLogLevel: .trace)
        case .postgres(let url, let searchPath):
            var configuration = try SQLPostgresConfiguration(url: url)
            if let searchPath { configuration.searchPath = [searchPath] }
            // 2 cores: a small pool per event loop is plenty and keeps PostgreSQL's connection count low.
            return .postgres(
                configuration: configuration, maxConnectionsPerEventLoop: 4, pruneInterval: nil, sqlLogLevel: .trace)
        }
    }

    /// The same as `description`: never the URL itself (it may hold a password).
    public var debugDescription: String { description }

    public var customMirror: Mirror { Mirror(self, children: ["location": description], displayStyle: .enum) }

    /// Never prints a password.
    public var description: String {
        switch self {
        case .sqliteFile(let path): "SQLite file \(path)"
        case .sqliteMemory: "SQLite in memory"
        case .postgres(let url, _):
            if let components = URLComponents(string: url) {
                "PostgreSQL \(components.host ?? "?"):\(components.port ?? 5432)\(components.path)"
            } else {
                "PostgreSQL"
            }
        }
    }
}
