import FluentKit
import Foundation
import LentuneCore
import LentunePersistence

/// Everything the PO form and the API need to check a PO against: the organisation's reference data and which
/// projects allow Lentune POs.
struct PurchaseOrderReference: Sendable {
    var suppliers: [Supplier]
    var projects: [Project]
    var costCodes: [CostCode]
    var costTypes: [CostType]
    var taxCodes: [TaxCode]
    var sources: [Project.ID: PurchaseOrderPolicy.ProjectSource?]

    /// `lines: false` leaves out what only the form's lines need (the list page does not).
    static func load(_ organisation: Organisation.ID, lines: Bool = true, on db: any Database) async throws -> PurchaseOrderReference {
        PurchaseOrderReference(
            suppliers: try await ReferenceData.suppliers(in: organisation, on: db),
            projects: try await ReferenceData.projects(in: organisation, on: db).filter(\.isActive),
            costCodes: lines ? try await ReferenceData.costCodes(in: organisation, on: db) : [],
            costTypes: lines ? try await ReferenceData.costTypes(in: organisation, on: db) : [],
            taxCodes: lines ? try await ReferenceData.taxCodes(in: organisation, on: db) : [],
            sources: try await PurchaseOrders.projectSources(in: organisation, on: db))
    }

    func source(of project: Project.ID) -> PurchaseOrderPolicy.ProjectSource? { sources[project] ?? nil }

    /// Names for the PO list: supplier names and project codes by id.
    var listNames: (suppliers: [UUID: String], projects: [UUID: String]) {
        (Dictionary(uniqueKeysWithValues: suppliers.map { ($0.id.rawValue, $0.name) }),
         Dictionary(uniqueKeysWithValues: projects.map { ($0.id.rawValue, $0.code) }))
    }

    /// Projects a new Lentune PO may be raised for (not those of Procore-sourced companies).
    var eligibleProjects: [Project] {
        projects.filter { (try? PurchaseOrderPolicy.mayCreate(for: source(of: $0.id)).get()) != nil }
    }

    var newPurchaseOrderButton: Result<Void, PurchaseOrderPolicy.Refusal> {
        PurchaseOrderPolicy.newPurchaseOrderButton(projects: projects.map { source(of: $0.id) })
    }
}

/// A PO as submitted (form fields or JSON), before checking.
struct PurchaseOrderInput: Sendable {
    struct Line: Sendable {
        var id: String?
        var description: String
        var costCode: String
        var costType: String
        var taxCode: String
        var quantity: String
        var unitCost: String
        var amount: String

        var isBlank: Bool {
            [description, costCode, costType, taxCode, quantity, unitCost, amount].allSatisfy { $0.trimmingCharacters(in: .whitespaces).isEmpty }
        }
    }

    var number: String
    var supplier: String
    var project: String
    var title: String
    var deliveryDate: String
    var description: String
    var lines: [Line]
    /// The New Purchase Order form's one-time key: submitting the same form twice creates one PO.
    var requestKey: String = ""

    static let maxDescription = 10_000
    static let maxLines = 200

    /// Why a PO cannot be created or changed because of where the company's POs are created (API: 409).
    struct SourceRefusal: Error { var refusal: PurchaseOrderPolicy.Refusal }

