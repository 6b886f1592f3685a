import Foundation
import LentuneCore

/// Money and quantities are stored as 64-bit integers of minor units, so that they stay exact on both SQLite (which
/// has no exact decimal type) and PostgreSQL, and can still be summed and sorted in SQL.
/// Money uses 2 places (cents); quantities and unit costs use 4.
public enum Scaled {
    static let moneyScale = 2
    static let quantityScale = 4

    /// A value that does not fit the 64-bit column. Core's limits (`Money.maximum`) keep every real amount far inside
    /// it; this is the last line of defence, so that nothing is ever stored wrapped (NSDecimalNumber's `int64Value`
    /// wraps silently).
    public struct OutOfRange: Error, CustomStringConvertible {
        public var value: Decimal
        public var description: String { "\(value) is too large to store" }
    }

    static func store(_ value: Decimal, scale: Int) throws(OutOfRange) -> Int64 {
        let shifted = (value * pow(10, scale)).rounded(scale: 0)
        guard !shifted.isNaN, let stored = Int64(shifted.description) else { throw OutOfRange(value: value) }
        return stored
    }

    /// `stored` × 10^-scale, built directly (a `Decimal` division is slow and this runs for every listed row).
    static func load(_ stored: Int64, scale: Int) -> Decimal {
        Decimal(sign: stored < 0 ? .minus : .plus, exponent: -scale, significand: Decimal(stored.magnitude))
    }

    static func money(_ value: Decimal) throws(OutOfRange) -> Int64 { try store(value, scale: moneyScale) }
    static func money(_ stored: Int64) -> Decimal { load(stored, scale: moneyScale) }
    static func quantity(_ value: Decimal) throws(OutOfRange) -> Int64 { try store(value, scale: quantityScale) }
    static func quantity(_ stored: Int64) -> Decimal { load(stored, scale: quantityScale) }
}
