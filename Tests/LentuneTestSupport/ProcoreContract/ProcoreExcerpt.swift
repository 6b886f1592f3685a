import Foundation

/// Procore's published API description for the operations Lentune uses (`Tests/Fixtures/ProcoreOpenAPI`, a verbatim
/// copy of `../shared/reference/procore-openapi-excerpt.json`): the judge of the Procore client's requests and of the
/// sandbox's answers (issue 26). Never edited to make a test pass.
public struct ProcoreExcerpt: Sendable {
    public struct Parameter: Sendable, Hashable {
        public var location: String
        public var name: String
        public var required: Bool
        /// The SDK's type: `StrictInt`, `Optional[StrictStr]`, `Optional[List[StrictInt]]`, `Optional[date]`, …
        public var type: String

        /// A list parameter goes on the wire as `name[]` (`filters[id][]`).
        public var isList: Bool { type.contains("List[") }
        public var wireName: String { isList && !name.hasSuffix("[]") ? name + "[]" : name }
        var baseType: String {
            var text = type
            for wrapper in ["Optional[", "List["] where text.hasPrefix(wrapper) { text = String(text.dropFirst(wrapper.count).dropLast()) }
            if text.hasPrefix("List[") { text = String(text.dropFirst(5).dropLast()) }
            return text
        }
    }

    public struct Operation: Sendable, Hashable {
        /// `POST /rest/v1.1/projects/{project_id}/direct_costs`
        public var key: String
        public var method: String
        public var template: String
        public var parameters: [Parameter]
        public var bodyModel: String?
        public var contentTypes: [String]
        /// Status → response model (`nil`: no body described).
        public var responses: [String: String?]
        var segments: [String]
        var placeholders: Int { segments.filter { $0.hasPrefix("{") }.count }

        func matches(method: String, path: String) -> Bool {
            guard method == self.method else { return false }
            let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
            guard parts.count == segments.count else { return false }
            return zip(parts, segments).allSatisfy { part, segment in segment.hasPrefix("{") || part == segment }
        }

        /// The path parameter values of a concrete path.
        func pathValues(_ path: String) -> [String: String] {
            let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
            var values: [String: String] = [:]
            for (part, segment) in zip(parts, segments) where segment.hasPrefix("{") { values[String(segment.dropFirst().dropLast())] = part }
            return values
        }
    }

    public let operations: [Operation]
    public let definitions: [String: JSONValue]

    /// The copy in the repository, found from this file's place in it.
    public static let shared: ProcoreExcerpt = {
        do {
            return try ProcoreExcerpt(data: Data(contentsOf: fileURL))
        } catch {
            fatalError("Procore's API excerpt cannot be read at \(fileURL.path): \(error)")
        }
    }()

    public static var fileURL: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/ProcoreOpenAPI/procore-openapi-excerpt.json")
    }

    public init(data: Data) throws {
        let root = try JSONValue.parse(data)
        definitions = root["definitions"]?.objectValue ?? [:]
        var operations: [Operation] = []
        for (key, value) in root["operations"]?.objectValue ?? [:] {
            let parts = key.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            let parameters = (value["parameters"]?.arrayValue ?? []).compactMap { p -> Parameter? in
                guard let location = p["in"]?.stringValue, let name = p["name"]?.stringValue else { return nil }
                return Parameter(location: location, name: name, required: p["required"] == .bool(true), type: p["type"]?.stringValue ?? "Any")
            }
            var responses: [String: String?] = [:]
            for (status, model) in value["responses"]?.objectValue ?? [:] { responses[status] = model.stringValue }
            operations.append(Operation(
                key: key, method: parts[0], template: parts[1], parameters: parameters, bodyModel: value["body_model"]?.stringValue,
                contentTypes: (value["content_types"]?.arrayValue ?? []).compactMap(\.stringValue), responses: responses,
                segments: parts[1].split(separator: "/").map(String.init)))
        }
        // A literal segment wins over a placeholder (`…/sync` before `…/{id}`).
        self.operations = operations.sorted { ($0.placeholders, $0.key) < ($1.placeholders, $1.key) }
    }

    public func operation(method: String, path: String) -> Operation? {
        operations.first { $0.matches(method: method, path: path) }
    }

    public func operation(_ key: String) -> Operation? { operations.first { $0.key == key } }

    /// The schema of a model name as the excerpt writes it: `X`, or `List[X]` for an array of X.
    public func schema(model: String) -> JSONValue {
        if model.hasPrefix("List["), model.hasSuffix("]") {
            return .object(["type": .string("array"), "items": schema(model: String(model.dropFirst(5).dropLast()))])
        }
        return .object(["$ref": .string("#/definitions/\(model)")])
    }

    func resolve(_ schema: JSONValue) -> JSONValue? {
        guard let ref = schema["$ref"]?.stringValue else { return schema }
        guard ref.hasPrefix("#/definitions/") else { return nil }
        return definitions[String(ref.dropFirst("#/definitions/".count))]
    }
}
