import Foundation

/// A supplier invoice. Lines code the invoice to projects, cost codes and cost types; allocations tie some of its
/// value to the lines of a purchase order.
public struct Invoice: Hashable, Sendable, Codable {
    public typealias ID = Identifier<Invoice>

    public enum Status: String, Sendable, Codable, CaseIterable {
        case unchecked
        case awaitingApproval = "awaiting_approval"
        case approved
        case posted
        case held
    }

    public var id: ID
    public var organisationID: Organisation.ID
    public var supplierID: Supplier.ID
    public var number: String
    public var invoiceDate: Date
    public var dueDate: Date?
    public var status: Status
    /// Who approves it (assigned at the Check stage).
    public var approverID: User.ID?
    /// Why an approver sent it back to Check (cleared when it is checked again).
    public var sendBackReason: String?
    /// The approver accepted allocations above a PO line's remaining amount.
    public var overAllocationAccepted: Bool
    /// The invoice PDF kept with it (its bytes are read separately).
    public var attachment: Attachment?
    public var projectID: Project.ID?
    public var purchaseOrderID: PurchaseOrder.ID?
    public var lines: [Line]
    public var allocations: [Allocation]
    /// Totals as printed on the invoice (the supplier's own rounding).
    public var statedTotalExcludingTax: Decimal
    public var statedTax: Decimal

    public init(
        id: ID = ID(), organisationID: Organisation.ID, supplierID: Supplier.ID, number: String, invoiceDate: Date,
        dueDate: Date? = nil, status: Status = .unchecked, projectID: Project.ID? = nil, purchaseOrderID: PurchaseOrder.ID? = nil,
        lines: [Line] = [], allocations: [Allocation] = [], statedTotalExcludingTax: Decimal, statedTax: Decimal,
        approverID: User.ID? = nil, sendBackReason: String? = nil, overAllocationAccepted: Bool = false, attachment: Attachment? = nil
    ) {
        self.dueDate = dueDate
        self.approverID = approverID
        self.sendBackReason = sendBackReason
        self.overAllocationAccepted = overAllocationAccepted
        self.attachment = attachment
        self.id = id
        self.organisationID = organisationID
        self.supplierID = supplierID
        self.number = number
        self.invoiceDate = invoiceDate
        self.status = status
        self.projectID = projectID
        self.purchaseOrderID = purchaseOrderID
        self.lines = lines
        self.allocations = allocations
        self.statedTotalExcludingTax = statedTotalExcludingTax
        self.statedTax = statedTax
    }

    public struct Line: Hashable, Sendable, Codable {
        public var description: String
        public var costCodeID: CostCode.ID?
        public var costTypeID: CostType.ID?
        public var taxCodeID: TaxCode.ID?
        public var amount: Decimal
        public var tax: Decimal

        public init(
            description: String, costCodeID: CostCode.ID? = nil, costTypeID: CostType.ID? = nil,
            taxCodeID: TaxCode.ID? = nil, amount: Decimal, tax: Decimal = 0
        ) {
            self.description = description
            self.costCodeID = costCodeID
            self.costTypeID = costTypeID
            self.taxCodeID = taxCodeID
            self.amount = amount.roundedToCents()
            self.tax = tax.roundedToCents()
        }
    }

    /// Part of the invoice's value set against one PO line, by value or by quantity.
    public struct Allocation: Hashable, Sendable, Codable {
        public var purchaseOrderLineID: PurchaseOrder.Line.ID
        public var basis: Basis
        public var amount: Decimal

        public enum Basis: Hashable, Sendable, Codable {
            case value
            case quantity(Decimal)
        }

        public init(purchaseOrderLineID: PurchaseOrder.Line.ID, basis: Basis = .value, amount: Decimal) {
            self.purchaseOrderLineID = purchaseOrderLineID
            self.basis = basis
            self.amount = amount.roundedToCents()
        }
    }

    public var allocatedExcludingTax: Decimal { allocations.reduce(0) { $0 + $1.amount } }
    public var statedTotalIncludingTax: Decimal { statedTotalExcludingTax + statedTax }

    /// The stored PDF's name and size (the bytes live beside the invoice in the database).
    public struct Attachment: Hashable, Sendable, Codable {
        public var filename: String
        public var byteCount: Int

        public init(filename: String, byteCount: Int) {
            self.filename = filename
            self.byteCount = byteCount
        }
    }
}

extension Invoice.Status {
    public var title: String {
        switch self {
        case .unchecked: "Unchecked"
        case .awaitingApproval: "Awaiting approval"
        case .approved: "Approved"
        case .posted: "Posted"
        case .held: "Held"
        }
    }
}
