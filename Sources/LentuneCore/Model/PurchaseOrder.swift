import Foundation

public struct PurchaseOrder: Hashable, Sendable, Codable {
    public typealias ID = Identifier<PurchaseOrder>

    /// Where the PO was created. A Procore-created PO is read-only in Lentune.
    public enum Origin: String, Sendable, Codable, CaseIterable {
        case lentune
        case procore
    }

    /// Draft → Awaiting approval → Approved → Closed.
    public enum Status: String, Sendable, Codable, CaseIterable {
        case draft
        case awaitingApproval = "awaiting_approval"
        case approved
        case closed

        public var title: String {
            switch self {
            case .draft: "Draft"
            case .awaitingApproval: "Awaiting approval"
            case .approved: "Approved"
            case .closed: "Closed"
            }
        }
    }

    public var id: ID
    public var organisationID: Organisation.ID
    public var number: String
    public var origin: Origin
    public var status: Status
    public var supplierID: Supplier.ID
    public var projectID: Project.ID
    public var title: String
    public var description: String
    public var deliveryDate: Date?
    public var lines: [Line]
    public var raisedBy: User.ID?
    public var approvedBy: User.ID?
    /// Set once the PO is linked to a Procore Purchase Order Contract.
    public var procoreCommitmentID: ProcoreID?
    /// A Procore-sourced PO whose commitment was deleted in Procore: kept (invoices may point at it), marked.
    public var deletedInProcoreAt: Date?

    public init(
        id: ID = ID(), organisationID: Organisation.ID, number: String, origin: Origin = .lentune,
        status: Status = .draft, supplierID: Supplier.ID, projectID: Project.ID, title: String,
        description: String = "", deliveryDate: Date? = nil, lines: [Line] = [], raisedBy: User.ID? = nil,
        approvedBy: User.ID? = nil, procoreCommitmentID: ProcoreID? = nil, deletedInProcoreAt: Date? = nil
    ) {
        self.deletedInProcoreAt = deletedInProcoreAt
        self.id = id
        self.organisationID = organisationID
        self.number = number
        self.origin = origin
        self.status = status
        self.supplierID = supplierID
        self.projectID = projectID
        self.title = title
        self.description = description
        self.deliveryDate = deliveryDate
        self.lines = lines
        self.raisedBy = raisedBy
        self.approvedBy = approvedBy
        self.procoreCommitmentID = procoreCommitmentID
    }

    public struct Line: Hashable, Sendable, Codable {
        public typealias ID = Identifier<Line>
        public var id: ID
        public var position: Int
        public var description: String
        public var costCodeID: CostCode.ID?
        public var costTypeID: CostType.ID?
        public var taxCodeID: TaxCode.ID?
        public var quantity: Decimal
        public var unitCost: Decimal
        /// The line's amount excluding tax, rounded to the cent. Computed from quantity × unit cost unless entered.
        public var amount: Decimal
        /// Tax on this line, rounded to the cent per line.
        public var tax: Decimal
        public var procoreLineItemID: ProcoreID?

        public init(
            id: ID = ID(), position: Int, description: String, costCodeID: CostCode.ID? = nil,
            costTypeID: CostType.ID? = nil, taxCodeID: TaxCode.ID? = nil, quantity: Decimal, unitCost: Decimal,
            amount: Decimal? = nil, taxRate: Decimal = 0, procoreLineItemID: ProcoreID? = nil
        ) {
            self.id = id
            self.position = position
            self.description = description
            self.costCodeID = costCodeID
            self.costTypeID = costTypeID
            self.taxCodeID = taxCodeID
            self.quantity = quantity
            self.unitCost = unitCost
            let net = (amount ?? quantity * unitCost).roundedToCents()
            self.amount = net
            self.tax = (net * taxRate).roundedToCents()
            self.procoreLineItemID = procoreLineItemID
        }
    }

    public var totals: Totals { Totals(lines: lines) }
}

/// PO and invoice totals: sums of per-line rounded figures.
public struct Totals: Hashable, Sendable, Codable {
    public var excludingTax: Decimal
    public var tax: Decimal
    public var includingTax: Decimal { excludingTax + tax }

    public init(excludingTax: Decimal, tax: Decimal) {
        self.excludingTax = excludingTax
        self.tax = tax
    }

    public init(lines: [PurchaseOrder.Line]) {
        self.init(
            excludingTax: lines.reduce(0) { $0 + $1.amount },
            tax: lines.reduce(0) { $0 + $1.tax })
    }
}

extension PurchaseOrder {
    /// What is wrong with this PO's amounts, per line position (`nil` for the whole PO): a line or total outside
    /// `Money.maximum`, or a negative one. Checked before every store, so a total can never wrap or turn negative
    /// (a negative total would be under every approval limit).
    public var amountProblems: [(position: Int?, message: String)] {
        var problems: [(Int?, String)] = []
        for line in lines {
            let label = "Line \(line.position + 1)"
            if line.quantity.isNaN || line.quantity < 0 || line.quantity > Money.maximumQuantity {
                problems.append((line.position, "\(label): the quantity must be between 0 and \(Money.display(Money.maximumQuantity))."))
            }
            if line.unitCost.isNaN || line.unitCost < 0 || line.unitCost > Money.maximumQuantity {
                problems.append((line.position, "\(label): the unit cost must be between 0 and \(Money.display(Money.maximumQuantity))."))
            }
            if !Money.isWithinLimit(line.amount) || line.amount < 0 {
                problems.append((line.position, "\(label): the amount (quantity × unit cost) must be between 0 and \(Money.maximumText)."))
            } else if !Money.isWithinLimit(line.tax) || line.tax < 0 {
                problems.append((line.position, "\(label): the tax must be between 0 and \(Money.maximumText)."))
            }
        }
        if problems.isEmpty {
            let totals = self.totals
            if !Money.isWithinLimit(totals.includingTax) || totals.excludingTax < 0 || totals.tax < 0 {
                problems.append((nil, "The purchase order's total including tax must be at most \(Money.maximumText)."))
            }
        }
        return problems
    }
}
