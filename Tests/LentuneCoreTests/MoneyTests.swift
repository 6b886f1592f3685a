import Foundation
import Testing

@testable import LentuneCore

@Suite struct MoneyTests {
    @Test(arguments: [
        ("1.005", "1.01"), ("1.004", "1.00"), ("-1.005", "-1.01"), ("2.5", "2.50"), ("0", "0.00"), ("-0.001", "0.00"),
        ("1234567.125", "1234567.13"),
    ])
    func format_roundsHalfAwayFromZero(input: String, expected: String) {
        #expect(Money.format(Decimal(string: input)!) == expected)
    }

    @Test func parse_acceptsPlainDecimals() {
        #expect(Money.parse("1,234.50") == Decimal(string: "1234.50"))
        #expect(Money.parse(" -12 ") == Decimal(-12))
        #expect(Money.parse("$5") == Decimal(5))  // a leading dollar sign is read (issue 29; it was refused before)
        for bad in ["", "abc", "1e5", "5$", "1.2.3", "-", ".", "1.23456", "12-3", String(repeating: "9", count: 40)] {
            #expect(Money.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func display_groupsThousands() {
        #expect(Money.display(Decimal(string: "1234567.5")!) == "1,234,567.50")
        #expect(Money.display(Decimal(string: "-999.999")!) == "-1,000.00")
        for (input, expected) in [
            ("0", "0.00"), ("0.5", "0.50"), ("-0.004", "0.00"), ("999", "999.00"), ("1000", "1,000.00"), ("100000", "100,000.00"),
            ("-123456.7", "-123,456.70"), ("12345678901234.565", "12,345,678,901,234.57"), ("1e5", "100,000.00"),
        ] {
            #expect(Money.display(Decimal(string: input)!) == expected, "\(input)")
        }
    }

    /// Every amount of cents, built from its integer digits, formats as those digits with the point put back.
    @Test func formatAndDisplay_matchIntegerCentsOverManyValues() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let cents = Int64.random(in: -10_000_000_000_000...10_000_000_000_000, using: &generator)
            let amount = Decimal(cents) / 100
            let magnitude = String(cents.magnitude)
            let padded = String(repeating: "0", count: max(0, 3 - magnitude.count)) + magnitude
            let whole = String(padded.dropLast(2))
            let expected = (cents < 0 ? "-" : "") + whole + "." + padded.suffix(2)
            #expect(Money.format(amount) == expected)
            var grouped = ""
            for (index, digit) in whole.enumerated() {
                if index > 0, (whole.count - index) % 3 == 0 { grouped += "," }
                grouped.append(digit)
            }
            #expect(Money.display(amount) == (cents < 0 ? "-" : "") + grouped + "." + padded.suffix(2))
        }
    }

    @Test func poTotals_areSumsOfPerLineRoundedFigures() {
        // Three lines whose GST at 15% each rounds: 0.15×3.33=0.4995→0.50, per line, not on the total (1.4985→1.50).
        let gst = Decimal(string: "0.15")!
        let lines = (0..<3).map {
            PurchaseOrder.Line(position: $0, description: "Bolt", quantity: 1, unitCost: Decimal(string: "3.33")!, taxRate: gst)
        }
        let totals = Totals(lines: lines)
        #expect(totals.excludingTax == Decimal(string: "9.99"))
        #expect(totals.tax == Decimal(string: "1.50"))
        #expect(totals.includingTax == Decimal(string: "11.49"))
    }

    @Test func lineAmount_computedFromQuantityTimesUnitCostOrEntered() {
        let computed = PurchaseOrder.Line(position: 0, description: "Sand", quantity: Decimal(string: "2.5")!, unitCost: Decimal(string: "10.333")!)
        #expect(computed.amount == Decimal(string: "25.83"))
        let manual = PurchaseOrder.Line(position: 0, description: "Sand", quantity: 3, unitCost: 10, amount: Decimal(string: "29.999")!)
        #expect(manual.amount == Decimal(string: "30.00"))
    }
}
