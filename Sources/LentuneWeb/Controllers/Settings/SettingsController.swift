import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import Vapor

/// Administration › Settings: the General, Integrations and Procore tabs, the Procore connection settings and the
/// Procore company list. Administrators only (the route group checks the role).
enum SettingsController {
    @Sendable static func general(req: Request) async throws -> Response {
        SettingsView.general(viewer: try req.requireViewer()).response()
    }

    @Sendable static func integrations(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let connection = try await ProcoreSettings.connection(for: viewer.organisationID, on: req.db)
        return SettingsView.integrations(viewer: viewer, connection: connection).response()
    }

    @Sendable static func procore(req: Request) async throws -> Response {
        try await procorePage(req, status: .ok)
    }

    static func procorePage(
        _ req: Request, status: HTTPResponseStatus, notice: String? = nil, connectionErrors: [String: String] = [:],
        rowErrors: [UUID: [String: String]] = [:], submitted: [UUID: CompanyRowInput] = [:], confirmation: SettingsView.Confirmation? = nil,
        test: Result<ProcoreConnector.TestResult, ProcoreConnector.Failure>? = nil
    ) async throws -> Response {
        let viewer = try req.requireViewer()
        let services = req.application.lentune
        let connection = try await ProcoreSettings.connection(for: viewer.organisationID, on: req.db)
        let rows = try await ProcoreSettings.rows(for: viewer.organisationID, on: req.db)
        let webhookSecret = connection.flatMap { try? services.secrets.open($0.sealedWebhookSecret) }
        var imports: [UUID: String] = [:]
        for row in rows where row.link.isLinked && row.link.purchaseOrderSource == .procore {
            imports[row.link.id.rawValue] = try await importProgress(row.link, on: req.db)
        }
        var model = SettingsView.ProcoreModel(
            viewer: viewer, connection: connection, redirectURI: services.oauthRedirectURI.absoluteString,
            webhookURL: connection.map { services.webhookURL(connection: $0.id) }, webhookSecret: webhookSecret, rows: rows,
            notice: notice ?? savedNotice(req.query[String.self, at: "saved"]), connectionErrors: connectionErrors,
            rowErrors: rowErrors, submitted: submitted, confirmation: confirmation, test: test)
        model.imports = imports
        model.noticeIsError = status.code >= 400
        return SettingsView.procore(model).response(status: status)
    }

    /// What a save says (issue 29: "Saved." after wrong credentials read as if they worked).
    static func savedNotice(_ what: String?) -> String? {
        switch what {
        case nil: nil
        case "connection": "Connection settings saved. They have not been tried with Procore yet: Test connection does that."
        default: "The Procore company list is saved."
        }
    }

    /// A company on Procore purchase order: how its import of commitments stands ("importing: 120 read so far").
    static func importProgress(_ row: ProcoreCompanyLink, on db: any Database) async throws -> String {
        let read = try await PurchaseOrders.countFromProcore(companyLink: row.id, in: row.organisationID, on: db)
        guard let job = try await Outbox.jobs(in: row.organisationID, filter: .init(companyLink: row.id, kind: .importPurchaseOrders, limit: 1), on: db).first
        else { return "Purchase orders: \(read) read from Procore." }
        switch job.state {
        case .pending, .running: return "Purchase orders: importing from Procore, \(read) read so far."
        case .done: return "Purchase orders: \(read) read from Procore (import finished \(IntegrationLogView.stamp(job.finishedAt ?? job.createdAt)) UTC)."
        case .failed: return "Purchase orders: import stopped after \(read): \(job.lastError ?? "see the Integration log")."
        case .cancelled: return "Purchase orders: \(read) read from Procore (import cancelled)."
        case .held: return "Purchase orders: \(read) read from Procore (import waiting: \(job.lastError ?? "see the Integration log"))."
        }
    }

    // MARK: - Connection settings

    struct ConnectionForm: Content {
        var environment: String?
        var auth_base_url: String?
        var api_base_url: String?
        var client_id: String?
        var client_secret: String?
        var grant_type: String?
        var company_id: String?
    }

