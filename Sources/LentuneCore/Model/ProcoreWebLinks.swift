import Foundation

/// Where a person sees a Procore record in Procore's web app ("View in Procore"). Procore's web addresses are not part
/// of its API documentation; these are the patterns of its web app (the company address is the one procore-api.md §1.3
/// quotes), kept in this one place. A custom environment on this machine (loopback: the local sandbox) has its web
/// app at its API's origin, with the same paths: the sandbox serves its records' pages there
/// (`ProcoreSandbox/Routes/WebAppRoutes.swift`), so the demo's links open the record they name. Any other custom
/// environment gets no link: where its web app is, is not known.
public enum ProcoreWebLinks {
    public enum Target: Sendable, Hashable {
        case company(ProcoreID)
        case project(ProcoreID)
        case vendor(company: ProcoreID, vendor: ProcoreID)
        case commitment(project: ProcoreID, commitment: ProcoreID)
        case directCost(project: ProcoreID, directCost: ProcoreID)
        case requisition(project: ProcoreID, commitment: ProcoreID, requisition: ProcoreID)
    }

    public static func url(_ target: Target, environment: ProcoreEnvironment) -> URL? {
        let host: String
        switch environment {
        case .production: host = "https://app.procore.com"
        case .developerSandbox: host = "https://sandbox.procore.com"
        case .custom(_, let api):
            // Its origin (scheme, host and port; nothing else of the API's address), on loopback over http(s) only.
            guard var origin = URLComponents(url: api, resolvingAgainstBaseURL: false), ["http", "https"].contains(origin.scheme?.lowercased()),
                let name = origin.host, isLoopback(name)
            else { return nil }
            (origin.path, origin.query, origin.fragment, origin.user, origin.password) = ("", nil, nil, nil, nil)
            guard let base = origin.string else { return nil }
            host = base
        }
        let path: String =
            switch target {
            case .company(let id): "/\(id)/company/home/list"
            case .project(let id): "/\(id)/project/home"
            case .vendor(let company, let vendor): "/\(company)/company/directory/vendors/\(vendor)"
            case .commitment(let project, let commitment): "/\(project)/project/commitments/purchase_order_contracts/\(commitment)"
            case .directCost(let project, let cost): "/\(project)/project/direct_costs/\(cost)"
            case .requisition(let project, let commitment, let requisition):
                "/\(project)/project/commitments/purchase_order_contracts/\(commitment)/invoices/\(requisition)"
            }
        return URL(string: host + path)
    }

    /// "localhost", 127.0.0.0/8 or ::1 (with or without the brackets a URL puts around it).
    static func isLoopback(_ host: String) -> Bool {
        let name = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if name == "localhost" || name == "::1" { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
