import Vapor

/// Procore's deliveries (`POST /webhooks/procore/{connection}`) take a lane of their own: past the router and the
/// global middlewares, straight to `WebhookController`. Webhook intake must answer 200 concurrent deliveries within
/// 20 ms at p99 (issue 12), and for a delivery the router (which splits and re-decodes the path through Foundation)
/// and the middleware chain were 15 % of the server's CPU (docs/BENCHMARKS.md), doing nothing it needs:
/// - no session, no CSRF token and no 1 MB limit apply to it (it has its own Authorization check and 256 KB limit);
/// - it is counted in `lentune_http_*` under its route, as the `RequestMetrics` middleware would;
/// - an error becomes the problem document `ErrorPages` would make, with the `SecurityHeaders`;
/// - its 204 carries no security headers: it has no body to sniff, frame or cache.
///
/// Every other request, and a delivery whose path the lane does not recognise, goes to Vapor's responder (the route
/// for the webhook stays registered, so it still answers such a path, and 405 to other methods).
struct WebhookLane: Responder {
    /// The registered webhook route (its metrics label).
    let route: Route?
    let next: any Responder

    func respond(to request: Request) -> EventLoopFuture<Response> {
        guard request.method == .POST, let connection = Self.connection(in: request.routingPath) else {
            return next.respond(to: request)
        }
        let start = ContinuousClock.now
        return request.body.collect(max: WebhookController.collectLimit.value)
            .flatMap { _ in WebhookController.receive(request, connection: connection) }
            .recover { error in
                if let abort = error as? any AbortError, abort.status == .payloadTooLarge { return WebhookController.refuse(.tooLarge).response }
                return ErrorPages().render(error, for: request)
            }
            .map { response in
                RequestMetrics.record(route, method: .POST, status: Int(response.status.code), since: start)
                return response.status == .noContent ? response : SecurityHeaders.secure(response)
            }
    }

    /// `/webhooks/procore/`: the route's path without its parameter.
    private static let prefix = "/" + SiteURL.components(.procoreWebhook(UUID())).dropLast().map(\.description).joined(separator: "/") + "/"

    /// The connection segment of a webhook path (`/webhooks/procore/{connection}`); nil for any other path. A query
    /// (`?…`) after it is not part of it (the intake listener passes the request target as sent). Bytes, not
    /// characters: every delivery passes here.
    static func connection(in path: String) -> Substring? {
        let utf8 = path.utf8
        guard utf8.starts(with: prefixBytes) else { return nil }
        let start = utf8.index(utf8.startIndex, offsetBy: prefixBytes.count)
        let end = utf8[start...].firstIndex(of: UInt8(ascii: "?")) ?? utf8.endIndex
        guard start < end, !utf8[start..<end].contains(UInt8(ascii: "/")) else { return nil }
        return path[start..<end]
    }

    private static let prefixBytes = Array(prefix.utf8)
}
