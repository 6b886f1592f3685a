import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import ProcoreAPI

/// The invoice half of a reconciliation: every invoice Lentune posts is in Procore exactly once (a direct cost or a
/// requisition carrying its id as origin_id) with its amount; a held one is not there.
enum InvoiceCheck {
    typealias Finding = Reconciliation.Finding

    static func compare(_ invoices: [Invoice], _ context: Reconciliation.Context, _ report: inout Reconciliation.Report, on db: any Database) async throws {
        let names = try await ReferenceData.supplierNames(invoices.map(\.supplierID), in: context.row.organisationID, on: db)
        for invoice in invoices {
            report.invoicesChecked += 1
            let origin = invoice.id.rawValue.lowercasedText
            let costs = context.directCosts[origin] ?? []
            let requisitions = context.requisitions[origin] ?? []
            let label = "Invoice \(invoice.number) (\(names[invoice.supplierID.rawValue] ?? "unknown supplier"))"
            let post = Reconciliation.Repair.post(invoice: invoice.id.rawValue)
            let found = costs.count + requisitions.count
            switch invoice.status {
            case .posted where found == 0:
                report.findings.append(Finding(
                    category: .lost, record: label, difference: "posted in Lentune, but Procore has no direct cost or requisition for it", repair: nil))
            case .approved where found == 0:
                report.findings.append(Finding(category: .lost, record: label, difference: "approved, and neither posted nor held", repair: post))
            case .approved where found > 0, .held where found > 0:
                report.findings.append(Finding(
                    category: .diverged, record: label, difference: "\(invoice.status.title.lowercased()) in Lentune, but Procore has it", repair: post))
            case _ where found > 1:
                let ids = (costs.map { "direct cost #\($0.id)" } + requisitions.map { "requisition #\($0.id)" }).joined(separator: ", ")
                report.findings.append(Finding(
                    category: .duplicated, record: label, difference: "Procore has it \(found) times (\(ids)); delete the extra one in Procore",
                    repair: nil))
            default:
                if let difference = amountDifference(invoice, cost: costs.first, requisition: requisitions.first) {
                    report.findings.append(Finding(category: .diverged, record: label, difference: difference, repair: nil))
                }
            }
        }
    }

    /// A posted invoice's amount against its one Procore record: a direct cost's total is the invoice's lines, a
    /// requisition's claim this period is its allocations.
    static func amountDifference(_ invoice: Invoice, cost: Procore.DirectCostSummary?, requisition: Procore.Requisition?) -> String? {
        if let cost {
            let expected = invoice.lines.reduce(Decimal(0)) { $0 + $1.amount }
            guard let total = cost.grandTotal?.value, abs(total - expected) > Decimal(string: "0.005")! else { return nil }
            return "direct cost #\(cost.id) totals \(Money.format(total)), the invoice's lines \(Money.format(expected))"
        }
        if let requisition {
            let expected = invoice.allocations.reduce(Decimal(0)) { $0 + $1.amount }
            guard let claimed = requisition.totalClaimedAmount?.value, abs(claimed - expected) > Decimal(string: "0.005")! else { return nil }
            return "requisition #\(requisition.id) claims \(Money.format(claimed)), the invoice's allocations \(Money.format(expected))"
        }
        return nil
    }
}
