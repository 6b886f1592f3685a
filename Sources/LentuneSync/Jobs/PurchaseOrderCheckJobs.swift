import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import ProcoreAPI

/// `po.check`: drift of a Lentune-sourced commitment (issue 25). With **Lentune purchase order** ticked Lentune is the
/// source of truth and never reads a commitment back ("We do not pull in purchase orders from Procore"), but someone
/// may still change it in Procore through another application. The sweep (for commitments changed since its cursor)
/// and a webhook from another application queue this job; it reads the commitment and compares its status and the
/// lines Lentune wrote with the PO. A difference is shown as **Changed in Procore** on the PO page (the ledger) and in
/// the Integration log (the job fails with the difference); **Send Lentune's version** queues the push that puts it
/// right. Nothing in Lentune changes.
extension PurchaseOrderJobs {
    public static func check(_ job: SyncJob, _ ctx: JobContext) async throws {
        guard let payload = try? JSONDecoder().decode(Payload.self, from: Data(job.payload.utf8)) else {
            throw SyncError.permanent("The job names no purchase order.")
        }
        let (po, row, project) = try await current(.init(payload.purchase_order_id), job: job, ctx)
        guard let commitmentID = po.procoreCommitmentID else {
            throw SyncError.cancelled("\(po.number) has not been sent to Procore yet: nothing to compare.")
        }
        let push = "po.push:\(po.id.rawValue.lowercasedText)"
        if try await Outbox.history(keys: [push], in: po.organisationID, limit: 1, on: ctx.db).contains(where: { [.pending, .running].contains($0.state) }) {
            throw SyncError.cancelled("A push of \(po.number) is on its way: it sends Lentune's version.")
        }
        let client = try await ctx.sessions.client(organisation: row.organisationID, company: row.procoreCompanyID, on: ctx.db)
        let differences: [String]
        if let commitment = try await readCommitment(commitmentID, project: project, client: client), commitment.deletedAt == nil {
            var lines = commitment.lineItems ?? []
            if commitment.lineItems == nil { lines = try await client.purchaseOrderLineItems(project, commitmentID).all() }
            differences = try await Self.differences(po, commitment: commitment, lines: lines, row: row, on: ctx.db)
        } else {
            differences = ["the commitment was deleted in Procore"]
        }
        let record = try await SyncLedger.records(of: po.id.rawValue, in: po.organisationID, on: ctx.db).first { $0.direction == .push }
        guard !differences.isEmpty else {
            if record?.state == .changed {
                let environment = try await ProcoreSettings.connection(for: row.organisationID, on: ctx.db)?.domain.environment
                let url = environment.flatMap { ProcoreWebLinks.url(.commitment(project: project, commitment: commitmentID), environment: $0) }
                try await SyncLedger.record(
                    .synced(procoreID: commitmentID, url: url?.absoluteString), .purchaseOrder, po.id.rawValue, organisation: po.organisationID,
                    now: ctx.now(), on: ctx.db)
            }
            return
        }
        let summary = "Changed in Procore: " + differences.prefix(8).joined(separator: "; ") + (differences.count > 8 ? "; …" : "") + "."
        try await SyncLedger.record(.changed(summary), .purchaseOrder, po.id.rawValue, organisation: po.organisationID, now: ctx.now(), on: ctx.db)
        throw SyncError.permanent("\(po.number): \(summary) Send Lentune's version on the purchase order's page puts Procore right.")
    }

    /// How a commitment in Procore differs from what Lentune sends for the PO (empty: it is Lentune's version): its
    /// status, and the lines Lentune wrote.
    static func differences(
        _ po: PurchaseOrder, commitment: Procore.PurchaseOrderContract, lines: [Procore.LineItem], row: ProcoreCompanyLink, on db: any Database
    ) async throws -> [String] {
        var differences: [String] = []
        let expected: Procore.PurchaseOrderContract.Status = po.status == .closed ? .closed : .approved
        if commitment.status != expected { differences.append("its status is \(commitment.status.rawValue) in Procore, \(expected.rawValue) in Lentune") }
        do {
            let writes = try await lineWrites(po, row: row, on: db) { type in
                guard let id = try await ReferenceLinks.procoreID(.costType, of: type.rawValue, row: row, on: db) else {
                    throw SyncError.permanent("a cost type is not in Procore yet")
                }
                return id
            }
            let positions = Dictionary(po.lines.map { ($0.id.rawValue.lowercasedText, $0.position) }, uniquingKeysWith: { first, _ in first })
            differences += lineDifferences(writes, lines) { origin in origin.flatMap { positions[$0] }.map { "line \($0)" } ?? "a line" }
        } catch let error as SyncError {
            differences.append("its lines cannot be compared (\(error.description))")
        }
        return differences
    }
}
