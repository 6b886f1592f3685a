/// A strict JSON reader over bytes that visits a document once and builds only the values its caller asks for.
///
/// Webhook intake reads eleven fields of a small document per delivery; Foundation's `JSONDecoder` built a tree of
/// the whole document and decoded it through `Codable`, 8 % of intake's CPU (docs/BENCHMARKS.md). This reader checks
/// the whole grammar of RFC 8259 as it goes: a document it accepts is JSON; one it refuses is not, or nests deeper
/// than `maxDepth`. That is a little stricter than `JSONDecoder`, which let two faults through in values it did not
/// decode: a bad escape in a string, and a malformed number (`1e`, `--5`). Strings it returns are unescaped and valid
/// UTF-8; strings it skips are checked for their escapes and control characters, not for their UTF-8.
struct JSONFieldReader {
    struct Invalid: Error {}

    /// What a value was, as a field reader needs it.
    enum Value: Equatable {
        case string(String)
        /// A number: its value when it is an integer literal (no fraction or exponent) within `Int64`, else nil.
        case number(Int64?)
        case null
        /// `true`, `false`, an object or an array (read and skipped).
        case other
    }

    /// As deep as `JSONDecoder` nests.
    static let maxDepth = 512

    private let bytes: UnsafeRawBufferPointer
    private var at = 0
    private var depth = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Reads a whole document that is one object, calling `field` for each member with its key; `field` must read
    /// the member's value (with `value()`, `string()`, `object(_:)` or `skip()`).
    static func readObject(_ bytes: UnsafeRawBufferPointer, _ field: (inout JSONFieldReader, String) throws -> Void) throws {
        var reader = JSONFieldReader(bytes)
        reader.skipWhitespace()
        try reader.object(field)
        reader.skipWhitespace()
        guard reader.at == bytes.count else { throw Invalid() }
    }

    // MARK: Values a field reader asks for

    /// An object, member by member (see `readObject`).
    mutating func object(_ field: (inout JSONFieldReader, String) throws -> Void) throws {
        try expect(UInt8(ascii: "{"))
        try items(closing: UInt8(ascii: "}")) { reader in
            guard let key = try reader.readString(keep: true) else { throw Invalid() }
            reader.skipWhitespace()
            try reader.expect(UInt8(ascii: ":"))
            reader.skipWhitespace()
            try field(&reader, key)
        }
    }

    /// A string or null; any other value is invalid here (as `Codable` refuses a number for a `String?`).
    mutating func string() throws -> String? {
        switch try value() {
        case .string(let text): text
        case .null: nil
        case .number, .other: throw Invalid()
        }
    }

    /// Reads a null and answers true; answers false, reading nothing, when the value is not null.
    mutating func null() throws -> Bool {
        guard peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    /// Any value.
    mutating func value() throws -> Value {
        switch peek() ?? 0 {
        case UInt8(ascii: "\""): return .string(try readString(keep: true)!)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try readNumber())
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default:
            try skip()
            return .other
        }
    }

    /// Reads any value and keeps nothing.
    mutating func skip() throws {
        switch peek() ?? 0 {
        case UInt8(ascii: "{"): try object { reader, _ in try reader.skip() }
        case UInt8(ascii: "["): try array()
        case UInt8(ascii: "\""): _ = try readString(keep: false)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try readNumber()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: throw Invalid()
        }
    }

    // MARK: The grammar

    private mutating func array() throws {
        try expect(UInt8(ascii: "["))
        try items(closing: UInt8(ascii: "]")) { reader in try reader.skip() }
    }

    /// The members of an object or the items of an array, after its opening byte: `item` reads each, and they are
    /// separated by commas up to `close`.
    private mutating func items(closing close: UInt8, _ item: (inout JSONFieldReader) throws -> Void) throws {
        try enter()
        skipWhitespace()
        if peek() == close {
            at += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            try item(&self)
            skipWhitespace()
            switch next() {
            case UInt8(ascii: ","): continue
            case close:
                depth -= 1
                return
            default: throw Invalid()
            }
        }
    }

