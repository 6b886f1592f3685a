import Foundation
import Vapor

/// The raw query string, parsed the way Rails reads it: `a[]=1&a[]=2` is a list, `+` is a space.
public struct Query: Sendable {
    public var pairs: [(String, String)]

    /// From a request's URI. When the request target held characters that are not valid in a URL (Procore's
    /// documented `filters[id][]` with raw brackets), Vapor's URI parsing re-encodes the whole target, turning `%3A`
    /// into `%253A`; the values are then decoded a second time.
    public init(uri: URI) {
        self.init(uri.query, reencoded: uri.query?.contains("%25") == true)
    }

    public init(_ raw: String?, reencoded: Bool = false) {
        pairs = (raw ?? "").split(separator: "&").compactMap { part in
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                let once = String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
                guard reencoded else { return once }
                return once.removingPercentEncoding ?? once
            }
            guard let key = kv.first.map(decode), !key.isEmpty else { return nil }
            return (key, kv.count > 1 ? decode(kv[1]) : "")
        }
    }

    public subscript(key: String) -> String? { pairs.last { $0.0 == key }?.1 }

    /// Every value of `key[]` (and of `key` given several times).
    public func all(_ key: String) -> [String] {
        pairs.filter { $0.0 == key + "[]" || $0.0 == key }.map(\.1)
    }

    public func int64(_ key: String) throws(ProcoreError) -> Int64? {
        guard let raw = self[key], !raw.isEmpty else { return nil }
        guard let value = Int64(raw) else { throw ProcoreError.field(.badRequest, key, "is not a valid integer") }
        return value
    }

    public func requireInt64(_ key: String) throws(ProcoreError) -> Int64 {
        guard let value = try int64(key) else { throw ProcoreError.field(.badRequest, key, "is missing") }
        return value
    }

    public func bool(_ key: String) -> Bool? {
        switch self[key]?.lowercased() {
        case "true", "1": true
        case "false", "0": false
        default: nil
        }
    }
}

/// `filters[updated_at]=start...end` (both ends inclusive).
public struct TimeRange: Sendable {
    public var start: Date
    public var end: Date

    public static func parse(_ raw: String, field: String) throws(ProcoreError) -> TimeRange {
        let parts = raw.components(separatedBy: "...")
        guard parts.count == 2, let start = ProcoreFormat.parseInstant(parts[0]),
            let end = ProcoreFormat.parseInstant(parts[1], endOfDay: true)
        else {
            throw ProcoreError.field(
                .badRequest, field, "must be a range of ISO 8601 times written start...end, e.g. 2026-01-01T00:00:00Z...2026-01-31T23:59:59Z")
        }
        return TimeRange(start: start, end: end)
    }

    public func contains(_ date: Date) -> Bool { date >= start && date <= end }
}
