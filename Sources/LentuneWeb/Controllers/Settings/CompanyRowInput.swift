import Foundation
import LentuneCore
import LentunePersistence

/// One row of the Procore company list as submitted by the page or the API, validated into a new link value.
/// The rule of the seed lives here for every client: both purchase-order boxes ticked is refused.
struct CompanyRowInput: Sendable {
    var linked: Bool
    var lentunePurchaseOrder: Bool
    var procorePurchaseOrder: Bool
    var projectStages: [String]
    var roundingTolerance: String
    var version: Int?

    static let bothTicked =
        "Lentune purchase order and Procore purchase order cannot both be ticked. Tick one, or leave both unticked."

    /// Field → message; empty when valid.
    func validate(applyingTo current: ProcoreCompanyLink) -> Result<ProcoreCompanyLink, FieldErrors> {
        var errors: [String: String] = [:]
        let source = PurchaseOrderSource(lentuneTicked: lentunePurchaseOrder, procoreTicked: procorePurchaseOrder)
        if source == nil { errors["purchase_order_source"] = Self.bothTicked }
        let stages = projectStages.map { $0.trimmingCharacters(in: .whitespaces) }
        // The company's own stages (as last read from Procore), and any it had when the row was last saved.
        let known = Set(current.selectableStages + current.projectStages)
        if stages.isEmpty {
            errors["project_stages"] = "Choose at least one project stage to import."
        } else if stages.count > 20 {
            errors["project_stages"] = "Choose at most 20 stages."
        } else if stages.contains(where: \.isEmpty) {
            errors["project_stages"] = "A project stage name cannot be empty."
        } else if stages.contains(where: InputRules.hasForbiddenControlCharacter) {
            errors["project_stages"] = InputRules.controlCharacterMessage("A project stage name")
        } else if let unknown = stages.first(where: { !known.contains($0) }) {
            errors["project_stages"] =
                "“\(unknown.prefix(100))” is not a project stage of \(current.name) in Procore; choose from: "
                + current.selectableStages.joined(separator: ", ") + "."
        }
        let tolerance = Money.parse(roundingTolerance, maxFractionDigits: 2)
        if tolerance == nil || tolerance! < 0 || tolerance! > 100 {
            errors["rounding_tolerance"] = "The rounding tolerance must be an amount between 0.00 and 100.00."
        }
        guard errors.isEmpty, let source, let tolerance else { return .failure(FieldErrors(errors)) }
        var link = current
        link.isLinked = linked
        link.purchaseOrderSource = source
        link.projectStages = Array(NSOrderedSet(array: stages)) as? [String] ?? stages
        link.roundingTolerance = tolerance
        return .success(link)
    }
}

/// The stages offered on a row: the company's own (Procore's six defaults until they are read), then any others the
/// row still has selected.
enum ProcoreStages {
    static func offered(for row: ProcoreCompanyLink) -> [String] {
        row.selectableStages + row.projectStages.filter { !row.selectableStages.contains($0) }
    }
}
