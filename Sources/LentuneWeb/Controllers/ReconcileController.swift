import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import Vapor

/// Administration › Integration log › **Reconcile** (issue 25): compares one linked Procore company's records in
/// Lentune and in Procore while the administrator waits (`Reconciliation`; its reads are paced like every Procore
/// read), lists what is lost, duplicated or diverged, and **Repair** queues the jobs that fix it. The same as
/// `lentune reconcile --company ID [--repair]`, which suits a company too large to compare within one page request.
enum ReconcileController {
    struct Form: Content {
        var company: String?
    }

    @Sendable static func reconcile(req: Request) async throws -> Response {
        try await run(req, repair: false)
    }

    @Sendable static func repair(req: Request) async throws -> Response {
        try await run(req, repair: true)
    }

    static func run(_ req: Request, repair: Bool) async throws -> Response {
        let viewer = try req.requireViewer()
        let form = (try? req.content.decode(Form.self)) ?? Form()
        let rows = try await ProcoreSettings.rows(for: viewer.organisationID, on: req.db).map(\.link).filter(\.isLinked)
        guard let row = rows.first(where: { $0.id.description == form.company }) else {
            return try await IntegrationLogController.page(req, status: .badRequest, notice: "Choose a linked Procore company to reconcile.")
        }
        let services = req.application.lentune
        let report: Reconciliation.Report
        do {
            let client = try await services.sessions.client(organisation: row.organisationID, company: row.procoreCompanyID, on: req.db)
            report = try await Reconciliation.run(row, client: client, on: req.db)
        } catch {
            let reason = SyncError(any: error).description
            return try await IntegrationLogController.page(req, status: .badGateway, notice: "Reconcile could not read \(row.name) from Procore: \(reason)")
        }
        var notice: String?
        if repair {
            let queued = try await Reconciliation.repair(report, row: row, now: services.now(), on: req.db)
            notice = queued == 0
                ? "Nothing to repair."
                : "\(queued) repair\(queued == 1 ? " is" : "s are") queued (below, in the Integration log). Reconcile again once they have run."
        }
        return ReconcileView.page(viewer: viewer, row: row, report: report, notice: notice).response(status: .ok)
    }
}

enum ReconcileView {
    /// The Integration log's **Reconcile** form: a company and the button.
    static func form(rows: [ProcoreCompanyLink], csrf: String) -> HTML {
        guard !rows.isEmpty else { return .fragment([]) }
        return el("form", .method("post"), .action(SiteURL.integrationLogReconcile.path), .class("inline"), .id("reconcile")) {
            Layout.csrfField(csrf)
            el("label", .for("reconcile-company")) { "Company" }
            el("select", .id("reconcile-company"), .name("company")) {
                for row in rows { el("option", .value(row.id.description)) { row.name } }
            }
            el("button", .type("submit"), .class("secondary")) { "Reconcile" }
        }
    }

    static func page(viewer: Viewer, row: ProcoreCompanyLink, report: Reconciliation.Report, notice: String?) -> HTML {
        Layout.page(title: "Reconcile \(row.name)", viewer: viewer, section: .administration) {
            if let notice { el("p", .class("notice"), .role("status"), .id("reconcile-notice")) { notice } }
            el("p", .id("reconcile-summary")) { report.summary + "." }
            el("p") {
                el("a", .href(SiteURL.integrationLog.path)) { "‹ Integration log" }
            }
            if report.findings.isEmpty {
                Layout.emptyState("Lentune and Procore agree: nothing lost, duplicated or diverged.")
            } else {
                Layout.table(
                    id: "findings", headers: ["Finding", "Record", "Difference", "Repair"],
                    rows: report.findings.map { finding in
                        [el("span", .class("finding-\(finding.category.rawValue)")) { finding.category.rawValue.capitalized },
                         .text(finding.record), .text(finding.difference), .text(finding.repair?.title ?? "none: put it right in Procore")]
                    })
                if report.findings.contains(where: { $0.repair != nil }) {
                    el("form", .method("post"), .action(SiteURL.integrationLogReconcileRepair.path), .class("inline")) {
                        Layout.csrfField(viewer.csrfToken)
                        el("input", .type("hidden"), .name("company"), .value(row.id.description))
                        el("button", .type("submit"), .id("reconcile-repair")) { "Repair" }
                    }
                }
            }
        }
    }
}
