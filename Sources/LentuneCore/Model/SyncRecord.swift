import Foundation

/// The sync state of one Lentune record against its Procore counterpart, shown as the badge on lists and in the
/// integration log (✓ synced, ✗ failed, – skipped).
public struct SyncRecord: Hashable, Sendable {
    public typealias ID = Identifier<SyncRecord>

    public enum EntityKind: String, Sendable, Codable, CaseIterable {
        case purchaseOrder = "purchase_order"
        case invoice
        case supplier
        case project
        case costCode = "cost_code"
        case costType = "cost_type"
    }

    public enum State: String, Sendable, Codable, CaseIterable {
        case notSynced = "not_synced"
        case pending
        case synced
        case failed
        case skipped
        /// A Lentune-sourced record someone changed in Procore after Lentune's last push: shown, never pulled.
        case changed = "changed_in_procore"

        public var symbol: String {
            switch self {
            case .changed: "≠"
            case .notSynced: ""
            case .pending: "…"
            case .synced: "✓"
            case .failed: "✗"
            case .skipped: "–"
            }
        }
    }

    /// Which way the record moves: sent to Procore, or read from it.
    public enum Direction: String, Sendable, Codable, CaseIterable {
        case push
        case pull
    }

    public var id: ID
    public var organisationID: Organisation.ID
    public var entityKind: EntityKind
    public var entityID: UUID
    public var direction: Direction
    public var procoreID: ProcoreID?
    /// Where a person sees the record in Procore.
    public var procoreURL: String?
    public var state: State
    public var attempts: Int
    public var lastError: String?
    public var lastSyncedAt: Date?
    /// Where in Procore it is written, or was last being written (issue 25).
    public var target: ProcoreTarget?

    public init(
        id: ID = ID(), organisationID: Organisation.ID, entityKind: EntityKind, entityID: UUID, direction: Direction = .push,
        procoreID: ProcoreID? = nil, procoreURL: String? = nil, state: State = .notSynced, attempts: Int = 0,
        lastError: String? = nil, lastSyncedAt: Date? = nil, target: ProcoreTarget? = nil
    ) {
        self.id = id
        self.organisationID = organisationID
        self.entityKind = entityKind
        self.entityID = entityID
        self.direction = direction
        self.procoreID = procoreID
        self.procoreURL = procoreURL
        self.state = state
        self.attempts = attempts
        self.lastError = lastError
        self.lastSyncedAt = lastSyncedAt
        self.target = target
    }
}

/// Who changed what, when, before → after. Written in the same transaction as the change.
public struct AuditEvent: Hashable, Sendable {
    public typealias ID = Identifier<AuditEvent>
    public var id: ID
    public var organisationID: Organisation.ID
    public var actorID: User.ID?
    public var actorEmail: String
    public var occurredAt: Date
    public var action: String
    public var subject: String
    public var before: String?
    public var after: String?
    /// The record it is about (a PO's or an invoice's id), when there is one.
    public var entityID: UUID?

    public init(
        id: ID = ID(), organisationID: Organisation.ID, actorID: User.ID?, actorEmail: String, occurredAt: Date,
        action: String, subject: String, before: String? = nil, after: String? = nil, entityID: UUID? = nil
    ) {
        self.id = id
        self.organisationID = organisationID
        self.actorID = actorID
        self.actorEmail = actorEmail
        self.occurredAt = occurredAt
        self.action = action
        self.subject = subject
        self.before = before
        self.after = after
        self.entityID = entityID
    }
}
