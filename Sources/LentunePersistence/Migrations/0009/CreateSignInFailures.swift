import FluentKit

/// Failed sign-ins per email, for `SignInThrottle` (rows older than a day are deleted as new ones arrive).
struct CreateSignInFailures: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("sign_in_failures")
            .id()
            .field("email_key", .string, .required)
            .field("failed_at", .datetime, .required)
            .create()
        try await db.createIndex("ix_sign_in_failures_email", on: "sign_in_failures", columns: ["email_key", "failed_at"])
    }

    func revert(on db: any Database) async throws {
        try await db.schema("sign_in_failures").delete()
    }
}
