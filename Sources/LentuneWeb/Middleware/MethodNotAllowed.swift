import Vapor

/// An address that exists with another method answers 405 with `Allow` (RFC 9110 §15.5.6) instead of 404, so a
/// client that used the wrong method learns which ones the address takes. Only for addresses with no route of the
/// request's method: a 404 for a missing record stays a 404.
struct MethodNotAllowed: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).flatMapErrorThrowing { error in
            guard let abort = error as? any AbortError, abort.status == .notFound, request.route == nil else { throw error }
            let path = request.url.path.split(separator: "/", omittingEmptySubsequences: true)
            // The router prefers a constant segment to a parameter: only the most specific matching paths count
            // (`/invoices/{id}/document` is not `/invoices/{id}/{action}`).
            let matching = request.application.routes.all.filter { Self.matches($0.path, path) }
            let specificity = { (route: Route) in route.path.filter { if case .constant = $0 { true } else { false } }.count }
            let best = matching.map(specificity).max() ?? 0
            let allowed = Set(matching.filter { specificity($0) == best }.map(\.method.rawValue))
            guard !allowed.isEmpty, !allowed.contains(request.method.rawValue) else { throw abort }
            let methods = allowed.union(allowed.contains("GET") ? ["HEAD"] : []).sorted().joined(separator: ", ")
            var headers = HTTPHeaders()
            headers.replaceOrAdd(name: .allow, value: methods)
            throw Abort(.methodNotAllowed, headers: headers, reason: "\(request.method.rawValue) is not allowed here; use \(methods).")
        }
    }

    static func matches(_ pattern: [PathComponent], _ path: [Substring]) -> Bool {
        guard pattern.count == path.count else { return false }
        for (component, segment) in zip(pattern, path) {
            switch component {
            case .constant(let value) where value != segment: return false
            case .catchall: return true
            default: continue
            }
        }
        return true
    }
}
