import FluentKit
import FluentSQL

/// The PO list orders by `created_at, id` (a total order, so a cursor names one place exactly): each list index
/// gets `id` as its last column, so the order and a cursor's range both come from the index.
struct UpdatePurchaseOrderListIndexesAddID: AsyncMigration {
    /// Index name → the columns before `created_at`.
    static let indexes: [(String, [String])] = [
        ("ix_purchase_orders_org_created", ["organisation_id"]),
        ("ix_purchase_orders_org_status", ["organisation_id", "status"]),
        ("ix_purchase_orders_org_project", ["organisation_id", "project_id"]),
        ("ix_purchase_orders_org_supplier", ["organisation_id", "supplier_id"]),
    ]

    func prepare(on db: any Database) async throws {
        try await rebuild(db, trailing: ["created_at", "id"])
    }

    func revert(on db: any Database) async throws {
        try await rebuild(db, trailing: ["created_at"])
    }

    func rebuild(_ db: any Database, trailing: [String]) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        for (name, leading) in Self.indexes {
            try await sql.drop(index: name).run()
            try await db.createIndex(name, on: "purchase_orders", columns: leading + trailing)
        }
    }
}
