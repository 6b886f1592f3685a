import Foundation

/// What makes a captured invoice acceptable (issue 15). Each rule answers a field and a sentence a person can act on;
/// an invoice with any problem is not stored.
public enum InvoiceRules {
    /// The largest amount an invoice or line may carry (well inside the cents column's range).
    public static let maximumAmount: Decimal = 9_999_999_999.99
    /// Invoice dates before this are typing mistakes (an invoice from 1899).
    public static let earliestInvoiceDate = Date(timeIntervalSince1970: 946_684_800)  // 2000-01-01
    /// How far ahead an invoice may be dated: suppliers post-date a little, never by years.
    public static let latestInvoiceDateAhead: TimeInterval = 366 * 86_400
    public static let longestPaymentTerm: TimeInterval = 3 * 366 * 86_400

    /// Field → message for every rule `invoice` breaks (empty: acceptable).
    public static func problems(_ invoice: Invoice, today: Date) -> [String: String] {
        var problems: [String: String] = [:]
        let number = invoice.number.trimmingCharacters(in: .whitespaces)
        if number.isEmpty { problems["number"] = "Enter the supplier's invoice number." }
        if number.count > 100 { problems["number"] = "The invoice number is longer than 100 characters." }
        // NUL and other control characters: refused like any text (PostgreSQL refuses NUL, SQLite cuts the text there).
        if InputRules.hasForbiddenControlCharacter(invoice.number) { problems["number"] = InputRules.controlCharacterMessage("The invoice number") }
        if let reason = invoice.sendBackReason, InputRules.hasForbiddenControlCharacter(reason) {
            problems["send_back_reason"] = InputRules.controlCharacterMessage("The reason")
        }
        if invoice.statedTotalExcludingTax < 0 {
            problems["total_excluding_tax"] = "The total excluding GST cannot be negative."
        } else if invoice.statedTotalExcludingTax > maximumAmount {
            problems["total_excluding_tax"] = "The total excluding GST is more than \(Money.format(maximumAmount))."
        }
        if invoice.statedTax < 0 {
            problems["total_including_tax"] = "The total including GST cannot be less than the total excluding GST."
        } else if invoice.statedTax > invoice.statedTotalExcludingTax, invoice.statedTotalExcludingTax >= 0 {
            problems["total_including_tax"] = "The GST (\(Money.format(invoice.statedTax))) is greater than the amount excluding GST (\(Money.format(invoice.statedTotalExcludingTax)))."
        }
        if invoice.invoiceDate < earliestInvoiceDate {
            problems["invoice_date"] = "The invoice date is before 2000: check the year."
        } else if invoice.invoiceDate > today.addingTimeInterval(latestInvoiceDateAhead) {
            problems["invoice_date"] = "The invoice date is more than a year ahead: check the year."
        }
        if let due = invoice.dueDate {
            if due < invoice.invoiceDate {
                problems["due_date"] = "The due date is before the invoice date."
            } else if due > invoice.invoiceDate.addingTimeInterval(longestPaymentTerm) {
                problems["due_date"] = "The due date is more than three years after the invoice date."
            }
        }
        if invoice.lines.count > 500 { problems["lines"] = "An invoice has at most 500 lines." }
        for (index, line) in invoice.lines.enumerated() {
            let field = "lines[\(index)]"
            if line.amount < 0 {
                problems[field] = "Line \(index + 1): the amount cannot be negative."
            } else if line.amount > maximumAmount {
                problems[field] = "Line \(index + 1): the amount is more than \(Money.format(maximumAmount))."
            } else if line.tax < 0 || line.tax > line.amount {
                problems[field] = "Line \(index + 1): the GST must be between 0 and the line's amount."
            } else if line.description.count > 1000 {
                problems[field] = "Line \(index + 1): the description is longer than 1,000 characters."
            } else if InputRules.hasForbiddenControlCharacter(line.description) {
                problems[field] = InputRules.controlCharacterMessage("Line \(index + 1): the description")
            }
        }
        if !invoice.lines.isEmpty, problems.keys.allSatisfy({ !$0.hasPrefix("lines") }) {
            let amount = invoice.lines.reduce(Decimal(0)) { $0 + $1.amount }
            let tax = invoice.lines.reduce(Decimal(0)) { $0 + $1.tax }
            if amount != invoice.statedTotalExcludingTax {
                problems["lines"] = "The lines add up to \(Money.format(amount)) excluding GST; the invoice says \(Money.format(invoice.statedTotalExcludingTax))."
            } else if tax != invoice.statedTax {
                problems["lines"] = "The lines' GST adds up to \(Money.format(tax)); the invoice says \(Money.format(invoice.statedTax))."
            }
        }
        for (index, allocation) in invoice.allocations.enumerated() where allocation.amount <= 0 || allocation.amount > maximumAmount {
            problems["allocations[\(index)]"] = "Allocation \(index + 1): the amount must be more than 0."
        }
        if !invoice.allocations.isEmpty, invoice.purchaseOrderID == nil {
            problems["purchase_order"] = "Allocations need the purchase order they are against."
        }
        return problems
    }
}

