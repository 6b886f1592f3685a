import Foundation

/// A Lentune record id, typed by the entity it names so that a `Project.ID` cannot be passed where a
/// `Supplier.ID` is expected.
public struct Identifier<Entity>: Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: UUID

    public init(_ rawValue: UUID = UUID()) { self.rawValue = rawValue }

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
