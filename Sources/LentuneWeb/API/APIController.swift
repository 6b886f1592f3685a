import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import Vapor

/// The JSON API under `/api/v1`: bearer tokens only (cookies are ignored there, so CSRF cannot apply), problem
/// documents for every error, the same validation as the pages. Documented in `GET /api/v1/openapi.json`.
enum APIController {
    static func register(_ app: Application) {
        app.get(SiteURL.components(.apiOpenAPI)) { _ async throws -> Response in
            var headers = HTTPHeaders()
            headers.replaceOrAdd(name: .contentType, value: "application/json")
            return Response(status: .ok, headers: headers, body: .init(string: OpenAPI.document))
        }
        let api = app.grouped(APITokenAuthenticator())
        PurchaseOrderAPI.register(api)
        InvoiceAPI.register(api)
        ReferenceAPI.register(api)
        let administrators = api.grouped(RequireRole(allowed: \.mayAdminister))
        administrators.get(SiteURL.components(.apiProcoreConnection), use: connection)
        administrators.put(SiteURL.components(.apiProcoreConnection), use: saveConnection)
        administrators.post(SiteURL.components(.apiProcoreConnectionTest), use: testConnection)
        administrators.get(SiteURL.components(.apiProcoreCompanies), use: companies)
        administrators.get(SiteURL.components(.apiProcoreCompany(UUID())), use: company)
        administrators.put(SiteURL.components(.apiProcoreCompany(UUID())), use: updateCompany)
        SyncAPI.register(administrators)
    }

    // MARK: - DTOs (never records)

    struct ConnectionDTO: Content {
        var id: UUID
        var environment: String
        var auth_base_url: String
        var api_base_url: String
        var client_id: String
        var has_client_secret: Bool
        var grant_type: String
        var company_id: Int64?
        var status: String
        var connected_as: String?
        var last_error: String?
    }

    struct CompanyDTO: Content {
        var id: UUID
        var procore_company_id: Int64
        var name: String
        var linked: Bool
        var procore_purchase_order: Bool
        var lentune_purchase_order: Bool
        var purchase_order_source: String
        var project_stages: [String]
        var rounding_tolerance: String
        var version: Int

        init(_ row: ProcoreSettings.Row) {
            id = row.link.id.rawValue
            procore_company_id = row.link.procoreCompanyID
            name = row.link.name
            linked = row.link.isLinked
            procore_purchase_order = row.link.purchaseOrderSource.procoreTicked
            lentune_purchase_order = row.link.purchaseOrderSource.lentuneTicked
            purchase_order_source = row.link.purchaseOrderSource.rawValue
            project_stages = row.link.projectStages
            rounding_tolerance = Money.format(row.link.roundingTolerance)
            version = row.version
        }
    }

    struct CompanyUpdate: Content {
        var linked: Bool?
        var procore_purchase_order: Bool?
        var lentune_purchase_order: Bool?
        var project_stages: [String]?
        var rounding_tolerance: String?
        var version: Int?
    }

    // MARK: - Handlers

    @Sendable static func connection(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        guard let record = try await ProcoreSettings.connection(for: viewer.organisationID, on: req.db) else {
            throw Abort(.notFound, reason: "No Procore connection is configured.")
        }
        let domain = record.domain
        return try json(ConnectionDTO(
            id: record.id, environment: domain.environment.kind, auth_base_url: domain.environment.authBaseURL.absoluteString,
            api_base_url: domain.environment.apiBaseURL.absoluteString, client_id: domain.clientID,
            has_client_secret: domain.hasClientSecret, grant_type: domain.grantType.rawValue, company_id: record.serviceCompanyID,
            status: domain.status.rawValue, connected_as: record.connectedAs, last_error: record.lastError))
    }

    struct ConnectionWrite: Content {
        var environment: String?
        var auth_base_url: String?
        var api_base_url: String?
        var client_id: String?
        /// Write-only: never answered back; left out, the stored secret is kept.
        var client_secret: String?
        var grant_type: String?
        var company_id: Int64?
    }

    /// PUT: creates or replaces the organisation's connection (the same checks as the page). Answers the connection.
    @Sendable static func saveConnection(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let body: ConnectionWrite
        switch APIBody.decode(ConnectionWrite.self, from: req, what: "a JSON Procore connection") {
        case .success(let decoded): body = decoded
        case .failure(let problem): return problem
        }
        if let company = body.company_id, company <= 0 {
            return problem(.unprocessableEntity, "The connection is not valid.", errors: ["company_id": "must be a Procore company id (a positive number)"])
        }
        let form = SettingsController.ConnectionForm(
            environment: body.environment, auth_base_url: body.auth_base_url, api_base_url: body.api_base_url, client_id: body.client_id,
            client_secret: body.client_secret, grant_type: body.grant_type, company_id: body.company_id.map(String.init))
        let existing = try await ProcoreSettings.connection(for: viewer.organisationID, on: req.db)
        let services = req.application.lentune
        switch ConnectionValidation.validate(
            form, hasSecret: existing?.sealedClientSecret != nil, redirectURI: services.oauthRedirectURI, allowLoopback: services.config.allowLoopbackProcore)
        {
        case .failure(let errors):
            return problem(.unprocessableEntity, "The connection is not valid.", errors: errors.messages)
        case .success(let input):
            let saved = try await ProcoreSettings.saveConnection(
                input, organisation: viewer.organisationID, actor: viewer.user, secrets: services.secrets, now: services.now(), on: req.db)
            await services.sessions.invalidate(connection: saved.id)
            services.webhookConnections.forget(saved.id)
            return try await connection(req: req)
        }
    }

