import FluentKit
import Foundation
import LentuneCore
import LentunePersistence

/// Every change a person or the API makes to a purchase order, in one place (DESIGN.md §2, STYLE §18): the page and
/// the API handlers decode, call one of these, and render. Each opens the write transaction, re-reads the project's
/// current PO-source setting inside it, applies Core's policy, and writes the change, its audit row and its outbox
/// jobs together. Callers invalidate their caches after it returns (after commit).
public enum PurchaseOrderCommands {
    public enum Failure: Error, Equatable {
        /// The seed's rule: the project's company creates its POs in Procore (or the PO came from Procore).
        case refused(PurchaseOrderPolicy.Refusal)
        /// Not allowed in this status, or not for this role.
        case workflow(PurchaseOrderWorkflow.Refusal)
        /// An approved or closed PO can no longer be edited.
        case notEditable(PurchaseOrder.Status)
        case notFound
        /// Retry on a PO that is not sent to Procore (a draft, a Procore PO, or its company is not on Lentune PO).
        case notSendable
        /// Close while approved invoices against the PO have not posted to Procore yet (their numbers): Procore takes
        /// subcontractor invoices only on approved commitments, so they would be refused there (issue 29).
        case invoicesWaiting([String])

        public var message: String {
            switch self {
            case .refused(let refusal): refusal.message
            case .workflow(let refusal): refusal.message
            case .notEditable(let status): "An \(status.title.lowercased()) purchase order can no longer be edited."
            case .notFound: "There is no such purchase order."
            case .notSendable: "This purchase order is not sent to Procore: only approved or closed Lentune purchase orders of a company on Lentune purchase order are."
            case .invoicesWaiting(let numbers):
                "\(numbers.count == 1 ? "Invoice \(numbers[0]) against this purchase order has" : "Invoices \(numbers.prefix(5).joined(separator: ", "))\(numbers.count > 5 ? " and \(numbers.count - 5) more" : "") against this purchase order have") "
                    + "not posted to Procore yet, and Procore takes invoices only on an open (approved) commitment. Close it once "
                    + "\(numbers.count == 1 ? "it has" : "they have") posted (the invoice's Procore panel says what it waits for)."
            }
        }
    }

    /// Creates a Lentune PO (an empty number takes the next one). With `requestKey`, a repeat creates nothing and
    /// answers the first PO with `created == false`.
    public static func create(
        _ po: PurchaseOrder, requestKey: String?, actor: User, now: Date, on db: any Database
    ) async throws -> (purchaseOrder: PurchaseOrder, created: Bool) {
        try await PurchaseOrders.create(po, requestKey: requestKey, within: { tx, stored in
            if case .failure(let refusal) = PurchaseOrderPolicy.mayCreate(
                for: try await PurchaseOrders.currentSource(of: stored.projectID, in: stored.organisationID, on: tx))
            {
                throw Failure.refused(refusal)
            }
            try await audit("purchase_order.created", stored, actor: actor, now: now, before: nil, on: tx)
        }, on: db)
    }

    /// Replaces a Lentune PO's content (draft, awaiting approval or approved); it goes back to draft.
    public static func update(_ po: PurchaseOrder, actor: User, now: Date, on db: any Database) async throws -> PurchaseOrder {
        try await PurchaseOrders.update(po, within: { tx, stored in
            if case .failure(let refusal) = PurchaseOrderPolicy.mayEdit(
                stored, project: try await PurchaseOrders.currentSource(of: stored.projectID, in: stored.organisationID, on: tx))
            {
                throw Failure.refused(refusal)
            }
            guard PurchaseOrderWorkflow.mayEditContent(stored) else { throw Failure.notEditable(stored.status) }
            // Moving it to a project of a Procore-sourced company is creating a Lentune PO there.
            if po.projectID != stored.projectID, case .failure(let refusal) = PurchaseOrderPolicy.mayCreate(
                for: try await PurchaseOrders.currentSource(of: po.projectID, in: po.organisationID, on: tx))
            {
                throw Failure.refused(refusal)
            }
            try await audit("purchase_order.updated", po, actor: actor, now: now, before: stored, on: tx)
        }, on: db)
        return po
    }

