import FluentKit
import FluentSQL

/// The PO list's search (`number` or `title` contains the text, ignoring case) on PostgreSQL uses trigram indexes;
/// without them every search reads every row of the organisation (≈ 60 ms at 100,000 POs). `pg_trgm` ships with
/// PostgreSQL and is a trusted extension, so the database owner may create it (docs/CONFIGURATION.md).
///
/// SQLite has no such index; its LIKE scan stays fast enough at 100,000 rows (docs/BENCHMARKS.md).
struct CreatePurchaseOrderSearchIndexes: AsyncMigration {
    static let indexes = ["ix_purchase_orders_number_trgm": "number", "ix_purchase_orders_title_trgm": "title"]

    func prepare(on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase, sql.dialect.name == "postgresql" else { return }
        if try await Self.extensionSchema(sql) == nil {
            do {
                try await sql.raw("CREATE EXTENSION IF NOT EXISTS pg_trgm").run()
            } catch {
                // Another migrator created it at the same moment: fine. Anything else (no privilege) is reported.
                guard try await Self.extensionSchema(sql) != nil else { throw error }
            }
        }
        guard let schema = try await Self.extensionSchema(sql) else { return }
        // The operator class is named with its schema: the extension may live outside this connection's search_path.
        for (name, column) in Self.indexes.sorted(by: { $0.key < $1.key }) {
            try await sql.raw("""
                CREATE INDEX \(ident: name) ON purchase_orders USING gin (\(ident: column) \(ident: schema).gin_trgm_ops)
                """).run()
        }
    }

    /// The schema `pg_trgm` is installed in, or `nil` when it is not installed.
    static func extensionSchema(_ sql: any SQLDatabase) async throws -> String? {
        try await sql.raw("""
            SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
            WHERE e.extname = 'pg_trgm'
            """).first()?.decode(column: "schema", as: String.self)
    }

    func revert(on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase, sql.dialect.name == "postgresql" else { return }
        for name in Self.indexes.keys.sorted() {
            try await sql.drop(index: name).run()
        }
        // The extension stays: other objects may use it, and it costs nothing.
    }
}
