import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync

extension SettingsView {
    struct Confirmation {
        struct Item {
            var company: String
            var lines: [String]
        }

        var items: [Item]
    }

    struct ProcoreModel {
        var viewer: Viewer
        var connection: StoredConnection?
        var redirectURI: String
        var webhookURL: String?
        var webhookSecret: String?
        var rows: [ProcoreSettings.Row]
        var notice: String?
        /// The notice says something was refused (the page answers 4xx), not that something was done.
        var noticeIsError = false
        var connectionErrors: [String: String]
        var rowErrors: [UUID: [String: String]]
        var submitted: [UUID: CompanyRowInput]
        var confirmation: Confirmation?
        var test: Result<ProcoreConnector.TestResult, ProcoreConnector.Failure>?
        /// Companies on Procore purchase order: their import's progress.
        var imports: [UUID: String] = [:]
    }

    static func procore(_ model: ProcoreModel) -> HTML {
        page("Procore", viewer: model.viewer, tab: .procore) {
            Layout.flash(model.notice, kind: model.noticeIsError ? "error" : "notice")
            rowErrorSummary(model)
            if let confirmation = model.confirmation { confirm(confirmation, model: model) }
            connectionSettings(model)
            companyList(model)
        }
    }

    /// A refused company list, said at the top where the page opens (issue 29: the refusal sat on its row, out of
    /// view below the connection settings): each company's problems, linked to its row.
    static func rowErrorSummary(_ model: ProcoreModel) -> HTML {
        let refused = model.rows.filter { !(model.rowErrors[$0.link.id.rawValue] ?? [:]).isEmpty }
        guard !refused.isEmpty else { return .fragment([]) }
        return el("div", .class("flash error"), .role("alert"), .id("company-errors")) {
            el("p") { "The Procore company list was not saved:" }
            el("ul") {
                for row in refused {
                    el("li") {
                        el("a", .href("#company-\(row.link.procoreCompanyID)")) { row.link.name }
                        ": " + (model.rowErrors[row.link.id.rawValue] ?? [:]).sorted { $0.key < $1.key }.map(\.value).joined(separator: " ")
                    }
                }
            }
        }
    }

    // MARK: - Connection settings

    static func connectionSettings(_ model: ProcoreModel) -> HTML {
        let connection = model.connection?.domain
        let errors = model.connectionErrors
        let environment = connection?.environment.kind ?? "production"
        var authURL = ""
        var apiURL = ""
        if case .custom(let auth, let api)? = connection?.environment {
            authURL = auth.absoluteString
            apiURL = api.absoluteString
        }
        return el("section", .id("connection-settings")) {
            el("h2") { "Connection settings" }
            el("p", .id("connection-status"), .class("status")) {
                if connection?.status == .connected {
                    "Connected" + (model.connection?.connectedAs.map { " as \($0)" } ?? "")
                } else {
                    "Not connected" + (model.connection?.lastError.map { ": \($0)" } ?? "")
                }
            }
            testResult(model.test)
            el("form", .method("post"), .action(SiteURL.procoreConnection.path), .class("stack"), .id("connection-form")) {
                Layout.csrfField(model.viewer.csrfToken)
                el("label", .for("environment")) { "Environment" }
                el("select", .id("environment"), .name("environment")) {
                    for (value, label) in [("production", "Production"), ("developer_sandbox", "Procore developer sandbox"), ("custom", "Custom")] {
                        el("option", .value(value), .selected(environment == value)) { label }
                    }
                }
                fieldError(errors["environment"])
                el("label", .for("auth_base_url")) { "Auth base URL (Custom)" }
                el("input", .id("auth_base_url"), .name("auth_base_url"), .type("url"), .value(authURL), .init("placeholder", "https://login.procore.com"))
                fieldError(errors["auth_base_url"])
                el("label", .for("api_base_url")) { "API base URL (Custom)" }
                el("input", .id("api_base_url"), .name("api_base_url"), .type("url"), .value(apiURL), .init("placeholder", "https://api.procore.com"))
                fieldError(errors["api_base_url"])
                el("label", .for("client_id")) { "Client id" }
                el("input", .id("client_id"), .name("client_id"), .value(connection?.clientID ?? ""), .autocomplete("off"), .required)
                fieldError(errors["client_id"])
                el("label", .for("client_secret")) { "Client secret" }
                el("input", .id("client_secret"), .name("client_secret"), .type("password"), .autocomplete("new-password"),
                   .init("placeholder", connection?.hasClientSecret == true ? "saved — leave empty to keep it" : ""))
                fieldError(errors["client_secret"])
                el("label", .for("grant_type")) { "Grant type" }
                el("select", .id("grant_type"), .name("grant_type")) {
                    for grant in ProcoreGrantType.allCases {
                        el("option", .value(grant.rawValue), .selected((connection?.grantType ?? .clientCredentials) == grant)) {
                            grant == .clientCredentials ? "Client credentials (service account)" : "Authorization code (a Procore user)"
                        }
                    }
                }
                fieldError(errors["grant_type"])
                el("label", .for("company_id")) { "Procore company id (optional)" }
                el("input", .id("company_id"), .name("company_id"), .init("inputmode", "numeric"),
                   .value(model.connection?.serviceCompanyID.map(String.init) ?? ""))
                fieldError(errors["company_id"])
                el("p", .class("hint")) { "Leave the company id empty to list every company the account can see." }
                el("p", .class("hint")) { "Redirect URI for the authorization code grant: " ; el("code", .id("redirect-uri")) { model.redirectURI } }
                el("button", .type("submit"), .id("save-connection")) { "Save connection" }
            }
            el("div", .class("actions")) {
                el("form", .method("post"), .action(SiteURL.procoreTest.path), .class("inline")) {
                    Layout.csrfField(model.viewer.csrfToken)
                    el("button", .type("submit"), .id("test-connection"), .disabled(model.connection == nil)) { "Test connection" }
                }
                if connection?.grantType == .authorizationCode {
                    el("form", .method("post"), .action(SiteURL.procoreConnect.path), .class("inline")) {
                        Layout.csrfField(model.viewer.csrfToken)
                        el("button", .type("submit"), .id("connect-to-procore")) { "Connect to Procore" }
                    }
                }
            }
            if let url = model.webhookURL {
                el("div", .id("webhook"), .class("copy")) {
                    el("h3") { "Webhooks" }
                    el("p") { "Procore sends events to this address with this Authorization header:" }
                    el("label", .for("webhook-url")) { "Webhook URL" }
                    el("input", .id("webhook-url"), .value(url), .init("readonly", nil))
                    el("label", .for("webhook-secret")) { "Authorization" }
                    el("input", .id("webhook-secret"), .value("Bearer " + (model.webhookSecret ?? "")), .init("readonly", nil))
                }
            }
        }
    }

