import FluentKit

/// Issue 13's tax codes: `procore_tax_codes` holds each linked company's Procore tax codes as the reference import
/// read them; `tax_code_mappings` maps a Lentune tax code to one of them per company row; the row's default (for lines
/// without a tax code) is a column of `procore_company_links`.
struct CreateTaxMappings: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("procore_tax_codes")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id", onDelete: .cascade))
            .field("company_link_id", .uuid, .required, .references("procore_company_links", "id", onDelete: .cascade))
            .field("procore_id", .int64, .required)
            .field("code", .string, .required)
            // Procore's rate1 (a percentage) scaled by 10⁴.
            .field("rate_scaled", .int64, .required)
            .field("archived", .bool, .required)
            .unique(on: "company_link_id", "procore_id", name: "uq_procore_tax_codes")
            .create()
        try await db.schema("tax_code_mappings")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id", onDelete: .cascade))
            .field("company_link_id", .uuid, .required, .references("procore_company_links", "id", onDelete: .cascade))
            .field("tax_code_id", .uuid, .required, .references("tax_codes", "id", onDelete: .cascade))
            .field("procore_tax_code_id", .int64, .required)
            .unique(on: "company_link_id", "tax_code_id", name: "uq_tax_code_mappings")
            .create()
        try await db.schema("procore_company_links").field("default_procore_tax_code_id", .int64).update()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("procore_company_links").deleteField("default_procore_tax_code_id").update()
        try await db.schema("tax_code_mappings").delete()
        try await db.schema("procore_tax_codes").delete()
    }
}
