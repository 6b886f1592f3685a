import FluentKit
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Vapor

/// Procore's deliveries on a listener of their own (`LENTUNE_WEBHOOK_PORT`), beside the web app's: plain HTTP/1.1
/// from SwiftNIO to `WebhookController.intake`, the same intake the web app's `WebhookLane` runs, without Vapor's
/// request and response machinery around it.
///
/// Why: on this 2-core machine the web app's server spends about half its CPU per delivery on that machinery (the
/// URL parsed through Foundation, the request and response objects, the pass-through handlers), and at 200 deliveries
/// in flight the acknowledgement time is set by that CPU (docs/BENCHMARKS.md). A listener of its own also keeps
/// Procore's acknowledgements from queueing behind page traffic. The web app keeps answering the same path, so a
/// deployment without a proxy rule for `/webhooks/` works as before (docs/SYNC.md, Webhooks).
///
/// It answers only `POST /webhooks/procore/{connection}`: 404 for another path, 405 for another method, 413 past
/// 256 KB (the rest of such a body is read past unkept, and the connection closed after the answer). Answers are counted in `lentune_http_*` under the
/// webhook route, as the web app counts them.
public final class WebhookIntakeListener: Sendable {
    private let app: Application
    private let channel = Mutex<(any Channel)?>(nil)

    /// `configure(_:config:)` must have run on `app`.
    public init(app: Application) {
        self.app = app
    }

    /// Binds `hostname:port` and starts answering; returns the port bound (`port` 0 picks a free one).
    public func start(hostname: String, port: Int) async throws -> Int {
        let app = self.app
        let services = app.lentune
        let route = webhookRoute(in: app)
        let logger = app.logger
        let channel = try await ServerBootstrap(group: app.eventLoopGroup)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        WebhookIntakeHandler(services: services, db: { app.db }, route: route, logger: logger))
                }
            }
            .bind(host: hostname, port: port).get()
        self.channel.withLock { $0 = channel }
        return channel.localAddress?.port ?? port
    }

    /// Stops accepting connections. A delivery being answered is still answered.
    public func shutdown() async {
        let channel = self.channel.withLock { channel in
            defer { channel = nil }
            return channel
        }
        try? await channel?.close()
    }
}

/// One connection's deliveries, one at a time (`HTTPServerPipelineHandler` holds back a pipelined request until the
/// answer before it is written).
final class WebhookIntakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    typealias Answer = WebhookController.Answer

    private enum State {
        case idle
        /// A delivery being read: the connection its path names, and its body so far.
        case reading(connection: Substring, body: ByteBuffer?)
        /// A request to be refused once its end arrives; `close` when the rest of it is not worth reading.
        case refusing(Answer, close: Bool)
        /// The answer is on its way; nothing more may arrive until it is written.
        case answering
    }

    private let services: LentuneServices
    private let db: @Sendable () -> any Database
    private let route: Route?
    private let logger: Logger
    private var state = State.idle
    private var head: HTTPRequestHead?
    private var start = ContinuousClock.now

    init(services: LentuneServices, db: @escaping @Sendable () -> any Database, route: Route?, logger: Logger) {
        self.services = services
        self.db = db
        self.route = route
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .idle):
            self.head = head
            start = .now
            state = Self.begin(head)
        case (.body(var chunk), .reading(let connection, var body)):
            guard (body?.readableBytes ?? 0) + chunk.readableBytes <= WebhookController.maxBody.value else {
                state = .refusing(WebhookController.refuse(.tooLarge), close: true)
                return
            }
            state = .idle  // drop the state's reference, so `body` is unique and grows in place
            if body == nil { body = chunk } else { body!.writeBuffer(&chunk) }
            state = .reading(connection: connection, body: body)
        case (.body, _):
            break
        case (.end, .reading(let connection, let body)):
            state = .answering
            WebhookController.intake(
                connection: connection, authorization: head?.headers.first(name: "authorization"), body: body,
                services: services, db: db, on: context.eventLoop
            ).assumeIsolated().whenComplete { [self] result in
                switch result {
                case .success(let reply):
                    answer(reply, close: false, context: context)
                case .failure(let error):
                    logger.error("webhook intake could not store a delivery: \(error)")
                    answer(Answer(status: .internalServerError, detail: "The event could not be stored; deliver it again later."),
                           close: false, context: context)
                }
            }
        case (.end, .refusing(let refusal, let close)):
            state = .answering
            answer(refusal, close: close, context: context)
        case (.head, _), (.end, _):
            // Not possible behind `HTTPServerPipelineHandler`; end the connection rather than guess.
            context.close(promise: nil)
        }
    }

    /// What the head alone decides: a delivery to read, or a refusal.
    private static func begin(_ head: HTTPRequestHead) -> State {
        guard let connection = WebhookLane.connection(in: head.uri) else {
            return .refusing(Answer(status: .notFound, detail: "This listener takes only POST /webhooks/procore/{connection}."), close: false)
        }
        guard head.method == .POST else {
            return .refusing(Answer(status: .methodNotAllowed, detail: "A webhook is delivered with POST."), close: false)
        }
        if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > WebhookController.maxBody.value {
            return .refusing(WebhookController.refuse(.tooLarge), close: true)
        }
        return .reading(connection: connection, body: nil)
    }

    private func answer(_ answer: Answer, close: Bool, context: ChannelHandlerContext) {
        guard let head else { return }
        self.head = nil
        state = .idle
        let keepAlive = head.isKeepAlive && !close
        var headers = HTTPHeaders()
        headers.add(name: "date", value: HTTPDate.now())
        var body: ByteBuffer?
        if let detail = answer.detail {
            body = context.channel.allocator.buffer(bytes: Problem.about(answer.status, detail).json())
            headers.add(name: "content-type", value: "application/problem+json")
        }
        // As the web app's lane: every answer but 204 (no body to sniff, frame or cache) carries the security headers.
        if answer.status != .noContent {
            for (name, value) in SecurityHeaders.defaults { headers.add(name: name, value: value) }
            headers.add(name: "content-length", value: String(body?.readableBytes ?? 0))
        }
        if answer.status == .methodNotAllowed { headers.add(name: "allow", value: "POST") }
        if !keepAlive {
            headers.add(name: "connection", value: "close")
        } else if head.version.major == 1, head.version.minor == 0 {
            headers.add(name: "connection", value: "keep-alive")
        }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: answer.status, headers: headers))), promise: nil)
        if let body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive { written.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
        // Counted under the webhook route, as the web app counts it; another path (404) as unmatched.
        RequestMetrics.record(answer.status == .notFound ? nil : route, method: head.method, status: Int(answer.status.code), since: start)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// The registered webhook route: the label its deliveries are counted under, whichever listener takes them.
func webhookRoute(in app: Application) -> Route? {
    let webhook = SiteURL.components(.procoreWebhook(UUID())).map(\.description)
    return app.routes.all.first { $0.method == .POST && $0.path.map(\.description) == webhook }
}

/// The `Date` header's value (RFC 9110 §5.6.7), formatted once a second.
enum HTTPDate {
    private static let cache = Mutex<(second: Int, text: String)>((-1, ""))

    static func now() -> String {
        let second = Int(Date().timeIntervalSince1970)
        if let text = cache.withLock({ $0.second == second ? $0.text : nil }) { return text }
        let text = format(second)
        cache.withLock { $0 = (second, text) }
        return text
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT` for seconds since 1970.
    static func format(_ second: Int) -> String { Date(timeIntervalSince1970: TimeInterval(second)).rfc1123 }
}
