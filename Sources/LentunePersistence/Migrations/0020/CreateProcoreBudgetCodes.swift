import FluentKit

/// Issue 26: the budget codes (WBS codes) of each linked Procore project, read with the reference data, so a direct
/// cost's lines carry the budget code Procore requires, decided before the write (no request per invoice to find
/// it). A project's codes are replaced whole each time they are read.
struct CreateProcoreBudgetCodes: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("procore_budget_codes")
            .id()
            .field("organisation_id", .uuid, .required, .references("organisations", "id", onDelete: .cascade))
            .field("company_link_id", .uuid, .required, .references("procore_company_links", "id", onDelete: .cascade))
            .field("procore_project_id", .int64, .required)
            .field("procore_wbs_code_id", .int64, .required)
            // The segment items it combines, by the ids of the cost code and line item type they stand for.
            .field("procore_cost_code_id", .int64)
            .field("procore_line_item_type_id", .int64)
            .field("cost_code_segment_id", .int64)
            .field("cost_type_segment_id", .int64)
            .field("flat_code", .string, .required)
            .field("active", .bool, .required)
            .unique(on: "company_link_id", "procore_project_id", "procore_wbs_code_id", name: "uq_procore_budget_codes")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("procore_budget_codes").delete()
    }
}