/// The invoice PDF: kept with the invoice, at most 20 MB, and really a PDF.
public enum InvoiceDocument {
    public static let maximumBytes = 20 * 1024 * 1024

    /// Why `bytes` cannot be kept as the invoice's PDF, or nil.
    public static func problem(_ bytes: some Collection<UInt8>, filename: String) -> String? {
        if bytes.count > maximumBytes {
            return "\(filename) is \(bytes.count / (1024 * 1024)) MB; an invoice PDF can be at most 20 MB."
        }
        if bytes.isEmpty { return "\(filename) is empty." }
        guard bytes.starts(with: Array("%PDF-".utf8)) else {
            return "\(filename) is not a PDF (a PDF file starts with %PDF-)."
        }
        // A complete PDF ends with an end-of-file marker (trailing whitespace and incremental updates allowed).
        let tail = Array(bytes.suffix(2048))
        let marker = Array("%%EOF".utf8)
        guard tail.count >= marker.count, (0...(tail.count - marker.count)).contains(where: { Array(tail[$0..<$0 + marker.count]) == marker }) else {
            return "\(filename) is not a complete PDF (it has no %%EOF marker at its end)."
        }
        return nil
    }
}

/// Check → Approve (DESIGN.md; Lentune's Invoice Automation: Unchecked, Checked, approve or send back).
public enum InvoiceWorkflow {
    public enum Action: Hashable, Sendable {
        /// Coding is complete and an approver is assigned: the invoice goes to its approver.
        case check
        /// `acceptingOverAllocation`: the approver has seen that allocations exceed a PO line's remaining amount.
        case approve(acceptingOverAllocation: Bool)
        case sendBack(reason: String)
        /// Undo an approval that has not posted yet (to change its PO link or allocations).
        case reverseApproval

        public var name: String {
            switch self {
            case .check: "check"
            case .approve: "approve"
            case .sendBack: "send_back"
            case .reverseApproval: "reverse_approval"
            }
        }
    }

    public enum Refusal: Error, Equatable, Sendable {
        case notAllowed(action: String, status: Invoice.Status)
        case role(String)
        case incomplete(String)
        case overAllocated([String])

        public var message: String {
            switch self {
            case .notAllowed(let action, let status):
                "An invoice that is \(status.title.lowercased()) cannot be \(action)."
            case .role(let message), .incomplete(let message): message
            case .overAllocated(let warnings):
                warnings.joined(separator: " ") + " Tick \"Accept the over-allocation\" to approve it anyway."
            }
        }
    }

