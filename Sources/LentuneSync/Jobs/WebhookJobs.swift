import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import ProcoreAPI

/// `webhook.process` and `sweep`: turn what Procore says changed into the jobs that read it, obeying the company's
/// current purchase-order setting when they run (not when the event arrived).
public enum ChangeJobs {
    /// The payload of a `webhook.process` job queued before jobs named several events (one event each).
    struct EventPayload: Codable { var event_id: UUID }

    /// The payload of a `po.pull` job.
    public struct PullPayload: Codable, Sendable, Equatable {
        public var commitment_id: Int64
        public var project_id: Int64?
        public var deleted: Bool?
    }

    /// Stored events → the jobs they imply (or a recorded reason to ignore each). The intake writes one job per
    /// organisation and write, naming the events it stored then. An event whose outcome is no longer `queued` was
    /// processed by an earlier run of this job (it stopped part-way and is retried) and is passed over.
    public static func processWebhook(_ job: SyncJob, _ ctx: JobContext) async throws {
        let data = Data(job.payload.utf8)
        guard let ids = (try? JSONDecoder().decode(WebhookEvents.ProcessPayload.self, from: data))?.event_ids
            ?? (try? JSONDecoder().decode(EventPayload.self, from: data)).map({ [$0.event_id] })
        else { throw SyncError.permanent("The payload of this job names no webhook event.") }
        // Only the job's organisation's events are read (a job is scoped to one organisation).
        let events = try await WebhookEvents.events(ids, in: job.organisationID, on: ctx.db)
        guard !events.isEmpty else { throw SyncError.permanent("The webhook events of this job are missing.") }
        var rows: [ProcoreID: ProcoreCompanyLink?] = [:]
        for event in events where event.outcome == .queued {
            var row: ProcoreCompanyLink?
            if let company = event.companyID {
                if rows[company] == nil {
                    rows[company] = .some(try await ProcoreSettings.linkedRow(procoreCompany: company, organisation: event.organisationID, on: ctx.db))
                }
                row = rows[company] ?? nil
            }
            try await process(event, row: row, now: ctx.now(), on: ctx.db)
        }
    }

    /// One event → the job it implies, with its company's row as it is now (nil: not linked).
    static func process(_ event: WebhookEvents.Event, row: ProcoreCompanyLink?, now: Date, on db: any Database) async throws {
        guard let row else {
            try await WebhookEvents.setOutcome(event.id, "ignored: the company is not linked", on: db)
            return
        }
        switch event.resourceName {
        case "Purchase Order Contracts" where row.purchaseOrderSource == .lentune,
            "Purchase Order Contract Line Items" where row.purchaseOrderSource == .lentune:
            // Lentune's own writes were skipped at intake: another application changed a commitment Lentune sends.
            // It is checked for drift, never read back.
            let commitment = event.resourceName == "Purchase Order Contracts" ? event.resourceID : parent(of: event)
            guard let commitment, let po = try await PurchaseOrders.find(commitment: commitment, in: row.organisationID, on: db),
                po.origin == .lentune
            else {
                try await WebhookEvents.setOutcome(event.id, "ignored: \(row.name) is on Lentune purchase order and Lentune did not send it", on: db)
                return
            }
            try await Outbox.enqueue(.check(po.id, organisation: row.organisationID, companyLink: row.id, now: now), on: db)
            try await WebhookEvents.setOutcome(event.id, "queued po.check", on: db)
        case "Purchase Order Contracts", "Purchase Order Contract Line Items":
            guard row.purchaseOrderSource == .procore else {
                try await WebhookEvents.setOutcome(
                    event.id, "ignored: \(row.name) is not on Procore purchase order", on: db)
                return
            }
            // A line's event names its commitment in related_resources (payload v3.0, which Lentune's hook asks for).
            let commitment = event.resourceName == "Purchase Order Contracts" ? event.resourceID : parent(of: event)
            guard let commitment else {
                try await WebhookEvents.setOutcome(event.id, "ignored: the line's commitment is not named", on: db)
                return
            }
            try await queuePull(commitment, project: event.projectID,
                                deleted: event.resourceName == "Purchase Order Contracts" && event.eventType == "delete",
                                row: row, now: now, on: db)
            try await WebhookEvents.setOutcome(event.id, "queued po.pull", on: db)
        case "Projects", "Company Vendors":
            let scope = event.resourceName == "Projects" ? ReferenceJobs.Scope(project_id: event.resourceID) : ReferenceJobs.Scope(vendors: true)
            try await Outbox.enqueue(ReferenceJobs.job(scope, of: row, now: now), on: db)
            try await WebhookEvents.setOutcome(event.id, "queued reference.sync", on: db)
        default:
            try await WebhookEvents.setOutcome(event.id, "ignored: Lentune does not use \(event.resourceName)", on: db)
        }
    }

