import LentuneCore
import LentunePersistence
import Vapor

enum Cookie {
    static let session = "lentune_session"
    /// The CSRF token of a visitor who is not signed in yet (the sign-in form).
    static let anonymousCSRF = "lentune_csrf"

    static func value(_ string: String, config: LentuneConfig, maxAge: Int?) -> HTTPCookies.Value {
        HTTPCookies.Value(
            string: string, maxAge: maxAge, path: "/", isSecure: config.usesHTTPS, isHTTPOnly: true, sameSite: .lax)
    }
}

/// Loads the viewer from the session cookie. It never rejects a request; `RequireSignIn` does that.
struct SessionAuthenticator: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        // The JSON API takes bearer tokens only: a cookie there would be a CSRF hole.
        guard !request.routingPath.hasPrefix("/api/"), let token = request.cookies[Cookie.session]?.string, !token.isEmpty else {
            return next.respond(to: request)
        }
        return request.eventLoop.makeFutureWithTask {
            let hash = Tokens.sha256(token)
            if let identity = try await SignedIn.session(tokenHash: hash, now: request.application.lentune.now(), on: request.db) {
                var viewer = Viewer(
                    user: identity.user, organisation: identity.organisation, csrfToken: identity.csrfToken, sessionTokenHash: hash)
                // Pages show the approver's count in the navigation: one indexed count, for every page request (a
                // form's answer is a page too; issue 29: the count vanished from the page Approve selected answers).
                if identity.user.role.mayApprove, !request.url.path.hasPrefix("/assets/") {
                    viewer.awaitingMyApproval = try await Invoices.count(
                        in: identity.organisation.id, filter: .init(status: .awaitingApproval, approver: identity.user.id), on: request.db)
                }
                request.viewer = viewer
            }
        }.flatMap { next.respond(to: request) }
    }
}

/// Pages for signed-in users: anyone else is sent to the sign-in page (JSON clients get 401).
struct RequireSignIn: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.viewer != nil else {
            if request.wantsJSON { throw Abort(.unauthorized, reason: "Sign in first.") }
            var target = SiteURL.signIn.path
            if request.method == .GET, let path = request.url.path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) {
                target += "?next=\(path)"
            }
            return request.redirect(to: target)
        }
        return try await next.respond(to: request)
    }
}

/// Administration: administrators only; everyone else gets 403 and nothing happens.
struct RequireRole: AsyncMiddleware {
    var allowed: @Sendable (Role) -> Bool

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let viewer = request.viewer, allowed(viewer.user.role) else {
            throw Abort(.forbidden, reason: "Only administrators can open this page.")
        }
        return try await next.respond(to: request)
    }
}

extension Request {
    var wantsJSON: Bool {
        // HTTPMediaType's == treats */* as equal to anything, so compare the parts.
        if url.path.hasPrefix("/api/") { return true }
        guard let first = headers.accept.mediaTypes.first else { return false }
        return first.type == "application" && first.subType == "json"
    }
}
