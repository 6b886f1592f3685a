import FluentKit
import FluentSQL

/// The key of the request that created a PO (the New Purchase Order form's one-time key, or the API's
/// `Idempotency-Key`), unique per organisation, so a repeated create finds the PO it already made.
struct UpdatePurchaseOrdersAddRequestKey: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("purchase_orders").field("request_key", .string).update()
        guard let sql = db as? any SQLDatabase else { return }
        // NULLs are distinct in a unique index on both databases: POs made without a key never collide.
        try await sql.create(index: "uq_purchase_orders_request_key").unique().on("purchase_orders")
            .column("organisation_id").column("request_key").run()
    }

    func revert(on db: any Database) async throws {
        if let sql = db as? any SQLDatabase {
            try await sql.drop(index: "uq_purchase_orders_request_key").run()
        }
        try await db.schema("purchase_orders").deleteField("request_key").update()
    }
}
