import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import ProcoreAPI

/// `reference.sync`: a linked company's projects (by the row's accepted stages), cost codes of its linked projects,
/// cost types and vendors, read from Procore into Lentune (issue 13's Procore → Lentune half). Idempotent: a repeat
/// changes nothing; queued when a row is linked, its stages change, or a project or vendor webhook arrives.
public enum ReferenceJobs {
    public static func sync(_ job: SyncJob, _ ctx: JobContext) async throws {
        guard let linkID = job.companyLinkID, let row = try await ProcoreSettings.link(linkID, on: ctx.db), row.isLinked else {
            throw SyncError.cancelled("The company is no longer linked.")
        }
        let started = ctx.now()
        let company = row.procoreCompanyID
        let client = try await ctx.sessions.client(organisation: row.organisationID, company: company, on: ctx.db)
        let stages = Set(row.projectStages)

        // Projects: all of the company's (active and inactive), accepted when active and in an accepted stage.
        var filter = Procore.ListFilter()
        filter.projectStatus = "All"
        var procoreProjects: [ReferenceImport.ProcoreProject] = []
        for try await page in client.projects(company, filter, 300) {
            procoreProjects += page.map { project in
                ReferenceImport.ProcoreProject(
                    id: project.id, number: project.projectNumber, name: project.name,
                    accepted: (project.active ?? true) && stages.contains(project.projectStage?.name ?? project.stage ?? ""))
            }
        }
        let projects = try await ReferenceImport.projects(procoreProjects, row: row, on: ctx.db)

        // Cost codes of every active linked project.
        var codes = ReferenceImport.Counts()
        for project in try await ReferenceData.projects(in: row.organisationID, on: ctx.db)
        where project.isActive && project.procoreCompanyLinkID == row.id {
            guard let procoreProject = project.procoreProjectID else { continue }
            var all: [ReferenceImport.ProcoreCostCode] = []
            for try await page in client.costCodes(procoreProject, 100) {
                all += page.filter { $0.deletedAt == nil }.map { code in
                    ReferenceImport.ProcoreCostCode(
                        id: code.id, fullCode: code.fullCode ?? code.code ?? String(code.id), name: code.name,
                        subJob: code.billerType == "SubJob" ? code.biller : nil)
                }
            }
            let counts = try await ReferenceImport.costCodes(all, project: project.id, organisation: row.organisationID, on: ctx.db)
            codes.created += counts.created
            codes.linked += counts.linked
            codes.updated += counts.updated
        }

        let types = try await client.lineItemTypes(company).all().map { (id: $0.id, code: $0.code, name: $0.name) }
        let costTypes = try await ReferenceImport.costTypes(types, organisation: row.organisationID, on: ctx.db)
        let vendors = try await client.vendors(company, .none, 100).all().filter { $0.isActive ?? true }.map { (id: $0.id, name: $0.name) }
        let suppliers = try await ReferenceImport.suppliers(vendors, row: row, now: ctx.now(), on: ctx.db)
        try await SweepCursors.advance(row.id, resource: "reference_data", to: started, now: ctx.now(), on: ctx.db)
        ctx.logger.info("reference data of \(row.name)", metadata: [
            "projects": "\(projects)", "cost_codes": "\(codes)", "cost_types": "\(costTypes)", "suppliers": "\(suppliers)",
        ])
    }
}
