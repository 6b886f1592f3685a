import Foundation

extension Procore {
    /// Money or a quantity as Procore sends it: a decimal string ("1000.0") or a JSON number. Kept exact as `Decimal`.
    public struct Amount: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
        public var value: Decimal

        public init(_ value: Decimal) { self.value = value }

        public init(stringLiteral value: String) { self.value = Decimal(string: value)! }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                // "96.36%" appears in percent fields.
                let cleaned = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "%", with: "")
                guard let value = Amount.parse(cleaned) else {
                    throw DecodingError.dataCorruptedError(in: container, debugDescription: "“\(text)” is not a decimal number")
                }
                self.value = value
            } else {
                value = try container.decode(Decimal.self)
            }
        }

        /// Encoded as a string, which every Procore endpoint accepts for money.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(description)
        }

        public var description: String { NSDecimalNumber(decimal: value).stringValue }

        static func parse(_ text: String) -> Decimal? {
            guard !text.isEmpty, text.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" || $0 == "+" }) else { return nil }
            return Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
        }
    }

    /// A calendar date without a time zone (`YYYY-MM-DD`), parsed strictly.
    public struct Day: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
        public var year: Int
        public var month: Int
        public var day: Int

        public init?(_ text: String) {
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
                let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month)
            else { return nil }
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            guard let first = calendar.date(from: DateComponents(year: year, month: month, day: 1)),
                let days = calendar.range(of: .day, in: .month, for: first), days.contains(day)
            else { return nil }
            self.year = year
            self.month = month
            self.day = day
        }

        /// The UTC calendar day of `date`.
        public init(utc date: Date) {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            (year, month, day) = (parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
        }

        /// Midnight UTC of the day.
        public var utcDate: Date? {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            return calendar.date(from: DateComponents(year: year, month: month, day: day))
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let day = Day(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "“\(text)” is not a YYYY-MM-DD date")
            }
            self = day
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(description)
        }

        public var description: String { String(format: "%04d-%02d-%02d", year, month, day) }

        public static func < (lhs: Day, rhs: Day) -> Bool { (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day) }
    }

    /// The JSON coders for Procore: snake_case keys, UTC timestamps parsed strictly (with or without fractions).
    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
            if let date = try? Date(text, strategy: .iso8601) { return date }
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "“\(text)” is not an ISO 8601 timestamp")
        }
        return decoder
    }()

    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    /// `{id, name}` references inside records.
    public struct Ref: Hashable, Sendable, Codable {
        public var id: ID
        public var name: String?
    }
}
