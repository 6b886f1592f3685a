import Foundation

/// Checks a JSON value against one of the excerpt's schemas. The excerpt uses a small part of JSON Schema (`$ref`,
/// `anyOf`, `type`, `properties`, `required`, `items`, `enum`, `format` date and date-time, `maxLength`), and this
/// implements exactly that part (docs/DECISIONS.md says why it is Swift).
///
/// - A property the schema does not name is a problem of its own kind (`unknownField`): a request may never carry one;
///   for an answer the caller decides (docs/SANDBOX.md lists the fields Procore really sends beyond the excerpt).
/// - `null` is accepted for any property that is not required, as the excerpt's own note says: the generator's
///   nullability is not reliable.
/// - In `.form` mode (multipart and form-urlencoded bodies) every leaf arrives as text: text that reads as the
///   schema's integer, number or boolean is that.
public struct SchemaValidator: Sendable {
    public enum Mode: Sendable { case json, form }

    public struct Problem: Hashable, Sendable, CustomStringConvertible {
        public var path: String
        public var message: String
        public var unknownField: Bool
        public var description: String { "\(path): \(message)" }
    }

    public let excerpt: ProcoreExcerpt
    public var mode: Mode

    public init(excerpt: ProcoreExcerpt = .shared, mode: Mode = .json) {
        self.excerpt = excerpt
        self.mode = mode
    }

    public func problems(_ value: JSONValue, model: String) -> [Problem] {
        problems(value, schema: excerpt.schema(model: model), path: "$")
    }

    public func problems(_ value: JSONValue, schema raw: JSONValue, path: String) -> [Problem] {
        guard let schema = excerpt.resolve(raw) else { return [Problem(path: path, message: "unresolvable schema \(raw)", unknownField: false)] }
        if let branches = schema["anyOf"]?.arrayValue {
            var best: [Problem]?
            for branch in branches {
                let found = problems(value, schema: branch, path: path)
                if found.isEmpty { return [] }
                // Report against the branch that is not `null` (it says more).
                if excerpt.resolve(branch)?["type"]?.stringValue != "null", best == nil || found.count < best!.count { best = found }
            }
            return best ?? [Problem(path: path, message: "matches none of the allowed forms", unknownField: false)]
        }
        var found: [Problem] = []
        if let type = schema["type"]?.stringValue, !isType(value, type) {
            return [Problem(path: path, message: "is \(describe(value)), the schema says \(type)", unknownField: false)]
        }
        if let allowed = schema["enum"]?.arrayValue, !allowed.contains(where: { same($0, value) }) {
            found.append(Problem(path: path, message: "\(describe(value)) is not one of \(allowed.compactMap(\.stringValue))", unknownField: false))
        }
        if let format = schema["format"]?.stringValue, case .string(let text) = value, !Self.isFormat(text, format) {
            found.append(Problem(path: path, message: "“\(text)” is not a \(format)", unknownField: false))
        }
        if case .int(let limit)? = schema["maxLength"], case .string(let text) = value, text.count > limit {
            found.append(Problem(path: path, message: "is longer than \(limit) characters", unknownField: false))
        }
        if case .array(let items) = value, let itemSchema = schema["items"] {
            for (index, item) in items.enumerated() { found += problems(item, schema: itemSchema, path: "\(path)[\(index)]") }
        }
        if case .object(let object) = value, let properties = schema["properties"]?.objectValue {
            let required = Set((schema["required"]?.arrayValue ?? []).compactMap(\.stringValue))
            for name in required.sorted() where object[name] == nil {
                found.append(Problem(path: "\(path).\(name)", message: "is required and missing", unknownField: false))
            }
            for (name, item) in object.sorted(by: { $0.key < $1.key }) {
                guard let propertySchema = properties[name] else {
                    if schema["additionalProperties"] == nil {
                        found.append(Problem(path: "\(path).\(name)", message: "is not a field of this schema", unknownField: true))
                    }
                    continue
                }
                if item == .null, !required.contains(name) { continue }
                found += problems(item, schema: propertySchema, path: "\(path).\(name)")
            }
        }
        return found
    }

    /// Whether a key path (`line_items.[].cost_code.full_code`: property names, `[]` for an array's items) exists in
    /// a model: in any branch of an `anyOf`.
    public func hasPath(_ path: [String], model: String) -> Bool { hasPath(path[...], schema: excerpt.schema(model: model)) }

    func hasPath(_ path: ArraySlice<String>, schema raw: JSONValue) -> Bool {
        guard let first = path.first else { return true }
        guard let schema = excerpt.resolve(raw) else { return false }
        // `{}` (the items of some sync answers' `errors`) allows anything.
        if schema.objectValue?.keys.allSatisfy({ $0 == "description" }) == true { return true }
        if schema["additionalProperties"] != nil, schema["properties"] == nil { return true }
        if let branches = schema["anyOf"]?.arrayValue { return branches.contains { hasPath(path, schema: $0) } }
        if first == "[]" {
            guard let items = schema["items"] else { return false }
            return hasPath(path.dropFirst(), schema: items)
        }
        guard let property = schema["properties"]?[first] else { return false }
        return hasPath(path.dropFirst(), schema: property)
    }

    func isType(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("integer", .int), ("number", .int), ("number", .number), ("string", .string),
            ("array", .array), ("object", .object):
            return true
        case ("integer", .number(let d)): return d.rounded() == d
        case ("integer", .string(let s)) where mode == .form: return Int64(s) != nil
        case ("number", .string(let s)) where mode == .form: return Decimal(string: s) != nil && Double(s) != nil
        case ("boolean", .string(let s)) where mode == .form: return ["true", "false", "1", "0"].contains(s)
        default: return false
        }
    }

    func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if a == b { return true }
        if mode == .form, case .string(let text) = b {
            switch a {
            case .int(let i): return String(i) == text
            case .bool(let flag): return String(flag) == text
            default: return false
            }
        }
        return false
    }

    func describe(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): "the string “\(s.prefix(40))”"
        case .int(let i): "the integer \(i)"
        case .number(let d): "the number \(d)"
        case .bool(let b): "\(b)"
        default: value.typeName
        }
    }

    /// `date`: `YYYY-MM-DD`; `date-time`: ISO 8601 with a zone.
    public static func isFormat(_ text: String, _ format: String) -> Bool {
        switch format {
        case "date": return isDate(text)
        case "date-time":
            return (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))) != nil
                || (try? Date(text, strategy: .iso8601)) != nil
        default: return true
        }
    }

    static func isDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 3 && parts[0].count == 4 && parts[1].count == 2 && parts[2].count == 2
            && parts.allSatisfy { $0.allSatisfy(\.isNumber) } && (1...12).contains(Int(parts[1]) ?? 0) && (1...31).contains(Int(parts[2]) ?? 0)
    }
}
