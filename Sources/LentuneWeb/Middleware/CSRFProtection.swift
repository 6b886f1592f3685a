import Vapor

/// Every state-changing form request must carry the CSRF token of its session (or, before sign-in, of the visitor's
/// `lentune_csrf` cookie) in the `_csrf` field or the `X-CSRF-Token` header. A missing or wrong token is refused with
/// 403 before any handler runs, so nothing changes.
struct CSRFProtection: Middleware {
    static let field = "_csrf"

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let safe = [HTTPMethod.GET, .HEAD, .OPTIONS].contains(request.method)
        // The JSON API (bearer tokens) and Procore's webhooks are not cookie-authenticated.
        let exempt = request.routingPath.hasPrefix("/api/") || request.routingPath.hasPrefix("/webhooks/")
        guard !safe, !exempt else { return next.respond(to: request) }
        return request.eventLoop.makeFutureWithTask { try await Self.check(request) }.flatMap { next.respond(to: request) }
    }

    /// Throws 403 unless the request carries its session's token (413 when the body is over the limit).
    static func check(_ request: Request) async throws {

        // Larger forms arrive as a stream: collect them (bounded) so the token can be read; handlers see the same bytes.
        do {
            // One byte over the limit: Vapor refuses a body that reaches its maximum, BodyLimit one that exceeds it.
            _ = try await request.body.collect(max: BodyLimit.bytes(for: request) + 1).get()
        } catch {
            throw Abort(.payloadTooLarge)
        }
        let expected = request.viewer?.csrfToken ?? request.cookies[Cookie.anonymousCSRF]?.string
        let provided = request.headers.first(name: "X-CSRF-Token") ?? Self.formField(Self.field, in: request)
        guard let expected, !expected.isEmpty, let provided, Tokens.constantTimeEqual(expected, provided) else {
            request.logger.notice("CSRF token missing or wrong", metadata: ["path": .string(request.url.path)])
            throw Abort(
                .forbidden,
                reason: "This form has expired or did not come from Lentune. Reload the page and try again.")
        }
    }
}

extension CSRFProtection {
    /// Reads one field of an urlencoded body directly, so the check does not depend on how the rest of the form
    /// decodes (nested `lines[0][…]` keys and all).
    static func formField(_ name: String, in request: Request) -> String? {
        guard let body = request.body.data, request.headers.contentType?.subType == "x-www-form-urlencoded" else {
            return try? request.content.get(String.self, at: name)
        }
        for pair in String(buffer: body).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            if key == name {
                return parts.count > 1 ? String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding : ""
            }
        }
        return nil
    }
}

/// Conservative headers on every response. No inline script is used, so the CSP can forbid it.
struct SecurityHeaders: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).map(Self.secure)
    }

    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; frame-ancestors 'none'; form-action 'self'"
    /// Every answer's headers, unless the response sets its own Content-Security-Policy, X-Frame-Options or
    /// Cache-Control.
    static let defaults: [(name: String, value: String)] = [
        ("Content-Security-Policy", contentSecurityPolicy), ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"), ("Cache-Control", "no-store"),
    ]
    /// The ones a response may narrow itself (an invoice PDF is framed by its own page: SAMEORIGIN).
    private static let narrowable: Set<String> = ["content-security-policy", "x-frame-options", "cache-control"]

    static func secure(_ response: Response) -> Response {
        for (name, value) in defaults where !(narrowable.contains(name.lowercased()) && response.headers.contains(name: name)) {
            response.headers.replaceOrAdd(name: name, value: value)
        }
        return response
    }
}

/// Refuses bodies over the limit with 413 before any handler reads them (a streaming server does this itself; this
/// also covers collected and in-memory bodies).
struct BodyLimit: Middleware {
    static let bytes = 1024 * 1024
    /// Invoice captures carry their PDF (20 MB; as base64 in JSON about 27 MB).
    static let invoiceBytes = 28 * 1024 * 1024

    /// The limit for this request: 1 MB, except the invoice captures and updates that carry a PDF.
    static func bytes(for request: Request) -> Int {
        let path = request.routingPath
        let invoices = path == SiteURL.invoices.path || path == SiteURL.apiInvoices.path
            || ((path.hasPrefix(SiteURL.invoices.path + "/") || path.hasPrefix(SiteURL.apiInvoices.path + "/")) && path.split(separator: "/").count <= 4)
        return invoices && [.POST, .PUT].contains(request.method) ? invoiceBytes : bytes
    }

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let declared = request.headers.first(name: .contentLength).flatMap(Int.init) ?? 0
        let collected = request.body.data?.readableBytes ?? 0
        guard max(declared, collected) <= Self.bytes(for: request) else {
            return request.eventLoop.makeFailedFuture(
                Abort(.payloadTooLarge, reason: "The request is larger than \(Self.bytes(for: request) / (1024 * 1024)) MB."))
        }
        return next.respond(to: request)
    }
}

extension Request {
    private struct RoutingPathKey: StorageKey { typealias Value = String }

    /// The request's path (`URI.path`), computed once: `URI` rebuilds it from `URLComponents` through Foundation's
    /// string search on every read, and the middlewares ask for it several times per request (7 % of webhook intake's
    /// CPU before this).
    var routingPath: String {
        if let path = storage[RoutingPathKey.self] { return path }
        let path = url.path
        storage[RoutingPathKey.self] = path
        return path
    }
}
