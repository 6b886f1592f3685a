import FluentKit
import LentuneCore
import LentunePersistence
import Vapor

/// The main navigation's pages: invoices, purchase orders, suppliers and projects of the viewer's organisation.
/// Every query is scoped to the viewer's organisation (in LentunePersistence); another organisation's record answers 404.
enum DocumentsController {
    static let listLimit = 100

    @Sendable static func home(req: Request) async throws -> Response {
        req.redirect(to: SiteURL.invoices.path)
    }

    @Sendable static func suppliers(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let suppliers = try await ReferenceData.suppliers(in: viewer.organisationID, on: req.db)
        let order = DocumentsView.SupplierOrder(sort: req.query["sort"], dir: req.query["dir"])
        return DocumentsView.suppliers(viewer: viewer, suppliers: suppliers, order: order, procore: try await procoreContext(viewer, req)).response()
    }

    @Sendable static func projects(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let projects = try await ReferenceData.projects(in: viewer.organisationID, on: req.db)
        let order = DocumentsView.ProjectOrder(sort: req.query["sort"], dir: req.query["dir"])
        return DocumentsView.projects(viewer: viewer, projects: projects, order: order, procore: try await procoreContext(viewer, req)).response()
    }

    /// The organisation's Procore environment and company rows: where a linked record comes from, and its link.
    static func procoreContext(_ viewer: Viewer, _ req: Request) async throws -> DocumentsView.ProcoreContext {
        let connection = try await ProcoreSettings.connection(for: viewer.organisationID, on: req.db)
        let rows = try await ProcoreSettings.companyLinks(for: viewer.organisationID, on: req.db)
        return DocumentsView.ProcoreContext(environment: connection?.domain.environment, rows: rows)
    }

    @Sendable static func project(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        guard let project = try await ReferenceData.project(.init(try req.idParameter()), in: viewer.organisationID, on: req.db)
        else { throw Abort(.notFound) }
        let costCodes = try await ReferenceData.costCodes(in: viewer.organisationID, project: project.id, on: req.db)
        let documents = try await documents(viewer, req, purchaseOrders: .init(projectID: project.id), invoices: .init(project: project.id))
        return DocumentsView.project(viewer: viewer, project: project, costCodes: costCodes, documents: documents, procore: try await procoreContext(viewer, req))
            .response()
    }

    /// A supplier's page (issue 29): its Procore vendors (linked into Procore), and its newest POs and invoices.
    @Sendable static func supplier(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        guard let supplier = try await ReferenceData.supplier(.init(try req.idParameter()), in: viewer.organisationID, on: req.db)
        else { throw Abort(.notFound) }
        let documents = try await documents(viewer, req, purchaseOrders: .init(supplierID: supplier.id), invoices: .init(supplier: supplier.id))
        return DocumentsView.supplier(viewer: viewer, supplier: supplier, documents: documents, procore: try await procoreContext(viewer, req)).response()
    }

    /// The newest POs and invoices a filter matches, with how many there are in all.
    static func documents(
        _ viewer: Viewer, _ req: Request, purchaseOrders: PurchaseOrders.Filter, invoices: Invoices.Filter
    ) async throws -> DocumentsView.Documents {
        let reference = try await req.application.lentune.listReferences.reference(viewer.organisationID, on: req.db)
        var poFilter = purchaseOrders
        poFilter.perPage = 20
        let pos = try await PurchaseOrders.list(in: viewer.organisationID, filter: poFilter, names: reference.listNames, on: req.db)
        let invoicePage = try await Invoices.list(in: viewer.organisationID, filter: invoices, after: nil, limit: 20, on: req.db)
        return DocumentsView.Documents(
            purchaseOrders: pos.items, purchaseOrderTotal: pos.total, invoices: invoicePage.items,
            invoiceTotal: try await Invoices.count(in: viewer.organisationID, filter: invoices, on: req.db),
            suppliers: Dictionary(uniqueKeysWithValues: reference.suppliers.map { ($0.id, $0.name) }),
            projects: Dictionary(uniqueKeysWithValues: reference.projects.map { ($0.id, $0.code) }))
    }
}