    /// A string's text (unescaped, valid UTF-8) when `keep`; nil otherwise.
    private mutating func readString(keep: Bool) throws -> String? {
        try expect(UInt8(ascii: "\""))
        let start = at
        var escaped = false
        while true {
            guard at < bytes.count else { throw Invalid() }
            let byte = bytes[at]
            if byte == UInt8(ascii: "\"") { break }
            guard byte >= 0x20 else { throw Invalid() }
            at += 1
            if byte == UInt8(ascii: "\\") {
                escaped = true
                switch next() {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"),
                    UInt8(ascii: "r"), UInt8(ascii: "t"):
                    break
                case UInt8(ascii: "u"): _ = try escapedScalar()
                default: throw Invalid()
                }
            }
        }
        let end = at
        at += 1
        guard keep else { return nil }
        let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        guard escaped else {
            guard let text = String(validating: raw, as: UTF8.self) else { throw Invalid() }
            return text
        }
        var unescaped: [UInt8] = []
        unescaped.reserveCapacity(raw.count)
        var reader = JSONFieldReader(raw)
        while reader.at < raw.count {
            let byte = raw[reader.at]
            reader.at += 1
            guard byte == UInt8(ascii: "\\") else {
                unescaped.append(byte)
                continue
            }
            let kind = reader.next()
            switch kind {
            case UInt8(ascii: "b"): unescaped.append(0x08)
            case UInt8(ascii: "f"): unescaped.append(0x0C)
            case UInt8(ascii: "n"): unescaped.append(0x0A)
            case UInt8(ascii: "r"): unescaped.append(0x0D)
            case UInt8(ascii: "t"): unescaped.append(0x09)
            case UInt8(ascii: "u"): unescaped.append(contentsOf: String(Character(try reader.escapedScalar())).utf8)
            default: unescaped.append(kind ?? 0)  // " \ /
            }
        }
        guard let text = String(validating: unescaped, as: UTF8.self) else { throw Invalid() }
        return text
    }

    /// The scalar of a `\u` escape (just past its `u`), with the low half of a surrogate pair when it is the high
    /// half; a lone half is invalid (as `JSONDecoder` has it).
    private mutating func escapedScalar() throws -> Unicode.Scalar {
        let unit = try hex4()
        switch unit {
        case 0xD800...0xDBFF:
            guard next() == UInt8(ascii: "\\"), next() == UInt8(ascii: "u") else { throw Invalid() }
            let low = try hex4()
            guard (0xDC00...0xDFFF).contains(low) else { throw Invalid() }
            return Unicode.Scalar(0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00))!
        case 0xDC00...0xDFFF: throw Invalid()
        default: return Unicode.Scalar(unit)!
        }
    }

    private mutating func hex4() throws -> UInt16 {
        var unit: UInt16 = 0
        for _ in 0..<4 {
            let digit: UInt16 =
                switch next() {
                case let byte? where (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte): UInt16(byte - UInt8(ascii: "0"))
                case let byte? where (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte): UInt16(byte - UInt8(ascii: "a") + 10)
                case let byte? where (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte): UInt16(byte - UInt8(ascii: "A") + 10)
                default: throw Invalid()
                }
            unit = unit << 4 | digit
        }
        return unit
    }

    /// A number (RFC 8259's grammar); its value when it is an integer literal within `Int64`.
    private mutating func readNumber() throws -> Int64? {
        let negative = peek() == UInt8(ascii: "-")
        if negative { at += 1 }
        guard let first = peek(), isDigit(first) else { throw Invalid() }
        var value: Int64? = 0
        if first == UInt8(ascii: "0") {
            at += 1
        } else {
            while let byte = peek(), isDigit(byte) {
                at += 1
                // Built negative, so that Int64.min fits.
                if let sum = value {
                    let (times, over1) = sum.multipliedReportingOverflow(by: 10)
                    let (next, over2) = times.subtractingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
                    value = over1 || over2 ? nil : next
                }
            }
        }
        var integral = true
        if peek() == UInt8(ascii: ".") {
            at += 1
            try digits()
            integral = false
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            at += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { at += 1 }
            try digits()
            integral = false
        }
        guard integral, let value else { return nil }
        if negative { return value }
        return value == .min ? nil : -value
    }

    private mutating func digits() throws {
        guard let first = peek(), isDigit(first) else { throw Invalid() }
        while let byte = peek(), isDigit(byte) { at += 1 }
    }

    private func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private mutating func literal(_ word: StaticString) throws {
        let text = UnsafeRawBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard bytes.count - at >= text.count, bytes[at..<at + text.count].elementsEqual(text) else { throw Invalid() }
        at += text.count
    }

    private mutating func enter() throws {
        depth += 1
        guard depth <= Self.maxDepth else { throw Invalid() }
    }

    private mutating func expect(_ byte: UInt8) throws {
        guard next() == byte else { throw Invalid() }
    }

    private func peek() -> UInt8? { at < bytes.count ? bytes[at] : nil }

    private mutating func next() -> UInt8? {
        guard at < bytes.count else { return nil }
        defer { at += 1 }
        return bytes[at]
    }

    private mutating func skipWhitespace() {
        while at < bytes.count {
            switch bytes[at] {
            case 0x20, 0x09, 0x0A, 0x0D: at += 1
            default: return
            }
        }
    }
}
