import Foundation

/// Where in Procore a Lentune record is written (or is being written): the company, project and kind of record, so a
/// later run that routes it elsewhere can first look where an earlier run may already have put it (issue 25).
///
/// An invoice's route is decided when its job runs, from the setting and PO as they are then. A run that wrote a
/// direct cost and lost the answer, followed by a switch from neither box to Lentune purchase order, would route the
/// retry as a requisition; without this the invoice reached Procore twice (the soak's SOAK-1-5).
public enum ProcoreTarget: Hashable, Sendable {
    case directCost(company: ProcoreID, project: ProcoreID)
    case requisition(company: ProcoreID, project: ProcoreID, commitment: ProcoreID)

    public var company: ProcoreID {
        switch self {
        case .directCost(let company, _), .requisition(let company, _, _): company
        }
    }

    public var project: ProcoreID {
        switch self {
        case .directCost(_, let project), .requisition(_, let project, _): project
        }
    }

    /// What a person calls it: "Direct cost" or "Subcontractor invoice".
    public var title: String {
        switch self {
        case .directCost: "Direct cost"
        case .requisition: "Subcontractor invoice"
        }
    }

    /// Stored as text on the ledger row: `direct_cost/<company>/<project>`, `requisition/<company>/<project>/<commitment>`.
    public var text: String {
        switch self {
        case .directCost(let company, let project): "direct_cost/\(company)/\(project)"
        case .requisition(let company, let project, let commitment): "requisition/\(company)/\(project)/\(commitment)"
        }
    }

    public init?(text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        let ids = parts.dropFirst().map { ProcoreID($0) }
        guard !ids.contains(nil) else { return nil }
        switch (parts.first, ids.compactMap { $0 }) {
        case ("direct_cost", let ids) where ids.count == 2: self = .directCost(company: ids[0], project: ids[1])
        case ("requisition", let ids) where ids.count == 3: self = .requisition(company: ids[0], project: ids[1], commitment: ids[2])
        default: return nil
        }
    }
}

extension ProcoreTarget {
    /// Where a person sees the record with this id in Procore's web app.
    public func link(_ id: ProcoreID) -> ProcoreWebLinks.Target {
        switch self {
        case .directCost(_, let project): .directCost(project: project, directCost: id)
        case .requisition(_, let project, let commitment): .requisition(project: project, commitment: commitment, requisition: id)
        }
    }
}
