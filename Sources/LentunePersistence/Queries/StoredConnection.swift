import FluentKit
import Foundation
import LentuneCore

/// A Procore connection as stored: the domain value and the sealed secrets that only `ProcoreConnector` opens. A plain
/// value, so that no Fluent record leaves this target (the web app and the sync engine read and write connections
/// only through `ProcoreSettings`).
public struct StoredConnection: Sendable, Hashable {
    public var id: UUID
    public var organisationID: UUID
    public var domain: ProcoreConnection
    public var environment: String
    public var authBaseURL: String?
    public var apiBaseURL: String?
    public var clientID: String
    public var grantType: String
    public var redirectURI: String?
    public var status: String
    public var sealedClientSecret: String?
    public var sealedAccessToken: String?
    public var sealedRefreshToken: String?
    public var tokenExpiresAt: Date?
    public var sealedWebhookSecret: String
    public var oauthStateHash: String?
    public var connectedAs: String?
    public var lastError: String?
    public var serviceCompanyID: Int64?

    init(_ record: ProcoreConnectionRecord) {
        id = record.id!
        organisationID = record.organisationID
        domain = record.domain
        environment = record.environment
        authBaseURL = record.authBaseURL
        apiBaseURL = record.apiBaseURL
        clientID = record.clientID
        grantType = record.grantType
        redirectURI = record.redirectURI
        status = record.status
        sealedClientSecret = record.sealedClientSecret
        sealedAccessToken = record.sealedAccessToken
        sealedRefreshToken = record.sealedRefreshToken
        tokenExpiresAt = record.tokenExpiresAt
        sealedWebhookSecret = record.sealedWebhookSecret
        oauthStateHash = record.oauthStateHash
        connectedAs = record.connectedAs
        lastError = record.lastError
        serviceCompanyID = record.serviceCompanyID
    }
}

extension ProcoreSettings {
    /// A connection by id, in any organisation (jobs and the connector carry ids).
    public static func connection(id: UUID, on db: any Database) async throws -> StoredConnection? {
        try await ProcoreConnectionRecord.find(id, on: db).map(StoredConnection.init)
    }

    /// Stores freshly issued (sealed) tokens.
    public static func storeTokens(
        _ connection: UUID, sealedAccessToken: String, sealedRefreshToken: String?, expiresAt: Date, on db: any Database
    ) async throws {
        try await db.writeTransaction { db in
            try await ProcoreConnectionRecord.query(on: db).filter(\.$id == connection)
                .set(\.$sealedAccessToken, to: sealedAccessToken).set(\.$sealedRefreshToken, to: sealedRefreshToken)
                .set(\.$tokenExpiresAt, to: expiresAt).update()
        }
    }

    /// The outcome of Test connection: connected as whom, or Procore's words for the failure.
    public enum TestOutcome: Sendable {
        case connected(as: String)
        case failed(String)
    }

    public static func recordTest(_ connection: UUID, _ outcome: TestOutcome, on db: any Database) async throws {
        try await db.writeTransaction { db in
            let query = ProcoreConnectionRecord.query(on: db).filter(\.$id == connection)
            switch outcome {
            case .connected(let user):
                try await query.set(\.$status, to: ProcoreConnection.Status.connected.rawValue).set(\.$connectedAs, to: user)
                    .set(\.$lastError, to: nil).update()
            case .failed(let message):
                try await query.set(\.$status, to: ProcoreConnection.Status.notConnected.rawValue).set(\.$lastError, to: message).update()
            }
        }
    }

    /// Remembers (or forgets, with nil) the hash of the `state` sent to Procore's consent page.
    public static func setOAuthStateHash(_ connection: UUID, _ hash: String?, on db: any Database) async throws {
        try await db.writeTransaction { db in
            try await ProcoreConnectionRecord.query(on: db).filter(\.$id == connection).set(\.$oauthStateHash, to: hash).update()
        }
    }

    /// Adds a row for every company the connection can see (new rows start unlinked, with no PO sync) and keeps names
    /// and stage lists current. Rows of companies no longer visible are kept, so their settings are not lost.
    public static func refreshCompanies(
        _ companies: [(id: Int64, name: String)], stages: [Int64: [String]] = [:], connection: StoredConnection, on db: any Database
    ) async throws {
        try await db.writeTransaction { db in
            let organisation = Organisation.ID(connection.organisationID)
            let existing = try await ProcoreCompanyLinkRecord.scoped(to: organisation, on: db)
                .filter(\.$connectionID == connection.id).all()
            for company in companies {
                let available = stages[company.id]?.joined(separator: "\n")
                if let row = existing.first(where: { $0.procoreCompanyID == company.id }) {
                    if row.name != company.name || (available != nil && row.availableStages != available) {
                        row.name = company.name
                        row.availableStages = available ?? row.availableStages
                        try await row.save(on: db)
                    }
                } else {
                    try await ProcoreCompanyLinkRecord(ProcoreCompanyLink(
                        organisationID: organisation, connectionID: .init(connection.id), procoreCompanyID: company.id,
                        name: company.name, availableStages: stages[company.id])).create(on: db)
                }
            }
        }
    }

    /// Links the organisation's projects whose code equals a Procore project number (case-insensitive) to a company
    /// row; `procoreProjects` are the company's projects in the row's stages. Returns how many were linked.
    public static func linkProjects(
        of row: ProcoreCompanyLink, matching procoreProjects: [(id: Int64, number: String)], on db: any Database
    ) async throws -> Int {
        return try await db.writeTransaction { db in
            let lentune = try await ProjectRecord.scoped(to: row.organisationID, on: db).all()
            var linked = 0
            for project in procoreProjects {
                guard let match = lentune.first(where: { $0.code.caseInsensitiveCompare(project.number) == .orderedSame }),
                    match.procoreProjectID == nil || match.procoreProjectID == project.id
                else { continue }
                match.procoreCompanyLinkID = row.id.rawValue
                match.procoreProjectID = project.id
                try await match.save(on: db)
                linked += 1
            }
            return linked
        }
    }
}
