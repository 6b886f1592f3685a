import Foundation
import LentuneCore
import LentunePersistence
import Vapor

/// A company row's **Tax mapping** page: each Lentune tax code → one of the company's Procore tax codes, and a default
/// for lines without a tax code. A line whose tax code is not mapped is not sent to Procore; its document shows why.
enum TaxMappingController {
    /// `map[<tax code id>]` = a Procore tax code id, or empty for "not mapped"; `default` likewise.
    struct Form: Content {
        var map: [String: String]?
        var `default`: String?
    }

    @Sendable static func show(req: Request) async throws -> Response {
        try await page(req, status: .ok)
    }

    static func page(_ req: Request, status: HTTPResponseStatus, notice: String? = nil, problems: [String] = []) async throws -> Response {
        let (viewer, row) = try await req.companyRow()
        let mapping = try await TaxMappings.mapping(of: row, on: req.db)
        let taxCodes = try await ReferenceData.taxCodes(in: viewer.organisationID, on: req.db)
        return TaxMappingView.page(viewer: viewer, row: row, taxCodes: taxCodes, mapping: mapping, notice: notice, problems: problems)
            .response(status: status)
    }

    @Sendable static func save(req: Request) async throws -> Response {
        let (viewer, row) = try await req.companyRow()
        guard let form = try? req.content.decode(Form.self) else {
            return try await page(req, status: .badRequest, problems: ["The form could not be read: nothing was changed."])
        }
        var problems: [String] = []
        /// Empty → not mapped; a positive whole number → that Procore tax code; anything else is refused.
        func procoreID(_ raw: String?, field: String) -> ProcoreID? {
            guard let raw, !raw.isEmpty else { return nil }
            guard let id = Int64(raw), id > 0 else {
                problems.append("\(field): “\(raw.prefix(40))” is not a Procore tax code.")
                return nil
            }
            return id
        }
        var mappings: [TaxCode.ID: ProcoreID] = [:]
        for (key, value) in form.map ?? [:] {
            guard let taxCode = TaxCode.ID(string: key) else {
                problems.append("A tax code in the form is not one of this organisation's.")
                continue
            }
            if let id = procoreID(value, field: "Tax code") { mappings[taxCode] = id }
        }
        let defaultID = procoreID(form.default, field: "Default")
        guard problems.isEmpty else { return try await page(req, status: .badRequest, problems: problems) }
        switch try await TaxMappings.save(mappings, default: defaultID, row: row, actor: viewer.user, now: req.application.lentune.now(), on: req.db) {
        case .refused(let problems):
            return try await page(req, status: .unprocessableEntity, problems: problems)
        case .saved(let changes):
            return try await page(req, status: .ok, notice: changes == 0 ? "Nothing changed." : "Tax mapping of \(row.name) saved.")
        }
    }
}

enum TaxMappingView {
    static func page(
        viewer: Viewer, row: ProcoreCompanyLink, taxCodes: [TaxCode], mapping: TaxMapping, notice: String?, problems: [String]
    ) -> HTML {
        Layout.page(title: "Tax mapping: \(row.name)", viewer: viewer, section: .administration) {
            if let notice { el("p", .class("notice"), .role("status")) { notice } }
            if !problems.isEmpty {
                el("div", .class("flash error"), .role("alert")) {
                    el("ul") { for problem in problems { el("li") { problem } } }
                }
            }
            el("p") {
                "Which Procore tax code each Lentune tax code is sent as for \(row.name). A purchase order or invoice line "
                "with a tax code that is not mapped is not sent to Procore: it shows this reason until you map the code. "
                "The default applies only to lines without a tax code."
            }
            let active = mapping.procoreCodes.values.filter { !$0.archived }.sorted { ($0.code, $0.procoreID) < ($1.code, $1.procoreID) }
            if mapping.procoreCodes.isEmpty {
                el("p", .id("no-procore-tax-codes")) {
                    "No Procore tax codes have been read for this company yet: use Sync now on its "
                    el("a", .href(SiteURL.referenceData(row.id.rawValue).path)) { "Reference data" }
                    " page."
                }
            }
            el("form", .method("post"), .action(SiteURL.taxMapping(row.id.rawValue).path), .id("tax-mapping")) {
                Layout.csrfField(viewer.csrfToken)
                Layout.table(
                    id: "tax-mapping-table", headers: ["Lentune tax code", "Rate", "Procore tax code"],
                    rows: taxCodes.map { code in
                        [.text("\(code.code) – \(code.name)"), .text(Money.format(code.rate * 100, scale: 2) + "%"),
                         choice(name: "map[\(code.id.rawValue.lowercasedText)]", label: "Procore tax code for \(code.code)",
                                selected: mapping.mappings[code.id], codes: active, stale: mapping.mappings[code.id].flatMap { mapping.procoreCodes[$0] })]
                    })
                el("p") {
                    el("label", .for("default-tax-code")) { "Default for lines without a tax code " }
                    choice(name: "default", label: "Default Procore tax code", selected: mapping.defaultProcoreTaxCodeID, codes: active,
                           stale: mapping.defaultProcoreTaxCodeID.flatMap { mapping.procoreCodes[$0] }, id: "default-tax-code")
                }
                el("button", .type("submit"), .id("save-tax-mapping")) { "Save" }
            }
            el("p") { el("a", .href(SiteURL.referenceData(row.id.rawValue).path)) { "Back to Reference data" } }
        }
    }

    /// A select of the active Procore codes; a mapping to a code archived since is shown (so saving keeps it visible
    /// as a problem rather than silently unmapping it).
    static func choice(name: String, label: String, selected: ProcoreID?, codes: [ProcoreTaxCode], stale: ProcoreTaxCode?, id: String? = nil) -> HTML {
        el("select", .name(name), .aria("label", label), id.map { .id($0) } ?? .none) {
            el("option", .value(""), .selected(selected == nil)) { "Not mapped" }
            if let stale, stale.archived {
                el("option", .value(String(stale.procoreID)), .selected(true)) { "\(stale.label) — archived in Procore" }
            }
            for code in codes {
                el("option", .value(String(code.procoreID)), .selected(code.procoreID == selected)) { code.label }
            }
        }
    }
}
