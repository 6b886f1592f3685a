import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import Vapor

/// A company row's **Supplier mapping** page: Procore vendors whose names are near misses of Lentune suppliers
/// ("ABC Ltd" / "A.B.C. Limited", one typo), which the import neither merged nor duplicated. An administrator links
/// each to the supplier or keeps them apart (the vendor then becomes its own supplier on the next read).
enum SupplierMappingController {
    struct DecisionForm: Content {
        var suggestion: String?
        var decision: String?
    }

    @Sendable static func show(req: Request) async throws -> Response {
        try await page(req, status: .ok)
    }

    static func page(_ req: Request, status: HTTPResponseStatus, notice: String? = nil) async throws -> Response {
        let (viewer, row) = try await req.companyRow()
        let open = try await SupplierMappings.open(of: row, on: req.db)
        return SupplierMappingView.page(viewer: viewer, row: row, suggestions: open, notice: notice).response(status: status)
    }

    @Sendable static func decide(req: Request) async throws -> Response {
        let (viewer, row) = try await req.companyRow()
        let form = (try? req.content.decode(DecisionForm.self)) ?? DecisionForm()
        guard let id = form.suggestion.flatMap(UUID.init(uuidString:)),
            let decision = form.decision.flatMap(SupplierMappings.Decision.init(rawValue:))
        else { return try await page(req, status: .badRequest, notice: "Choose Link or Keep apart for one of the suggestions below.") }
        let now = req.application.lentune.now()
        switch try await SupplierMappings.decide(id, decision, row: row, actor: viewer.user, now: now, on: req.db) {
        case nil:
            return try await page(req, status: .notFound, notice: "That suggestion does not exist.")
        case .stale:
            return try await page(req, status: .conflict, notice: "That suggestion was decided already, or the supplier or vendor has been linked since: nothing was changed.")
        case .done(let suggestion):
            switch decision {
            case .link:
                return try await page(req, status: .ok, notice: "\(suggestion.supplierName) is now linked to the Procore vendor \(suggestion.vendorName).")
            case .keepApart:
                // The vendor becomes its own supplier on the next read, queued now.
                try await Outbox.enqueue(.companyWide(.syncReferenceData, of: row, now: now), on: req.db)
                return try await page(req, status: .ok, notice: "Kept apart: \(suggestion.vendorName) will be added as its own supplier in a moment.")
            }
        }
    }
}

enum SupplierMappingView {
    static func page(viewer: Viewer, row: ProcoreCompanyLink, suggestions: [SupplierMappings.Suggestion], notice: String?) -> HTML {
        Layout.page(title: "Supplier mapping: \(row.name)", viewer: viewer, section: .administration) {
            if let notice { el("p", .class("notice"), .role("status")) { notice } }
            el("p") {
                "Procore vendors whose names are close to a Lentune supplier's but not the same. They are not merged or "
                "added until you decide: Link makes them one supplier; Keep apart adds the vendor as its own supplier."
            }
            if suggestions.isEmpty {
                Layout.emptyState("No names to decide.")
            } else {
                Layout.table(
                    id: "supplier-mapping", headers: ["Procore vendor", "Lentune supplier", "Decide"],
                    rows: suggestions.map { suggestion in
                        [.text(suggestion.vendorName), .text(suggestion.supplierName), decideForm(row: row, suggestion: suggestion, csrf: viewer.csrfToken)]
                    })
            }
            el("p") { el("a", .href(SiteURL.referenceData(row.id.rawValue).path)) { "Back to Reference data" } }
        }
    }

    static func decideForm(row: ProcoreCompanyLink, suggestion: SupplierMappings.Suggestion, csrf: String) -> HTML {
        el("form", .method("post"), .action(SiteURL.supplierMapping(row.id.rawValue).path), .class("inline")) {
            Layout.csrfField(csrf)
            el("input", .type("hidden"), .name("suggestion"), .value(suggestion.id.lowercasedText))
            el("button", .type("submit"), .name("decision"), .value(SupplierMappings.Decision.link.rawValue),
               .aria("label", "Link \(suggestion.vendorName) to \(suggestion.supplierName)")) { "Link" }
            el("button", .type("submit"), .name("decision"), .value(SupplierMappings.Decision.keepApart.rawValue),
               .aria("label", "Keep \(suggestion.vendorName) apart from \(suggestion.supplierName)")) { "Keep apart" }
        }
    }
}
