import Foundation
import Vapor

/// Every page's address, in one place: links are built from the same cases the routes are registered with.
public enum SiteURL: Hashable, Sendable {
    case home
    case signIn
    case signOut
    case invoices
    case purchaseOrders
    case newPurchaseOrder
    case purchaseOrder(UUID)
    case editPurchaseOrder(UUID)
    case purchaseOrderAction(UUID, String)
    case apiPurchaseOrders
    case apiPurchaseOrder(UUID)
    case apiPurchaseOrderAction(UUID, String)
    case suppliers
    case projects
    case project(UUID)
    case supplier(UUID)
    case administration
    case users
    case user(UUID)
    case userPassword(UUID)
    case userActive(UUID)
    case auditLog
    case settings
    case settingsIntegrations
    case settingsProcore
    case procoreConnection
    case procoreTest
    case procoreConnect
    case procoreCallback
    case procoreCompanies
    case procoreRefresh
    case healthz
    case metrics
    case stylesheet
    case script
    case apiProcoreConnection
    case apiProcoreCompanies
    case apiProcoreCompany(UUID)
    case apiOpenAPI
    case apiProcoreConnectionTest
    case apiProcoreCompanySweep(UUID)
    case apiSyncJobs
    case procoreWebhook(UUID)
    case integrationLog
    case integrationLogRetry(UUID)
    case integrationLogRetryAll
    case integrationLogRetrySelected
    case integrationLogSweep
    case integrationLogReconcile
    case integrationLogReconcileRepair
    case procoreReregister(UUID)
    case referenceData(UUID)
    case referenceDataSync(UUID)
    case supplierMapping(UUID)
    case taxMapping(UUID)
    case purchaseOrderSync(UUID)
    case newInvoice
    case approvals
    case approveSelected
    case invoice(UUID)
    case invoiceAction(UUID, String)
    case invoiceDocument(UUID)
    case apiInvoices
    case apiInvoice(UUID)
    case apiInvoiceAction(UUID, String)
    case apiInvoiceDocument(UUID)

    public var path: String {
        switch self {
        case .home: "/"
        case .signIn: "/sign-in"
        case .signOut: "/sign-out"
        case .invoices: "/invoices"
        case .approvals: "/approvals"
        case .approveSelected: "/approvals/approve"
        case .purchaseOrders: "/purchase-orders"
        case .newPurchaseOrder: "/purchase-orders/new"
        case .purchaseOrder(let id): "/purchase-orders/\(id.lowercasedText)"
        case .editPurchaseOrder(let id): "/purchase-orders/\(id.lowercasedText)/edit"
        case .purchaseOrderAction(let id, let action): "/purchase-orders/\(id.lowercasedText)/\(action)"
        case .apiPurchaseOrders: "/api/v1/purchase-orders"
        case .apiPurchaseOrder(let id): "/api/v1/purchase-orders/\(id.lowercasedText)"
        case .apiPurchaseOrderAction(let id, let action): "/api/v1/purchase-orders/\(id.lowercasedText)/\(action)"
        case .suppliers: "/suppliers"
        case .projects: "/projects"
        case .project(let id): "/projects/\(id.lowercasedText)"
        case .supplier(let id): "/suppliers/\(id.lowercasedText)"
        case .administration: "/administration"
        case .users: "/administration/users"
        case .user(let id): "/administration/users/\(id.lowercasedText)"
        case .userPassword(let id): "/administration/users/\(id.lowercasedText)/password"
        case .userActive(let id): "/administration/users/\(id.lowercasedText)/active"
        case .auditLog: "/administration/audit-log"
        case .settings: "/administration/settings"
        case .settingsIntegrations: "/administration/settings/integrations"
        case .settingsProcore: "/administration/settings/procore"
        case .procoreConnection: "/administration/settings/procore/connection"
        case .procoreTest: "/administration/settings/procore/test"
        case .procoreConnect: "/administration/settings/procore/connect"
        case .procoreCallback: "/administration/settings/procore/callback"
        case .procoreCompanies: "/administration/settings/procore/companies"
        case .procoreRefresh: "/administration/settings/procore/companies/refresh"
        case .healthz: "/healthz"
        case .metrics: "/metrics"
        case .stylesheet: "/assets/app.css"
        case .script: "/assets/app.js"
        case .apiProcoreConnection: "/api/v1/procore/connection"
        case .apiProcoreCompanies: "/api/v1/procore/companies"
        case .apiProcoreCompany(let id): "/api/v1/procore/companies/\(id.lowercasedText)"
        case .apiOpenAPI: "/api/v1/openapi.json"
        case .apiProcoreConnectionTest: "/api/v1/procore/connection/test"
        case .apiProcoreCompanySweep(let id): "/api/v1/procore/companies/\(id.lowercasedText)/sweep"
        case .apiSyncJobs: "/api/v1/sync/jobs"
        case .procoreWebhook(let id): "/webhooks/procore/\(id.lowercasedText)"
        case .integrationLog: "/administration/integration-log"
        case .integrationLogRetry(let id): "/administration/integration-log/jobs/\(id.lowercasedText)/retry"
        case .integrationLogRetryAll: "/administration/integration-log/retry-failed"
        case .integrationLogRetrySelected: "/administration/integration-log/retry-selected"
        case .integrationLogSweep: "/administration/integration-log/sweep"
        case .integrationLogReconcile: "/administration/integration-log/reconcile"
        case .integrationLogReconcileRepair: "/administration/integration-log/reconcile/repair"
        case .procoreReregister(let id): "/administration/settings/procore/companies/\(id.lowercasedText)/webhooks"
        case .referenceData(let id): "/administration/settings/procore/companies/\(id.lowercasedText)/reference-data"
        case .referenceDataSync(let id): "/administration/settings/procore/companies/\(id.lowercasedText)/reference-data/sync"
        case .supplierMapping(let id): "/administration/settings/procore/companies/\(id.lowercasedText)/supplier-mapping"
        case .taxMapping(let id): "/administration/settings/procore/companies/\(id.lowercasedText)/tax-mapping"
        case .purchaseOrderSync(let id): "/purchase-orders/\(id.lowercasedText)/sync"
        case .newInvoice: "/invoices/new"
        case .invoice(let id): "/invoices/\(id.lowercasedText)"
        case .invoiceAction(let id, let action): "/invoices/\(id.lowercasedText)/\(action)"
        case .invoiceDocument(let id): "/invoices/\(id.lowercasedText)/document.pdf"
        case .apiInvoices: "/api/v1/invoices"
        case .apiInvoice(let id): "/api/v1/invoices/\(id.lowercasedText)"
        case .apiInvoiceAction(let id, let action): "/api/v1/invoices/\(id.lowercasedText)/\(action)"
        case .apiInvoiceDocument(let id): "/api/v1/invoices/\(id.lowercasedText)/document"
        }
    }

