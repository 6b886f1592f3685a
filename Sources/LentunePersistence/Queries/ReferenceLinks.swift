import FluentKit
import FluentSQL
import Foundation
import LentuneCore

/// Which Procore vendor a supplier is, and which line item type a cost type is, in each linked Procore company
/// (issue 25). Procore keeps both per company; two companies of one organisation commonly share names and codes, so
/// Lentune keeps one supplier or cost type and one link per company row.
public enum ReferenceLinks {
    public typealias Kind = ProcoreReferenceLinkRecord.Kind

    /// The links of `kind` in the organisation, by record id (optionally of some records only).
    public static func links(
        _ kind: Kind, in organisation: Organisation.ID, entities: [UUID]? = nil, on db: any Database
    ) async throws -> [UUID: [ProcoreCompanyLink.ID: ProcoreID]] {
        var query = ProcoreReferenceLinkRecord.scoped(to: organisation, on: db).filter(\.$kind == kind.rawValue)
        if let entities {
            guard !entities.isEmpty else { return [:] }
            query = query.filter(\.$entityID ~~ entities)
        }
        var result: [UUID: [ProcoreCompanyLink.ID: ProcoreID]] = [:]
        for link in try await query.all() { result[link.entityID, default: [:]][.init(link.companyLinkID)] = link.procoreID }
        return result
    }

    /// The record of `kind` that is `procoreID` in the company row, if Lentune has paired one.
    public static func entity(_ kind: Kind, procoreID: ProcoreID, row: ProcoreCompanyLink, on db: any Database) async throws -> UUID? {
        try await ProcoreReferenceLinkRecord.scoped(to: row.organisationID, on: db).filter(\.$companyLinkID == row.id.rawValue)
            .filter(\.$kind == kind.rawValue).filter(\.$procoreID == procoreID).first()?.entityID
    }

    /// The Procore id of a record in the company row, if it has one there.
    public static func procoreID(_ kind: Kind, of entity: UUID, row: ProcoreCompanyLink, on db: any Database) async throws -> ProcoreID? {
        try await ProcoreReferenceLinkRecord.scoped(to: row.organisationID, on: db).filter(\.$companyLinkID == row.id.rawValue)
            .filter(\.$kind == kind.rawValue).filter(\.$entityID == entity).first()?.procoreID
    }

    /// Pairs a record with its Procore counterpart in the row, unless either is paired there already (a concurrent
    /// writer's pair stands); answers the record's Procore id in the row as stored now.
    @discardableResult
    public static func pair(_ kind: Kind, _ entity: UUID, with procoreID: ProcoreID, row: ProcoreCompanyLink, on db: any Database) async throws -> ProcoreID? {
        try await (db as! any SQLDatabase).raw("""
            INSERT INTO procore_reference_links (id, organisation_id, company_link_id, kind, entity_id, procore_id)
            VALUES (\(bind: UUID()), \(bind: row.organisationID.rawValue), \(bind: row.id.rawValue), \(bind: kind.rawValue), \(bind: entity),
                \(bind: procoreID))
            ON CONFLICT DO NOTHING
            """).run()
        return try await self.procoreID(kind, of: entity, row: row, on: db)
    }

    /// Moves the record paired with `procoreID` in the row to `entity` (a person's decision on the Supplier mapping page).
    public static func move(_ kind: Kind, procoreID: ProcoreID, to entity: UUID, row: ProcoreCompanyLink, on db: any Database) async throws {
        try await ProcoreReferenceLinkRecord.scoped(to: row.organisationID, on: db).filter(\.$companyLinkID == row.id.rawValue)
            .filter(\.$kind == kind.rawValue).filter(\.$procoreID == procoreID).delete()
        try await pair(kind, entity, with: procoreID, row: row, on: db)
    }
}
