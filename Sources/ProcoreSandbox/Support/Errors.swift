import Foundation
import Vapor

/// An error answered in Procore's shape. v1: `{"errors": …}`; v2: `{"error": {code, message, details}}`.
public struct ProcoreError: Error, Sendable {
    public var status: HTTPResponseStatus
    public var body: JSON
    public var contentType: String = "application/json; charset=utf-8"
    public var headers: [(String, String)] = []

    public init(status: HTTPResponseStatus, body: JSON) {
        self.status = status
        self.body = body
    }

    /// `{"errors": "message"}`
    public static func message(_ status: HTTPResponseStatus, _ message: String) -> ProcoreError {
        ProcoreError(status: status, body: ["errors": .string(message)])
    }

    /// `{"errors": {"field": ["message", …]}}`
    public static func fields(_ status: HTTPResponseStatus, _ fields: [(String, [String])]) -> ProcoreError {
        ProcoreError(
            status: status, body: ["errors": .object(.init(fields.map { ($0.0, .array($0.1.map(JSON.string))) }))])
    }

    public static func field(_ status: HTTPResponseStatus = .unprocessableEntity, _ field: String, _ message: String)
        -> ProcoreError
    {
        fields(status, [(field, [message])])
    }

    public static let notFound = ProcoreError.message(.notFound, "404 Not Found")
    public static let invalidToken = ProcoreError.message(.unauthorized, "The access token is invalid")

    /// The v2.0 error shape.
    public static func v2(_ status: HTTPResponseStatus, code: String, message: String, details: [(String, String, String)] = [])
        -> ProcoreError
    {
        var error: JSON.Object = ["code": .string(code), "message": .string(message)]
        if !details.isEmpty {
            error["details"] = .array(details.map { ["reason_code": .string($0.0), "message": .string($0.1), "source": .string($0.2)] })
        }
        return ProcoreError(status: status, body: ["error": .object(error)])
    }

    public func response() -> Response {
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: contentType)
        for (name, value) in self.headers { headers.replaceOrAdd(name: name, value: value) }
        let text: String = if case .string(let plain) = body, contentType.hasPrefix("text/plain") { plain } else { body.render() }
        return Response(status: status, headers: headers, body: .init(string: text))
    }
}

extension JSON.Object: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSON)...) { self.init(elements) }
}

/// Collects field errors while validating a request body, like a Rails model's `errors`.
public struct FieldErrors: Sendable {
    public var items: [(String, [String])] = []

    public init() {}

    public mutating func add(_ field: String, _ message: String) {
        if let index = items.firstIndex(where: { $0.0 == field }) {
            items[index].1.append(message)
        } else {
            items.append((field, [message]))
        }
    }

    public var isEmpty: Bool { items.isEmpty }

    public var json: JSON { .object(.init(items.map { ($0.0, .array($0.1.map(JSON.string))) })) }

    public func check(_ status: HTTPResponseStatus = .unprocessableEntity) throws(ProcoreError) {
        guard isEmpty else { throw ProcoreError.fields(status, items) }
    }
}
