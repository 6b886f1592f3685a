import Foundation
import LentunePropertyTesting
import PropertyBased
import Testing

@testable import LentuneCore

/// Random numbers and text across their full ranges: nothing traps, and every limit holds (issue 10).
@Suite struct MoneyPropertyTests {
    /// Decimals from the whole `Int64` significand range at exponents from 10^-20 to 10^20.
    static let anyDecimal = Gen.int64().map { Decimal($0) }
    static let exponent = Gen.int(in: -20...20)

    static func decimal(_ significand: Int64, _ exponent: Int) -> Decimal {
        Decimal(sign: significand < 0 ? .minus : .plus, exponent: exponent, significand: Decimal(significand.magnitude))
    }

    @Test func formatAndParse_roundTripEveryAmountWithinTheLimit() async {
        await seededPropertyCheck(seed: 2026_0101, input: Gen.int64(in: -99_999_999_999_999...99_999_999_999_999)) { cents in
            let amount = Self.decimal(cents, -2)
            try #require(Money.isWithinLimit(amount))
            try #require(Money.parse(Money.format(amount)) == amount)
            try #require(Money.parse(Money.display(amount)) == amount)
        }
    }

    @Test func format_andLimits_neverTrap_onAnyDecimal() async {
        await seededPropertyCheck(seed: 2026_0102, input: zip(Gen.int64(), Self.exponent)) { input in
            let value = Self.decimal(input.0, input.1)
            _ = Money.format(value)
            _ = Money.display(value)
            try #require(Money.isWithinLimit(value) == (value.magnitude <= Money.maximum))
        }
    }

    @Test func parse_neverTraps_andOnlyAcceptsPlainDecimals() async {
        let characters = Gen.character(in: "\u{0}"..."\u{036F}")
        await seededPropertyCheck(seed: 2026_0103, count: 500, input: characters.string(of: 0...40)) { text in
            guard let parsed = Money.parse(text, maxFractionDigits: 4) else { return }
            // What parses is digits, one optional dot and sign, commas and spaces: nothing else slipped through.
            try #require(text.unicodeScalars.allSatisfy { "0123456789.-, ".unicodeScalars.contains($0) })
            try #require(!parsed.isNaN)
        }
    }

    @Test func lineAmounts_overTheMaximum_areAlwaysReported() async {
        let quantity = Gen.int64(in: 1...1_000_000_000)
        let unitCost = Gen.int64(in: 0...1_000_000_000)
        await seededPropertyCheck(seed: 2026_0104, input: zip(quantity, unitCost)) { input in
            let (quantity, unitCost) = input
            let line = PurchaseOrder.Line(position: 0, description: "x", quantity: Decimal(quantity), unitCost: Decimal(unitCost))
            let po = PurchaseOrder(
                organisationID: .init(), number: "PO-1", supplierID: .init(), projectID: .init(), title: "t", lines: [line])
            let over = Decimal(quantity) * Decimal(unitCost) > Money.maximum
            try #require(po.amountProblems.isEmpty == !over)
            // Whatever passes has a total that fits 64-bit cents with room to spare.
            if !over { try #require(po.totals.includingTax * 100 < Decimal(Int64.max)) }
        }
    }

    @Test func theReviewersOverflow_isRefused() {
        let line = PurchaseOrder.Line(position: 0, description: "x", quantity: 1_000_000_000, unitCost: 150_000_000)
        let po = PurchaseOrder(organisationID: .init(), number: "PO-1", supplierID: .init(), projectID: .init(), title: "t", lines: [line])
        #expect(po.amountProblems.map(\.message) == ["Line 1: the amount (quantity × unit cost) must be between 0 and 999,999,999,999.99."])
    }

    @Test func totalOverTheMaximum_isReportedForTheWholeDocument() {
        let lines = (0..<3).map { PurchaseOrder.Line(position: $0, description: "x", quantity: 1_000, unitCost: 500_000_000) }
        let po = PurchaseOrder(organisationID: .init(), number: "PO-1", supplierID: .init(), projectID: .init(), title: "t", lines: lines)
        #expect(po.amountProblems.count == 1)
        #expect(po.amountProblems.first?.position == nil)
    }
}

@Suite struct InputRulesTests {
    @Test func controlCharacters_otherThanTabAndLineBreaks_areFound() {
        #expect(InputRules.hasForbiddenControlCharacter("nul\u{0}byte"))
        #expect(InputRules.hasForbiddenControlCharacter("bell\u{7}"))
        #expect(InputRules.hasForbiddenControlCharacter("c1\u{85}"))
        #expect(InputRules.hasForbiddenControlCharacter("lone\rreturn"))
        #expect(!InputRules.hasForbiddenControlCharacter("tab\there\nnewline\r\nwindows"))
        #expect(!InputRules.hasForbiddenControlCharacter("Ōtautahi — café ✓"))
    }

