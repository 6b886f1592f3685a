import FluentKit
import Logging
import Foundation
import LentuneCore
import LentunePersistence
import ProcoreAPI

/// `reference.sync`: a linked company's projects (by the row's accepted stages), cost codes of its linked projects,
/// cost types, tax codes and vendors, read from Procore into Lentune (issue 13's Procore → Lentune half). Idempotent: a repeat
/// changes nothing; queued when a row is linked, its stages change, or a project or vendor webhook arrives.
public enum ReferenceJobs {
    /// What a `reference.sync` reads: everything (`{}`: linking, stage changes, sweeps, Sync now), one project (a
    /// Projects webhook), or the vendors (a Company Vendors webhook). A webhook reads only what it names, so a busy
    /// company does not spend its Procore rate budget re-reading every project's cost codes per event.
    public struct Scope: Codable, Sendable, Equatable {
        public var project_id: Int64?
        public var vendors: Bool?

        public init(project_id: Int64? = nil, vendors: Bool? = nil) {
            self.project_id = project_id
            self.vendors = vendors
        }

        public static let everything = Scope()
    }

    /// The job that reads `scope` of a company row (deduplicated per row and scope).
    public static func job(_ scope: Scope, of row: ProcoreCompanyLink, now: Date) -> SyncJob {
        var job = SyncJob.companyWide(.syncReferenceData, of: row, now: now)
        if let project = scope.project_id {
            job.payload = #"{"project_id":\#(project)}"#
            job.dedupeKey = (job.dedupeKey ?? "") + ":project:\(project)"
        } else if scope.vendors == true {
            job.payload = #"{"vendors":true}"#
            job.dedupeKey = (job.dedupeKey ?? "") + ":vendors"
        }
        return job
    }

    public static func sync(_ job: SyncJob, _ ctx: JobContext) async throws {
        guard let linkID = job.companyLinkID, let row = try await ProcoreSettings.link(linkID, on: ctx.db), row.isLinked else {
            throw SyncError.cancelled("The company is no longer linked.")
        }
        let scope = (try? JSONDecoder().decode(Scope.self, from: Data(job.payload.utf8))) ?? .everything
        let started = ctx.now()
        let client = try await ctx.sessions.client(organisation: row.organisationID, company: row.procoreCompanyID, on: ctx.db)
        var metadata: Logger.Metadata = [:]
        if scope.vendors != true {
            let projects = try await readProjects(only: scope.project_id, row: row, client: client, ctx)
            metadata["projects"] = "\(projects)"
            // A project newly linked on Procore purchase order needs its hook for commitment events.
            if row.purchaseOrderSource == .procore, projects.created + projects.linked > 0 {
                try await Outbox.enqueue(.companyWide(.registerHooks, of: row, now: ctx.now()), on: ctx.db)
            }
            metadata["cost_codes"] = "\(try await readCostCodes(only: scope.project_id, row: row, client: client, ctx))"
        }
        if scope.project_id == nil {
            if scope.vendors != true {
                let types = try await client.lineItemTypes(row.procoreCompanyID).all().map { (id: $0.id, code: $0.code, name: $0.name) }
                metadata["cost_types"] = "\(try await ReferenceImport.costTypes(types, row: row, on: ctx.db))"
                metadata["tax_codes"] = "\(try await readTaxCodes(row: row, client: client, ctx))"
            }
            let vendors = try await client.vendors(row.procoreCompanyID, .none, 100).all().filter { $0.isActive ?? true }.map { (id: $0.id, name: $0.name) }
            metadata["suppliers"] = "\(try await ReferenceImport.suppliers(vendors, row: row, now: ctx.now(), on: ctx.db))"
        }
        if scope == .everything {
            try await SweepCursors.advance(row.id, resource: "reference_data", to: started, now: ctx.now(), on: ctx.db)
        }
        ctx.logger.info("reference data of \(row.name)", metadata: metadata)
    }

    /// Projects: all of the company's (active and inactive), or the one named, accepted when active and in one of
    /// the row's stages. A named project Procore no longer lists (deleted) is not accepted.
    static func readProjects(only: Int64?, row: ProcoreCompanyLink, client: Procore.Client, _ ctx: JobContext) async throws -> ReferenceImport.Counts {
        let stages = Set(row.projectStages)
        var filter = Procore.ListFilter()
        filter.projectStatus = "All"
        if let only { filter.ids = [only] }
        var procoreProjects: [ReferenceImport.ProcoreProject] = []
        for try await page in client.projects(row.procoreCompanyID, filter, 300) {
            procoreProjects += page.map { project in
                ReferenceImport.ProcoreProject(
                    id: project.id, number: project.projectNumber, name: project.name,
                    accepted: (project.active ?? true) && stages.contains(project.projectStage?.name ?? ""))
            }
        }
        if let only, !procoreProjects.contains(where: { $0.id == only }) {
            procoreProjects.append(.init(id: only, number: nil, name: "", accepted: false))
        }
        return try await ReferenceImport.projects(procoreProjects, row: row, only: only.map { [$0] }, on: ctx.db)
    }

    /// The company's Procore tax codes, for its Tax mapping page. A rate outside 0–100 % is read as archived: no line
    /// is sent with a tax code whose rate Lentune cannot show a person.
    static func readTaxCodes(row: ProcoreCompanyLink, client: Procore.Client, _ ctx: JobContext) async throws -> ReferenceImport.Counts {
        let codes = try await client.taxCodes(row.procoreCompanyID).all().map { code in
            let rate = code.rate1?.value ?? 0
            let usable = rate >= 0 && rate <= 100
            return ProcoreTaxCode(
                procoreID: code.id, code: code.code.isEmpty ? "#\(code.id)" : code.code, ratePercent: usable ? rate : 0,
                archived: (code.archived ?? false) || !usable)
        }
        return try await TaxMappings.importProcoreCodes(codes, row: row, on: ctx.db)
    }

    /// Cost codes of every active linked project (or of the one named).
    static func readCostCodes(only: Int64?, row: ProcoreCompanyLink, client: Procore.Client, _ ctx: JobContext) async throws -> ReferenceImport.Counts {
        var codes = ReferenceImport.Counts()
        for project in try await ReferenceData.projects(in: row.organisationID, on: ctx.db)
        where project.isActive && project.procoreCompanyLinkID == row.id && (only == nil || project.procoreProjectID == only) {
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
            // Its budget codes too: invoice lines are coded by them (decided before posting, issue 26).
            _ = try await ReferenceWrites.readBudgetCodes(project: procoreProject, row: row, client: client, now: ctx.now(), on: ctx.db)
            codes.created += counts.created
            codes.linked += counts.linked
            codes.updated += counts.updated
        }
        return codes
    }
}