    /// POST …/test: signs in to Procore, loads the Procore company list, answers the companies it could see.
    @Sendable static func testConnection(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        guard let connection = try await ProcoreSettings.connection(for: viewer.organisationID, on: req.db) else {
            throw Abort(.notFound, reason: "No Procore connection is configured: PUT /api/v1/procore/connection first.")
        }
        struct Tested: Encodable {
            var connected: Bool
            var connected_as: String?
            var error: String?
            var companies: [CompanyDTO]
        }
        let result = await req.application.lentune.sessions.test(connection, on: req.db)
        let rows = try await ProcoreSettings.rows(for: viewer.organisationID, on: req.db)
        switch result {
        case .success(let outcome):
            let seen = Set(outcome.companies.map(\.id))
            return try json(Tested(connected: true, connected_as: outcome.user, error: nil,
                                   companies: rows.filter { seen.contains($0.link.procoreCompanyID) }.map(CompanyDTO.init)))
        case .failure(let failure):
            // The test ran; its outcome is the answer (Procore's refusal is not Lentune's error).
            return try json(Tested(connected: false, connected_as: nil, error: failure.description, companies: []))
        }
    }

    @Sendable static func companies(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let rows = try await ProcoreSettings.rows(for: viewer.organisationID, on: req.db)
        return try json(["data": rows.map(CompanyDTO.init)])
    }

    @Sendable static func company(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        guard let row = try await ProcoreSettings.row(.init(try req.idParameter()), in: viewer.organisationID, on: req.db) else {
            throw Abort(.notFound)
        }
        return try json(CompanyDTO(row))
    }

    /// PUT replaces the row's settings. `version` must be the one last read (optimistic concurrency: 409 if someone
    /// saved since). Both purchase-order booleans true is refused with 422, naming the setting.
    @Sendable static func updateCompany(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        guard let row = try await ProcoreSettings.row(.init(try req.idParameter()), in: viewer.organisationID, on: req.db) else {
            throw Abort(.notFound)
        }
        let update: CompanyUpdate
        switch APIBody.decode(CompanyUpdate.self, from: req, what: "a JSON object with the company's settings") {
        case .success(let decoded): update = decoded
        case .failure(let problem): return problem
        }
        var missing: [String: String] = [:]
        if update.version == nil { missing["version"] = "Send the version you last read, to avoid overwriting someone else's change." }
        for (key, present) in [
            ("linked", update.linked != nil), ("procore_purchase_order", update.procore_purchase_order != nil),
            ("lentune_purchase_order", update.lentune_purchase_order != nil), ("project_stages", update.project_stages != nil),
            ("rounding_tolerance", update.rounding_tolerance != nil),
        ] where !present {
            missing[key] = "is required"
        }
        guard missing.isEmpty else { return problem(.unprocessableEntity, "Some settings are missing.", errors: missing) }
        let input = CompanyRowInput(
            linked: update.linked!, lentunePurchaseOrder: update.lentune_purchase_order!,
            procorePurchaseOrder: update.procore_purchase_order!, projectStages: update.project_stages!,
            roundingTolerance: update.rounding_tolerance!, version: update.version)
        switch input.validate(applyingTo: row.link) {
        case .failure(let errors):
            return problem(.unprocessableEntity, errors.messages["purchase_order_source"] ?? "The settings are not valid.", errors: errors.messages)
        case .success(let link):
            if link == row.link {
                guard update.version == row.version else {
                    return problem(.conflict, "This company was changed by someone else since you read it (version \(row.version) now).")
                }
                return try json(CompanyDTO(row))
            }
            do {
                let saved = try await ProcoreSettings.save(
                    link, expectedVersion: update.version!, actor: viewer.user, now: req.application.lentune.now(), on: req.db)
                await req.application.lentune.listReferences.forget(viewer.organisationID)
                return try json(CompanyDTO(saved))
            } catch ProcoreSettings.SaveError.staleVersion(let current) {
                return problem(.conflict, "This company was changed by someone else since you read it (version \(current) now). Read it again and repeat your change.")
            }
        }
    }

    // MARK: - Helpers

    static func json<T: Encodable>(_ value: T, status: HTTPResponseStatus = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: "application/json; charset=utf-8")
        return Response(status: status, headers: headers, body: .init(data: try encoder.encode(value)))
    }

    static func problem(_ status: HTTPResponseStatus, _ detail: String, errors: [String: String]? = nil) -> Response {
        Problem.about(status, detail, errors: errors).response()
    }
}

/// `Authorization: Bearer <token>` for the JSON API. Tokens are made with `lentune user token`.
struct APITokenAuthenticator: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let token = request.headers.bearerAuthorization?.token, !token.isEmpty else {
            throw Abort(.unauthorized, reason: "Send an API token: Authorization: Bearer <token> (lentune user token).")
        }
        let hash = Tokens.sha256(token)
        guard let identity = try await SignedIn.apiToken(tokenHash: hash, on: request.db) else {
            throw Abort(.unauthorized, reason: "The API token is not valid.")
        }
        // Note use at most once a minute: a write per request would serialise reads on SQLite.
        let now = request.application.lentune.now()
        if let id = identity.apiTokenID, identity.apiTokenLastUsed.map({ now.timeIntervalSince($0) > 60 }) ?? true {
            try await SignedIn.touch(apiToken: id, at: now, on: request.db)
        }
        request.viewer = Viewer(user: identity.user, organisation: identity.organisation, csrfToken: "", sessionTokenHash: "")
        return try await next.respond(to: request)
    }
}