    /// Submit, approve or close. Approving or closing a PO of a company on Lentune purchase order queues its push to
    /// Procore in the same transaction.
    public static func act(
        _ action: PurchaseOrderWorkflow.Action, on id: PurchaseOrder.ID, organisation: Organisation.ID, actor: User, now: Date,
        on db: any Database
    ) async throws -> PurchaseOrder {
        try await PurchaseOrders.modify(id, in: organisation, on: db) { tx, stored in
            let source = try await PurchaseOrders.currentSource(of: stored.projectID, in: stored.organisationID, on: tx)
            switch PurchaseOrderWorkflow.apply(action, to: stored, by: actor, project: source) {
            case .failure(let refusal):
                throw Failure.workflow(refusal)
            case .success(let next):
                if action == .close {
                    let waiting = try await Invoices.waitingToPost(on: stored.id, in: organisation, on: tx)
                    guard waiting.isEmpty else { throw Failure.invoicesWaiting(waiting) }
                }
                try await audit("purchase_order.\(action.rawValue)", next, actor: actor, now: now, before: stored, on: tx)
                if [.approved, .closed].contains(next.status), next.origin == .lentune, source?.source == .lentune,
                    let link = try await PurchaseOrders.companyLink(ofProject: next.projectID, in: organisation, on: tx)
                {
                    try await Outbox.enqueue(.push(next.id, organisation: organisation, companyLink: link, now: now), on: tx)
                    try await SyncLedger.record(.pending(error: nil), .purchaseOrder, next.id.rawValue, organisation: organisation, now: now, on: tx)
                }
                return next
            }
        }
    }

    /// **Retry** on a Lentune PO whose push failed or was skipped: queues its push again (the setting is checked here
    /// for a clear answer, and again when the job runs). The failure's message says why it cannot be sent now.
    public static func retryPush(
        _ id: PurchaseOrder.ID, organisation: Organisation.ID, actor: User, now: Date, on db: any Database
    ) async throws -> PurchaseOrder {
        try await db.writeTransaction { tx in
            guard let po = try await PurchaseOrders.find(id, in: organisation, on: tx) else { throw Failure.notFound }
            let source = try await PurchaseOrders.currentSource(of: po.projectID, in: organisation, on: tx)
            guard po.origin == .lentune, [.approved, .closed].contains(po.status), source?.source == .lentune,
                let link = try await PurchaseOrders.companyLink(ofProject: po.projectID, in: organisation, on: tx)
            else { throw Failure.notSendable }
            try await Outbox.enqueue(.push(po.id, organisation: organisation, companyLink: link, now: now), on: tx)
            try await SyncLedger.record(.pending(error: nil), .purchaseOrder, po.id.rawValue, organisation: organisation, now: now, on: tx)
            try await audit("purchase_order.sync_retried", po, actor: actor, now: now, before: nil, on: tx)
            return po
        }
    }

    /// The sweep's repair of pushes (issue 25): queues a push for each PO of the row that should be in Procore and
    /// has no push done or waiting (`ProcoreSettings.unsentLentunePurchaseOrders`), e.g. one whose job was lost.
    /// Answers how many were queued.
    public static func queueUnsent(_ row: ProcoreCompanyLink, now: Date, on db: any Database) async throws -> Int {
        let unsent = try await ProcoreSettings.unsentLentunePurchaseOrders(of: row, on: db)
        let waiting = try await Outbox.waiting(keys: unsent.map { "po.push:\($0.lowercasedText)" }, in: row.organisationID, on: db)
        var queued = 0
        for id in unsent where !waiting.contains("po.push:\(id.lowercasedText)") {
            try await db.writeTransaction { tx in
                try await Outbox.enqueue(.push(.init(id), organisation: row.organisationID, companyLink: row.id, now: now), on: tx)
                try await SyncLedger.record(.pending(error: nil), .purchaseOrder, id, organisation: row.organisationID, now: now, on: tx)
            }
            queued += 1
        }
        return queued
    }

    static func audit(_ action: String, _ po: PurchaseOrder, actor: User, now: Date, before: PurchaseOrder?, on tx: any Database) async throws {
        func describe(_ po: PurchaseOrder) -> String {
            "\(po.status.title); \(po.lines.count) line\(po.lines.count == 1 ? "" : "s"); total \(Money.format(po.totals.includingTax))"
        }
        try await AuditLog.record(
            AuditEvent(
                organisationID: po.organisationID, actorID: actor.id, actorEmail: actor.email, occurredAt: now, action: action,
                subject: "Purchase order \(po.number)", before: before.map(describe), after: describe(po), entityID: po.id.rawValue),
            on: tx)
    }
}

