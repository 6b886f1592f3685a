import Foundation

/// A Lentune record id, typed by the entity it names so that a `Project.ID` cannot be passed where a
/// `Supplier.ID` is expected.
public struct Identifier<Entity>: Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: UUID

    public init(_ rawValue: UUID = .random()) { self.rawValue = rawValue }

    public init?(string: String) {
        guard let uuid = UUID(text: string) else { return nil }
        self.rawValue = uuid
    }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(UUID.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue.lowercasedText }
}

/// Procore's ids are 64-bit integers (procore-api.md §14); never narrow them to `Int32` or store them as text.
public typealias ProcoreID = Int64

extension UUID {
    /// A random (version 4, RFC 9562) UUID from the system's generator (`getrandom`). Foundation's `UUID()` on Linux
    /// opens, reads and closes `/dev/urandom` for every one (about 3 µs); that showed in the webhook intake's profile.
    public static func random() -> UUID {
        var generator = SystemRandomNumberGenerator()
        var bytes = (generator.next() as UInt64, generator.next() as UInt64)
        return withUnsafeMutableBytes(of: &bytes) { raw in
            raw[6] = (raw[6] & 0x0F) | 0x40  // version 4
            raw[8] = (raw[8] & 0x3F) | 0x80  // the RFC's variant
            return UUID(uuid: raw.load(as: uuid_t.self))
        }
    }
}
