import FluentKit
import FluentSQL

/// `rerun`: a job queued again (same dedupe key) while it is running is not dropped: the running one is marked, and
/// when it finishes it is made due again instead of done, so the change that came in meanwhile is acted on.
struct UpdateOutboxJobsAddRerun: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("outbox_jobs").field("rerun", .bool, .required, .sql(.default(false))).update()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("outbox_jobs").deleteField("rerun").update()
    }
}
