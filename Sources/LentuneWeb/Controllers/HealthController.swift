import FluentSQL
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

    /// Prometheus text exposition format.
    @Sendable static func metrics(req: Request) async throws -> Response {
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: "text/plain; version=0.0.4; charset=utf-8")
        return Response(status: .ok, headers: headers, body: .init(string: LentuneMetrics.registry.emitToString()))
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
