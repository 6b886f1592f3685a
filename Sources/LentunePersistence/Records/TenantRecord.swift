import FluentKit
import SQLKit
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

extension TenantRecord {
    /// The record with this id in this organisation, locked until the enclosing transaction ends: on PostgreSQL a
    /// `SELECT … FOR UPDATE` first, so a concurrent state change of the same row waits for this one to commit and then
    /// reads what it wrote (READ COMMITTED reads afresh per statement). SQLite needs no lock: every write transaction
    /// of the process runs alone (`writeTransaction`). This is how one of N concurrent transitions wins and the others
    /// see the new state and are refused like a stale form (issue 30). Call it inside a write transaction only.
    public static func findForUpdate(_ id: UUID, in organisation: Organisation.ID, on tx: any Database) async throws -> Self? {
        if let sql = tx as? any SQLDatabase, sql.dialect.name == "postgresql" {
            try await sql.select().column(SQLLiteral.numeric("1")).from(schema)
                .where(SQLColumn(Self()._$id.key.description), .equal, SQLBind(id))
                .for(.update).run()
        }
        return try await find(id, in: organisation, on: tx)
    }
}
