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
        let stages = projectStages.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if stages.isEmpty {
            errors["project_stages"] = "Choose at least one project stage to import."
        } else if stages.count > 20 || stages.contains(where: { $0.count > 100 }) {
            errors["project_stages"] = "Choose at most 20 stages of up to 100 characters each."
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

/// The stages offered on the page: Procore's six defaults, then any others a row already uses.
enum ProcoreStages {
    static let defaults = ["Pre-Construction", "Course of Construction", "Post-Construction", "Completed", "Not Awarded", "Canceled"]

    static func offered(for rows: [ProcoreCompanyLink]) -> [String] {
        defaults + Array(Set(rows.flatMap(\.projectStages)).subtracting(defaults)).sorted()
    }
}
