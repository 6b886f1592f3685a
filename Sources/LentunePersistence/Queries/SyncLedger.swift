import FluentKit
import FluentSQL
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
        /// `note`: what the person should know although it synced (a line kept in Lentune, say); shown as the message.
        case synced(procoreID: ProcoreID, url: String?, note: String? = nil)
        case failed(String)
        case skipped(String)
        /// Someone changed the Procore record of a Lentune-sourced one since Lentune's last push: what differs.
        case changed(String)

        /// The ledger state this update leaves.
        var state: SyncRecord.State {
            switch self {
            case .pending: .pending
            case .synced: .synced
            case .failed: .failed
            case .skipped: .skipped
            case .changed: .changed
            }
        }
    }

    /// Records `update` for the record (creating its row on first use).
    public static func record(
        _ update: Update, _ kind: SyncRecord.EntityKind, _ entity: UUID, direction: SyncRecord.Direction = .push,
        organisation: Organisation.ID, now: Date, on db: any Database
    ) async throws {
        // The PO's row first, then its ledger row: the order a PO command takes them in (it holds the PO's row when it
        // records), so a job recording the same PO cannot deadlock with it on PostgreSQL (seen in a full run: the
        // command was the one aborted, and Reopen answered an error page).
        if kind == .purchaseOrder {
            try await PurchaseOrderRecord.scoped(to: organisation, on: db).filter(\.$id == entity)
                .set(\.$syncState, to: update.state.rawValue).update()
        }
        try await ensureRow(kind, entity, direction: direction, organisation: organisation, now: now, on: db)
        guard let record = try await SyncRecordRecord.scoped(to: organisation, on: db)
            .filter(\.$entityKind == kind.rawValue).filter(\.$entityID == entity).filter(\.$direction == direction.rawValue).first()
        else { return }  // the entity belongs to another organisation: nothing of it is touched
        record.state = update.state.rawValue
        switch update {
        case .pending(let error):
            record.lastError = error.map { String($0.prefix(4000)) }
        case .synced(let procoreID, let url, let note):
            (record.procoreID, record.procoreURL, record.lastError, record.lastSyncedAt) = (procoreID, url, note.map { String($0.prefix(4000)) }, now)
            record.attempts += 1
        case .failed(let message):
            record.lastError = String(message.prefix(4000))
            record.attempts += 1
        case .skipped(let reason):
            record.lastError = String(reason.prefix(4000))
        case .changed(let difference):
            record.lastError = String(difference.prefix(4000))
        }
        try await record.save(on: db)
    }

    /// Records where in Procore the record is about to be written, before the write and committed on its own, so
    /// that a run routing it elsewhere later looks there first (issue 25). Leaves its state as it is.
    public static func aim(
        _ target: ProcoreTarget, _ kind: SyncRecord.EntityKind, _ entity: UUID, direction: SyncRecord.Direction = .push,
        organisation: Organisation.ID, now: Date, on db: any Database
    ) async throws {
        try await ensureRow(kind, entity, direction: direction, organisation: organisation, now: now, on: db)
        try await SyncRecordRecord.scoped(to: organisation, on: db).filter(\.$entityKind == kind.rawValue).filter(\.$entityID == entity)
            .filter(\.$direction == direction.rawValue).set(\.$procoreTarget, to: target.text).update()
    }

    /// The row exists first (a concurrent writer's insert is a no-op, never a constraint failure that would abort the
    /// caller's transaction on PostgreSQL), then it is read and updated.
    static func ensureRow(
        _ kind: SyncRecord.EntityKind, _ entity: UUID, direction: SyncRecord.Direction, organisation: Organisation.ID, now: Date,
        on db: any Database
    ) async throws {
        try await (db as! any SQLDatabase).raw("""
            INSERT INTO sync_records (id, organisation_id, entity_kind, entity_id, direction, state, attempts, updated_at)
            VALUES (\(bind: UUID()), \(bind: organisation.rawValue), \(bind: kind.rawValue), \(bind: entity), \(bind: direction.rawValue),
                \(bind: SyncRecord.State.notSynced.rawValue), 0, \(bind: now))
            ON CONFLICT (entity_kind, entity_id, direction) DO NOTHING
            """).run()
    }

    /// The record's ledger rows (push and pull).
    public static func records(of entity: UUID, in organisation: Organisation.ID, on db: any Database) async throws -> [SyncRecord] {
        try await SyncRecordRecord.scoped(to: organisation, on: db).filter(\.$entityID == entity).all().map(\.domain)
    }

    /// The ledger rows of many records of one kind and direction, by record id (one query, for a list's badges).
    public static func records(
        of entities: [UUID], kind: SyncRecord.EntityKind, direction: SyncRecord.Direction = .push, in organisation: Organisation.ID,
        on db: any Database
    ) async throws -> [UUID: SyncRecord] {
        guard !entities.isEmpty else { return [:] }
        let rows = try await SyncRecordRecord.scoped(to: organisation, on: db).filter(\.$entityKind == kind.rawValue)
            .filter(\.$direction == direction.rawValue).filter(\.$entityID ~~ entities).all()
        return Dictionary(rows.map { ($0.entityID, $0.domain) }, uniquingKeysWith: { first, _ in first })
    }
}
