import FluentKit

/// A Procore-sourced PO whose commitment was deleted in Procore is kept (invoices may point at it) and marked.
struct UpdatePurchaseOrdersAddDeletedInProcore: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("purchase_orders").field("deleted_in_procore_at", .datetime).update()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("purchase_orders").deleteField("deleted_in_procore_at").update()
    }
}
