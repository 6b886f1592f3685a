import FluentKit
import FluentSQL

/// The PO list filters by sync state and sorts by number; both need a column or an index.
struct UpdatePurchaseOrdersAddSyncStateAndIndexes: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("purchase_orders")
            .field("sync_state", .string, .required, .sql(.default("not_synced")))
            .update()
        try await db.createIndex("ix_purchase_orders_org_status", on: "purchase_orders", columns: ["organisation_id", "status", "created_at"])
        try await db.createIndex("ix_purchase_orders_org_project", on: "purchase_orders", columns: ["organisation_id", "project_id", "created_at"])
        try await db.createIndex("ix_purchase_orders_org_supplier", on: "purchase_orders", columns: ["organisation_id", "supplier_id", "created_at"])
    }

    func revert(on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        for index in ["ix_purchase_orders_org_status", "ix_purchase_orders_org_project", "ix_purchase_orders_org_supplier"] {
            try await sql.drop(index: index).run()
        }
        try await db.schema("purchase_orders").deleteField("sync_state").update()
    }
}
