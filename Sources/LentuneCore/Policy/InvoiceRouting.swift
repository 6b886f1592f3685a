import Foundation

/// Where an approved supplier invoice goes in Procore (DESIGN.md §1 table and §1.1).
public enum InvoiceRouting {
    public enum Destination: Hashable, Sendable {
        /// The invoice's project is not linked to Procore: nothing is posted.
        case notIntegrated
        /// Posted as a Direct Cost of type `invoice`.
        case directCost
        /// Posted as a Subcontractor Invoice (requisition) against the PO's commitment.
        case requisition(commitmentID: ProcoreID)
        /// Not posted until a person fixes the reason.
        case held(HoldReason)
    }

    public enum HoldReason: Hashable, Sendable {
        /// The invoice is against a PO that has not reached Procore yet.
        case purchaseOrderNotSynced(number: String)
        /// The PO is closed: its commitment is Closed in Procore, which takes subcontractor invoices only on approved
        /// commitments (found by the soak: an invoice approved while its PO was being closed failed for good).
        case purchaseOrderClosed(number: String)
        /// The allocated value differs from the invoice's value by more than the tolerance.
        case allocationOutsideTolerance(difference: Decimal, tolerance: Decimal)

        public var message: String {
            switch self {
            case .purchaseOrderNotSynced(let number):
                "Purchase order \(number) has not been sent to Procore yet; the invoice will post once it has."
            case .purchaseOrderClosed(let number):
                "Purchase order \(number) is closed, and Procore takes subcontractor invoices only on approved commitments. "
                    + "Reopen the commitment in Procore (the invoice posts on the next sweep), or reverse the approval and "
                    + "capture it without the purchase order to post it as a direct cost."
            case .allocationOutsideTolerance(let difference, let tolerance):
                "The invoice's value excluding tax differs from the amount allocated to the purchase order by "
                    + "\(Money.format(difference)), more than the rounding tolerance of \(Money.format(tolerance))."
            }
        }
    }

    /// - Parameters:
    ///   - source: the PO source of the project's Procore company, `nil` if the project is not linked.
    ///   - purchaseOrder: the PO the invoice is allocated to, if any.
    ///   - tolerance: the company's rounding tolerance for invoice amount.
    public static func destination(
        for invoice: Invoice, source: PurchaseOrderSource?, purchaseOrder: PurchaseOrder?, tolerance: Decimal
    ) -> Destination {
        guard let source else { return .notIntegrated }
        // Both boxes unticked: invoices go to Procore as Direct Costs (the seed).
        guard source != .none, let purchaseOrder else { return .directCost }
        guard let commitmentID = purchaseOrder.procoreCommitmentID else {
            return .held(.purchaseOrderNotSynced(number: purchaseOrder.number))
        }
        // A push that stored the commitment but not yet its lines (half-finished, or an edit not yet sent): the
        // requisition's amounts go on the commitment's line items, so it waits for them rather than failing.
        let allocated = Set(invoice.allocations.map(\.purchaseOrderLineID))
        guard purchaseOrder.lines.allSatisfy({ !allocated.contains($0.id) || $0.procoreLineItemID != nil }) else {
            return .held(.purchaseOrderNotSynced(number: purchaseOrder.number))
        }
        guard purchaseOrder.status != .closed else { return .held(.purchaseOrderClosed(number: purchaseOrder.number)) }
        let difference = (invoice.statedTotalExcludingTax - invoice.allocatedExcludingTax).magnitude
        guard difference <= tolerance.magnitude else {
            return .held(.allocationOutsideTolerance(difference: difference, tolerance: tolerance))
        }
        return .requisition(commitmentID: commitmentID)
    }
}
