import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import Vapor

extension SettingsController {
    struct CompaniesForm: Content {
        struct Row: Codable {
            var linked: String?
            var lentune_po: String?
            var procore_po: String?
            var stages: [String]?
            var tolerance: String?
            var version: Int?
        }

        var rows: [String: Row]?
        var confirm: String?
    }

    /// Saves the Procore company list. Every row is validated first; if any row is refused, nothing is stored and
    /// the page shows the message next to that row. A save that changes a purchase-order source is shown as a
    /// confirmation first; confirming saves all changed rows in one transaction, each only if nobody else saved it
    /// meanwhile (optimistic concurrency), and audits each.
    @Sendable static func saveCompanies(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let form = (try? req.content.decode(CompaniesForm.self)) ?? CompaniesForm()
        let rows = try await ProcoreSettings.rows(for: viewer.organisationID, on: req.db)
        var submitted: [UUID: CompanyRowInput] = [:]
        for (key, row) in form.rows ?? [:] {
            guard let id = UUID(uuidString: key), rows.contains(where: { $0.link.id.rawValue == id }) else { continue }
            submitted[id] = CompanyRowInput(
                linked: row.linked != nil, lentunePurchaseOrder: row.lentune_po != nil, procorePurchaseOrder: row.procore_po != nil,
                projectStages: row.stages ?? [], roundingTolerance: row.tolerance ?? "", version: row.version)
        }
        guard !submitted.isEmpty else {
            return try await procorePage(req, status: .unprocessableEntity, notice: "Nothing was submitted.")
        }

        var errors: [UUID: [String: String]] = [:]
        var changes: [(ProcoreSettings.Row, ProcoreCompanyLink, Int)] = []
        for row in rows {
            guard let input = submitted[row.link.id.rawValue] else { continue }
            switch input.validate(applyingTo: row.link) {
            case .failure(let rowErrors): errors[row.link.id.rawValue] = rowErrors.messages
            case .success(let updated):
                if updated != row.link { changes.append((row, updated, input.version ?? row.version)) }
            }
        }
        guard errors.isEmpty else {
            return try await procorePage(req, status: .unprocessableEntity, rowErrors: errors, submitted: submitted)
        }
        guard !changes.isEmpty else { return req.redirect(to: SiteURL.settingsProcore.path + "?saved=1", redirectType: .normal) }

        let sourceChanges = changes.filter { $0.0.link.purchaseOrderSource != $0.1.purchaseOrderSource }
        if !sourceChanges.isEmpty && form.confirm == nil {
            var items: [SettingsView.Confirmation.Item] = []
            for (row, updated, _) in sourceChanges {
                let facts = try await ProcoreSettings.facts(for: row.link, on: req.db)
                items.append(.init(
                    company: row.link.name,
                    lines: SourceChange.consequences(from: row.link.purchaseOrderSource, to: updated.purchaseOrderSource, facts: facts)))
            }
            return try await procorePage(req, status: .ok, submitted: submitted, confirmation: .init(items: items))
        }

        let services = req.application.lentune
        let toSave = changes.map { ($0.1, $0.2) }
        do {
            try await req.db.writeTransaction { tx in
                for (updated, version) in toSave {
                    _ = try await ProcoreSettings.save(updated, expectedVersion: version, actor: viewer.user, now: services.now(), on: tx)
                }
            }
            await services.listReferences.forget(viewer.organisationID)
        } catch ProcoreSettings.SaveError.staleVersion {
            return try await procorePage(
                req, status: .conflict,
                notice: "Another administrator saved the Procore company list while you were editing it. Nothing was saved; the page now shows their settings.")
        }
        return req.redirect(to: SiteURL.settingsProcore.path + "?saved=1", redirectType: .normal)
    }
}
