import Foundation

/// Reads writable fields from a request object with Procore's leniency (numbers may arrive as strings, money as
/// numbers or strings) and collects a message per bad field instead of failing at the first.
struct FieldReader {
    var object: JSON.Object
    var errors = FieldErrors()

    init(_ object: JSON.Object) { self.object = object }

    func has(_ key: String) -> Bool { object[key] != nil }

    /// Absent → nil; `null` → .some(nil).
    mutating func string(_ key: String, maxLength: Int = 10_000) -> String?? {
        guard let value = object[key] else { return nil }
        switch value {
        case .null: return .some(nil)
        case .string(let s):
            guard s.count <= maxLength else {
                errors.add(key, "is too long (maximum is \(maxLength) characters)")
                return nil
            }
            return .some(s)
        case .int(let i): return .some(String(i))
        case .decimal(let d): return .some(NSDecimalNumber(decimal: d).stringValue)
        default:
            errors.add(key, "must be a string")
            return nil
        }
    }

    mutating func int(_ key: String) -> Int64?? {
        guard let value = object[key] else { return nil }
        switch value {
        case .null: return .some(nil)
        case .int(let i): return .some(i)
        case .string(let s) where Int64(s) != nil: return .some(Int64(s)!)
        case .string(let s) where s.isEmpty: return .some(nil)
        default:
            errors.add(key, "must be an integer")
            return nil
        }
    }

    mutating func decimal(_ key: String) -> Decimal?? {
        guard let value = object[key] else { return nil }
        switch value {
        case .null: return .some(nil)
        case .int(let i): return .some(Decimal(i))
        case .decimal(let d): return .some(d)
        case .string(let s):
            let trimmed = s.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { return .some(nil) }
            if let d = Decimal(string: trimmed, locale: Locale(identifier: "en_US_POSIX")),
                trimmed.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" })
            {
                return .some(d)
            }
            errors.add(key, "is not a number")
            return nil
        default:
            errors.add(key, "is not a number")
            return nil
        }
    }

    mutating func bool(_ key: String) -> Bool? {
        guard let value = object[key] else { return nil }
        switch value {
        case .bool(let b): return b
        case .string("true"), .string("1"), .int(1): return true
        case .string("false"), .string("0"), .int(0): return false
        default:
            errors.add(key, "must be true or false")
            return nil
        }
    }

    /// `YYYY-MM-DD`.
    mutating func date(_ key: String) -> String?? {
        guard let value = object[key] else { return nil }
        switch value {
        case .null: return .some(nil)
        case .string(let s) where s.isEmpty: return .some(nil)
        case .string(let s) where ProcoreFormat.isDate(s): return .some(s)
        default:
            errors.add(key, "must be a date in the format YYYY-MM-DD")
            return nil
        }
    }

    mutating func oneOf(_ key: String, _ allowed: [String]) -> String?? {
        guard let value = string(key) else { return nil }
        guard let value else { return .some(nil) }
        guard allowed.contains(value) else {
            errors.add(key, "is not included in the list (\(allowed.joined(separator: ", ")))")
            return nil
        }
        return .some(value)
    }

    mutating func require(_ key: String, present: Bool) {
        if !present { errors.add(key, "can't be blank") }
    }
}

extension Optional where Wrapped == String? {
    /// Applies a read value: absent leaves `target` alone; `null` clears it.
    func apply(to target: inout String?) { if let value = self { target = value } }
}

extension Optional where Wrapped == Int64? {
    func apply(to target: inout Int64?) { if let value = self { target = value } }
}

extension Optional where Wrapped == Decimal? {
    func apply(to target: inout Decimal?) { if let value = self { target = value } }
}
