import FluentKit

/// Per-user bearer tokens for the JSON API, and the pending OAuth `state` of a connection's authorization.
struct CreateAPITokensAndOAuthState: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("api_tokens")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("token_hash", .string, .required)
            .field("name", .string, .required)
            .field("created_at", .datetime)
            .field("last_used_at", .datetime)
            .unique(on: "token_hash", name: "uq_api_tokens_hash")
            .create()
        // One column per statement: SQLite's ALTER TABLE adds a single column at a time.
        for (column, type) in Self.columns {
            try await db.schema("procore_connections").field(.definition(name: .key(.init(stringLiteral: column)), dataType: type, constraints: [])).update()
        }
    }

    static let columns: [(String, DatabaseSchema.DataType)] = [
        ("oauth_state_hash", .string), ("connected_as", .string), ("last_error", .string), ("service_company_id", .int64),
    ]

    func revert(on db: any Database) async throws {
        for (column, _) in Self.columns.reversed() {
            try await db.schema("procore_connections").deleteField(.key(.init(stringLiteral: column))).update()
        }
        try await db.schema("api_tokens").delete()
    }
}
