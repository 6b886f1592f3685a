import Foundation

/// What switching a Procore company's purchase-order source will do, in the words the confirmation page shows
/// before the save (DESIGN.md §1.1). Pure: the counts come from the caller.
public enum SourceChange {
    public struct Facts: Hashable, Sendable {
        /// Lentune-made POs of the company's projects that are not closed.
        public var openLentunePurchaseOrders: Int
        /// Lentune projects linked to the company.
        public var projects: Int

        public init(openLentunePurchaseOrders: Int, projects: Int) {
            self.openLentunePurchaseOrders = openLentunePurchaseOrders
            self.projects = projects
        }
    }

    public static func consequences(from old: PurchaseOrderSource, to new: PurchaseOrderSource, facts: Facts) -> [String] {
        guard old != new else { return [] }
        var lines: [String] = []
        switch new {
        case .lentune:
            lines.append(
                "\(count(facts.openLentunePurchaseOrders, "open Lentune purchase order")) will be sent to Procore "
                    + "(approved ones now, the others once approved).")
            if old == .procore {
                lines.append("Procore purchase orders will no longer be imported; those already imported stay in Lentune, read-only.")
            }
        case .procore:
            lines.append("Procore purchase orders of \(count(facts.projects, "project")) will be imported.")
            lines.append("New Purchase Order will no longer be available for projects of this company.")
            if old == .lentune {
                lines.append("Lentune purchase orders of this company become read-only: Procore is their master from now on.")
            }
        case .none:
            if old == .lentune { lines.append("Lentune purchase orders will no longer be sent to Procore.") }
            if old == .procore {
                lines.append("Procore purchase orders will no longer be imported; those already imported stay in Lentune, read-only.")
                lines.append("New Purchase Order becomes available again for projects of this company.")
            }
            lines.append("Invoices for this company's projects go to Procore as Direct Costs.")
        }
        return lines
    }

    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
}
