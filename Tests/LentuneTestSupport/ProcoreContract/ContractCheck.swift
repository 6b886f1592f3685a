import Foundation

/// One request to Procore (or the sandbox) and its answer, as bytes on the wire.
public struct APIExchange: Sendable, Hashable {
    public var method: String
    public var path: String
    /// Query items in order, decoded (`filters[id][]` → `123`).
    public var query: [(name: String, value: String)]
    /// Lower-cased header names.
    public var requestHeaders: [String: String]
    public var requestBody: Data
    public var status: Int
    public var responseBody: Data

    public init(
        method: String, path: String, query: [(name: String, value: String)], requestHeaders: [String: String], requestBody: Data,
        status: Int, responseBody: Data
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.requestHeaders = requestHeaders
        self.requestBody = requestBody
        self.status = status
        self.responseBody = responseBody
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.method == b.method && a.path == b.path && a.query.map { "\($0.name)=\($0.value)" } == b.query.map { "\($0.name)=\($0.value)" }
            && a.requestHeaders == b.requestHeaders && a.requestBody == b.requestBody && a.status == b.status && a.responseBody == b.responseBody
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(method)
        hasher.combine(path)
        hasher.combine(status)
    }

    public var label: String { "\(method) \(path) → \(status)" }
}

/// Holds requests and answers against the excerpt (issue 26): the operation must be one of the excerpt's; its query
/// names and values, required headers, content type and body must be what the operation takes (a field the body
/// model does not name is refused); and an answer with a described status must match its model.
public struct ContractCheck: Sendable {
    public enum Side: String, Sendable { case request, response }

    public struct Finding: Hashable, Sendable, CustomStringConvertible {
        public var operation: String
        public var side: Side
        public var problem: SchemaValidator.Problem
        public var description: String { "\(operation) [\(side.rawValue)] \(problem)" }
    }

    public let excerpt: ProcoreExcerpt

    public init(excerpt: ProcoreExcerpt = .shared) { self.excerpt = excerpt }

