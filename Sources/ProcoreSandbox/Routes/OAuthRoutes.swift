import Foundation
import Vapor

/// The auth host: `/oauth/token` (client credentials, authorization code, rotating refresh tokens), a minimal consent
/// page at `/oauth/authorize`, `/oauth/token/info` and `/oauth/revoke`.
enum OAuthRoutes {
    struct TokenForm: Content {
        var grant_type: String?
        var client_id: String?
        var client_secret: String?
        var code: String?
        var redirect_uri: String?
        var refresh_token: String?
        var token: String?
    }

    static func register(_ app: any RoutesBuilder, store: SandboxStore) {
        app.post("oauth", "token") { req async throws -> Response in
            try token(req, store: store)
        }
        app.get("oauth", "authorize") { req async throws -> Response in
            try authorizePage(req, store: store)
        }
        app.post("oauth", "authorize") { req async throws -> Response in
            try authorize(req, store: store)
        }
        app.get("oauth", "token", "info") { req async throws -> Response in
            let now = store.clock()
            guard let bearer = req.headers.bearerAuthorization?.token,
                let token = store.read({ $0.tokens[bearer] }), !token.revoked, token.expiresAt > now
            else { return oauthError(.unauthorized, "invalid_token", "The access token is invalid") }
            return jsonResponse([
                "resource_owner_id": .int(token.userID), "scopes": [],
                "expires_in_seconds": .int(Int64(token.expiresAt.timeIntervalSince(now))),
                "application": ["uid": .string(token.clientID)],
                "created_at": .int(Int64(token.createdAt.timeIntervalSince1970)),
            ])
        }
        app.post("oauth", "revoke") { req async throws -> Response in
            let form = (try? req.content.decode(TokenForm.self)) ?? TokenForm()
            if let value = form.token {
                store.write { data in
                    if let accessToken = data.refreshTokens[value], var token = data.tokens[accessToken] {
                        token.revoked = true
                        data.tokens[accessToken] = token
                        data.refreshTokens[value] = nil
                    } else if var token = data.tokens[value] {
                        token.revoked = true
                        data.tokens[value] = token
                        if let refresh = token.refreshToken { data.refreshTokens[refresh] = nil }
                    }
                }
            }
            return jsonResponse([:])
        }
    }

    static func token(_ req: Request, store: SandboxStore) throws -> Response {
        guard var form = try? req.content.decode(TokenForm.self) else {
            return oauthError(.badRequest, "invalid_request", "The request body could not be read.")
        }
        if let basic = req.headers.basicAuthorization {
            form.client_id = form.client_id ?? basic.username
            form.client_secret = form.client_secret ?? basic.password
        }
        guard let grant = form.grant_type, !grant.isEmpty else {
            return oauthError(.badRequest, "invalid_request", "Missing required parameter: grant_type.")
        }
        guard ["client_credentials", "authorization_code", "refresh_token"].contains(grant) else {
            return oauthError(.badRequest, "unsupported_grant_type", "The authorization grant type is not supported.")
        }
        let now = store.clock()
        guard let client = store.read({ data in data.clients.first { $0.clientID == form.client_id } }),
            let secret = form.client_secret, secret == client.clientSecret
        else {
            return oauthError(.unauthorized, "invalid_client", "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.")
        }

        let issued: OAuthToken? = store.write { data -> OAuthToken? in
            let lifetime = TimeInterval(data.settings.tokenLifetime)
            func issue(userID: Int64, refresh: Bool) -> OAuthToken {
                let token = OAuthToken(
                    accessToken: randomToken(), refreshToken: refresh ? randomToken() : nil, clientID: client.clientID,
                    userID: userID, createdAt: now, expiresAt: now.addingTimeInterval(lifetime))
                data.tokens[token.accessToken] = token
                if let refresh = token.refreshToken { data.refreshTokens[refresh] = token.accessToken }
                return token
            }
            switch grant {
            case "client_credentials":
                return issue(userID: client.userID, refresh: false)
            case "authorization_code":
                guard let code = form.code, var stored = data.codes[code], !stored.used, stored.expiresAt > now,
                    stored.clientID == client.clientID, stored.redirectURI == form.redirect_uri
                else { return nil }
                stored.used = true
                data.codes[code] = stored
                return issue(userID: stored.userID, refresh: true)
            default:
                // Single use: the old refresh token dies the moment it is presented, even if this answer is lost.
                guard let refresh = form.refresh_token, let accessToken = data.refreshTokens.removeValue(forKey: refresh),
                    let previous = data.tokens[accessToken], previous.clientID == client.clientID
                else { return nil }
                return issue(userID: previous.userID, refresh: true)
            }
        }
        guard let issued else {
            return oauthError(
                .badRequest, "invalid_grant",
                "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.")
        }
        var body: JSON.Object = [
            "access_token": .string(issued.accessToken), "token_type": "bearer",
            "expires_in": .int(Int64(issued.expiresAt.timeIntervalSince(issued.createdAt))),
        ]
        if let refresh = issued.refreshToken { body["refresh_token"] = .string(refresh) }
        body["created_at"] = .int(Int64(issued.createdAt.timeIntervalSince1970))
        return jsonResponse(.object(body), headers: [("Cache-Control", "no-store"), ("Pragma", "no-cache")])
    }

