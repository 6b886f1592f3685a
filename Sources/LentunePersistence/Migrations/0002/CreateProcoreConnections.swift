import FluentKit

struct CreateProcoreConnections: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("procore_connections")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id", onDelete: .cascade))
            .field("environment", .string, .required)
            .field("auth_base_url", .string)
            .field("api_base_url", .string)
            .field("client_id", .string, .required)
            .field("sealed_client_secret", .string)
            .field("grant_type", .string, .required)
            .field("redirect_uri", .string)
            .field("status", .string, .required)
            .field("sealed_access_token", .string)
            .field("sealed_refresh_token", .string)
            .field("token_expires_at", .datetime)
            .field("sealed_webhook_secret", .string, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        try await db.schema("procore_company_links")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id", onDelete: .cascade))
            .field("connection_id", .uuid, .required, .references("procore_connections", "id", onDelete: .cascade))
            .field("procore_company_id", .int64, .required)
            .field("name", .string, .required)
            .field("is_linked", .bool, .required)
            .field("purchase_order_source", .string, .required)
            .field("project_stages", .string, .required)
            .field("rounding_tolerance_cents", .int64, .required)
            .field("version", .int, .required)
            .field("updated_at", .datetime)
            .unique(on: "connection_id", "procore_company_id", name: "uq_procore_company_links_company")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("procore_company_links").delete()
        try await db.schema("procore_connections").delete()
    }
}
