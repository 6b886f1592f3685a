import FluentKit
import Foundation
import LentuneCore

/// Procore connections and the Procore company list.
public enum ProcoreSettings {
    public static func connection(for organisation: Organisation.ID, on db: any Database) async throws
        -> ProcoreConnectionRecord?
    {
        try await ProcoreConnectionRecord.scoped(to: organisation, on: db).first()
    }

    public static func companyLinks(for organisation: Organisation.ID, on db: any Database) async throws
        -> [ProcoreCompanyLink]
    {
        try await ProcoreCompanyLinkRecord.scoped(to: organisation, on: db).sort(\.$name).all().map(\.domain)
    }

    public static func insert(_ link: ProcoreCompanyLink, on db: any Database) async throws {
        try await ProcoreCompanyLinkRecord(link).create(on: db)
    }
}