    @Sendable static func saveConnection(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let form = (try? req.content.decode(ConnectionForm.self)) ?? ConnectionForm()
        let existing = try await ProcoreSettings.connection(for: viewer.organisationID, on: req.db)
        let services = req.application.lentune
        switch ConnectionValidation.validate(
            form, hasSecret: existing?.sealedClientSecret != nil, redirectURI: services.oauthRedirectURI, allowLoopback: services.config.allowLoopbackProcore)
        {
        case .failure(let errors):
            return try await procorePage(req, status: .unprocessableEntity, connectionErrors: errors.messages)
        case .success(let input):
            let saved = try await ProcoreSettings.saveConnection(
                input, organisation: viewer.organisationID, actor: viewer.user, secrets: req.application.lentune.secrets,
                now: req.application.lentune.now(), on: req.db)
            await req.application.lentune.sessions.invalidate(connection: saved.id)
            req.application.lentune.webhookConnections.forget(saved.id)
            return req.redirect(to: SiteURL.settingsProcore.path + "?saved=connection", redirectType: .normal)
        }
    }

    @Sendable static func testConnection(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        guard let connection = try await ProcoreSettings.connection(for: viewer.organisationID, on: req.db) else {
            return try await procorePage(req, status: .unprocessableEntity, connectionErrors: ["client_id": "Save the connection settings first."])
        }
        let result = await req.application.lentune.sessions.test(connection, on: req.db)
        return try await procorePage(req, status: .ok, test: result)
    }

    @Sendable static func connect(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        guard let connection = try await ProcoreSettings.connection(for: viewer.organisationID, on: req.db),
            connection.grantType == ProcoreGrantType.authorizationCode.rawValue
        else {
            return try await procorePage(req, status: .unprocessableEntity, connectionErrors: [
                "grant_type": "Connect to Procore is for the authorization code grant: choose it and save first.",
            ])
        }
        let state = Tokens.random()
        let url = try await req.application.lentune.connector.authorizationURL(for: connection, state: state, on: req.db)
        return req.redirect(to: url.absoluteString, redirectType: .normal)
    }

    @Sendable static func callback(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        guard let connection = try await ProcoreSettings.connection(for: viewer.organisationID, on: req.db) else { throw Abort(.notFound) }
        if let error = req.query[String.self, at: "error"] {
            return try await procorePage(req, status: .ok, test: .failure(.procore(.unauthorized("Procore said: \(error)"))))
        }
        guard let code = req.query[String.self, at: "code"], let state = req.query[String.self, at: "state"] else {
            throw Abort(.badRequest, reason: "The answer from Procore has no code.")
        }
        do throws(ProcoreConnector.Failure) {
            try await req.application.lentune.connector.completeAuthorization(connection, code: code, state: state, on: req.db)
        } catch {
            return try await procorePage(req, status: .ok, test: .failure(error))
        }
        let fresh = try await ProcoreSettings.connection(for: viewer.organisationID, on: req.db)!
        // The shared session was made before Procore issued the tokens: start it again from the stored ones.
        await req.application.lentune.sessions.invalidate(connection: fresh.id)
        let result = await req.application.lentune.sessions.test(fresh, on: req.db)
        return try await procorePage(req, status: .ok, test: result)
    }

    /// **Re-register**: queues the company's hook registration again (it finds and repairs what exists).
    @Sendable static func reregister(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        guard let row = try await ProcoreSettings.row(.init(try req.idParameter()), in: viewer.organisationID, on: req.db) else {
            throw Abort(.notFound)
        }
        guard row.link.isLinked else {
            return try await procorePage(req, status: .conflict, notice: "Link \(row.link.name) first: only linked companies get webhooks.")
        }
        let now = req.application.lentune.now()
        try await Outbox.enqueue(.companyWide(.registerHooks, of: row.link, now: now), on: req.db)
        return try await procorePage(req, status: .ok, notice: "Webhooks of \(row.link.name) will be registered again in a moment (see the Integration log).")
    }

