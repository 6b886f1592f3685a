import FluentKit

/// Issue 25: where in Procore the record is written, or is being written (`ProcoreTarget.text`). Set, and committed,
/// before each write, so a run that routes the record elsewhere looks there first.
struct UpdateSyncRecordsAddTarget: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema("sync_records").field("procore_target", .string).update()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("sync_records").deleteField("procore_target").update()
    }
}
