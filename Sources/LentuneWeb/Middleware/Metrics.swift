import Metrics
import Prometheus
import Vapor

/// Process-wide metrics: swift-metrics backed by one Prometheus registry, exported at `/metrics`.
public enum LentuneMetrics {
    public static let registry = PrometheusCollectorRegistry()

    /// `MetricsSystem.bootstrap` may run once per process; tests build many apps, so it is guarded here.
    public static let bootstrap: Void = {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
        ]
        MetricsSystem.bootstrap(factory)
    }()
}

/// Counts requests and times them by route pattern (not raw path, to keep label cardinality bounded).
///
/// The global middlewares are `Middleware` (futures), not `AsyncMiddleware`: each `AsyncMiddleware` in the chain
/// starts a task of its own per request, and seven of them cost webhook intake a fifth of its throughput
/// (docs/BENCHMARKS.md). A middleware that must await (a session lookup) does so only when it has work to do.
struct RequestMetrics: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let start = ContinuousClock.now
        return next.respond(to: request).always { result in
            let status =
                switch result {
                case .success(let response): Int(response.status.code)
                case .failure(let abort as any AbortError): Int(abort.status.code)
                case .failure: 500
                }
            let route = request.route.map { "/" + $0.path.map(\.description).joined(separator: "/") } ?? "unmatched"
            let dimensions = [("method", request.method.rawValue), ("route", route), ("status", String(status))]
            Counter(label: "lentune_http_requests_total", dimensions: dimensions).increment()
            Metrics.Timer(label: "lentune_http_request_duration_seconds", dimensions: Array(dimensions.prefix(2)))
                .recordInterval(since: start)
        }
    }
}

extension Metrics.Timer {
    func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let (seconds, attoseconds) = elapsed.components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
