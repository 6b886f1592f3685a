import FluentKit
import FluentSQL

/// Webhook events lose their foreign keys on PostgreSQL (docs/DECISIONS.md, "webhook events without foreign keys").
/// Every delivery of a group-commit flush waits for its insert, and the two checks per row (organisation,
/// connection) were a quarter of an event's cost there. Both values come from the connection the server looked up,
/// never from the request, and Lentune deletes neither connections nor organisations; had a check failed, it would
/// have failed every delivery of the flush, other organisations' too. SQLite keeps them: it cannot drop a
/// constraint without rebuilding the table, and its intake is not measured against a target.
struct UpdateWebhookEventsDropForeignKeys: AsyncMigration {
    func prepare(on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase, sql.dialect.name == "postgresql" else { return }
        try await sql.raw("""
            ALTER TABLE webhook_events DROP CONSTRAINT IF EXISTS webhook_events_organisation_id_fkey,
                DROP CONSTRAINT IF EXISTS webhook_events_connection_id_fkey
            """).run()
    }

    func revert(on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase, sql.dialect.name == "postgresql" else { return }
        try await sql.raw("""
            ALTER TABLE webhook_events
                ADD CONSTRAINT webhook_events_organisation_id_fkey FOREIGN KEY (organisation_id) REFERENCES organisations (id) ON DELETE CASCADE,
                ADD CONSTRAINT webhook_events_connection_id_fkey FOREIGN KEY (connection_id) REFERENCES procore_connections (id) ON DELETE CASCADE
            """).run()
    }
}