    static func testResult(_ test: Result<ProcoreConnector.TestResult, ProcoreConnector.Failure>?) -> HTML {
        switch test {
        case nil: .fragment([])
        case .failure(let failure)?:
            el("div", .class("flash error"), .id("test-result"), .role("alert")) { "Procore refused the connection: \(failure.description)" }
        case .success(let result)?:
            el("div", .class("flash notice"), .id("test-result"), .role("status")) {
                el("p") { "Connected to Procore as \(result.user)." }
                el("p") { "Companies this connection can see: " + result.companies.map { "\($0.name) (#\($0.id))" }.joined(separator: ", ") }
            }
        }
    }

    static func fieldError(_ message: String?) -> HTML {
        guard let message else { return .fragment([]) }
        return el("p", .class("field-error"), .role("alert")) { message }
    }

    // MARK: - Procore company list

    static func companyList(_ model: ProcoreModel) -> HTML {
        el("section", .id("procore-company-list")) {
            el("h2") { "Procore company list" }
            if model.rows.isEmpty {
                Layout.emptyState("No Procore companies yet. Save the connection settings and use Test connection to load the companies this connection can see.")
            } else {
                el("form", .method("post"), .action(SiteURL.procoreCompanies.path), .id("companies-form")) {
                    Layout.csrfField(model.viewer.csrfToken)
                    Layout.scroll {
                        el("table", .id("companies")) {
                            el("thead") {
                                el("tr") {
                                    for label in ["Procore company", "Linked", "Procore purchase order", "Lentune purchase order", "Project stages to import", "Rounding tolerance for invoice amount", "Webhooks"] {
                                        el("th", .init("scope", "col")) { label }
                                    }
                                }
                            }
                            el("tbody") { for row in model.rows { companyRow(row, model: model, stages: ProcoreStages.offered(for: row.link)) } }
                        }
                    }
                    el("button", .type("submit"), .id("save-companies")) { "Save" }
                }
            }
            el("form", .method("post"), .action(SiteURL.procoreRefresh.path), .class("inline")) {
                Layout.csrfField(model.viewer.csrfToken)
                el("button", .type("submit"), .id("refresh-companies"), .class("secondary"), .disabled(model.connection == nil)) { "Refresh from Procore" }
            }
        }
    }

