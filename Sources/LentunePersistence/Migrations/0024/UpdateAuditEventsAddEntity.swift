import FluentKit
import FluentSQL

/// Issue 29: the record an audit event is about (a PO's or an invoice's id), so each page shows its own history.
/// Events written before this migration have none and appear only in the organisation's audit log.
struct UpdateAuditEventsAddEntity: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("audit_events").field("entity_id", .uuid).update()
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.create(index: "ix_audit_events_entity").on("audit_events").column("organisation_id").column("entity_id").run()
    }

    func revert(on db: any Database) async throws {
        if let sql = db as? any SQLDatabase { try await sql.drop(index: "ix_audit_events_entity").run() }
        try await db.schema("audit_events").deleteField("entity_id").update()
    }
}
