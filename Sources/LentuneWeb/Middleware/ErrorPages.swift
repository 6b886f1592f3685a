import LentuneCore
import LentunePersistence
import Vapor

/// Turns every error into a page a person can read (HTML) or a problem document (RFC 9457) for JSON clients.
/// Internal errors are logged with detail and shown without it.
struct ErrorPages: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).recover { render($0, for: request) }
    }

    func render(_ error: any Error, for request: Request) -> Response {
        let status: HTTPResponseStatus
        let detail: String
        var headers = HTTPHeaders()
        switch error {
        case let abort as any AbortError:
            status = abort.status
            headers = abort.headers
            detail =
                switch abort.status {
                case .notFound where abort.reason == abort.status.reasonPhrase: "There is nothing here, or you do not have access to it."
                case .payloadTooLarge: "What you sent is too large (the limit is 1 MB). Shorten the text and try again; nothing was saved."
                default: abort.reason
                }
        case is Scaled.OutOfRange:
            // Core's limits stop this before it gets here; if one slips through, it is the client's number, not a crash.
            status = .unprocessableEntity
            detail = "An amount or quantity is too large; amounts may be at most \(Money.maximumText). Nothing was saved."
        default:
            status = .internalServerError
            detail = "Something went wrong on our side. The error has been logged; please try again."
            request.logger.report(error: error)
        }
        if status.code >= 500, error is any AbortError {
            request.logger.error("\(status.code) \(detail)")
        }

        if request.wantsJSON {
            let problem = Problem(
                type: "about:blank", title: status.reasonPhrase, status: Int(status.code), detail: detail)
            return problem.response(headers: headers)
        }
        let page = ErrorView.page(status: status, detail: detail, viewer: request.viewer)
        let response = page.response(status: status)
        for (name, value) in headers where name.lowercased() != "content-type" {
            response.headers.replaceOrAdd(name: name, value: value)
        }
        return response
    }
}

/// An RFC 9457 problem document. `errors` carries field messages for 422s.
public struct Problem: Content, Sendable {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String
    public var errors: [String: String]?

    public init(type: String, title: String, status: Int, detail: String, errors: [String: String]? = nil) {
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
        self.errors = errors
    }

    /// A problem that is its status and a detail (`type` about:blank, `title` the status's reason phrase).
    static func about(_ status: HTTPResponseStatus, _ detail: String, errors: [String: String]? = nil) -> Problem {
        Problem(type: "about:blank", title: status.reasonPhrase, status: Int(status.code), detail: detail, errors: errors)
    }

    func response(headers: HTTPHeaders = [:]) -> Response {
        var headers = headers
        headers.replaceOrAdd(name: .contentType, value: "application/problem+json")
        return Response(status: HTTPResponseStatus(statusCode: status), headers: headers, body: .init(data: json()))
    }

    /// The document as `application/problem+json`.
    func json() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)) ?? Data()
    }
}
