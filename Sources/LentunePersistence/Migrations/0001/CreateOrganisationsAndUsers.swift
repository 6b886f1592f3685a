import FluentKit
import FluentSQL

struct CreateOrganisationsAndUsers: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("organisations")
            .id()
            .field("name", .string, .required)
            .field("next_po_number", .int, .required)
            .field("created_at", .datetime)
            .unique(on: "name", name: "uq_organisations_name")
            .create()
        try await db.schema("users")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id", onDelete: .cascade))
            .field("email", .string, .required)
            .field("name", .string, .required)
            .field("role", .string, .required)
            .field("password_hash", .string, .required)
            .field("approval_limit_cents", .int64, .required)
            .field("created_at", .datetime)
            .unique(on: "email", name: "uq_users_email")
            .create()
        try await db.schema("user_sessions")
            .id()
            .field("token_hash", .string, .required)
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("csrf_token", .string, .required)
            .field("expires_at", .datetime, .required)
            .field("created_at", .datetime)
            .unique(on: "token_hash", name: "uq_user_sessions_token_hash")
            .create()
        try await db.schema("audit_events")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id", onDelete: .cascade))
            .field("actor_id", .uuid)
            .field("actor_email", .string, .required)
            .field("occurred_at", .datetime, .required)
            .field("action", .string, .required)
            .field("subject", .string, .required)
            .field("before", .string)
            .field("after", .string)
            .create()
        try await db.createIndex("ix_audit_events_org_time", on: "audit_events", columns: ["organisation_id", "occurred_at"])
    }

    func revert(on db: any Database) async throws {
        try await db.schema("audit_events").delete()
        try await db.schema("user_sessions").delete()
        try await db.schema("users").delete()
        try await db.schema("organisations").delete()
    }
}

extension Database {
    /// FluentKit has no index builder; SQLKit's works on both SQLite and PostgreSQL.
    func createIndex(_ name: String, on table: String, columns: [String]) async throws {
        guard let sql = self as? any SQLDatabase else { return }
        var builder = sql.create(index: name).on(table)
        for column in columns { builder = builder.column(column) }
        try await builder.run()
    }
}
