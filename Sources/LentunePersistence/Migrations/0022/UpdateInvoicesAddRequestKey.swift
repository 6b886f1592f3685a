import FluentKit
import FluentSQL

/// Issue 25: the API's `Idempotency-Key` on invoice create, as on PO create. The key of the request that captured an
/// invoice, unique per organisation, so a repeated create finds the invoice it already made.
struct UpdateInvoicesAddRequestKey: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("invoices").field("request_key", .string).update()
        guard let sql = db as? any SQLDatabase else { return }
        // NULLs are distinct in a unique index on both databases: invoices made without a key never collide.
        try await sql.create(index: "uq_invoices_request_key").unique().on("invoices").column("organisation_id").column("request_key").run()
    }

    func revert(on db: any Database) async throws {
        if let sql = db as? any SQLDatabase {
            try await sql.drop(index: "uq_invoices_request_key").run()
        }
        try await db.schema("invoices").deleteField("request_key").update()
    }
}
