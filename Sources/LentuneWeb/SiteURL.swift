import Foundation
import Vapor

/// Every page's address, in one place: links are built from the same cases the routes are registered with.
public enum SiteURL: Hashable, Sendable {
    case home
    case signIn
    case signOut
    case invoices
    case purchaseOrders
    case purchaseOrder(UUID)
    case suppliers
    case projects
    case project(UUID)
    case administration
    case users
    case auditLog
    case healthz
    case metrics
    case stylesheet

    public var path: String {
        switch self {
        case .home: "/"
        case .signIn: "/sign-in"
        case .signOut: "/sign-out"
        case .invoices: "/invoices"
        case .purchaseOrders: "/purchase-orders"
        case .purchaseOrder(let id): "/purchase-orders/\(id.uuidString.lowercased())"
        case .suppliers: "/suppliers"
        case .projects: "/projects"
        case .project(let id): "/projects/\(id.uuidString.lowercased())"
        case .administration: "/administration"
        case .users: "/administration/users"
        case .auditLog: "/administration/audit-log"
        case .healthz: "/healthz"
        case .metrics: "/metrics"
        case .stylesheet: "/assets/app.css"
        }
    }

    /// Path components for route registration; ids become the `:id` parameter.
    public static func components(_ url: SiteURL) -> [PathComponent] {
        switch url {
        case .purchaseOrder: ["purchase-orders", ":id"]
        case .project: ["projects", ":id"]
        default: url.path.split(separator: "/").map { PathComponent(stringLiteral: String($0)) }
        }
    }
}
