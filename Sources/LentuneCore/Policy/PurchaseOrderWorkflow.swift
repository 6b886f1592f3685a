import Foundation

/// Draft → Awaiting approval → Approved → Closed, and Closed → Approved again (**Reopen**, issue 29: an invoice
/// that arrives after a PO was closed, or a close by mistake). Submitting a PO whose total (incl. tax) is within the raiser's
/// approval limit approves it at once (Lentune's "Personal Limit").
public enum PurchaseOrderWorkflow {
    public enum Action: String, Sendable, CaseIterable {
        case submit, approve, close, reopen
    }

    public enum Refusal: Error, Equatable, Sendable {
        case notAllowed(action: Action, status: PurchaseOrder.Status)
        case role(Action)
        case policy(PurchaseOrderPolicy.Refusal)

        public var message: String {
            switch self {
            case .notAllowed(let action, let status):
                "A purchase order that is \(status.title.lowercased()) cannot be \(action.pastTense)."
            case .role(.approve): "Only approvers and administrators can approve purchase orders."
            case .role(let action): "Your role cannot \(action.rawValue) purchase orders."
            case .policy(let refusal): refusal.message
            }
        }
    }

    /// The PO after `action` by `actor`, or why not.
    public static func apply(
        _ action: Action, to po: PurchaseOrder, by actor: User, project: PurchaseOrderPolicy.ProjectSource?
    ) -> Result<PurchaseOrder, Refusal> {
        // Closing an approved PO is still a change of a Procore-owned PO: refused the same way. Reopening is the one
        // change a closed PO takes.
        if case .failure(let refusal) = PurchaseOrderPolicy.mayEdit(po, project: project), !(action == .reopen && refusal == .closed) {
            return .failure(.policy(refusal))
        }
        var next = po
        switch (action, po.status) {
        case (.submit, .draft):
            guard actor.role.mayEditDocuments else { return .failure(.role(action)) }
            if po.totals.includingTax <= actor.approvalLimit {
                next.status = .approved
                next.approvedBy = actor.id
            } else {
                next.status = .awaitingApproval
            }
        case (.approve, .awaitingApproval):
            guard actor.role.mayApprove else { return .failure(.role(action)) }
            next.status = .approved
            next.approvedBy = actor.id
        case (.close, .approved):
            guard actor.role.mayEditDocuments else { return .failure(.role(action)) }
            next.status = .closed
        case (.reopen, .closed):
            // Approved again as it was (its approver stands): on Lentune purchase order the push sets its commitment
            // back to Approved, which Procore allows (only its vendor and lines are locked), and the invoices held
            // on it post.
            guard actor.role.mayEditDocuments else { return .failure(.role(action)) }
            next.status = .approved
        default:
            return .failure(.notAllowed(action: action, status: po.status))
        }
        return .success(next)
    }

    /// Lines and header may be edited until a PO is closed; an edit sends it back to draft, so an approved PO is
    /// approved again (and, on Lentune purchase order, pushed again with its new lines) before it counts.
    public static func mayEditContent(_ po: PurchaseOrder) -> Bool {
        po.status == .draft || po.status == .awaitingApproval || po.status == .approved
    }

    /// The actions this user may take on this PO now (what the page offers).
    public static func available(for po: PurchaseOrder, user: User, project: PurchaseOrderPolicy.ProjectSource?) -> [Action] {
        Action.allCases.filter { (try? apply($0, to: po, by: user, project: project).get()) != nil }
    }
}

extension PurchaseOrderWorkflow.Action {
    var pastTense: String {
        switch self {
        case .submit: "submitted for approval"
        case .approve: "approved"
        case .close: "closed"
        case .reopen: "reopened"
        }
    }
}
