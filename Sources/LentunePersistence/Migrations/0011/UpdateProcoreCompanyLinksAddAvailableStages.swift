import FluentKit

/// The project stages the Procore company itself has (its `project_stages`), read at Test connection and Refresh, so
/// that "Project stages to import" can offer and accept exactly those. NULL until first read.
struct UpdateProcoreCompanyLinksAddAvailableStages: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("procore_company_links").field("available_stages", .string).update()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("procore_company_links").deleteField("available_stages").update()
    }
}
