import Foundation

/// Money is `Decimal`, never `Double`. Amounts are held to the cent; every rounding in Lentune goes through
/// `roundedToCents()` so that the rule is written down once.
///
/// Rule (NZ/AU practice, IRD and ATO accept it): round half away from zero to 2 places, per line. Totals are sums of
/// rounded line figures, so a PO's total always equals the sum of what its lines show.
public enum Money {
    public static let scale: Int = 2

    /// Parses a user-typed amount such as "1,234.50" or "-12". Rejects anything that is not a plain decimal number
    /// (no exponent, no currency symbol, at most `maxFractionDigits` decimals).
    public static func parse(_ text: String, maxFractionDigits: Int = 4) -> Decimal? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: "")
        guard !trimmed.isEmpty, trimmed.count <= 32 else { return nil }
        var sawDot = false
        var fraction = 0
        for (index, character) in trimmed.enumerated() {
            switch character {
            case "-" where index == 0: continue
            case ".":
                guard !sawDot else { return nil }
                sawDot = true
            case "0"..."9":
                if sawDot { fraction += 1 }
            default: return nil
            }
        }
        guard fraction <= maxFractionDigits, trimmed != "-", trimmed != ".", trimmed != "-." else { return nil }
        return Decimal(string: trimmed, locale: Locale(identifier: "en_US_POSIX"))
    }

    /// "1234.5" → "1234.50": the canonical text form used in the database, APIs and Procore payloads.
    public static func format(_ amount: Decimal, scale: Int = Money.scale) -> String {
        let rounded = amount.rounded(scale: scale)
        var text = NSDecimalNumber(decimal: rounded).stringValue
        if text == "-0" { text = "0" }
        var parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 1 { parts.append("") }
        let fraction = parts[1].padding(toLength: scale, withPad: "0", startingAt: 0)
        return scale == 0 ? parts[0] : "\(parts[0]).\(fraction)"
    }

    /// "1234.5" → "1,234.50" for pages.
    public static func display(_ amount: Decimal) -> String {
        let plain = format(amount)
        let negative = plain.hasPrefix("-")
        let digits = negative ? String(plain.dropFirst()) : plain
        let parts = digits.split(separator: ".")
        var whole = String(parts[0])
        var grouped = ""
        while whole.count > 3 {
            grouped = "," + whole.suffix(3) + grouped
            whole = String(whole.dropLast(3))
        }
        return (negative ? "-" : "") + whole + grouped + "." + parts[1]
    }
}

extension Decimal {
    /// Half away from zero (`.plain`), the rounding Lentune uses for money.
    public func rounded(scale: Int = Money.scale) -> Decimal {
        var value = self
        var result = Decimal()
        NSDecimalRound(&result, &value, scale, .plain)
        return result
    }

    public func roundedToCents() -> Decimal { rounded(scale: Money.scale) }
}
