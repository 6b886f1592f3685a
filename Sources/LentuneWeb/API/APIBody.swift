import Foundation
import LentuneCore
import Vapor

/// Reads a JSON request body for the API, or the problem document to answer instead: 415 when the body is not
/// declared as JSON (as the OpenAPI document says), 422 naming the field and what it must be when it does not decode.
/// The client never sees Swift's `DecodingError` text.
enum APIBody {
    enum Decoded<T> {
        case success(T)
        /// The problem document to answer with.
        case failure(Response)
    }

    static func decode<T: Decodable>(_ type: T.Type, from req: Request, what: String) -> Decoded<T> {
        guard let contentType = req.headers.contentType, contentType.type == "application",
            contentType.subType == "json" || contentType.subType.hasSuffix("+json")
        else {
            return .failure(APIController.problem(
                .unsupportedMediaType, "Send the body as JSON with Content-Type: application/json.",
                errors: ["Content-Type": "must be application/json"]))
        }
        guard let buffer = req.body.data else {
            return .failure(APIController.problem(.unprocessableEntity, "The body must be \(what); it was empty.", errors: ["body": "is empty"]))
        }
        do {
            return .success(try JSONDecoder().decode(T.self, from: Data(buffer: buffer)))
        } catch let error as DecodingError {
            let (field, message) = describe(error)
            return .failure(APIController.problem(.unprocessableEntity, "The body must be \(what): \(field) \(message).", errors: [field: message]))
        } catch {
            return .failure(APIController.problem(.unprocessableEntity, "The body must be \(what).", errors: ["body": "is not valid JSON"]))
        }
    }

    /// The field (`lines[0].quantity`) and what is wrong with it, in the API's terms.
    static func describe(_ error: DecodingError) -> (field: String, message: String) {
        func path(_ keys: [any CodingKey]) -> String {
            var text = ""
            for key in keys {
                if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
            return text.isEmpty ? "body" : text
        }
        switch error {
        case .typeMismatch(let type, let context):
            return (path(context.codingPath), "must be \(expected(type))")
        case .valueNotFound(let type, let context):
            return (path(context.codingPath), "must be \(expected(type)), not null")
        case .keyNotFound(let key, let context):
            return (path(context.codingPath + [key]), "is required")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return ("body", "is not valid JSON") }
            let wantsUUID = context.debugDescription.localizedCaseInsensitiveContains("uuid")
            return (path(context.codingPath), wantsUUID ? "must be a uuid" : "is not a valid value")
        @unknown default:
            return ("body", "is not valid")
        }
    }

    private static func expected(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type, is Int32.Type: "a whole number"
        case is Double.Type, is Decimal.Type: "a number"
        case is UUID.Type: "a uuid"
        default:
            String(describing: type).hasPrefix("Array") ? "an array" : (String(describing: type).hasPrefix("Dictionary") ? "an object" : "a value of the documented type")
        }
    }
}