    @Test func controlCharacterScan_neverTraps() async {
        await seededPropertyCheck(seed: 2026_0105, count: 300, input: Gen.character(in: "\u{0}"..."\u{FF}").string(of: 0...30)) { text in
            let expected = text.unicodeScalars.contains { scalar in
                (scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r") || (0x7F...0x9F).contains(scalar.value)
            } || text.unicodeScalars.enumerated().contains { index, scalar in
                scalar == "\r" && Array(text.unicodeScalars).dropFirst(index + 1).first != "\n"
            }
            try #require(InputRules.hasForbiddenControlCharacter(text) == expected, "\(text.debugDescription)")
        }
    }

    @Test func dates_mustBeRealCalendarDates() {
        #expect(InputRules.date("2024-02-30") == nil)
        #expect(InputRules.date("2023-02-29") == nil)
        #expect(InputRules.date("2024-13-01") == nil)
        #expect(InputRules.date("2024-04-31") == nil)
        #expect(InputRules.date("1899-12-31") == nil)
        #expect(InputRules.date("2024-2-3") == nil)
        #expect(InputRules.date("２０２４-02-01") == nil)
        #expect(InputRules.date("2024-02-29") == Date(timeIntervalSince1970: 1_709_164_800))
        #expect(InputRules.date("2000-02-29") != nil)
        #expect(InputRules.date("1900-02-29") == nil)
    }

    @Test func dateParsing_agreesWithTheCalendar_forEveryDayAndNeverTraps() async {
        await seededPropertyCheck(seed: 2026_0106, input: zip(Gen.int(in: 1800...2300), Gen.int(in: 0...13), Gen.int(in: 0...32))) { input in
            let (year, month, day) = input
            let text = String(format: "%04d-%02d-%02d", year, month, day)
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let components = DateComponents(year: year, month: month, day: day)
            let real = (1900...2200).contains(year) && components.isValidDate(in: calendar)
            try #require((InputRules.date(text) != nil) == real, "\(text)")
        }
    }

    /// Issue 29: amounts typed with a decimal comma, thousands separators, spaces or a currency sign are read correctly
    /// or refused, never silently changed.
    @Test func typedAmounts_areReadAsWritten_orRefused() {
        let read: [(String, String)] = [
            ("12.50", "12.5"), ("1,234.50", "1234.5"), ("1 234.50", "1234.5"), ("1\u{00A0}234.50", "1234.5"), ("1\u{202F}234", "1234"),
            ("$1,234.50", "1234.5"), ("-$12", "-12"), ("$-12", "-12"), ("NZ$ 99", "99"), ("A$5.25", "5.25"), ("  $ 1 000 000 ", "1000000"),
        ]
        for (text, value) in read { #expect(Money.parse(text) == Decimal(string: value), "\(text)") }
        for text in ["12,50", "1,5", "1 5", "1 234,50", "12 50", "$", "$-", "--12", "-$-12", "€12", "$$12", "1,2345.00", "12.50$", "1 000.5 0"] {
            #expect(Money.parse(text) == nil, "\(text) should be refused")
        }
    }

    @Test func quantityWithACombiningMark_isNotANumber() {
        #expect(Money.parse("1\u{308}") == nil)
        #expect(Money.parse("١٢") == nil)
    }
}
