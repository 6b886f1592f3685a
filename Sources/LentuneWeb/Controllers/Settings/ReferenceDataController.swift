import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import Vapor

/// A company row's **Reference data** view: counts per kind, when it was last read from Procore, the failures of its
/// reference-data jobs with Procore's message, and **Sync now**.
enum ReferenceDataController {
    @Sendable static func show(req: Request) async throws -> Response {
        try await page(req, status: .ok)
    }

    static func page(_ req: Request, status: HTTPResponseStatus, notice: String? = nil) async throws -> Response {
        let (viewer, row) = try await req.companyRow()
        let summary = try await ReferenceImport.summary(of: row, on: req.db)
        let jobs = try await Outbox.jobs(in: viewer.organisationID, filter: .init(companyLink: row.id, kind: .syncReferenceData, limit: 10), on: req.db)
        let toDecide = try await SupplierMappings.open(of: row, on: req.db).count
        return ReferenceDataView.page(viewer: viewer, row: row, summary: summary, jobs: jobs, toDecide: toDecide, notice: notice)
            .response(status: status)
    }

    @Sendable static func syncNow(req: Request) async throws -> Response {
        let (_, row) = try await req.companyRow()
        guard row.isLinked else { return try await page(req, status: .conflict, notice: "Link \(row.name) first: only linked companies are read.") }
        let now = req.application.lentune.now()
        let queued = try await Outbox.enqueue(.companyWide(.syncReferenceData, of: row, now: now), on: req.db)
        return try await page(req, status: .ok, notice: queued ? "Reference data of \(row.name) will be read in a moment." : "A read of \(row.name)'s reference data is already waiting.")
    }
}

extension Request {
    /// The signed-in viewer and the company row named by `:id`, in the viewer's organisation (404 otherwise).
    func companyRow() async throws -> (Viewer, ProcoreCompanyLink) {
        let viewer = try requireViewer()
        guard let row = try await ProcoreSettings.row(.init(try idParameter()), in: viewer.organisationID, on: db)?.link else {
            throw Abort(.notFound)
        }
        return (viewer, row)
    }
}

enum ReferenceDataView {
    static func page(viewer: Viewer, row: ProcoreCompanyLink, summary: ReferenceImport.Summary, jobs: [SyncJob], toDecide: Int, notice: String?) -> HTML {
        Layout.page(title: "Reference data: \(row.name)", viewer: viewer, section: .administration) {
            if let notice { el("p", .class("notice"), .role("status")) { notice } }
            el("p") {
                "Last read from Procore: "
                el("strong", .id("last-synced")) { summary.lastSynced.map(IntegrationLogView.stamp).map { $0 + " UTC" } ?? "never" }
            }
            Layout.table(
                id: "reference-counts", headers: ["Kind", "From Procore", "In Lentune"],
                rows: [
                    [.text("Projects (stages: \(row.projectStages.joined(separator: ", ")))"), .text("\(summary.projectsLinked) linked"),
                     .text("\(summary.projectsActive) active")],
                    [.text("Cost codes of those projects"), .text("\(summary.costCodesLinked) linked"), .text("")],
                    [.text("Cost types"), .text("\(summary.costTypesLinked) linked"), .text("\(summary.costTypesTotal) in all")],
                    [.text("Suppliers (vendors)"), .text("\(summary.suppliersLinked) linked"), .text("\(summary.suppliersTotal) in all")],
                ])
            el("p") {
                el("a", .href(SiteURL.supplierMapping(row.id.rawValue).path), .id("supplier-mapping-link")) { "Supplier mapping" }
                toDecide == 0 ? ": no vendor names to decide." : ": \(toDecide) vendor name\(toDecide == 1 ? "" : "s") close to a supplier's, waiting for you to link or keep apart."
            }
            el("p") {
                el("a", .href(SiteURL.taxMapping(row.id.rawValue).path), .id("tax-mapping-link")) { "Tax mapping" }
                ": \(summary.procoreTaxCodes) Procore tax code\(summary.procoreTaxCodes == 1 ? "" : "s") read; "
                summary.taxCodesUnmapped == 0 ? "every Lentune tax code is mapped." : "\(summary.taxCodesUnmapped) Lentune tax code\(summary.taxCodesUnmapped == 1 ? " is" : "s are") not mapped (lines with \(summary.taxCodesUnmapped == 1 ? "it" : "them") are not sent)."
            }
            el("form", .method("post"), .action(SiteURL.referenceDataSync(row.id.rawValue).path), .class("inline")) {
                Layout.csrfField(viewer.csrfToken)
                el("button", .type("submit"), .id("sync-now"), .disabled(!row.isLinked)) { "Sync now" }
            }
            el("h2") { "Recent reads" }
            if jobs.isEmpty {
                Layout.emptyState("None yet.")
            } else {
                Layout.table(
                    id: "reference-jobs", headers: ["Queued (UTC)", "Outcome", "Attempts", "Message"],
                    rows: jobs.map { job in
                        [.text(IntegrationLogView.stamp(job.createdAt)), .text(IntegrationLogView.title(job.state)), .text(String(job.attempts)),
                         .text(job.lastError ?? "")]
                    })
            }
        }
    }
}
