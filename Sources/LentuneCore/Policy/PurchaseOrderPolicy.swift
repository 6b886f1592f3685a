import Foundation

/// The seed's rules for purchase orders, as pure functions of the company's `PurchaseOrderSource`.
///
/// A project that is not linked to a Procore company has no source (`nil`): Lentune POs are local only.
public enum PurchaseOrderPolicy {
    public enum Refusal: Hashable, Sendable, Error {
        /// The project's Procore company has **Procore purchase order** ticked.
        case procoreIsSource(companyName: String)
        /// The PO was created in Procore; Procore is its master.
        case procoreOwned
        /// The PO is closed.
        case closed
        /// No project open for Lentune POs.
        case noEligibleProject

        public var message: String {
            switch self {
            case .procoreIsSource(let company):
                "Purchase orders for \(company) are created in Procore (Procore purchase order is ticked in the "
                    + "Procore company list), so they cannot be created or changed in Lentune."
            case .procoreOwned:
                "This purchase order comes from Procore (Source: Procore) and is read-only in Lentune."
            case .closed:
                "This purchase order is closed and can no longer be changed."
            case .noEligibleProject:
                "New Purchase Order is not available: every project you can raise purchase orders for belongs to a "
                    + "Procore company whose purchase orders are created in Procore."
            }
        }
    }

    /// The PO-source governing one project: its company's source, or `nil` when the project is not linked.
    public struct ProjectSource: Hashable, Sendable {
        public var companyName: String
        public var source: PurchaseOrderSource

        public init(companyName: String, source: PurchaseOrderSource) {
            self.companyName = companyName
            self.source = source
        }
    }

    /// May a new PO be created in Lentune for a project? Refused only when Procore is the source.
    public static func mayCreate(for project: ProjectSource?) -> Result<Void, Refusal> {
        guard let project, project.source == .procore else { return .success(()) }
        return .failure(.procoreIsSource(companyName: project.companyName))
    }

    /// Whether the **New Purchase Order** button is accessible, given every project the user could raise a PO for.
    /// It is inaccessible when no such project allows Lentune POs (DESIGN.md §1.1).
    public static func newPurchaseOrderButton(projects: [ProjectSource?]) -> Result<Void, Refusal> {
        projects.contains { (try? mayCreate(for: $0).get()) != nil } ? .success(()) : .failure(.noEligibleProject)
    }

    /// May this existing PO be edited in Lentune?
    public static func mayEdit(_ po: PurchaseOrder, project: ProjectSource?) -> Result<Void, Refusal> {
        if po.origin == .procore { return .failure(.procoreOwned) }
        // After a switch to Procore, Procore is the master for every PO of that company (DESIGN.md §1.1).
        if let project, project.source == .procore { return .failure(.procoreIsSource(companyName: project.companyName)) }
        if po.status == .closed { return .failure(.closed) }
        return .success(())
    }

    /// Is this PO sent to Procore? Only when Lentune is the source, the PO was made in Lentune, and it has been
    /// approved: drafts and POs awaiting approval stay in Lentune until approved.
    public static func isPushed(_ po: PurchaseOrder, project: ProjectSource?) -> Bool {
        guard let project, project.source == .lentune, po.origin == .lentune else { return false }
        return po.status == .approved || po.status == .closed
    }

    /// Are this company's Procore POs pulled into Lentune?
    public static func isPulled(source: PurchaseOrderSource) -> Bool { source == .procore }

    /// Are Lentune POs of this company pushed to Procore?
    public static func isPushed(source: PurchaseOrderSource) -> Bool { source == .lentune }
}
