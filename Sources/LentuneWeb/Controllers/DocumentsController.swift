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
        return DocumentsView.suppliers(viewer: viewer, suppliers: suppliers, procore: try await procoreContext(viewer, req)).response()
    }

    @Sendable static func projects(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let projects = try await ReferenceData.projects(in: viewer.organisationID, on: req.db)
        return DocumentsView.projects(viewer: viewer, projects: projects, procore: try await procoreContext(viewer, req)).response()
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
        return DocumentsView.project(viewer: viewer, project: project, costCodes: costCodes).response()
    }
}
