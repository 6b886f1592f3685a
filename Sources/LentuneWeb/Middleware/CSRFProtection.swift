import Vapor

/// Every state-changing form request must carry the CSRF token of its session (or, before sign-in, of the visitor's
/// `lentune_csrf` cookie) in the `_csrf` field or the `X-CSRF-Token` header. A missing or wrong token is refused with
/// 403 before any handler runs, so nothing changes.
struct CSRFProtection: AsyncMiddleware {
    static let field = "_csrf"

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let safe = [HTTPMethod.GET, .HEAD, .OPTIONS].contains(request.method)
        // The JSON API (bearer tokens) and Procore's webhooks are not cookie-authenticated.
        let exempt = request.url.path.hasPrefix("/api/") || request.url.path.hasPrefix("/webhooks/")
        guard !safe, !exempt else { return try await next.respond(to: request) }

        let expected = request.viewer?.csrfToken ?? request.cookies[Cookie.anonymousCSRF]?.string
        let provided = request.headers.first(name: "X-CSRF-Token") ?? (try? request.content.get(String.self, at: Self.field))
        guard let expected, !expected.isEmpty, let provided, Tokens.constantTimeEqual(expected, provided) else {
            request.logger.notice("CSRF token missing or wrong", metadata: ["path": .string(request.url.path)])
            throw Abort(
                .forbidden,
                reason: "This form has expired or did not come from Lentune. Reload the page and try again.")
        }
        return try await next.respond(to: request)
    }
}

/// Conservative headers on every response. No inline script is used, so the CSP can forbid it.
struct SecurityHeaders: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        response.headers.replaceOrAdd(
            name: "Content-Security-Policy",
            value: "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'")
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: "X-Frame-Options", value: "DENY")
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "same-origin")
        if response.headers.first(name: .cacheControl) == nil {
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        }
        return response
    }
}

/// Refuses bodies over the limit with 413 before any handler reads them (a streaming server does this itself; this
/// also covers collected and in-memory bodies).
struct BodyLimit: AsyncMiddleware {
    static let bytes = 1024 * 1024

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let declared = request.headers.first(name: .contentLength).flatMap(Int.init) ?? 0
        let collected = request.body.data?.readableBytes ?? 0
        guard max(declared, collected) <= Self.bytes else { throw Abort(.payloadTooLarge) }
        return try await next.respond(to: request)
    }
}