    static func companyRow(_ row: ProcoreSettings.Row, model: ProcoreModel, stages: [String]) -> HTML {
        let id = row.link.id.rawValue
        let key = "rows[\(id.uuidString.lowercased())]"
        let input = model.submitted[id]
        let errors = model.rowErrors[id] ?? [:]
        let linked = input?.linked ?? row.link.isLinked
        let lentune = input?.lentunePurchaseOrder ?? row.link.purchaseOrderSource.lentuneTicked
        let procore = input?.procorePurchaseOrder ?? row.link.purchaseOrderSource.procoreTicked
        let chosen = Set(input?.projectStages ?? row.link.projectStages)
        let tolerance = input?.roundingTolerance ?? Money.format(row.link.roundingTolerance)
        let name = row.link.name
        return .fragment([
            el("tr", .id("company-\(row.link.procoreCompanyID)"), .data("company", String(row.link.procoreCompanyID)), .class(errors.isEmpty ? "" : "invalid")) {
                el("th", .init("scope", "row")) {
                    name
                    el("span", .class("muted")) {
                        " "
                        DocumentsView.ProcoreContext(environment: model.connection?.domain.environment, rows: [])
                            .link(.company(row.link.procoreCompanyID), id: row.link.procoreCompanyID)
                    }
                    el("input", .type("hidden"), .name(key + "[version]"), .value(String(input?.version ?? row.version)))
                }
                el("td") { checkbox(key + "[linked]", label: "Linked: \(name)", checked: linked, po: nil) }
                // Disabling the other box is the script's job: without JavaScript both stay clickable, and the server
                // refuses a save with both ticked.
                el("td") { checkbox(key + "[procore_po]", label: "Procore purchase order: \(name)", checked: procore, po: "procore") }
                el("td") { checkbox(key + "[lentune_po]", label: "Lentune purchase order: \(name)", checked: lentune, po: "lentune") }
                el("td") {
                    el("fieldset", .class("stages")) {
                        el("legend", .class("visually-hidden")) { "Project stages to import for \(name)" }
                        for stage in stages {
                            el("label") {
                                el("input", .type("checkbox"), .name(key + "[stages][]"), .value(stage), .checked(chosen.contains(stage)))
                                " " + stage
                            }
                        }
                    }
                }
                el("td") {
                    el("input", .name(key + "[tolerance]"), .value(tolerance), .init("inputmode", "decimal"), .init("size", "6"),
                       .aria("label", "Rounding tolerance for invoice amount: \(name)"))
                }
                el("td", .class("hook")) {
                    hookCell(row.link)
                    if let progress = model.imports[row.link.id.rawValue] { el("p", .class("small import-progress")) { progress } }
                }
            },
            errors.isEmpty ? .fragment([]) : el("tr", .class("row-errors")) {
                el("td", .init("colspan", "7")) {
                    for message in errors.sorted(by: { $0.key < $1.key }).map(\.value) {
                        el("p", .class("field-error"), .role("alert")) { message }
                    }
                }
            },
        ])
    }

    /// Lentune's hook in the company: its state, why it fails, and **Re-register** (a button of the company form that
    /// posts to its own address, so no form is nested).
    static func hookCell(_ link: ProcoreCompanyLink) -> HTML {
        .fragment([
            el("span", .class("hook-state"), .data("hook", link.hook.title)) { link.hook.title },
            {
                if case .failing(let reason) = link.hook { return el("p", .class("field-error")) { reason } }
                if case .partlyRegistered(_, let refused) = link.hook { return el("p", .class("field-error")) { refused } }
                return .fragment([])
            }(),
            link.isLinked
                ? el("button", .type("submit"), .class("secondary small"), .init("formaction", SiteURL.procoreReregister(link.id.rawValue).path),
                     .aria("label", "Re-register webhooks: \(link.name)")) { "Re-register" }
                : .fragment([]),
            el("a", .href(SiteURL.referenceData(link.id.rawValue).path), .class("small"), .aria("label", "Reference data: \(link.name)")) {
                "Reference data"
            },
        ])
    }

    static func checkbox(_ name: String, label: String, checked: Bool, po: String?) -> HTML {
        el("input", attributes: [
            .type("checkbox"), .name(name), .checked(checked), .aria("label", label), po.map { .data("po", $0) } ?? .none,
        ])
    }

    // MARK: - Confirmation

    /// What the save will do, with the submitted values carried in hidden fields and a button to confirm.
    static func confirm(_ confirmation: Confirmation, model: ProcoreModel) -> HTML {
        el("section", .id("confirm-changes"), .class("confirm"), .role("alertdialog"), .aria("labelledby", "confirm-title")) {
            el("h2", .id("confirm-title")) { "Confirm the change of where purchase orders are created" }
            for item in confirmation.items {
                el("h3") { item.company }
                el("ul") { for line in item.lines { el("li") { line } } }
            }
            el("form", .method("post"), .action(SiteURL.procoreCompanies.path)) {
                Layout.csrfField(model.viewer.csrfToken)
                el("input", .type("hidden"), .name("confirm"), .value("1"))
                for (id, input) in model.submitted.sorted(by: { $0.key.uuidString < $1.key.uuidString }) {
                    let key = "rows[\(id.uuidString.lowercased())]"
                    if let version = input.version { hidden(key + "[version]", String(version)) }
                    if input.linked { hidden(key + "[linked]", "on") }
                    if input.lentunePurchaseOrder { hidden(key + "[lentune_po]", "on") }
                    if input.procorePurchaseOrder { hidden(key + "[procore_po]", "on") }
                    for stage in input.projectStages { hidden(key + "[stages][]", stage) }
                    hidden(key + "[tolerance]", input.roundingTolerance)
                }
                el("button", .type("submit"), .id("confirm-save")) { "Confirm and save" }
                " "
                el("a", .href(SiteURL.settingsProcore.path), .id("cancel-save")) { "Cancel" }
            }
        }
    }

    static func hidden(_ name: String, _ value: String) -> HTML {
        el("input", .type("hidden"), .name(name), .value(value))
    }
}
