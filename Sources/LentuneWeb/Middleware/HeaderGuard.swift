import LentuneCore
import Vapor

/// The outermost middleware: no header value this server writes may hold CR, LF or NUL (issue 30). Such a value
/// would end the header and start one of the sender's choosing (header injection, response splitting). Each route
/// already keeps what it copies from a request out of headers (`SafeRedirect` for `next`); this is the one central
/// check behind them. A header that fails is dropped and logged, never written; a redirect that loses its `Location`
/// becomes a 400, since it no longer says where to go.
struct HeaderGuard: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).map { Self.guarded($0, logger: request.logger) }
    }

    static func guarded(_ response: Response, logger: Logger) -> Response {
        let unsafe = response.headers.filter { !SafeRedirect.isSafeHeaderValue($0.value) || !SafeRedirect.isSafeHeaderValue($0.name) }
        guard !unsafe.isEmpty else { return response }
        let names = Set(unsafe.map { $0.name.lowercased() })
        logger.error("dropped response headers holding CR, LF or NUL", metadata: ["headers": .string(names.sorted().joined(separator: ", "))])
        for name in names { response.headers.remove(name: name) }
        if names.contains("location"), (300..<400).contains(response.status.code) {
            let refused = Response(status: .badRequest, headers: ["Content-Type": "text/plain; charset=utf-8"],
                                   body: .init(string: "The address to go to next is not valid."))
            return SecurityHeaders.secure(refused)
        }
        return response
    }
}
