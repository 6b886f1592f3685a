import FluentSQL
import LentunePersistence
import LentuneSync
import Vapor

enum HealthController {
    struct Health: Content {
        var status: String
        var database: String
    }

    /// 200 when the database answers, 503 otherwise. Unauthenticated, for load balancers.
    @Sendable static func healthz(req: Request) async throws -> Response {
        var health = Health(status: "ok", database: "ok")
        do {
            try await (req.db as! any SQLDatabase).raw("SELECT 1").run()
        } catch {
            req.logger.error("health check: database unavailable: \(String(reflecting: error))")
            health = Health(status: "unavailable", database: "unavailable")
        }
        let response = Response(status: health.status == "ok" ? .ok : .serviceUnavailable)
        try response.content.encode(health)
        return response
    }

    /// Prometheus text exposition format. With `LENTUNE_METRICS_TOKEN` set, only `Authorization: Bearer <token>` is
    /// answered (compared in constant time). Without it, production answers no one: behind a reverse proxy every
    /// visitor is a loopback peer (issue 30); development and testing answer clients on this machine.
    @Sendable static func metrics(req: Request) async throws -> Response {
        let config = req.application.lentune.config
        if config.metricsToken == nil, config.mode == .production {
            return Problem(type: "about:blank", title: "Forbidden", status: 403,
                           detail: "Metrics need a token in production: set LENTUNE_METRICS_TOKEN and send Authorization: Bearer <token>.").response()
        }
        if let expected = config.metricsToken {
            let given = req.headers.bearerAuthorization?.token ?? ""
            guard SecureTokens.constantTimeEqual(given, expected) else {
                var headers = HTTPHeaders()
                headers.replaceOrAdd(name: .wwwAuthenticate, value: #"Bearer realm="metrics""#)
                return Problem(type: "about:blank", title: "Unauthorized", status: 401,
                               detail: "Send the metrics token: Authorization: Bearer <LENTUNE_METRICS_TOKEN>.").response(headers: headers)
            }
        } else if !isLoopback(req.remoteAddress?.ipAddress) {
            return Problem(type: "about:blank", title: "Forbidden", status: 403,
                           detail: "Metrics are served to this machine only; set LENTUNE_METRICS_TOKEN to scrape them from elsewhere.").response()
        }
        // Queue depth is read from the database at scrape time: the outbox is shared by every process.
        if let depth = try? await Outbox.depth(on: req.db) { SyncMetrics.queueDepth(depth) }
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: "text/plain; version=0.0.4; charset=utf-8")
        return Response(status: .ok, headers: headers, body: .init(string: LentuneMetrics.registry.emitToString()))
    }

    static func isLoopback(_ ip: String?) -> Bool {
        guard let ip else { return false }
        return ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.")
    }

    @Sendable static func script(req: Request) async throws -> Response {
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: "text/javascript; charset=utf-8")
        headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=3600")
        return Response(status: .ok, headers: headers, body: .init(string: Script.js))
    }

    @Sendable static func stylesheet(req: Request) async throws -> Response {
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: "text/css; charset=utf-8")
        headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=3600")
        return Response(status: .ok, headers: headers, body: .init(string: Stylesheet.css))
    }
}
