import FluentKit
import Foundation
import LentuneCore

/// The sync ledger (issue 12): one `sync_records` row per Lentune record and direction, saying where it stands against
/// Procore: pending, synced (with the Procore id, deep link and time), failed (with Procore's message) or skipped
/// (with the reason). A purchase order's state is mirrored on `purchase_orders.sync_state` in the same write, so the
/// PO list filters and badges without a join.
public enum SyncLedger {
    public enum Update: Sendable, Equatable {
        /// Queued or retrying; `error` is the last transient failure, if any.
        case pending(error: String?)
        case synced(procoreID: ProcoreID, url: String?)
        case failed(String)
        case skipped(String)
    }

    /// Records `update` for the record (creating its row on first use).
    public static func record(
        _ update: Update, _ kind: SyncRecord.EntityKind, _ entity: UUID, direction: SyncRecord.Direction = .push,
        organisation: Organisation.ID, now: Date, on db: any Database
    ) async throws {
        let existing = try await SyncRecordRecord.scoped(to: organisation, on: db)
            .filter(\.$entityKind == kind.rawValue).filter(\.$entityID == entity).filter(\.$direction == direction.rawValue).first()
        let record = existing ?? SyncRecordRecord(SyncRecord(organisationID: organisation, entityKind: kind, entityID: entity, direction: direction))
        switch update {
        case .pending(let error):
            record.state = SyncRecord.State.pending.rawValue
            record.lastError = error.map { String($0.prefix(4000)) }
        case .synced(let procoreID, let url):
            record.state = SyncRecord.State.synced.rawValue
            (record.procoreID, record.procoreURL, record.lastError, record.lastSyncedAt) = (procoreID, url, nil, now)
            record.attempts += 1
        case .failed(let message):
            record.state = SyncRecord.State.failed.rawValue
            record.lastError = String(message.prefix(4000))
            record.attempts += 1
        case .skipped(let reason):
            record.state = SyncRecord.State.skipped.rawValue
            record.lastError = String(reason.prefix(4000))
        }
        if existing == nil {
            do {
                try await record.create(on: db)
            } catch where error.isConstraintFailure {
                // Another writer created the row a moment ago: update that one instead.
                return try await self.record(update, kind, entity, direction: direction, organisation: organisation, now: now, on: db)
            }
        } else {
            try await record.save(on: db)
        }
        if kind == .purchaseOrder {
            try await PurchaseOrderRecord.scoped(to: organisation, on: db).filter(\.$id == entity)
                .set(\.$syncState, to: record.state).update()
        }
    }

    /// The record's ledger rows (push and pull).
    public static func records(of entity: UUID, in organisation: Organisation.ID, on db: any Database) async throws -> [SyncRecord] {
        try await SyncRecordRecord.scoped(to: organisation, on: db).filter(\.$entityID == entity).all().map(\.domain)
    }
}
