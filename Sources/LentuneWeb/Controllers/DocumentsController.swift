import FluentKit
import LentuneCore
import LentunePersistence
import Vapor

/// The main navigation's pages: invoices, purchase orders, suppliers and projects of the viewer's organisation.
/// Every query goes through `scoped(to:)`; a record of another organisation answers 404.
enum DocumentsController {
    static let listLimit = 100

    @Sendable static func home(req: Request) async throws -> Response {
        req.redirect(to: SiteURL.invoices.path)
    }

    @Sendable static func invoices(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let invoices = try await InvoiceRecord.scoped(to: viewer.organisationID, on: req.db)
            .sort(\.$invoiceDate, .descending).limit(listLimit).all()
        let suppliers = try await names(SupplierRecord.self, ids: invoices.map(\.supplierID), viewer: viewer, on: req.db) { $0.name }
        return DocumentsView.invoices(viewer: viewer, invoices: invoices, supplierNames: suppliers).response()
    }

    @Sendable static func suppliers(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let suppliers = try await ReferenceData.suppliers(in: viewer.organisationID, on: req.db)
        return DocumentsView.suppliers(viewer: viewer, suppliers: suppliers).response()
    }

    @Sendable static func projects(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let projects = try await ReferenceData.projects(in: viewer.organisationID, on: req.db)
        return DocumentsView.projects(viewer: viewer, projects: projects).response()
    }

    @Sendable static func project(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        guard let project = try await ProjectRecord.find(try req.idParameter(), in: viewer.organisationID, on: req.db)
        else { throw Abort(.notFound) }
        let costCodes = try await CostCodeRecord.scoped(to: viewer.organisationID, on: req.db)
            .filter(\.$projectID == project.id!).sort(\.$code).all().map(\.domain)
        return DocumentsView.project(viewer: viewer, project: project.domain, costCodes: costCodes).response()
    }

    /// Display names of the given records, scoped to the viewer's organisation.
    static func names<R: TenantRecord>(
        _: R.Type, ids: [UUID], viewer: Viewer, on db: any Database, name: (R) -> String
    ) async throws -> [UUID: String] {
        let unique = Array(Set(ids))
        guard !unique.isEmpty else { return [:] }
        let records = try await R.scoped(to: viewer.organisationID, on: db).filter(\._$id ~~ unique).all()
        return Dictionary(uniqueKeysWithValues: records.map { ($0.id!, name($0)) })
    }
}