    static func parent(of event: WebhookEvents.Event) -> Int64? {
        struct Related: Decodable {
            struct Resource: Decodable { var id: Int64; var name: String }
            var related_resources: [Resource]?
        }
        let related = try? JSONDecoder().decode(Related.self, from: Data(event.payload.utf8))
        return related?.related_resources?.first { $0.name == "Purchase Order Contracts" }?.id
    }

    static func queuePull(_ commitment: Int64, project: Int64?, deleted: Bool, row: ProcoreCompanyLink, now: Date, on db: any Database) async throws {
        let payload = PullPayload(commitment_id: commitment, project_id: project, deleted: deleted ? true : nil)
        try await Outbox.enqueue(SyncJob(
            organisationID: row.organisationID, companyLinkID: row.id, kind: .pullPurchaseOrder,
            payload: String(decoding: try JSONEncoder().encode(payload), as: UTF8.self),
            dedupeKey: "po.pull:\(row.id):\(commitment)", nextAttemptAt: now, createdAt: now), on: db)
    }

    /// How far back a sweep reads before its cursor: changes committed while the last sweep was reading are not
    /// missed, at the cost of reading a few twice (pull jobs are idempotent and deduplicated).
    public static let overlap: TimeInterval = 300

    /// `sweep`: repairs both directions for one company (issue 25). A reference-data sync of the company; the posting
    /// schedule (held invoices, and approved ones whose posting was never queued or lost its job). On **Procore
    /// purchase order**, a pull for every commitment of its linked projects updated since the cursor (with overlap).
    /// On **Lentune purchase order**, a push for every PO that should be in Procore and has no push done or waiting,
    /// and a drift check (`po.check`) for every Lentune commitment changed in Procore since the cursor. The cursor then
    /// moves to the time the sweep started.
    public static func sweep(_ job: SyncJob, _ ctx: JobContext) async throws {
        guard let linkID = job.companyLinkID, let row = try await ProcoreSettings.link(linkID, on: ctx.db), row.isLinked else {
            throw SyncError.cancelled("The company is no longer linked.")
        }
        let started = ctx.now()
        // Reference data is re-read on every sweep (its own deduplicated job), so a project, vendor or cost code
        // whose webhook never arrived is still imported within one sweep interval.
        try await Outbox.enqueue(.companyWide(.syncReferenceData, of: row, now: started), on: ctx.db)
        // The posting schedule: held invoices are tried again, approved ones never queued are queued.
        _ = try await InvoiceCommands.queueAwaitingPosting(row, now: started, on: ctx.db)
        if row.purchaseOrderSource == .lentune { _ = try await PurchaseOrderCommands.queueUnsent(row, now: started, on: ctx.db) }
        guard row.purchaseOrderSource != .none else {
            // Nothing to read for POs with neither box ticked.
            try await SweepCursors.advance(row.id, resource: "purchase_order_contracts", to: started, now: started, on: ctx.db)
            return
        }
        let since = try await SweepCursors.cursor(row.id, resource: "purchase_order_contracts", on: ctx.db)
            .map { $0.addingTimeInterval(-overlap) } ?? Date(timeIntervalSince1970: 0)
        let client = try await ctx.sessions.client(organisation: row.organisationID, company: row.procoreCompanyID, on: ctx.db)
        for project in try await ProcoreSettings.linkedProcoreProjects(of: row, on: ctx.db) {
            let filter = Procore.ListFilter(updatedAt: since...started, includeDeleted: .with)
            for try await page in client.purchaseOrders(project, filter, 100) {
                for commitment in page {
                    if row.purchaseOrderSource == .procore {
                        try await queuePull(commitment.id, project: project, deleted: commitment.deletedAt != nil, row: row, now: started, on: ctx.db)
                    } else if let po = try await lentunePO(of: commitment, in: row.organisationID, on: ctx.db) {
                        try await Outbox.enqueue(.check(po, organisation: row.organisationID, companyLink: row.id, now: started), on: ctx.db)
                    }
                }
            }
        }
        try await SweepCursors.advance(row.id, resource: "purchase_order_contracts", to: started, now: started, on: ctx.db)
    }

    /// The Lentune PO a commitment of a Lentune-sourced company is (by its stored id, else by origin_id), if any.
    static func lentunePO(of commitment: Procore.PurchaseOrderContract, in organisation: Organisation.ID, on db: any Database) async throws
        -> PurchaseOrder.ID?
    {
        if let po = try await PurchaseOrders.find(commitment: commitment.id, in: organisation, on: db) {
            return po.origin == .lentune ? po.id : nil
        }
        guard let origin = commitment.originId.flatMap(UUID.init(uuidString:)),
            let po = try await PurchaseOrders.find(.init(origin), in: organisation, on: db), po.origin == .lentune
        else { return nil }
        return po.id
    }
}
