import FluentKit
import FluentSQL
import Foundation
import LentuneCore

/// Supplier names now match punctuation-insensitively with "Limited" = "Ltd" (`Supplier.matchKey`): every stored
/// `match_key` is recomputed. Where two existing suppliers now share a key, the first by name keeps it and the other
/// keeps its old key (it stays a separate supplier; the Supplier mapping page is where a person merges names).
/// And `supplier_mappings`: near-miss vendor names offered to a person to link or keep apart.
struct UpdateSuppliersMatchKeysAddSupplierMappings: AsyncMigration {
    func prepare(on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        let rows = try await sql.raw("SELECT id, organisation_id, name, match_key FROM suppliers ORDER BY organisation_id, name, id").all()
        // Two passes, so no row's new key meets another row's old key under the unique index midway.
        for row in rows {
            let id = try row.decode(column: "id", as: UUID.self)
            try await sql.raw("UPDATE suppliers SET match_key = \(bind: "migrating:" + id.uuidString) WHERE id = \(bind: id)").run()
        }
        var taken: [UUID: Set<String>] = [:]
        for row in rows {
            let id = try row.decode(column: "id", as: UUID.self)
            let organisation = try row.decode(column: "organisation_id", as: UUID.self)
            let old = try row.decode(column: "match_key", as: String.self)
            var key = Supplier.matchKey(try row.decode(column: "name", as: String.self))
            if taken[organisation, default: []].contains(key) { key = old }
            if taken[organisation, default: []].contains(key) { key = "\(old) #\(id.uuidString.lowercased())" }
            taken[organisation, default: []].insert(key)
            try await sql.raw("UPDATE suppliers SET match_key = \(bind: key) WHERE id = \(bind: id)").run()
        }

        try await db.schema("supplier_mappings")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id", onDelete: .cascade))
            .field("company_link_id", .uuid, .required, .references("procore_company_links", "id", onDelete: .cascade))
            .field("procore_vendor_id", .int64, .required)
            .field("vendor_name", .string, .required)
            .field("supplier_id", .uuid, .required, .references("suppliers", "id", onDelete: .cascade))
            .field("decision", .string, .required)
            .field("decided_by", .string)
            .field("decided_at", .datetime)
            .field("created_at", .datetime, .required)
            .unique(on: "company_link_id", "procore_vendor_id", "supplier_id", name: "uq_supplier_mappings_pair")
            .create()
        try await sql.raw("CREATE INDEX ix_supplier_mappings_open ON supplier_mappings (organisation_id, decision)").run()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("supplier_mappings").delete()
    }
}