    /// The invoice after `action` by `actor`, or why not. `overAllocation` are the warnings of its allocations.
    public static func apply(_ action: Action, to invoice: Invoice, by actor: User, overAllocation: [String] = []) -> Result<Invoice, Refusal> {
        var next = invoice
        switch (action, invoice.status) {
        case (.check, .unchecked):
            guard actor.role.mayEditDocuments else { return .failure(.role("Your role cannot check invoices.")) }
            if let missing = codingProblem(invoice) { return .failure(.incomplete(missing)) }
            next.status = .awaitingApproval
            next.sendBackReason = nil
        case (.approve(let accepting), .awaitingApproval):
            guard actor.role.mayApprove else { return .failure(.role("Only approvers and administrators can approve invoices.")) }
            if let approver = invoice.approverID, approver != actor.id, actor.role != .administrator {
                return .failure(.role("This invoice is assigned to another approver."))
            }
            if !overAllocation.isEmpty, !accepting { return .failure(.overAllocated(overAllocation)) }
            next.status = .approved
            next.overAllocationAccepted = !overAllocation.isEmpty
        case (.sendBack(let reason), .awaitingApproval):
            guard actor.role.mayApprove else { return .failure(.role("Only approvers and administrators can send invoices back.")) }
            let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !reason.isEmpty, reason.count <= 1000 else {
                return .failure(.incomplete("Say why the invoice is sent back (up to 1,000 characters)."))
            }
            next.status = .unchecked
            next.sendBackReason = reason
        case (.reverseApproval, .approved), (.reverseApproval, .held):
            guard actor.role.mayApprove else { return .failure(.role("Only approvers and administrators can reverse an approval.")) }
            next.status = .awaitingApproval
            next.overAllocationAccepted = false
        default:
            let verb =
                switch action {
                case .check: "checked"
                case .approve: "approved"
                case .sendBack: "sent back"
                case .reverseApproval: "reversed"
                }
            return .failure(.notAllowed(action: verb, status: invoice.status))
        }
        return .success(next)
    }

    /// Why the invoice cannot be marked Checked yet: a project on the header, and a cost code and cost type on every
    /// line (Lentune: "Project code plus Cost Code/Type, on the header or every line"), and an approver.
    public static func codingProblem(_ invoice: Invoice) -> String? {
        if invoice.projectID == nil { return "Choose the project before marking the invoice Checked." }
        if invoice.lines.isEmpty { return "Add at least one line before marking the invoice Checked." }
        if let line = invoice.lines.firstIndex(where: { $0.costCodeID == nil || $0.costTypeID == nil }) {
            return "Line \(line + 1) needs a cost code and a cost type before the invoice can be marked Checked."
        }
        if invoice.approverID == nil { return "Assign an approver before marking the invoice Checked." }
        return nil
    }

    /// Content (header, lines, PO link, allocations) may change only before it is checked.
    public static func mayEditContent(_ invoice: Invoice) -> Bool { invoice.status == .unchecked }
}

/// Allocating an invoice's value to the lines of its PO.
public enum InvoiceAllocations {
    /// Why an invoice against a PO cannot be marked Checked: what is allocated to the PO's lines differs from its value
    /// excluding tax by more than the rounding tolerance (issue 29: such an invoice was approved and then held). With
    /// the numbers, so the officer knows what to allocate; `nil` when it may be checked.
    public static func checkRefusal(_ invoice: Invoice, purchaseOrderNumber: String, tolerance: Decimal) -> String? {
        guard invoice.purchaseOrderID != nil else { return nil }
        let difference = invoice.statedTotalExcludingTax - invoice.allocatedExcludingTax
        guard difference.magnitude > tolerance.magnitude else { return nil }
        func dollars(_ amount: Decimal) -> String { "$" + Money.display(amount) }
        let what = difference > 0 ? "\(dollars(difference)) is not allocated" : "\(dollars(-difference)) more is allocated than the invoice's value"
        return "The invoice is \(dollars(invoice.statedTotalExcludingTax)) excluding tax and \(dollars(invoice.allocatedExcludingTax)) of it is "
            + "allocated to \(purchaseOrderNumber)'s lines: \(what), more than the rounding tolerance of \(dollars(tolerance.magnitude)). "
            + "Allocate it to the PO's lines before marking it Checked."
    }

