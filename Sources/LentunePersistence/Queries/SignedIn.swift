import FluentKit
import FluentSQL
import Foundation
import LentuneCore

/// Who is behind a session token or an API token, in one query (session or token, user and organisation joined):
/// it runs on every request, so it must be cheap.
public enum SignedIn {
    public struct Identity: Sendable {
        public var user: User
        public var organisation: Organisation
        /// The session's CSRF token (empty for API tokens).
        public var csrfToken: String
        public var expiresAt: Date?
        public var apiTokenID: UUID?
        public var apiTokenLastUsed: Date?
    }

    public static func session(tokenHash: String, now: Date, on db: any Database) async throws -> Identity? {
        let sql = db as! any SQLDatabase
        guard let row = try await sql.raw("""
            SELECT s.csrf_token, s.expires_at, u.id AS user_id, u.organisation_id, u.email, u.name, u.role,
                   u.approval_limit_cents, o.name AS organisation_name
            FROM user_sessions s JOIN users u ON u.id = s.user_id JOIN organisations o ON o.id = u.organisation_id
            WHERE s.token_hash = \(bind: tokenHash) AND u.deactivated_at IS NULL
            """).first()
        else { return nil }
        let expires = try row.decode(column: "expires_at", as: Date.self)
        guard expires > now else {
            try await Accounts.deleteSession(tokenHash: tokenHash, on: db)
            return nil
        }
        var identity = try identity(row)
        identity.csrfToken = try row.decode(column: "csrf_token", as: String.self)
        identity.expiresAt = expires
        return identity
    }

    public static func apiToken(tokenHash: String, on db: any Database) async throws -> Identity? {
        let sql = db as! any SQLDatabase
        guard let row = try await sql.raw("""
            SELECT t.id AS token_id, t.last_used_at, u.id AS user_id, u.organisation_id, u.email, u.name, u.role,
                   u.approval_limit_cents, o.name AS organisation_name
            FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN organisations o ON o.id = u.organisation_id
            WHERE t.token_hash = \(bind: tokenHash) AND u.deactivated_at IS NULL
            """).first()
        else { return nil }
        var identity = try identity(row)
        identity.apiTokenID = try row.decode(column: "token_id", as: UUID.self)
        identity.apiTokenLastUsed = try row.decode(column: "last_used_at", as: Date?.self)
        return identity
    }

    public static func touch(apiToken id: UUID, at date: Date, on db: any Database) async throws {
        try await db.writeTransaction { db in
            try await APITokenRecord.query(on: db).filter(\.$id == id).set(\.$lastUsedAt, to: date).update()
        }
    }

    static func identity(_ row: any SQLRow) throws -> Identity {
        let organisationID = try row.decode(column: "organisation_id", as: UUID.self)
        let user = User(
            id: .init(try row.decode(column: "user_id", as: UUID.self)), organisationID: .init(organisationID),
            email: try row.decode(column: "email", as: String.self), name: try row.decode(column: "name", as: String.self),
            role: Role(rawValue: try row.decode(column: "role", as: String.self)) ?? .auditor,
            approvalLimit: Scaled.money(try row.decode(column: "approval_limit_cents", as: Int64.self)))
        return Identity(
            user: user, organisation: Organisation(id: .init(organisationID), name: try row.decode(column: "organisation_name", as: String.self)),
            csrfToken: "", expiresAt: nil, apiTokenID: nil, apiTokenLastUsed: nil)
    }
}