    @Sendable static func refreshCompanies(req: Request) async throws -> Response {
        try await testConnection(req: req)
    }
}

/// Reads and checks the connection form.
enum ConnectionValidation {
    static func validate(_ form: SettingsController.ConnectionForm, hasSecret: Bool, redirectURI: URL, allowLoopback: Bool)
        -> Result<ProcoreSettings.ConnectionInput, FieldErrors>
    {
        var errors: [String: String] = [:]
        let clientID = (form.client_id ?? "").trimmingCharacters(in: .whitespaces)
        if clientID.isEmpty || clientID.count > 200 { errors["client_id"] = "Enter the client id from the Procore Developer Portal." }
        let secret = (form.client_secret ?? "").trimmingCharacters(in: .whitespaces)
        if secret.isEmpty && !hasSecret { errors["client_secret"] = "Enter the client secret." }
        if secret.count > 500 { errors["client_secret"] = "The client secret is too long." }
        var environment = ProcoreEnvironment.production
        switch form.environment ?? "production" {
        case "production": environment = .production
        case "developer_sandbox": environment = .developerSandbox
        case "custom":
            var checked: [URL] = []
            for (field, label, raw, example) in [("auth_base_url", "The auth base URL", form.auth_base_url, "https://login.procore.com"),
                                                 ("api_base_url", "The API base URL", form.api_base_url, "https://api.procore.com")] {
                switch url(raw, allowLoopback: allowLoopback) {
                case .valid(let url): checked.append(url)
                case .refused(let refusal): errors[field] = "\(label) is not allowed: \(refusal.reason)."
                case .missing: errors[field] = "Enter \(label.prefix(1).lowercased() + label.dropFirst()), e.g. \(example)."
                }
            }
            if checked.count == 2 { environment = .custom(authBaseURL: checked[0], apiBaseURL: checked[1]) }
        default: errors["environment"] = "Choose Production, Procore developer sandbox or Custom."
        }
        let grant = ProcoreGrantType(rawValue: form.grant_type ?? "client_credentials")
        if grant == nil { errors["grant_type"] = "Choose client credentials or authorization code." }
        var company: Int64?
        if let raw = form.company_id?.trimmingCharacters(in: .whitespaces), !raw.isEmpty {
            if let value = Int64(raw), value > 0 { company = value } else { errors["company_id"] = "The company id is a number, as in Procore's URLs." }
        }
        // Optional: Show User Info and List Companies need no company, so Test connection lists every company the
        // account can see either way.
        for (field, label, text) in [("client_id", "The client id", form.client_id ?? ""), ("client_secret", "The client secret", form.client_secret ?? ""),
                                     ("auth_base_url", "The auth base URL", form.auth_base_url ?? ""), ("api_base_url", "The API base URL", form.api_base_url ?? "")]
        where InputRules.hasForbiddenControlCharacter(text) {
            errors[field] = InputRules.controlCharacterMessage(label)
        }
        guard errors.isEmpty, let grant else { return .failure(FieldErrors(errors)) }
        return .success(ProcoreSettings.ConnectionInput(
            environment: environment, clientID: clientID, clientSecret: secret.isEmpty ? nil : secret, grantType: grant,
            redirectURI: grant == .authorizationCode ? redirectURI : nil, serviceCompanyID: company))
    }

    /// A custom Procore URL as `OutboundPolicy` allows it: https to a public address; loopback (and plain http to it)
    /// only when `allowLoopback`. Fails with `nil` when it is not a URL at all, else with the policy's reason.
    static func url(_ raw: String?, allowLoopback: Bool) -> CustomURL {
        guard let raw = raw?.trimmingCharacters(in: .whitespaces), !raw.isEmpty, let url = URL(string: raw), url.host?.isEmpty == false,
            url.scheme != nil
        else { return .missing }
        if let refusal = OutboundPolicy.check(url: url, allowLoopback: allowLoopback) { return .refused(refusal) }
        return .valid(url)
    }

    enum CustomURL {
        case valid(URL)
        case missing
        case refused(OutboundPolicy.Refusal)
    }
}