    static let outOfBand = "urn:ietf:wg:oauth:2.0:oob"

    static func authorizePage(_ req: Request, store: SandboxStore) throws -> Response {
        let query = Query(uri: req.url)
        guard query["response_type"] == "code" else {
            return htmlPage("Invalid request", "response_type must be “code”.", status: .badRequest)
        }
        guard let clientID = query["client_id"], let client = store.read({ $0.clients.first { $0.clientID == clientID } }) else {
            return htmlPage("Invalid request", "Unknown client_id.", status: .badRequest)
        }
        guard let redirect = query["redirect_uri"], redirect == outOfBand || client.redirectURIs.contains(redirect) else {
            return htmlPage("Invalid request", "The redirect_uri does not match the application's registered URI.", status: .badRequest)
        }
        let state = query["state"] ?? ""
        let form = """
            <form method="post" action="/oauth/authorize">
            <input type="hidden" name="client_id" value="\(escape(clientID))">
            <input type="hidden" name="redirect_uri" value="\(escape(redirect))">
            <input type="hidden" name="state" value="\(escape(state))">
            <button type="submit" name="decision" value="allow" id="authorize">Authorize</button>
            <button type="submit" name="decision" value="deny" id="deny">Deny</button>
            </form>
            """
        return htmlPage("Authorize \(escape(client.name))", "\(escape(client.name)) would like to access your Procore account.", extra: form)
    }

    struct AuthorizeForm: Content {
        var client_id: String
        var redirect_uri: String
        var state: String?
        var decision: String?
    }

    static func authorize(_ req: Request, store: SandboxStore) throws -> Response {
        guard let form = try? req.content.decode(AuthorizeForm.self),
            let client = store.read({ data in data.clients.first { $0.clientID == form.client_id } }),
            form.redirect_uri == outOfBand || client.redirectURIs.contains(form.redirect_uri)
        else { return htmlPage("Invalid request", "Unknown client or redirect URI.", status: .badRequest) }
        var components = URLComponents(string: form.redirect_uri)
        var items = components?.queryItems ?? []
        if form.decision == "deny" {
            items.append(URLQueryItem(name: "error", value: "access_denied"))
        } else {
            let code = randomToken()
            let now = store.clock()
            store.write { data in
                data.codes[code] = AuthorizationCode(
                    code: code, clientID: client.clientID, redirectURI: form.redirect_uri, userID: client.userID,
                    expiresAt: now.addingTimeInterval(600))
            }
            if form.redirect_uri == outOfBand {
                return htmlPage("Authorization code", "Copy this code into your application:", extra: "<code id=\"code\">\(code)</code>")
            }
            items.append(URLQueryItem(name: "code", value: code))
        }
        if let state = form.state, !state.isEmpty { items.append(URLQueryItem(name: "state", value: state)) }
        components?.queryItems = items
        return req.redirect(to: components?.string ?? form.redirect_uri, redirectType: .normal)
    }

    static func oauthError(_ status: HTTPResponseStatus, _ error: String, _ description: String) -> Response {
        jsonResponse(["error": .string(error), "error_description": .string(description)], status: status)
    }

    static func htmlPage(_ title: String, _ message: String, extra: String = "", status: HTTPResponseStatus = .ok) -> Response {
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: "text/html; charset=utf-8")
        let body = "<!DOCTYPE html><html><head><title>\(title) · Procore sandbox</title></head><body><h1>\(title)</h1><p>\(message)</p>\(extra)</body></html>"
        return Response(status: status, headers: headers, body: .init(string: body))
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

func randomToken() -> String {
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    return Data(bytes).base64EncodedString()
        .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}
