import FluentKit

struct CreateReferenceData: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("projects")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id", onDelete: .cascade))
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("is_active", .bool, .required)
            .field("procore_company_link_id", .uuid, .references("procore_company_links", "id", onDelete: .setNull))
            .field("procore_project_id", .int64)
            .unique(on: "organisation_id", "code", name: "uq_projects_code")
            .unique(on: "procore_company_link_id", "procore_project_id", name: "uq_projects_procore_id")
            .create()
        try await db.schema("suppliers")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("match_key", .string, .required)
            .field("procore_vendor_id", .int64)
            .unique(on: "organisation_id", "match_key", name: "uq_suppliers_match_key")
            .unique(on: "organisation_id", "procore_vendor_id", name: "uq_suppliers_procore_id")
            .create()
        try await db.schema("cost_codes")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id", onDelete: .cascade))
            .field("project_id", .uuid, .required, .references("projects", "id", onDelete: .cascade))
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("procore_cost_code_id", .int64)
            .unique(on: "project_id", "code", name: "uq_cost_codes_code")
            .create()
        try await db.schema("cost_types")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id", onDelete: .cascade))
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("procore_line_item_type_id", .int64)
            .unique(on: "organisation_id", "code", name: "uq_cost_types_code")
            .create()
        try await db.schema("tax_codes")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id", onDelete: .cascade))
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("rate_scaled", .int64, .required)
            .unique(on: "organisation_id", "code", name: "uq_tax_codes_code")
            .create()
    }

    func revert(on db: any Database) async throws {
        for table in ["tax_codes", "cost_types", "cost_codes", "suppliers", "projects"] {
            try await db.schema(table).delete()
        }
    }
}
