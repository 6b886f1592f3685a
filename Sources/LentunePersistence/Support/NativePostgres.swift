import FluentPostgresDriver
import Foundation
import SQLKit

/// Runs an SQLKit query straight through PostgresNIO so that rows are decoded with PostgresNIO's own decoders.
///
/// SQLKit's `SQLRow` decodes PostgreSQL cells through a generic `Decodable` bridge; on the PO list (50 rows × 11
/// columns on every view) that bridge was a seventh of the server's CPU. Only hot paths use this; everything else goes
/// through Fluent or SQLKit.
enum NativePostgres {
    struct UnsupportedBind: Error, CustomStringConvertible {
        var type: Any.Type
        var description: String { "NativePostgres cannot bind a value of type \(type)" }
    }

    /// The rows of `query`, each turned into a `T` by `transform`.
    static func rows<T: Sendable>(
        _ query: SQLQueryString, on sql: any SQLDatabase, postgres: any PostgresDatabase,
        _ transform: @escaping @Sendable (PostgresRow) throws -> T
    ) async throws -> [T] {
        var serializer = SQLSerializer(database: sql)
        query.serialize(to: &serializer)
        var bindings = PostgresBindings(capacity: serializer.binds.count)
        for bind in serializer.binds {
            switch bind {
            case let value as UUID: bindings.append(value)
            case let value as String: bindings.append(value)
            case let value as Int64: bindings.append(value)
            case let value as Int: bindings.append(value)
            case let value as Bool: bindings.append(value)
            case let value as Date: bindings.append(value)
            default: throw UnsupportedBind(type: Swift.type(of: bind))
            }
        }
        let statement = PostgresQuery(unsafeSQL: serializer.sql, binds: bindings)
        let logger = postgres.logger
        return try await postgres.withConnection { connection in
            connection.eventLoop.makeFutureWithTask {
                var result: [T] = []
                for try await row in try await connection.query(statement, logger: logger) {
                    result.append(try transform(row))
                }
                return result
            }
        }.get()
    }
}
