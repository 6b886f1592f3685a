import Foundation

/// Money is `Decimal`, never `Double`. Amounts are held to the cent; every rounding in Lentune goes through
/// `roundedToCents()` so that the rule is written down once.
///
/// Rule (NZ/AU practice, IRD and ATO accept it): round half away from zero to 2 places, per line. Totals are sums of
/// rounded line figures, so a PO's total always equals the sum of what its lines show.
public enum Money {
    public static let scale: Int = 2

    /// The largest amount Lentune holds on a line or a whole document (excluding or including tax): 999,999,999,999.99,
    /// just under one trillion. Every amount is checked against it in Core before it is stored, so a stored amount
    /// (64-bit cents on both databases) can never overflow, and sums of up to 9,000 such amounts still fit.
    public static let maximum = Decimal(sign: .plus, exponent: -2, significand: Decimal(99_999_999_999_999 as Int64))

    /// The largest quantity or unit cost a line may have (both are held to 4 decimals).
    public static let maximumQuantity: Decimal = 1_000_000_000

    /// Whether `amount` is between -`maximum` and `maximum`.
    public static func isWithinLimit(_ amount: Decimal) -> Bool {
        !amount.isNaN && amount >= -maximum && amount <= maximum
    }

    /// "999,999,999,999.99", for messages.
    public static var maximumText: String { display(maximum) }

    /// Parses a user-typed amount such as "1,234.50", "$1 234.50" or "-12". Rejects anything that is not a plain
    /// decimal number (no exponent, at most `maxFractionDigits` decimals). A dollar sign may lead ("$12", "-$12",
    /// "NZ$12", "A$12"). A comma or a space (also a no-break space) is read only as a thousands separator in whole
    /// groups of three ("1,234.50", "12 000"); any other ("1,5", "12,50": a decimal comma) is refused, never dropped or
    /// moved: "12,50" must not become 1,250.00 (issues 29 and 30).
    public static func parse(_ text: String, maxFractionDigits: Int = 4) -> Decimal? {
        var spaced = text.trimmingCharacters(in: .whitespaces)
        var negative = false
        if spaced.hasPrefix("-") {
            negative = true
            spaced.removeFirst()
        }
        for sign in ["NZ$", "A$", "$"] where spaced.hasPrefix(sign) {
            spaced = spaced.dropFirst(sign.count).trimmingCharacters(in: .whitespaces)
            break
        }
        if !negative, spaced.hasPrefix("-") {
            negative = true
            spaced.removeFirst()
        }
        spaced = String(spaced.unicodeScalars.map { [" ", "\u{00A0}", "\u{202F}"].contains($0) ? "," : Character($0) })
        if negative { spaced = "-" + spaced }
        guard !spaced.contains(",") || hasThousandsGroups(spaced) else { return nil }
        let trimmed = spaced.replacingOccurrences(of: ",", with: "")
        guard !trimmed.isEmpty, trimmed.count <= 32 else { return nil }
        var sawDot = false
        var fraction = 0
        // Unicode scalars, not characters: "1\u{308}" is one Character that compares between "0" and "9".
        for (index, scalar) in trimmed.unicodeScalars.enumerated() {
            switch scalar {
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

    /// What a person is told when a number with a comma was refused.
    public static let commaHint = "write decimals with a dot (1.5); a comma may only separate thousands (1,500.00)"

    /// Whether every comma in `text` separates thousands: the whole part is 1–3 digits, then groups of exactly three,
    /// and no comma follows the decimal point.
    static func hasThousandsGroups(_ text: String) -> Bool {
        var body = Substring(text)
        if body.first == "-" { body = body.dropFirst() }
        let whole = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)[0]
        if body.count > whole.count, body[body.index(body.startIndex, offsetBy: whole.count)...].contains(",") { return false }
        let groups = whole.split(separator: ",", omittingEmptySubsequences: false)
        guard let first = groups.first, (1...3).contains(first.count) else { return false }
        return groups.dropFirst().allSatisfy { $0.count == 3 }
    }

    /// "1234.5" → "1234.50": the canonical text form used in the database, APIs and Procore payloads.
    public static func format(_ amount: Decimal, scale: Int = Money.scale) -> String {
        let (negative, whole, fraction) = digits(amount, scale: scale)
        var text = negative ? "-" : ""
        text += whole
        if scale > 0 { text += "." + fraction }
        return text
    }

    /// "1234.5" → "1,234.50" for pages.
    public static func display(_ amount: Decimal) -> String {
        let (negative, whole, fraction) = digits(amount, scale: scale)
        var text = negative ? "-" : ""
        text.reserveCapacity(whole.utf8.count + whole.utf8.count / 3 + scale + 2)
        let count = whole.utf8.count
        for (index, digit) in whole.enumerated() {
            if index > 0, (count - index) % 3 == 0 { text += "," }
            text.append(digit)
        }
        return text + "." + fraction
    }

    /// The sign, whole digits and exactly `scale` fraction digits of `amount` rounded to `scale` places ("-0" is "0").
    /// Every list page formats 50 amounts, so this reads `Decimal`'s text once and splits it by hand.
    static func digits(_ amount: Decimal, scale: Int) -> (negative: Bool, whole: Substring, fraction: String) {
        let text = amount.rounded(scale: scale).description
        var body = Substring(text)
        let negative = body.first == "-"
        if negative { body = body.dropFirst() }
        let whole: Substring
        var fraction: Substring = ""
        if let dot = body.firstIndex(of: ".") {
            whole = body[..<dot]
            fraction = body[body.index(after: dot)...]
        } else {
            whole = body
        }
        let padded = fraction.count >= scale ? String(fraction.prefix(scale)) : fraction + String(repeating: "0", count: scale - fraction.count)
        let isZero = whole.allSatisfy { $0 == "0" } && padded.allSatisfy { $0 == "0" }
        return (negative && !isZero, whole.isEmpty ? "0" : whole, padded)
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
