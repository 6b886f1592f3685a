import Foundation
import LentuneCore

/// An invoice as typed on the page or sent to the API, as text: parsed here into an `Invoice` or field messages.
/// Core's `InvoiceRules` and the command's ownership checks follow; this step only reads the text.
struct InvoiceInput: Sendable {
    struct Line: Sendable {
        var description = ""
        var costCode = ""
        var costType = ""
        var taxCode = ""
        var amount = ""
        var tax = ""
        /// The PO line it was copied from (invoice from PO): the line's amount is allocated to it.
        var purchaseOrderLine = ""
    }

    struct Allocation: Sendable {
        var line = ""
        /// Empty: by value (`amount`); otherwise by quantity at the PO line's unit cost.
        var quantity = ""
        var amount = ""
    }

    var supplier = ""
    var number = ""
    var invoiceDate = ""
    var dueDate = ""
    var totalExcludingTax = ""
    var totalIncludingTax = ""
    var project = ""
    var purchaseOrder = ""
    var approver = ""
    var lines: [Line] = []
    var allocations: [Allocation] = []

    /// The invoice, or field → message. `po` is the linked PO (for allocations by quantity).
    func parse(organisation: Organisation.ID, id: Invoice.ID = Invoice.ID(), po: PurchaseOrder?) -> Result<Invoice, FieldErrors> {
        var errors: [String: String] = [:]
        func uuid(_ text: String, _ field: String, _ what: String) -> UUID? {
            let text = text.trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { return nil }
            guard let id = UUID(uuidString: text) else {
                errors[field] = "There is no such \(what)."
                return nil
            }
            return id
        }
        func money(_ text: String, _ field: String, _ label: String, required: Bool) -> Decimal? {
            let text = text.trimmingCharacters(in: .whitespaces)
            if text.isEmpty {
                if required { errors[field] = "Enter \(label)." }
                return nil
            }
            guard let value = Money.parse(text, maxFractionDigits: 2), value.magnitude <= InvoiceRules.maximumAmount * 10 else {
                errors[field] = "\(label.prefix(1).uppercased() + label.dropFirst()) must be an amount with at most 2 decimals (“\(text.prefix(20))” is not)"
                    + (text.contains(",") ? ": \(Money.commaHint)." : ".")
                return nil
            }
            return value
        }
        func date(_ text: String, _ field: String, _ label: String) -> Date? {
            let text = text.trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { return nil }
            guard let date = InputRules.date(text) else {
                if text.count == 10, let year = Int(text.prefix(4)), year < 2000 {
                    errors[field] = "The \(label) is before 2000: check the year."
                } else {
                    errors[field] = "The \(label) must be a real date written YYYY-MM-DD (“\(text.prefix(20))” is not)."
                }
                return nil
            }
            return date
        }
        // The PO's supplier when none is chosen (a PO number is enough to say who sent it).
        let supplier = uuid(supplier, "supplier_id", "supplier") ?? po?.supplierID.rawValue
        if supplier == nil, errors["supplier_id"] == nil { errors["supplier_id"] = "Choose the supplier (or enter the purchase order number)." }
        let invoiceDate = date(invoiceDate, "invoice_date", "invoice date")
        if invoiceDate == nil, errors["invoice_date"] == nil { errors["invoice_date"] = "Enter the invoice date." }
        let dueDate = date(dueDate, "due_date", "due date")
        let excluding = money(totalExcludingTax, "total_excluding_tax", "the total excluding GST", required: true)
        let including = money(totalIncludingTax, "total_including_tax", "the total including GST", required: true)
        let project = uuid(project, "project_id", "project")
        let poID = uuid(purchaseOrder, "purchase_order_id", "purchase order")
        let approver = uuid(approver, "approver_id", "approver")
        if lines.count > 500 { errors["lines"] = "An invoice has at most 500 lines." }
        var parsedLines: [Invoice.Line] = []
        for (index, line) in lines.prefix(500).enumerated() {
            let field = "lines[\(index)]"
            let amount = money(line.amount, field + ".amount", "line \(index + 1)'s amount", required: true)
            let tax = money(line.tax, field + ".tax", "line \(index + 1)'s GST", required: false) ?? 0
            parsedLines.append(Invoice.Line(
                description: line.description.trimmingCharacters(in: .whitespaces),
                costCodeID: uuid(line.costCode, field + ".cost_code_id", "cost code").map { .init($0) },
                costTypeID: uuid(line.costType, field + ".cost_type_id", "cost type").map { .init($0) },
                taxCodeID: uuid(line.taxCode, field + ".tax_code_id", "tax code").map { .init($0) },
                amount: amount ?? 0, tax: tax))
        }
        var parsedAllocations: [Invoice.Allocation] = []
        for (index, allocation) in allocations.prefix(500).enumerated() {
            let field = "allocations[\(index)]"
            guard let lineID = uuid(allocation.line, field + ".purchase_order_line_id", "purchase order line") else {
                if errors[field + ".purchase_order_line_id"] == nil { errors[field + ".purchase_order_line_id"] = "Choose the purchase order line." }
                continue
            }
            let quantityText = allocation.quantity.trimmingCharacters(in: .whitespaces)
            if !quantityText.isEmpty {
                guard let quantity = Money.parse(quantityText, maxFractionDigits: 4), quantity > 0, quantity < 1_000_000_000 else {
                    errors[field + ".quantity"] = "Allocation \(index + 1): the quantity must be a positive number"
                        + (quantityText.contains(",") ? ": \(Money.commaHint)." : ".")
                    continue
                }
                guard let line = po?.lines.first(where: { $0.id.rawValue == lineID }) else {
                    errors[field + ".purchase_order_line_id"] = "Allocation \(index + 1) names a line that is not on the purchase order."
                    continue
                }
                parsedAllocations.append(InvoiceAllocations.byQuantity(quantity, of: line))
            } else if let amount = money(allocation.amount, field + ".amount", "allocation \(index + 1)'s amount", required: true) {
                parsedAllocations.append(Invoice.Allocation(purchaseOrderLineID: .init(lineID), amount: amount))
            }
        }
        // Lines copied from the PO's lines allocate their amounts to them, unless allocations are given.
        if allocations.isEmpty {
            for (index, line) in zip(lines.indices, lines.prefix(500)) where !line.purchaseOrderLine.isEmpty {
                let field = "lines[\(index)].purchase_order_line_id"
                guard let lineID = uuid(line.purchaseOrderLine, field, "purchase order line") else { continue }
                guard let po, po.lines.contains(where: { $0.id.rawValue == lineID }) else {
                    errors[field] = "Line \(index + 1) was copied from a line that is not on the purchase order: remove it or copy the PO's lines again."
                    continue
                }
                parsedAllocations.append(Invoice.Allocation(purchaseOrderLineID: .init(lineID), amount: parsedLines[index].amount))
            }
        }
        guard errors.isEmpty, let supplier, let invoiceDate, let excluding, let including else { return .failure(FieldErrors(errors)) }
        let invoice = Invoice(
            id: id, organisationID: organisation, supplierID: .init(supplier), number: number.trimmingCharacters(in: .whitespaces),
            invoiceDate: invoiceDate, dueDate: dueDate, projectID: (project ?? po.map { $0.projectID.rawValue }).map { .init($0) },
            purchaseOrderID: poID.map { .init($0) }, lines: parsedLines, allocations: parsedAllocations,
            statedTotalExcludingTax: excluding, statedTax: including - excluding, approverID: approver.map { .init($0) })
        return .success(invoice)
    }
}

