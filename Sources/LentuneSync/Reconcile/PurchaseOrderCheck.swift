import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import ProcoreAPI

/// The purchase-order half of a reconciliation, in the company's direction.
enum PurchaseOrderCheck {
    typealias Finding = Reconciliation.Finding

    /// **Lentune purchase order**: every Lentune PO that should be in Procore (approved, or closed and sent before)
    /// has exactly one commitment carrying its id as origin_id, with its status and lines.
    static func lentuneSourced(
        _ pos: [PurchaseOrder], _ context: Reconciliation.Context, _ report: inout Reconciliation.Report, on db: any Database
    ) async throws {
        let live = context.commitments.filter { $0.commitment.deletedAt == nil }
        let byOrigin = Dictionary(grouping: live) { $0.commitment.originId?.lowercased() ?? "" }
        let ledger = try await SyncLedger.records(of: pos.map(\.id.rawValue), kind: .purchaseOrder, in: context.row.organisationID, on: db)
        for po in pos where po.origin == .lentune {
            let sentBefore = ledger[po.id.rawValue] != nil || po.procoreCommitmentID != nil
            guard po.status == .approved || (po.status == .closed && sentBefore) else { continue }
            report.purchaseOrdersChecked += 1
            let label = "Purchase order \(po.number)"
            let twins = byOrigin[po.id.rawValue.lowercasedText] ?? []
            guard let (project, commitment) = twins.first else {
                report.findings.append(Finding(category: .lost, record: label, difference: "Procore has no commitment for it", repair: .push(purchaseOrder: po.id.rawValue)))
                continue
            }
            guard twins.count == 1 else {
                let ids = twins.map { "#\($0.commitment.id)" }.joined(separator: ", ")
                report.findings.append(Finding(category: .duplicated, record: label, difference: "\(twins.count) commitments in Procore carry its id: \(ids)", repair: nil))
                continue
            }
            var differences = try await PurchaseOrderJobs.differences(
                po, commitment: commitment, lines: try await context.lines(of: commitment, project: project), row: context.row, on: db)
            if po.procoreCommitmentID != commitment.id {
                differences.insert("Lentune has not stored its commitment #\(commitment.id)", at: 0)
            }
            if !differences.isEmpty {
                report.findings.append(Finding(
                    category: .diverged, record: label, difference: differences.joined(separator: "; "), repair: .push(purchaseOrder: po.id.rawValue)))
            }
        }
    }

    /// **Procore purchase order**: every commitment has exactly one Lentune PO, with its status and lines; one deleted
    /// in Procore is marked so in Lentune; a Lentune PO of a commitment Procore no longer has is marked too.
    static func procoreSourced(
        _ pos: [PurchaseOrder], _ context: Reconciliation.Context, _ report: inout Reconciliation.Report, on db: any Database
    ) async throws {
        let byCommitment = Dictionary(pos.compactMap { po in po.procoreCommitmentID.map { ($0, po) } }, uniquingKeysWith: { first, _ in first })
        let byID = Dictionary(pos.map { ($0.id.rawValue, $0) }, uniquingKeysWith: { first, _ in first })
        for (project, commitment) in context.commitments {
            let paired = byCommitment[commitment.id]
            let original = commitment.originId.flatMap(UUID.init(uuidString:)).flatMap { byID[$0] }
                .flatMap { $0.origin == .lentune && $0.id != paired?.id ? $0 : nil }
            let label = "Commitment \(commitment.number ?? "#\(commitment.id)")"
            if commitment.deletedAt != nil {
                if let paired, paired.deletedInProcoreAt == nil {
                    report.findings.append(Finding(
                        category: .diverged, record: "Purchase order \(paired.number)", difference: "deleted in Procore, not marked so in Lentune",
                        repair: .pull(commitment: commitment.id, project: project, deleted: true)))
                }
                continue
            }
            report.purchaseOrdersChecked += 1
            let pull = Reconciliation.Repair.pull(commitment: commitment.id, project: project, deleted: false)
            switch (paired, original) {
            case (let paired?, let original?):
                report.findings.append(Finding(
                    category: .duplicated, record: label,
                    difference: "Lentune has two purchase orders for it: \(original.number) (made in Lentune) and \(paired.number) (read from Procore)",
                    repair: .merge(keep: original.id.rawValue, copy: paired.id.rawValue)))
            case (nil, nil):
                report.findings.append(Finding(category: .lost, record: label, difference: "Lentune has no purchase order for it", repair: pull))
            case (nil, let original?):
                report.findings.append(Finding(
                    category: .diverged, record: label, difference: "\(original.number) carries it but has not stored its id", repair: pull))
            case (let po?, nil):
                let differences = compare(po, commitment, lines: try await context.lines(of: commitment, project: project))
                if !differences.isEmpty {
                    report.findings.append(Finding(
                        category: .diverged, record: "Purchase order \(po.number)", difference: differences.joined(separator: "; "), repair: pull))
                }
            }
        }
        let inProcore = Set(context.commitments.map(\.commitment.id))
        let projects = try await ReferenceData.projects(in: context.row.organisationID, on: db)
        for po in pos where po.origin == .procore && po.deletedInProcoreAt == nil {
            guard let commitment = po.procoreCommitmentID, !inProcore.contains(commitment),
                let project = projects.first(where: { $0.id == po.projectID })?.procoreProjectID
            else { continue }
            report.findings.append(Finding(
                category: .diverged, record: "Purchase order \(po.number)", difference: "Procore has no commitment #\(commitment) any more",
                repair: .pull(commitment: commitment, project: project, deleted: false)))
        }
    }

    /// How a Lentune PO read from Procore differs from its commitment now: status, title, and each Procore line.
    static func compare(_ po: PurchaseOrder, _ commitment: Procore.PurchaseOrderContract, lines: [Procore.LineItem]) -> [String] {
        var differences: [String] = []
        let status = PurchaseOrderJobs.status(commitment.status)
        if po.status != status { differences.append("its status is \(commitment.status.rawValue) in Procore, \(po.status.title) in Lentune") }
        if (commitment.title ?? "").prefix(255) != po.title.prefix(255) { differences.append("its title differs") }
        for line in lines {
            guard let ours = po.lines.first(where: { $0.procoreLineItemID == line.id }) else {
                differences.append("Lentune lacks Procore's line #\(line.id) (\(line.amount))")
                continue
            }
            if ours.amount != line.amount.value { differences.append("line \(ours.position): \(line.amount) in Procore, \(Money.format(ours.amount)) in Lentune") }
        }
        if po.deletedInProcoreAt != nil { differences.append("Lentune marks it deleted in Procore, but Procore has it") }
        return differences
    }
}
