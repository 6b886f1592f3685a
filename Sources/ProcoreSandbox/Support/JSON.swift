import Foundation

/// A JSON value that keeps numbers exact (64-bit integers and decimals, never `Double`) and object keys in order,
/// so the sandbox answers with Procore's shapes byte for byte.
public indirect enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case decimal(Decimal)
    case string(String)
    case array([JSON])
    case object(Object)

    public struct Object: Sendable, Equatable {
        public var pairs: [(String, JSON)]

        public init(_ pairs: [(String, JSON)] = []) { self.pairs = pairs }

        public subscript(key: String) -> JSON? {
            get { pairs.first { $0.0 == key }?.1 }
            set {
                if let index = pairs.firstIndex(where: { $0.0 == key }) {
                    if let newValue { pairs[index].1 = newValue } else { pairs.remove(at: index) }
                } else if let newValue {
                    pairs.append((key, newValue))
                }
            }
        }

        public var keys: [String] { pairs.map(\.0) }

        public static func == (lhs: Object, rhs: Object) -> Bool {
            lhs.pairs.count == rhs.pairs.count
                && lhs.pairs.allSatisfy { key, value in rhs[key] == value }
        }
    }

    // MARK: - Accessors

    public var objectValue: Object? { if case .object(let o) = self { o } else { nil } }
    public var arrayValue: [JSON]? { if case .array(let a) = self { a } else { nil } }
    public var isNull: Bool { self == .null }

    public subscript(key: String) -> JSON? { objectValue?[key] }

    // MARK: - Rendering

    public func render() -> String {
        var out = ""
        render(into: &out)
        return out
    }

    func render(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .decimal(let d): out += NSDecimalNumber(decimal: d).stringValue
        case .string(let s): JSON.quote(s, into: &out)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                item.render(into: &out)
            }
            out += "]"
        case .object(let object):
            out += "{"
            for (index, (key, value)) in object.pairs.enumerated() {
                if index > 0 { out += "," }
                JSON.quote(key, into: &out)
                out += ":"
                value.render(into: &out)
            }
            out += "}"
        }
    }

    static func quote(_ string: String, into out: inout String) {
        out += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20:
                out += "\\u" + String(format: "%04x", c.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    // MARK: - Parsing

    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Parses JSON text. Integers that fit become `.int`; other numbers `.decimal` (exact).
    public static func parse(_ data: Data) throws -> JSON {
        var parser = Parser(bytes: Array(data))
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == parser.bytes.count else { throw ParseError(description: "unexpected trailing characters") }
        return value
    }

    struct Parser {
        let bytes: [UInt8]
        var index = 0

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
        }

        func fail(_ message: String) -> ParseError { ParseError(description: "\(message) at byte \(index)") }

        mutating func value(depth: Int) throws -> JSON {
            guard depth < 64 else { throw fail("nesting too deep") }
            guard index < bytes.count else { throw fail("unexpected end of input") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            default: return try number()
            }
        }

        mutating func literal(_ word: String) throws {
            let expected = Array(word.utf8)
            guard index + expected.count <= bytes.count, Array(bytes[index..<index + expected.count]) == expected else {
                throw fail("invalid literal")
            }
            index += expected.count
        }

        mutating func number() throws -> JSON {
            let start = index
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            var sawDigit = false
            var isInteger = true
            while index < bytes.count {
                let byte = bytes[index]
                if byte >= 0x30 && byte <= 0x39 {
                    sawDigit = true
                } else if [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-")].contains(byte) {
                    isInteger = false
                } else {
                    break
                }
                index += 1
            }
            guard sawDigit, let text = String(bytes: bytes[start..<index], encoding: .utf8) else { throw fail("invalid value") }
            if isInteger, let int = Int64(text) { return .int(int) }
            guard let decimal = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
                throw fail("invalid number")
            }
            return .decimal(decimal)
        }

        mutating func string() throws -> String {
            index += 1
            var scalars = String.UnicodeScalarView()
            var run: [UInt8] = []
            func flush() {
                if !run.isEmpty { scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars); run = [] }
            }
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    flush()
                    return String(scalars)
                }
                if byte == UInt8(ascii: "\\") {
                    flush()
                    index += 1
                    guard index < bytes.count else { break }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "n"): scalars.append("\n")
                    case UInt8(ascii: "t"): scalars.append("\t")
                    case UInt8(ascii: "r"): scalars.append("\r")
                    case UInt8(ascii: "b"): scalars.append("\u{08}")
                    case UInt8(ascii: "f"): scalars.append("\u{0C}")
                    case UInt8(ascii: "/"): scalars.append("/")
                    case UInt8(ascii: "\\"): scalars.append("\\")
                    case UInt8(ascii: "\""): scalars.append("\"")
                    case UInt8(ascii: "u"):
                        var code = try hex4()
                        if (0xD800...0xDBFF).contains(code), index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                            bytes[index + 1] == UInt8(ascii: "u")
                        {
                            index += 2
                            let low = try hex4()
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let scalar = Unicode.Scalar(code) else { throw fail("invalid unicode escape") }
                        scalars.append(scalar)
                    default: throw fail("invalid escape")
                    }
                    continue
                }
                guard byte >= 0x20 else { throw fail("control character in string") }
                run.append(byte)
                index += 1
            }
            throw fail("unterminated string")
        }

        mutating func hex4() throws -> UInt32 {
            guard index + 4 <= bytes.count, let text = String(bytes: bytes[index..<index + 4], encoding: .utf8),
                let value = UInt32(text, radix: 16)
            else { throw fail("invalid unicode escape") }
            index += 4
            return value
        }

        mutating func array(depth: Int) throws -> JSON {
            index += 1
            var items: [JSON] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            while true {
                skipWhitespace()
                items.append(try value(depth: depth + 1))
                skipWhitespace()
                guard index < bytes.count else { throw fail("unterminated array") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                throw fail("expected , or ]")
            }
        }

        mutating func object(depth: Int) throws -> JSON {
            index += 1
            var object = Object()
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(object) }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                let key = try string()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected :") }
                index += 1
                skipWhitespace()
                object[key] = try value(depth: depth + 1)
                skipWhitespace()
                guard index < bytes.count else { throw fail("unterminated object") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(object) }
                throw fail("expected , or }")
            }
        }
    }
}

// MARK: - Building

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByNilLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) { self = .object(Object(elements)) }
}

extension JSON {
    public static func string(_ value: String?) -> JSON { value.map(JSON.string) ?? .null }
    public static func int(_ value: Int64?) -> JSON { value.map(JSON.int) ?? .null }
    public static func bool(_ value: Bool?) -> JSON { value.map(JSON.bool) ?? .null }
    /// Procore money: a decimal string such as "1000.0" or "425.25".
    public static func money(_ value: Decimal?) -> JSON { value.map { .string(ProcoreFormat.money($0)) } ?? .null }
    public static func date(_ value: String?) -> JSON { .string(value) }
    public static func timestamp(_ value: Date?) -> JSON { value.map { .string(ProcoreFormat.timestamp($0)) } ?? .null }
}
