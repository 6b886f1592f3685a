import Metrics
import Prometheus
import Synchronization
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
    /// Each route's counter and timer by method and status, made once: making them asks the metrics factory, which
    /// takes its registry's lock and hashes the labels, and the route's label is a string built from its path. The
    /// entry holds its route, so the route's address (the key) cannot be reused by another while it is cached.
    private struct Key: Hashable {
        var route: ObjectIdentifier?
        var method: String
        var status: Int
    }
    private static let handles = Mutex<[Key: (route: Route?, requests: Metrics.Counter, duration: Metrics.Timer)]>([:])

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let start = ContinuousClock.now
        return next.respond(to: request).always { result in
            let status =
                switch result {
                case .success(let response): Int(response.status.code)
                case .failure(let abort as any AbortError): Int(abort.status.code)
                case .failure: 500
                }
            Self.record(request.route, method: request.method, status: status, since: start)
        }
    }

    /// Counts one answered request of `route` and records its time.
    static func record(_ route: Route?, method: HTTPMethod, status: Int, since start: ContinuousClock.Instant) {
        let (requests, duration) = handles(for: route, method: method.rawValue, status: status)
        requests.increment()
        duration.recordInterval(since: start)
    }

    private static func handles(for route: Route?, method: String, status: Int) -> (Metrics.Counter, Metrics.Timer) {
        let key = Key(route: route.map(ObjectIdentifier.init), method: method, status: status)
        if let cached = handles.withLock({ $0[key] }) { return (cached.requests, cached.duration) }
        _ = LentuneMetrics.bootstrap  // a handle made before the factory is set would count nowhere, for good
        let label = route.map { "/" + $0.path.map(\.description).joined(separator: "/") } ?? "unmatched"
        let dimensions = [("method", method), ("route", label), ("status", String(status))]
        let made = (
            route: route, requests: Metrics.Counter(label: "lentune_http_requests_total", dimensions: dimensions),
            duration: Metrics.Timer(label: "lentune_http_request_duration_seconds", dimensions: Array(dimensions.prefix(2))))
        handles.withLock { handles in
            if handles.count > 10_000 { handles.removeAll() }  // many apps in one process (tests)
            handles[key] = made
        }
        return (made.requests, made.duration)
    }
}

extension Metrics.Timer {
    func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let (seconds, attoseconds) = elapsed.components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
