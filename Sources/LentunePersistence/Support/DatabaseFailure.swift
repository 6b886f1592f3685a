import FluentKit
import Foundation
import PostgresNIO

/// A database error in words that are safe to log and to show in the Integration log (issue 25): PostgreSQL's
/// SQLSTATE, constraint and table, and its message (which names no values; the `detail`, which does, is left out);
/// SQLite's message (it names columns, never values). Never PostgresNIO's "Generic description to prevent accidental
/// leakage of sensitive data", which says nothing.
public struct DatabaseFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var sqlState: String?
    public var constraint: String?
    public var table: String?
    public var message: String
    /// A unique, foreign-key, not-null or check constraint refused the write: trying again changes nothing.
    public var isConstraintViolation: Bool

    public var description: String {
        var parts = ["the database refused the write: \(message)"]
        if let constraint { parts.append("constraint \(constraint)") }
        if let table { parts.append("table \(table)") }
        if let sqlState { parts.append("SQLSTATE \(sqlState)") }
        return parts.joined(separator: "; ")
    }

    /// The failure an error is, if it is one of the database's; nil for anything else.
    public init?(_ error: any Error) {
        if let postgres = error as? PSQLError {
            guard let info = postgres.serverInfo else {
                self.init(sqlState: nil, constraint: nil, table: nil, message: "\(postgres.code)", isConstraintViolation: false)
                return
            }
            let state = info[.sqlState]
            self.init(
                sqlState: state, constraint: info[.constraintName], table: info[.tableName], message: info[.message] ?? "\(postgres.code)",
                isConstraintViolation: state?.hasPrefix("23") ?? false)
            return
        }
        guard let database = error as? any DatabaseError else { return nil }
        self.init(
            sqlState: nil, constraint: nil, table: nil, message: String(String(describing: error).prefix(500)),
            isConstraintViolation: database.isConstraintFailure)
    }

    init(sqlState: String?, constraint: String?, table: String?, message: String, isConstraintViolation: Bool) {
        (self.sqlState, self.constraint, self.table, self.message) = (sqlState, constraint, table, message)
        self.isConstraintViolation = isConstraintViolation
    }
}
