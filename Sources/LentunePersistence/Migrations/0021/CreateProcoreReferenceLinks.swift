import Foundation
import FluentKit
import SQLKit

/// Issue 25: a supplier's vendor and a cost type's line item type belong to one Procore company (Procore keeps vendors
/// and line item types per company), so a Lentune supplier or cost type has one link per linked company row. Until
/// now each had one Procore id, and a second company whose cost types share codes (L, M, S, E, O) could not be read.
///
/// The links already stored move to the new table, each to its organisation's first company row (the only one it can
/// have come from: a second company's import failed on the codes). The old columns are emptied and left in place (a
/// UNIQUE column cannot be dropped on SQLite without rebuilding its table); nothing reads them, and revert fills them
/// again from the links of each record's first row.
struct CreateProcoreReferenceLinks: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("procore_reference_links")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id", onDelete: .cascade))
            .field("company_link_id", .uuid, .required, .references("procore_company_links", "id", onDelete: .cascade))
            .field("kind", .string, .required)
            .field("entity_id", .uuid, .required)
            .field("procore_id", .int64, .required)
            .unique(on: "company_link_id", "kind", "procore_id", name: "uq_procore_reference_links_procore")
            .unique(on: "company_link_id", "kind", "entity_id", name: "uq_procore_reference_links_entity")
            .create()
        try await db.createIndex("ix_procore_reference_links_entity", on: "procore_reference_links", columns: ["entity_id"])
        let sql = db as! any SQLDatabase
        for (table, column, kind) in Self.moved {
            let rows = try await sql.raw("""
                SELECT t.id AS entity_id, t.organisation_id, t.\(unsafeRaw: column) AS procore_id,
                    (SELECT l.id FROM procore_company_links l WHERE l.organisation_id = t.organisation_id
                     ORDER BY l.is_linked DESC, l.updated_at, l.id LIMIT 1) AS company_link_id
                FROM \(unsafeRaw: table) t WHERE t.\(unsafeRaw: column) IS NOT NULL
                """).all()
            for row in rows {
                guard let link = try row.decode(column: "company_link_id", as: UUID?.self) else { continue }
                try await sql.raw("""
                    INSERT INTO procore_reference_links (id, organisation_id, company_link_id, kind, entity_id, procore_id)
                    VALUES (\(bind: UUID()), \(bind: try row.decode(column: "organisation_id", as: UUID.self)), \(bind: link),
                        \(bind: kind), \(bind: try row.decode(column: "entity_id", as: UUID.self)),
                        \(bind: try row.decode(column: "procore_id", as: Int64.self)))
                    """).run()
            }
            try await sql.raw("UPDATE \(unsafeRaw: table) SET \(unsafeRaw: column) = NULL").run()
        }
    }

    func revert(on db: any Database) async throws {
        let sql = db as! any SQLDatabase
        for (table, column, kind) in Self.moved {
            try await sql.raw("""
                UPDATE \(unsafeRaw: table) SET \(unsafeRaw: column) = (
                    SELECT r.procore_id FROM procore_reference_links r JOIN procore_company_links l ON l.id = r.company_link_id
                    WHERE r.entity_id = \(unsafeRaw: table).id AND r.kind = \(bind: kind)
                    ORDER BY l.is_linked DESC, l.updated_at, l.id LIMIT 1)
                """).run()
        }
        try await db.schema("procore_reference_links").delete()
    }

    static let moved = [("suppliers", "procore_vendor_id", "supplier"), ("cost_types", "procore_line_item_type_id", "cost_type")]
}
