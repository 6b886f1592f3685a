import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import ProcoreAPI

/// `lentune reconcile` and the Integration log's **Reconcile** (issue 25): for one Procore company, every Lentune
/// record compared with its Procore counterpart: POs and their lines in the company's direction, invoices with their
/// direct cost or requisition. What it lists is what an integration engineer runs it for after an incident: records
/// **lost** (on one side only), **duplicated** (two on one side for one on the other) and **diverged** (both there,
/// not the same), each with the difference and, where Lentune can fix it, the repair. Its reads go through the
/// company's Procore session, so they are paced like every Procore read, and it only reads: it can run while the
/// company works. `repair` queues the jobs that fix what it found.
public enum Reconciliation {
    public struct Finding: Sendable, Hashable, Codable {
        public enum Category: String, Sendable, Codable, CaseIterable {
            case lost, duplicated, diverged
        }

        public var category: Category
        /// "Purchase order PO-00012", "Invoice INV-204 (Placemakers Ltd)".
        public var record: String
        public var difference: String
        public var repair: Repair?
    }

    /// What fixes a finding.
    public enum Repair: Sendable, Hashable, Codable {
        /// Send the Lentune PO again (Lentune's version).
        case push(purchaseOrder: UUID)
        /// Read the commitment again (Procore's version).
        case pull(commitment: Int64, project: Int64, deleted: Bool)
        /// Post the invoice (it finds a record already there by origin_id).
        case post(invoice: UUID)
        /// Two Lentune POs for one commitment: the copy's invoices move to the PO Lentune made, which is paired with
        /// the commitment; the copy is removed; the commitment is read again.
        case merge(keep: UUID, copy: UUID)

        public var title: String {
            switch self {
            case .push: "send Lentune's version"
            case .pull: "read it from Procore again"
            case .post: "post the invoice"
            case .merge: "merge the copy into the purchase order Lentune made"
            }
        }
    }

    public struct Report: Sendable, Codable {
        public var companyLinkID: UUID
        public var company: String
        public var source: String
        public var purchaseOrdersChecked = 0
        public var commitmentsRead = 0
        public var invoicesChecked = 0
        public var findings: [Finding] = []

        public func count(_ category: Finding.Category) -> Int { findings.filter { $0.category == category }.count }
        public var summary: String {
            "\(company): \(purchaseOrdersChecked) purchase orders, \(commitmentsRead) commitments and \(invoicesChecked) invoices compared; "
                + "lost \(count(.lost)), duplicated \(count(.duplicated)), diverged \(count(.diverged))"
        }
    }

    /// Compares the company's records on both sides.
    public static func run(_ row: ProcoreCompanyLink, client: Procore.Client, on db: any Database) async throws -> Report {
        var report = Report(companyLinkID: row.id.rawValue, company: row.name, source: row.purchaseOrderSource.rawValue)
        let context = try await Context.load(row, client: client, on: db)
        report.commitmentsRead = context.commitments.count
        let pos = try await CompanyRecords.purchaseOrders(of: row, on: db)
        switch row.purchaseOrderSource {
        case .lentune: try await PurchaseOrderCheck.lentuneSourced(pos, context, &report, on: db)
        case .procore: try await PurchaseOrderCheck.procoreSourced(pos, context, &report, on: db)
        case .none: break
        }
        try await InvoiceCheck.compare(try await CompanyRecords.postableInvoices(of: row, on: db), context, &report, on: db)
        return report
    }

    /// Queues (or, for a merge, makes) the repair of every finding that has one; answers how many.
    public static func repair(_ report: Report, row: ProcoreCompanyLink, now: Date, on db: any Database) async throws -> Int {
        var repaired = 0
        for repair in Set(report.findings.compactMap(\.repair)) {
            try await db.writeTransaction { tx in try await perform(repair, row: row, now: now, on: tx) }
            repaired += 1
        }
        return repaired
    }

    static func perform(_ repair: Repair, row: ProcoreCompanyLink, now: Date, on tx: any Database) async throws {
        let org = row.organisationID
        switch repair {
        case .push(let id):
            try await Outbox.enqueue(.push(.init(id), organisation: org, companyLink: row.id, now: now), on: tx)
            try await SyncLedger.record(.pending(error: nil), .purchaseOrder, id, organisation: org, now: now, on: tx)
        case .pull(let commitment, let project, let deleted):
            try await ChangeJobs.queuePull(commitment, project: project, deleted: deleted, row: row, now: now, on: tx)
        case .post(let id):
            try await Outbox.enqueue(.post(.init(id), organisation: org, companyLink: row.id, now: now), on: tx)
            try await SyncLedger.record(.pending(error: nil), .invoice, id, organisation: org, now: now, on: tx)
        case .merge(let keep, let copy):
            guard let commitment = try await PurchaseOrders.merge(copy: .init(copy), into: .init(keep), in: org, on: tx),
                let project = try await PurchaseOrders.procoreProject(of: .init(keep), in: org, on: tx)
            else { return }
            try await ChangeJobs.queuePull(commitment, project: project, deleted: false, row: row, now: now, on: tx)
        }
    }

    /// What Procore has for the company, read once: its commitments (deleted ones too) with their projects, and its
    /// direct costs and requisitions that carry an origin_id.
    struct Context {
        var row: ProcoreCompanyLink
        var client: Procore.Client
        var commitments: [(project: ProcoreID, commitment: Procore.PurchaseOrderContract)] = []
        var directCosts: [String: [Procore.DirectCostSummary]] = [:]
        var requisitions: [String: [Procore.Requisition]] = [:]

        static func load(_ row: ProcoreCompanyLink, client: Procore.Client, on db: any Database) async throws -> Context {
            var context = Context(row: row, client: client)
            for project in try await ProcoreSettings.linkedProcoreProjects(of: row, on: db) {
                var filter = Procore.ListFilter()
                filter.includeDeleted = .with
                for try await page in client.purchaseOrders(project, filter, 100) {
                    context.commitments += page.map { (project, $0) }
                }
                for try await page in client.directCosts(project, .none) {
                    for cost in page { if let origin = cost.originId?.lowercased() { context.directCosts[origin, default: []].append(cost) } }
                }
                for try await page in client.requisitions(project, .none, nil) {
                    for requisition in page {
                        if let origin = requisition.originId?.lowercased() { context.requisitions[origin, default: []].append(requisition) }
                    }
                }
            }
            return context
        }

        func lines(of commitment: Procore.PurchaseOrderContract, project: ProcoreID) async throws -> [Procore.LineItem] {
            if let lines = commitment.lineItems { return lines }
            return try await client.purchaseOrderLineItems(project, commitment.id).all()
        }
    }
}