    /// The invoice-vs-PO indicator: the invoice's total excluding tax against the PO's (Lentune A1.5).
    public enum Comparison: String, Sendable {
        case equal, over, under

        /// The colour Lentune shows: green equal, red over, orange under.
        public var colour: String {
            switch self {
            case .equal: "green"
            case .over: "red"
            case .under: "orange"
            }
        }
    }

    public static func compare(_ invoice: Invoice, with po: PurchaseOrder) -> Comparison {
        let (mine, theirs) = (invoice.statedTotalExcludingTax, po.totals.excludingTax)
        return mine == theirs ? .equal : (mine > theirs ? .over : .under)
    }

    /// A single-line PO takes the whole invoice (Lentune allocates it for you).
    public static func automatic(_ invoice: Invoice, po: PurchaseOrder) -> [Invoice.Allocation]? {
        guard po.lines.count == 1, let line = po.lines.first, invoice.statedTotalExcludingTax > 0 else { return nil }
        return [Invoice.Allocation(purchaseOrderLineID: line.id, amount: invoice.statedTotalExcludingTax)]
    }

    /// What an invoice against `po` starts from (issue 29, "invoice from PO"): one line per PO line with something
    /// left to invoice, carrying its description, coding and tax code, the amount remaining excluding tax
    /// (`allocatedElsewhere`: what other invoices took) and the tax on it at the line's own rate; each allocated to
    /// its PO line. Fully invoiced lines are left out.
    public static func remainingLines(of po: PurchaseOrder, allocatedElsewhere: [PurchaseOrder.Line.ID: Decimal]) -> [(line: Invoice.Line, allocation: Invoice.Allocation)] {
        po.lines.sorted { $0.position < $1.position }.compactMap { line in
            let remaining = line.amount - (allocatedElsewhere[line.id] ?? 0)
            guard remaining > 0 else { return nil }
            let tax = line.amount == 0 ? 0 : (remaining * line.tax / line.amount).roundedToCents()
            return (
                Invoice.Line(
                    description: line.description, costCodeID: line.costCodeID, costTypeID: line.costTypeID, taxCodeID: line.taxCodeID,
                    amount: remaining, tax: tax),
                Invoice.Allocation(purchaseOrderLineID: line.id, amount: remaining)
            )
        }
    }

    /// An allocation by quantity: its value is the quantity at the PO line's unit cost.
    public static func byQuantity(_ quantity: Decimal, of line: PurchaseOrder.Line) -> Invoice.Allocation {
        Invoice.Allocation(purchaseOrderLineID: line.id, basis: .quantity(quantity), amount: quantity * line.unitCost)
    }

    /// Allocations naming a line that is not on the PO.
    public static func foreignLines(_ allocations: [Invoice.Allocation], po: PurchaseOrder) -> [Invoice.Allocation] {
        let lines = Set(po.lines.map(\.id))
        return allocations.filter { !lines.contains($0.purchaseOrderLineID) }
    }

    /// A warning for each PO line whose allocations (this invoice's plus other invoices' before it) exceed the line.
    public static func overRemaining(
        _ allocations: [Invoice.Allocation], po: PurchaseOrder, allocatedElsewhere: [PurchaseOrder.Line.ID: Decimal]
    ) -> [String] {
        var mine: [PurchaseOrder.Line.ID: Decimal] = [:]
        for allocation in allocations { mine[allocation.purchaseOrderLineID, default: 0] += allocation.amount }
        return po.lines.compactMap { line in
            guard let amount = mine[line.id] else { return nil }
            let remaining = line.amount - (allocatedElsewhere[line.id] ?? 0)
            guard amount > remaining else { return nil }
            return "\(po.number) line \(line.position) has \(Money.format(max(0, remaining))) remaining; \(Money.format(amount)) is allocated to it."
        }
    }
}