    /// Project-level webhook calls (`/rest/v2.0/companies/{c}/projects/{p}/webhooks/…`) are judged by the
    /// company-level operation of the same resource: the excerpt has only the company form, and Procore's Webhooks
    /// reference (rendering 68535588902) gives both levels the same parameters, bodies and answers.
    public static func judgedPath(_ path: String) -> String {
        path.replacingOccurrences(of: #"^(/rest/v2\.0/companies/[^/]+)/projects/[^/]+(/webhooks/)"#, with: "$1$2", options: .regularExpression)
    }

    // MARK: - Requests

    /// What is wrong with a request (empty: it is one Procore's description allows). `nil`: not an operation of the excerpt.
    public func requestFindings(
        method: String, path: String, query: [(name: String, value: String)], headers: [String: String], body: Data
    ) -> [Finding]? {
        let path = Self.judgedPath(path)
        guard let operation = excerpt.operation(method: method, path: path) else { return nil }
        var found: [SchemaValidator.Problem] = []
        func problem(_ where_: String, _ message: String, unknown: Bool = false) {
            found.append(.init(path: where_, message: message, unknownField: unknown))
        }
        // Path parameters.
        for (name, value) in operation.pathValues(path) {
            if let parameter = operation.parameters.first(where: { $0.location == "path" && $0.name == name }),
                parameter.baseType.contains("Int") || parameter.baseType == "integer", Int64(value) == nil
            {
                problem("path {\(name)}", "“\(value)” is not an integer")
            }
        }
        // Query.
        let queryParameters = operation.parameters.filter { $0.location == "query" }
        var seen: [String: Int] = [:]
        for item in query {
            seen[item.name, default: 0] += 1
            guard let parameter = queryParameters.first(where: { $0.wireName == item.name }) else {
                problem("?\(item.name)", "is not a query parameter of this operation", unknown: true)
                continue
            }
            if !Self.queryValue(item.value, fits: parameter.baseType) {
                problem("?\(item.name)", "“\(item.value)” is not a \(parameter.baseType)")
            }
        }
        for (name, count) in seen where count > 1 {
            if let parameter = queryParameters.first(where: { $0.wireName == name }), !parameter.isList {
                problem("?\(name)", "is given \(count) times; it takes one value (several filters on one field are not supported)")
            }
        }
        // The SDK marks both `company_id` and `project_id` required where Procore's reference says "You must supply
        // either a company_id or project_id": one of the two is enough.
        let either: Set<String> = ["company_id", "project_id"]
        let hasEither = queryParameters.filter { either.contains($0.name) && $0.required }.count == 2
        for parameter in queryParameters where parameter.required && seen[parameter.wireName] == nil {
            if hasEither, either.contains(parameter.name), either.contains(where: { seen[$0] != nil }) { continue }
            problem("?\(parameter.wireName)", "is required and missing")
        }
        for parameter in operation.parameters where parameter.location == "header" && parameter.required {
            if headers[parameter.name.lowercased()] == nil { problem("header \(parameter.name)", "is required and missing") }
        }
        // Body.
        let contentType = (headers["content-type"] ?? "").lowercased()
        if let model = operation.bodyModel {
            if body.isEmpty {
                problem("body", "is missing (the operation takes \(model))")
            } else if contentType.hasPrefix("application/json") {
                if !operation.contentTypes.isEmpty, !operation.contentTypes.contains("application/json") {
                    problem("Content-Type", "application/json is not one of \(operation.contentTypes)")
                }
                do {
                    found += SchemaValidator(excerpt: excerpt).problems(try JSONValue.parse(body), model: model)
                } catch {
                    problem("body", "is not JSON: \(error)")
                }
            } else if contentType.hasPrefix("multipart/form-data") {
                if takesMultipart(model) {
                    let boundary = (headers["content-type"] ?? "").components(separatedBy: "boundary=").last ?? ""
                    do {
                        found += SchemaValidator(excerpt: excerpt, mode: .form).problems(try Self.multipartObject(body, boundary: boundary), model: model)
                    } catch {
                        problem("body", error.message)
                    }
                } else {
                    problem("Content-Type", "multipart/form-data is not described for \(model)")
                }
            } else if contentType.hasPrefix("application/x-www-form-urlencoded") {
                if operation.key == "POST /oauth/token" {
                    let pairs = Self.formPairs(String(decoding: body, as: UTF8.self))
                    found += SchemaValidator(excerpt: excerpt, mode: .form).problems(
                        .object(Dictionary(pairs.map { ($0.0, JSONValue.string($0.1)) }, uniquingKeysWith: { a, _ in a })), model: model)
                } else {
                    problem("Content-Type", "application/x-www-form-urlencoded is not described for this operation")
                }
            } else {
                problem("Content-Type", "“\(contentType)” is not described for this operation")
            }
        } else if !body.isEmpty {
            problem("body", "this operation takes no body")
        }
        return found.map { Finding(operation: operation.key, side: .request, problem: $0) }
    }

    /// Body models that document a `multipart/form-data` upload (`attachments[]`), such as the v1.1 direct cost create.
    func takesMultipart(_ model: String) -> Bool {
        guard let schema = excerpt.definitions[model], let properties = schema["properties"]?.objectValue else { return false }
        return properties.values.contains { $0["description"]?.stringValue?.contains("multipart/form-data") == true }
    }

    /// Integers, booleans and dates as Procore reads them in a query; a date filter may be Procore's range
    /// (`a...b`, dates or timestamps: procore-api.md §3.2, "Filtering on list actions").
    static func queryValue(_ value: String, fits type: String) -> Bool {
        switch type {
        case "StrictInt", "integer": return Int64(value) != nil
        case "StrictBool": return ["true", "false"].contains(value)
        case "date", "datetime":
            let ends = value.components(separatedBy: "...")
            guard ends.count <= 2 else { return false }
            return ends.allSatisfy { SchemaValidator.isFormat($0, "date") || SchemaValidator.isFormat($0, "date-time") }
        default: return true
        }
    }

    // MARK: - Answers

    /// What is wrong with an answer: a 2xx status the operation does not describe, or a body outside its model.
    public func responseFindings(method: String, path: String, status: Int, body: Data) -> [Finding]? {
        let path = Self.judgedPath(path)
        guard let operation = excerpt.operation(method: method, path: path) else { return nil }
        let key = String(status)
        guard let described = operation.responses[key] else {
            if (200..<300).contains(status) {
                return [Finding(
                    operation: operation.key, side: .response,
                    problem: .init(path: "status", message: "\(status) is not described (described: \(operation.responses.keys.sorted()))", unknownField: false))]
            }
            return []
        }
        guard let model = described, !body.isEmpty else { return [] }
        do {
            return SchemaValidator(excerpt: excerpt).problems(try JSONValue.parse(body), model: model)
                .map { Finding(operation: operation.key, side: .response, problem: $0) }
        } catch {
            return [Finding(operation: operation.key, side: .response, problem: .init(path: "body", message: "is not JSON", unknownField: false))]
        }
    }

    public func findings(_ exchange: APIExchange) -> [Finding]? {
        guard let request = requestFindings(
            method: exchange.method, path: exchange.path, query: exchange.query, headers: exchange.requestHeaders, body: exchange.requestBody)
        else { return nil }
        return request + (responseFindings(method: exchange.method, path: exchange.path, status: exchange.status, body: exchange.responseBody) ?? [])
    }

    // MARK: - Form bodies

    static func formPairs(_ text: String) -> [(String, String)] {
        text.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) }
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }
    }

    /// A multipart body as the object Procore's Rails would read: `direct_cost[line_items][0][wbs_code_id]` fields nest,
    /// `name[]` collects a list, and a file part stands as its filename.
    public struct FormProblem: Error { public var message: String }

    public static func multipartObject(_ body: Data, boundary: String) throws(FormProblem) -> JSONValue {
        guard !boundary.isEmpty else { throw FormProblem(message: "multipart body without a boundary") }
        let text = String(decoding: body, as: UTF8.self)
        var fields: [(String, String)] = []
        for chunk in text.components(separatedBy: "--" + boundary).dropFirst() {
            if chunk.hasPrefix("--") { break }
            guard let split = chunk.range(of: "\r\n\r\n") else { throw FormProblem(message: "a multipart part without headers") }
            let head = chunk[chunk.startIndex..<split.lowerBound]
            var value = String(chunk[split.upperBound...])
            if value.hasSuffix("\r\n") { value.removeLast() }  // "\r\n" is one Character
            guard let disposition = head.components(separatedBy: "\r\n").first(where: { $0.lowercased().hasPrefix("content-disposition") }),
                let name = attribute("name", in: disposition)
            else { throw FormProblem(message: "a multipart part without a name") }
            fields.append((name, attribute("filename", in: disposition) ?? value))
        }
        var root = JSONValue.object([:])
        for (name, value) in fields {
            guard let keys = bracketKeys(name) else { throw FormProblem(message: "“\(name)” is not a form field name") }
            root = insert(.string(value), at: keys[...], into: root)
        }
        return root
    }

    static func attribute(_ name: String, in header: String) -> String? {
        guard let range = header.range(of: "\(name)=\"") else { return nil }
        let rest = header[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }

    /// `a[b][0][c]` → ["a", "b", "0", "c"]; `a[]` → ["a", ""].
    static func bracketKeys(_ name: String) -> [String]? {
        guard let open = name.firstIndex(of: "[") else { return [name] }
        var keys = [String(name[..<open])]
        var rest = name[open...]
        while !rest.isEmpty {
            guard rest.first == "[", let close = rest.firstIndex(of: "]") else { return nil }
            keys.append(String(rest[rest.index(after: rest.startIndex)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return keys
    }

    static func insert(_ value: JSONValue, at keys: ArraySlice<String>, into node: JSONValue) -> JSONValue {
        guard let key = keys.first else { return value }
        let rest = keys.dropFirst()
        let nextIsList = rest.first.map { $0.isEmpty || Int($0) != nil } ?? false
        if key.isEmpty || Int(key) != nil {
            var list = node.arrayValue ?? []
            if key.isEmpty {
                list.append(insert(value, at: rest, into: nextIsList ? .array([]) : .object([:])))
            } else {
                let index = Int(key)!
                while list.count <= index { list.append(nextIsList ? .array([]) : .object([:])) }
                list[index] = insert(value, at: rest, into: list[index])
            }
            return .array(list)
        }
        var object = node.objectValue ?? [:]
        object[key] = insert(value, at: rest, into: object[key] ?? (nextIsList ? .array([]) : .object([:])))
        return .object(object)
    }
}