    /// Checks everything and returns the PO to store (for an edit, `existing` gives the id, origin and status).
    func validate(
        organisation: Organisation.ID, reference: PurchaseOrderReference, existing: PurchaseOrder?, raisedBy: User.ID
    ) -> Result<PurchaseOrder, FieldErrors> {
        var errors: [String: String] = [:]
        // Control characters first: NUL would be cut off by SQLite and refused by PostgreSQL.
        for (field, label, text) in [("number", "The number", self.number), ("title", "The title", self.title),
                                     ("description", "The description", self.description)]
        where InputRules.hasForbiddenControlCharacter(text) {
            errors[field] = InputRules.controlCharacterMessage(label)
        }
        let number = self.number.trimmingCharacters(in: .whitespaces)
        if number.count > 50 || number.contains(where: { $0.isNewline }) {
            errors["number"] = "The number may have at most 50 characters on one line."
        }
        let supplier = UUID(uuidString: supplier).flatMap { id in reference.suppliers.first { $0.id.rawValue == id } }
        if supplier == nil { errors["supplier"] = "Choose a supplier." }
        let project = UUID(uuidString: project).flatMap { id in reference.projects.first { $0.id.rawValue == id } }
        if project == nil { errors["project"] = "Choose a project." }
        let title = self.title.trimmingCharacters(in: .whitespacesAndNewlines)
        if title.isEmpty { errors["title"] = errors["title"] ?? "Enter a title." }
        if title.count > 200 { errors["title"] = "The title may have at most 200 characters." }
        var deliveryDate: Date?
        let dateText = self.deliveryDate.trimmingCharacters(in: .whitespaces)
        if !dateText.isEmpty {
            if let date = InputRules.date(dateText) {
                deliveryDate = date
            } else {
                errors["delivery_date"] = "The delivery date must be a real date between 1900 and 2200, written YYYY-MM-DD (“\(dateText.prefix(20))” is not)."
            }
        }
        if description.count > Self.maxDescription {
            errors["description"] = "The description may have at most \(Self.maxDescription) characters."
        }

        let filled = lines.enumerated().filter { !$0.element.isBlank }
        if filled.isEmpty { errors["lines"] = "Add at least one line." }
        if filled.count > Self.maxLines { errors["lines"] = "A purchase order may have at most \(Self.maxLines) lines." }
        var built: [PurchaseOrder.Line] = []
        var seenLineIDs: Set<String> = []
        for (position, (index, line)) in filled.enumerated() {
            let field = { (name: String) in "lines[\(index)][\(name)]" }
            let label = "Line \(position + 1)"
            if let id = line.id?.lowercased(), !id.isEmpty, !seenLineIDs.insert(id).inserted {
                errors[field("id")] = "\(label): line id \(id) is listed more than once; each line may appear once."
            }
            for (name, text) in [("description", line.description), ("quantity", line.quantity), ("unit_cost", line.unitCost),
                                 ("amount", line.amount)]
            where InputRules.hasForbiddenControlCharacter(text) {
                errors[field(name)] = InputRules.controlCharacterMessage("\(label): the \(name.replacingOccurrences(of: "_", with: " "))")
            }
            let description = line.description.trimmingCharacters(in: .whitespacesAndNewlines)
            if description.isEmpty { errors[field("description")] = errors[field("description")] ?? "\(label): enter a description." }
            if description.count > 500 { errors[field("description")] = "\(label): the description may have at most 500 characters." }
            let quantity = Money.parse(line.quantity, maxFractionDigits: 4)
            if quantity == nil {
                errors[field("quantity")] = line.quantity.contains(",")
                    ? "\(label): the quantity “\(line.quantity.prefix(20))” is not a number: \(Money.commaHint)."
                    : "\(label): the quantity must be a number."
            } else if quantity! <= 0 {
                errors[field("quantity")] = "\(label): the quantity must be more than zero."
            } else if quantity! > Money.maximumQuantity {
                errors[field("quantity")] = "\(label): the quantity may be at most \(Money.display(Money.maximumQuantity))."
            }
            let unitCost = Money.parse(line.unitCost, maxFractionDigits: 4)
            if unitCost == nil {
                errors[field("unit_cost")] = line.unitCost.contains(",")
                    ? "\(label): the unit cost “\(line.unitCost.prefix(20))” is not an amount: \(Money.commaHint)."
                    : "\(label): the unit cost must be an amount."
            } else if unitCost! < 0 || unitCost! > Money.maximumQuantity {
                errors[field("unit_cost")] = "\(label): the unit cost must be between 0 and \(Money.display(Money.maximumQuantity))."
            }
            var amount: Decimal?
            if !line.amount.trimmingCharacters(in: .whitespaces).isEmpty {
                amount = Money.parse(line.amount, maxFractionDigits: 2)
                if amount == nil || amount! < 0 || amount! > Money.maximum {
                    errors[field("amount")] = "\(label): the amount must be an amount of at most two decimals, from 0 to \(Money.maximumText)"
                        + (line.amount.contains(",") ? "; \(Money.commaHint)." : ".")
                }
            }
            var costCode: CostCode?
            if !line.costCode.isEmpty {
                costCode = UUID(uuidString: line.costCode).flatMap { id in reference.costCodes.first { $0.id.rawValue == id } }
                if costCode == nil {
                    errors[field("cost_code")] = "\(label): the cost code is not one of Lentune's."
                } else if let project, costCode!.projectID != project.id {
                    errors[field("cost_code")] = "\(label): cost code \(costCode!.code) belongs to another project, not \(project.code)."
                }
            }
            var costType: CostType?
            if !line.costType.isEmpty {
                costType = UUID(uuidString: line.costType).flatMap { id in reference.costTypes.first { $0.id.rawValue == id } }
                if costType == nil { errors[field("cost_type")] = "\(label): the cost type is not one of Lentune's." }
            }
            var taxCode: TaxCode?
            if !line.taxCode.isEmpty {
                taxCode = UUID(uuidString: line.taxCode).flatMap { id in reference.taxCodes.first { $0.id.rawValue == id } }
                if taxCode == nil { errors[field("tax_code")] = "\(label): the tax code is not one of Lentune's." }
            }
            if let quantity, let unitCost {
                let keepID = line.id.flatMap(UUID.init(uuidString:)).flatMap { id in existing?.lines.first { $0.id.rawValue == id } }
                built.append(PurchaseOrder.Line(
                    id: keepID?.id ?? .init(), position: position, description: description, costCodeID: costCode?.id,
                    costTypeID: costType?.id, taxCodeID: taxCode?.id, quantity: quantity, unitCost: unitCost, amount: amount,
                    taxRate: taxCode?.rate ?? 0, procoreLineItemID: keepID?.procoreLineItemID))
            }
        }
        // One maximum for every amount (Core): a line's quantity × unit cost, its tax and the PO's total.
        let candidate = PurchaseOrder(
            organisationID: organisation, number: number, supplierID: supplier?.id ?? .init(), projectID: project?.id ?? .init(),
            title: title, lines: built)
        for problem in candidate.amountProblems {
            if let position = problem.position, let index = filled.dropFirst(position).first?.offset {
                errors["lines[\(index)][amount]"] = errors["lines[\(index)][amount]"] ?? problem.message
            } else {
                errors["lines"] = problem.message
            }
        }
        guard errors.isEmpty, let supplier, let project else { return .failure(FieldErrors(errors)) }
        var po = existing ?? PurchaseOrder(
            organisationID: organisation, number: number, supplierID: supplier.id, projectID: project.id, title: title,
            raisedBy: raisedBy)
        po.number = number
        po.supplierID = supplier.id
        po.projectID = project.id
        po.title = title
        po.deliveryDate = deliveryDate
        po.description = description
        po.lines = built
        if existing != nil { po.status = .draft }  // an edited PO goes back through approval
        return .success(po)
    }
}

/// The list page's reference data (projects, suppliers, company sources) per organisation, kept 5 s. Only the list
/// views use it; creating or changing a PO always reads fresh data, so a switch of source is obeyed at once there.
actor ListReferenceCache {
    private var entries: [Organisation.ID: (reference: PurchaseOrderReference, at: ContinuousClock.Instant)] = [:]

    func reference(_ organisation: Organisation.ID, on db: any Database) async throws -> PurchaseOrderReference {
        if let entry = entries[organisation], ContinuousClock.now - entry.at < .seconds(5) { return entry.reference }
        let fresh = try await PurchaseOrderReference.load(organisation, lines: false, on: db)
        entries[organisation] = (fresh, ContinuousClock.now)
        return fresh
    }

    func forget(_ organisation: Organisation.ID) { entries[organisation] = nil }
}
