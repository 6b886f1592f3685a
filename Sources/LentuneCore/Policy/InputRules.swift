import Foundation

/// Rules every piece of text and every date from outside (a form, the API, Procore, a webhook) must pass before it is
/// stored. They live in Core so that each edge applies the same rule with the same message.
public enum InputRules {
    /// Whether `text` holds a control character other than tab and newline (a carriage return is accepted only as part
    /// of a CRLF line break, which browsers send from text areas). PostgreSQL refuses NUL in text and SQLite cuts the
    /// text there, so such text is refused rather than stored changed.
    public static func hasForbiddenControlCharacter(_ text: String) -> Bool {
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            if previousWasCR, scalar != "\n" { return true }
            previousWasCR = false
            switch scalar.value {
            case 0x09, 0x0A: continue
            case 0x0D: previousWasCR = true
            case 0x00...0x1F, 0x7F...0x9F: return true
            default: continue
            }
        }
        return previousWasCR
    }

    /// The message for a field whose text has a forbidden control character.
    public static func controlCharacterMessage(_ label: String) -> String {
        "\(label) contains a control character (such as NUL); only tab and line breaks are allowed."
    }

    /// A calendar date written `YYYY-MM-DD` as midnight UTC, or `nil` when it is not a real date in `years`.
    /// Unlike Foundation's ISO 8601 parser, 2024-02-30 is refused instead of becoming 2024-03-01.
    public static func date(_ text: String, years: ClosedRange<Int> = 1900...2200) -> Date? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 10, utf8[4] == UInt8(ascii: "-"), utf8[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in utf8[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            years.contains(year), (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year)
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: DateComponents(year: year, month: month, day: day))
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
