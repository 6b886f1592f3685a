import FluentKit
import FluentSQL

extension Database {
    /// A transaction that writes. Every write transaction in Lentune goes through here.
    ///
    /// SQLite starts Fluent's transactions as `BEGIN` (deferred): two that each read and then write deadlock, and
    /// SQLite answers one of them "database is locked" at once instead of waiting. So on SQLite this process runs one
    /// write transaction at a time (a single writer); statements outside transactions still wait on SQLite's busy
    /// handler. PostgreSQL transactions run concurrently as usual. Nested calls (on the `tx` of an enclosing
    /// transaction) run inside it.
    public func writeTransaction<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        guard !inTransaction, (self as? any SQLDatabase)?.dialect.name == "sqlite" else {
            return try await transaction(body)
        }
        await SQLiteWriter.shared.lock()
        do {
            let result = try await transaction(body)
            await SQLiteWriter.shared.unlock()
            return result
        } catch {
            await SQLiteWriter.shared.unlock()
            throw error
        }
    }
}

/// The one SQLite writer of this process: a FIFO async lock.
actor SQLiteWriter {
    static let shared = SQLiteWriter()
    private var locked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func lock() async {
        guard locked else {
            locked = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func unlock() {
        if waiters.isEmpty {
            locked = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}

extension Database {
    /// Reads that must agree with each other, from one snapshot: a record and its sync state, which a job writes
    /// together in one transaction. Two reads outside a transaction can fall either side of that commit (the
    /// invoice still "Approved" beside "✓ Posted"). On PostgreSQL a `REPEATABLE READ, READ ONLY` transaction; on
    /// SQLite a transaction, whose reads see one state of the database. Inside an enclosing transaction, `body` runs
    /// in it.
    public func readSnapshot<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        guard !inTransaction else { return try await body(self) }
        return try await transaction { tx in
            if let sql = tx as? any SQLDatabase, sql.dialect.name == "postgresql" {
                try await sql.raw("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").run()
            }
            return try await body(tx)
        }
    }
}
