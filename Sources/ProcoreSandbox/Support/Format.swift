import Foundation

/// How Procore writes values: money as decimal strings with at least one fractional digit ("1000.0"), timestamps as
/// UTC seconds with `Z`, dates as `YYYY-MM-DD`.
public enum ProcoreFormat {
    public static func money(_ value: Decimal) -> String {
        var rounded = Decimal()
        var copy = value
        NSDecimalRound(&rounded, &copy, 6, .plain)
        let text = NSDecimalNumber(decimal: rounded).stringValue
        return text.contains(".") ? text : text + ".0"
    }

    public static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
    }

    /// Microsecond timestamps, as on webhook events.
    public static func preciseTimestamp(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        let whole = floor(seconds)
        let micros = Int(((seconds - whole) * 1_000_000).rounded())
        let base = Date(timeIntervalSince1970: whole).formatted(
            Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day().dateTimeSeparator(.standard).time(includingFractionalSeconds: false))
        return base.replacingOccurrences(of: "Z", with: "") + String(format: ".%06dZ", min(micros, 999_999))
    }

    /// Validates `YYYY-MM-DD` (a real calendar date).
    public static func isDate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), day >= 1
        else { return false }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: 1)),
            let range = calendar.range(of: .day, in: .month, for: date)
        else { return false }
        return range.contains(day)
    }

    /// Parses a timestamp or date as Procore's filters accept them: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SSZ`,
    /// `YYYY-MM-DDTHH:MM:SS+HH:MM` (fractional seconds allowed). A space where `+` was (an unencoded `+` in a
    /// query string) is read as `+`.
    public static func parseInstant(_ raw: String, endOfDay: Bool = false) -> Date? {
        var text = raw.trimmingCharacters(in: .init(charactersIn: "\"'"))
        if let space = text.lastIndex(of: " "), text[text.index(after: space)...].first?.isNumber == true {
            text.replaceSubrange(space...space, with: "+")
        }
        if text.count == 10, isDate(text) {
            guard let start = try? Date(text + "T00:00:00Z", strategy: .iso8601) else { return nil }
            return endOfDay ? start.addingTimeInterval(86_400 - 0.000_001) : start
        }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        return try? Date(text, strategy: .iso8601)
    }
}
