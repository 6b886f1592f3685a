import FluentKit
import FluentSQL

/// The sync engine's tables (DESIGN.md §2.2): the outbox of jobs, the webhook events received, the sweep cursors,
/// and the sync ledger (one row per Lentune record and direction, replacing the unused `sync_records`).
struct CreateOutboxAndWebhookEvents: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("outbox_jobs")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id", onDelete: .cascade))
            .field("company_link_id", .uuid, .references("procore_company_links", "id", onDelete: .cascade))
            .field("kind", .string, .required)
            .field("payload", .string, .required)
            .field("dedupe_key", .string)
            .field("state", .string, .required)
            .field("attempts", .int, .required)
            .field("next_attempt_at", .datetime, .required)
            .field("locked_by", .string)
            .field("locked_until", .datetime)
            .field("last_error", .string)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("finished_at", .datetime)
            .create()
        let sql = db as! any SQLDatabase
        // Claiming reads due jobs in this order; the log lists an organisation's newest first.
        try await sql.raw("CREATE INDEX ix_outbox_jobs_due ON outbox_jobs (state, next_attempt_at, created_at)").run()
        try await sql.raw("CREATE INDEX ix_outbox_jobs_org ON outbox_jobs (organisation_id, created_at)").run()
        // One waiting or running job per key; finished ones do not count.
        try await sql.raw("""
            CREATE UNIQUE INDEX uq_outbox_jobs_dedupe ON outbox_jobs (dedupe_key) WHERE state IN ('pending', 'running')
            """).run()

        try await db.schema("webhook_events")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id", onDelete: .cascade))
            .field("connection_id", .uuid, .required, .references("procore_connections", "id", onDelete: .cascade))
            .field("event_key", .string, .required)
            .field("resource_name", .string, .required)
            .field("event_type", .string, .required)
            .field("resource_id", .int64, .required)
            .field("company_id", .int64)
            .field("project_id", .int64)
            .field("source_application_id", .string)
            .field("payload", .string, .required)
            .field("outcome", .string, .required)
            .field("received_at", .datetime, .required)
            .unique(on: "connection_id", "event_key", name: "uq_webhook_events_key")
            .create()
        try await sql.raw("CREATE INDEX ix_webhook_events_org ON webhook_events (organisation_id, received_at)").run()

        try await db.schema("sweep_cursors")
            .id()
            .field("company_link_id", .uuid, .required, .references("procore_company_links", "id", onDelete: .cascade))
            .field("resource", .string, .required)
            .field("updated_through", .datetime, .required)
            .field("swept_at", .datetime, .required)
            .unique(on: "company_link_id", "resource", name: "uq_sweep_cursors")
            .create()

        // Lentune's webhook hook for the company (registered, failing, not registered) and why.
        // One column per ALTER: SQLite adds one at a time.
        for field in ["hook_id", "hook_state", "hook_error"] {
            try await db.schema("procore_company_links").field(FieldKey.string(field), .string).update()
        }

        try await db.schema("sync_records").delete()
        try await db.schema("sync_records")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id", onDelete: .cascade))
            .field("entity_kind", .string, .required)
            .field("entity_id", .uuid, .required)
            .field("direction", .string, .required)
            .field("procore_id", .int64)
            .field("procore_url", .string)
            .field("state", .string, .required)
            .field("attempts", .int, .required)
            .field("last_error", .string)
            .field("last_synced_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "entity_kind", "entity_id", "direction", name: "uq_sync_records_entity_direction")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("sync_records").delete()
        try await db.schema("sync_records")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id", onDelete: .cascade))
            .field("entity_kind", .string, .required)
            .field("entity_id", .uuid, .required)
            .field("procore_id", .int64)
            .field("state", .string, .required)
            .field("last_error", .string)
            .field("last_synced_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "entity_kind", "entity_id", name: "uq_sync_records_entity")
            .create()
        for field in ["hook_id", "hook_state", "hook_error"] {
            try await db.schema("procore_company_links").deleteField(FieldKey.string(field)).update()
        }
        for table in ["sweep_cursors", "webhook_events", "outbox_jobs"] {
            try await db.schema(table).delete()
        }
    }
}
