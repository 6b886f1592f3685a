import FluentKit
import Foundation
import LentuneCore

/// A record that belongs to one organisation. All reads of tenant data go through `scoped(to:on:)`, so a query can
/// never see another organisation's rows; a foreign id simply is not found (and the web layer answers 404).
public protocol TenantRecord: Model where IDValue == UUID {
    var organisationID: UUID { get }
    static var organisationKey: KeyPath<Self, FieldProperty<Self, UUID>> { get }
}

extension TenantRecord {
    public static func scoped(to organisation: Organisation.ID, on db: any Database) -> QueryBuilder<Self> {
        query(on: db).filter(organisationKey == organisation.rawValue)
    }

    /// The record with this id in this organisation, or `nil` (also when it exists in another organisation).
    public static func find(_ id: UUID?, in organisation: Organisation.ID, on db: any Database) async throws -> Self? {
        guard let id else { return nil }
        return try await scoped(to: organisation, on: db).filter(\._$id == id).first()
    }
}