extension InvoiceInput {
    /// The form of an invoice against `po` (issue 29, "invoice from PO"): its supplier, project and number, and its
    /// lines with what is left to invoice on them (`InvoiceAllocations.remainingLines`), each allocated to its PO line;
    /// the totals are those lines'. Whatever was typed in the header is kept.
    func copying(_ po: PurchaseOrder, allocatedElsewhere: [PurchaseOrder.Line.ID: Decimal]) -> InvoiceInput {
        var input = self
        let remaining = InvoiceAllocations.remainingLines(of: po, allocatedElsewhere: allocatedElsewhere)
        if input.supplier.isEmpty { input.supplier = po.supplierID.description }
        if input.project.isEmpty { input.project = po.projectID.description }
        input.purchaseOrder = po.id.description
        input.lines = remaining.map { entry in
            Line(
                description: entry.line.description, costCode: entry.line.costCodeID?.description ?? "",
                costType: entry.line.costTypeID?.description ?? "", taxCode: entry.line.taxCodeID?.description ?? "",
                amount: Money.format(entry.line.amount), tax: Money.format(entry.line.tax),
                purchaseOrderLine: entry.allocation.purchaseOrderLineID.description)
        }
        input.allocations = []
        let excluding = remaining.reduce(Decimal(0)) { $0 + $1.line.amount }
        let tax = remaining.reduce(Decimal(0)) { $0 + $1.line.tax }
        if input.totalExcludingTax.isEmpty { input.totalExcludingTax = Money.format(excluding) }
        if input.totalIncludingTax.isEmpty { input.totalIncludingTax = Money.format(excluding + tax) }
        return input
    }
}
