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
        /// The allocated value differs from the invoice's value by more than the tolerance.
        case allocationOutsideTolerance(difference: Decimal, tolerance: Decimal)

        public var message: String {
            switch self {
            case .purchaseOrderNotSynced(let number):
                "Purchase order \(number) has not been sent to Procore yet; the invoice will post once it has."
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
        let difference = (invoice.statedTotalExcludingTax - invoice.allocatedExcludingTax).magnitude
        guard difference <= tolerance.magnitude else {
            return .held(.allocationOutsideTolerance(difference: difference, tolerance: tolerance))
        }
        return .requisition(commitmentID: commitmentID)
    }
}