    /// Path components for route registration; ids become the `:id` parameter.
    public static func components(_ url: SiteURL) -> [PathComponent] {
        switch url {
        case .purchaseOrder: ["purchase-orders", ":id"]
        case .editPurchaseOrder: ["purchase-orders", ":id", "edit"]
        case .purchaseOrderAction: ["purchase-orders", ":id", ":action"]
        case .apiPurchaseOrder: ["api", "v1", "purchase-orders", ":id"]
        case .apiPurchaseOrderAction: ["api", "v1", "purchase-orders", ":id", ":action"]
        case .project: ["projects", ":id"]
        case .supplier: ["suppliers", ":id"]
        case .user: ["administration", "users", ":id"]
        case .userPassword: ["administration", "users", ":id", "password"]
        case .userActive: ["administration", "users", ":id", "active"]
        case .apiProcoreCompany: ["api", "v1", "procore", "companies", ":id"]
        case .apiProcoreCompanySweep: ["api", "v1", "procore", "companies", ":id", "sweep"]
        case .procoreWebhook: ["webhooks", "procore", ":connection"]
        case .integrationLogRetry: ["administration", "integration-log", "jobs", ":id", "retry"]
        case .procoreReregister: ["administration", "settings", "procore", "companies", ":id", "webhooks"]
        case .referenceData: ["administration", "settings", "procore", "companies", ":id", "reference-data"]
        case .referenceDataSync: ["administration", "settings", "procore", "companies", ":id", "reference-data", "sync"]
        case .supplierMapping: ["administration", "settings", "procore", "companies", ":id", "supplier-mapping"]
        case .taxMapping: ["administration", "settings", "procore", "companies", ":id", "tax-mapping"]
        case .purchaseOrderSync: ["purchase-orders", ":id", "sync"]
        case .invoice: ["invoices", ":id"]
        case .invoiceAction: ["invoices", ":id", ":action"]
        case .invoiceDocument: ["invoices", ":id", "document.pdf"]
        case .apiInvoice: ["api", "v1", "invoices", ":id"]
        case .apiInvoiceAction: ["api", "v1", "invoices", ":id", ":action"]
        case .apiInvoiceDocument: ["api", "v1", "invoices", ":id", "document"]
        default: url.path.split(separator: "/").map { PathComponent(stringLiteral: String($0)) }
        }
    }
}
