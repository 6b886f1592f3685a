import FluentKit

/// Issue 29: a user an administrator deactivated (they left, or their account must be stopped at once) keeps their
/// history but can no longer sign in or use an API token. Nil is active.
struct UpdateUsersAddDeactivatedAt: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("users").field("deactivated_at", .datetime).update()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("users").deleteField("deactivated_at").update()
    }
}
