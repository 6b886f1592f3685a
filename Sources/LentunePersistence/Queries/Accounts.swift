import FluentKit
import FluentSQL
import Foundation
import LentuneCore

/// Organisations, users and sessions.
public enum Accounts {
    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case invalidEmail(String)
        case emailTaken(String)
        case emptyName
        case userNotFound
        case lastAdministrator
        case deactivatingYourself
        /// Deactivating the approver of invoices not yet approved, without saying who approves them instead.
        case reassignmentNeeded(invoices: Int)
        /// The user chosen to take a deactivated approver's invoices is not an active approver or administrator.
        case reassignmentRefused

        public var description: String {
            switch self {
            case .invalidEmail(let email): "“\(email)” is not a valid email address."
            case .emailTaken(let email): "A user with the email \(email) already exists."
            case .emptyName: "The organisation name must not be empty."
            case .userNotFound: "There is no such user."
            case .lastAdministrator: "This is the organisation's last administrator: make another user an administrator first."
            case .deactivatingYourself: "You cannot deactivate yourself: ask another administrator."
            case .reassignmentNeeded(let count):
                "\(count) invoice\(count == 1 ? " waits" : "s wait") for this user's approval: choose who approves \(count == 1 ? "it" : "them") instead, then Deactivate."
            case .reassignmentRefused: "Invoices can only go to another active approver or administrator."
            }
        }
    }

    /// The id of the organisation with this name, if there is one.
    public static func organisationID(named name: String, on db: any Database) async throws -> Organisation.ID? {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        return try await OrganisationRecord.query(on: db).filter(\.$name == trimmed).first()?.id.map(Organisation.ID.init)
    }

    /// The organisation with this name, created if it does not exist.
    public static func organisation(named name: String, on db: any Database) async throws -> OrganisationRecord {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw Error.emptyName }
        if let existing = try await OrganisationRecord.query(on: db).filter(\.$name == trimmed).first() {
            return existing
        }
        let organisation = OrganisationRecord(name: trimmed)
        do {
            try await organisation.create(on: db)
            return organisation
        } catch where error.isConstraintFailure {
            // Created concurrently by someone else: use theirs.
            return try await OrganisationRecord.query(on: db).filter(\.$name == trimmed).first()!
        }
    }

    public static func createUser(
        organisation: Organisation.ID, email: String, name: String, role: Role, passwordHash: String,
        approvalLimit: Decimal = 0, on db: any Database
    ) async throws -> User {
        let normalised = User.normalise(email: email)
        guard User.isPlausible(email: normalised) else { throw Error.invalidEmail(email) }
        let record = try UserRecord(
            organisationID: organisation, email: normalised, name: name, role: role, passwordHash: passwordHash,
            approvalLimit: approvalLimit)
        do {
            try await record.create(on: db)
        } catch where error.isConstraintFailure {
            throw Error.emailTaken(normalised)
        }
        return record.domain
    }

    /// Changes a user's role and approval limit (issue 29: users managed in the browser), with an audit event, in one
    /// transaction. The organisation keeps at least one administrator: on PostgreSQL its administrators' rows are
    /// locked first, so two administrators demoting each other at once cannot both succeed.
    public static func update(
        user id: User.ID, in organisation: Organisation.ID, role: Role, approvalLimit: Decimal, actor: User, now: Date, on db: any Database
    ) async throws -> User {
        try await db.writeTransaction { tx in
            try await lockAdministrators(of: organisation, on: tx)
            guard let record = try await UserRecord.find(id.rawValue, in: organisation, on: tx) else { throw Error.userNotFound }
            let before = record.domain
            if before.role == .administrator, role != .administrator {
                guard try await activeAdministrators(in: organisation, on: tx) > 1 else { throw Error.lastAdministrator }
            }
            record.role = role.rawValue
            record.approvalLimitCents = try Scaled.money(approvalLimit)
            try await record.save(on: tx)
            let after = record.domain
            try await AuditLog.record(
                AuditEvent(
                    organisationID: organisation, actorID: actor.id, actorEmail: actor.email, occurredAt: now, action: "user.changed",
                    subject: "User \(after.email)", before: "\(before.role.title); approval limit \(Money.format(before.approvalLimit))",
                    after: "\(after.role.title); approval limit \(Money.format(after.approvalLimit))", entityID: id.rawValue),
                on: tx)
            return after
        }
    }

    /// On PostgreSQL, locks the organisation's administrators' rows for the transaction, so two changes that could
    /// each leave it without an active administrator run one after the other (SQLite has one writer already).
    static func lockAdministrators(of organisation: Organisation.ID, on tx: any Database) async throws {
        guard let sql = tx as? any SQLDatabase, sql.dialect.name == "postgresql" else { return }
        try await sql.raw("""
            SELECT id FROM users WHERE organisation_id = \(bind: organisation.rawValue) AND role = \(bind: Role.administrator.rawValue) FOR UPDATE
            """).run()
    }

    /// How many of the organisation's administrators are active (the last one stays one, and stays active).
    static func activeAdministrators(in organisation: Organisation.ID, on db: any Database) async throws -> Int {
        try await UserRecord.scoped(to: organisation, on: db).filter(\.$role == Role.administrator.rawValue).filter(\.$deactivatedAt == nil).count()
    }

    /// The stages in which an invoice still waits for its approver (what a deactivation hands to someone else).
    static let waitingForApprover: SQLQueryString = "('unchecked', 'awaiting_approval')"

    /// How many invoices wait for each user's approval (unchecked or awaiting approval), for the Users page.
    public static func invoicesAwaitingApproval(in organisation: Organisation.ID, on db: any Database) async throws -> [User.ID: Int] {
        let rows = try await (db as! any SQLDatabase).raw("""
            SELECT approver_id, COUNT(*) AS n FROM invoices
            WHERE organisation_id = \(bind: organisation.rawValue) AND approver_id IS NOT NULL AND status IN \(waitingForApprover)
            GROUP BY approver_id
            """).all()
        var counts: [User.ID: Int] = [:]
        for row in rows { counts[.init(try row.decode(column: "approver_id", as: UUID.self))] = try row.decode(column: "n", as: Int.self) }
        return counts
    }

    /// Whether the user has been deactivated (an unknown user counts as deactivated: nobody signs in as them).
    public static func isDeactivated(_ user: User.ID, in organisation: Organisation.ID, on db: any Database) async throws -> Bool {
        guard let record = try await UserRecord.find(user.rawValue, in: organisation, on: db) else { return true }
        return record.deactivatedAt != nil
    }

    /// Deactivates or reactivates a user (issue 29). A deactivated user cannot sign in or use an API token (their
    /// sessions end now) and is no longer offered as an approver; their history stays. Nobody deactivates
    /// themselves, and the organisation keeps an active administrator (rows locked on PostgreSQL, as for a role
    /// change). The invoices waiting for the user's approval go to `reassignTo` (an active approver or administrator)
    /// in the same transaction, each audited; without one, a user who has such invoices is not deactivated (they
    /// would wait for nobody). Audited.
    public static func setActive(
        _ active: Bool, user id: User.ID, in organisation: Organisation.ID, actor: User, reassignTo: User.ID? = nil, now: Date,
        on db: any Database
    ) async throws -> User {
        try await db.writeTransaction { tx in
            try await lockAdministrators(of: organisation, on: tx)
            guard let record = try await UserRecord.find(id.rawValue, in: organisation, on: tx) else { throw Error.userNotFound }
            let user = record.domain
            guard active != (record.deactivatedAt == nil) else { return user }
            var reassigned: [(id: UUID, number: String)] = []
            var successor: User?
            if !active {
                guard id != actor.id else { throw Error.deactivatingYourself }
                if user.role == .administrator, try await activeAdministrators(in: organisation, on: tx) <= 1 { throw Error.lastAdministrator }
                let sql = tx as! any SQLDatabase
                let waiting = try await sql.raw("""
                    SELECT COUNT(*) AS n FROM invoices
                    WHERE organisation_id = \(bind: organisation.rawValue) AND approver_id = \(bind: id.rawValue) AND status IN \(waitingForApprover)
                    """).first()?.decode(column: "n", as: Int.self) ?? 0
                if waiting > 0 {
                    guard let reassignTo else { throw Error.reassignmentNeeded(invoices: waiting) }
                    // The successor's row is locked (PostgreSQL), so they are not deactivated or demoted meanwhile.
                    if sql.dialect.name == "postgresql" {
                        try await sql.raw("""
                            SELECT id FROM users WHERE id = \(bind: reassignTo.rawValue) AND organisation_id = \(bind: organisation.rawValue) FOR UPDATE
                            """).run()
                    }
                    guard reassignTo != id, let chosen = try await UserRecord.find(reassignTo.rawValue, in: organisation, on: tx),
                          chosen.deactivatedAt == nil, chosen.domain.role.mayApprove
                    else { throw Error.reassignmentRefused }
                    successor = chosen.domain
                    // One conditional update: an invoice approved (or checked) at this moment is moved only if it
                    // still waits, as the database sees it when its row is free.
                    reassigned = try await sql.raw("""
                        UPDATE invoices SET approver_id = \(bind: reassignTo.rawValue), updated_at = \(bind: now)
                        WHERE organisation_id = \(bind: organisation.rawValue) AND approver_id = \(bind: id.rawValue) AND status IN \(waitingForApprover)
                        RETURNING id, number
                        """).all().map { (try $0.decode(column: "id", as: UUID.self), try $0.decode(column: "number", as: String.self)) }
                        .sorted { $0.number < $1.number }
                }
            }
            record.deactivatedAt = active ? nil : now
            try await record.save(on: tx)
            if !active { try await SessionRecord.query(on: tx).filter(\.$userID == id.rawValue).delete() }
            if let successor {
                for invoice in reassigned {
                    try await AuditLog.record(
                        AuditEvent(
                            organisationID: organisation, actorID: actor.id, actorEmail: actor.email, occurredAt: now,
                            action: "invoice.approver.reassigned", subject: "Invoice \(invoice.number)",
                            before: "approver \(user.email)", after: "approver \(successor.email) (\(user.email) deactivated)",
                            entityID: invoice.id),
                        on: tx)
                }
            }
            let handedOver = successor.map { "; \(reassigned.count) invoice\(reassigned.count == 1 ? "" : "s") to approve reassigned to \($0.email)" } ?? ""
            try await AuditLog.record(
                AuditEvent(
                    organisationID: organisation, actorID: actor.id, actorEmail: actor.email, occurredAt: now,
                    action: active ? "user.reactivated" : "user.deactivated", subject: "User \(user.email)",
                    after: active ? "active" : "deactivated; signed out everywhere" + handedOver, entityID: id.rawValue),
                on: tx)
            return user
        }
    }

    /// An administrator sets a user's password (issue 29: a forgotten password had no way back but the command
    /// line): the new hash replaces the old, every session of the user ends (they sign in again with it), and the audit
    /// log says who did it (never the password). API tokens stay: they belong to scripts, not to a password.
    public static func setPassword(
        of id: User.ID, in organisation: Organisation.ID, passwordHash: String, actor: User, now: Date, on db: any Database
    ) async throws -> User {
        try await db.writeTransaction { tx in
            guard let record = try await UserRecord.find(id.rawValue, in: organisation, on: tx) else { throw Error.userNotFound }
            record.passwordHash = passwordHash
            try await record.save(on: tx)
            try await SessionRecord.query(on: tx).filter(\.$userID == id.rawValue).delete()
            let user = record.domain
            try await AuditLog.record(
                AuditEvent(
                    organisationID: organisation, actorID: actor.id, actorEmail: actor.email, occurredAt: now, action: "user.password_set",
                    subject: "User \(user.email)", after: "new password set; signed out everywhere", entityID: id.rawValue),
                on: tx)
            return user
        }
    }

    public static func user(email: String, on db: any Database) async throws -> UserRecord? {
        try await UserRecord.query(on: db).filter(\.$email == User.normalise(email: email)).first()
    }

    // MARK: - Sessions

    public static func createSession(
        user: User.ID, tokenHash: String, csrfToken: String, expiresAt: Date, on db: any Database
    ) async throws {
        try await db.writeTransaction { db in
            try await SessionRecord(tokenHash: tokenHash, userID: user.rawValue, csrfToken: csrfToken, expiresAt: expiresAt)
                .create(on: db)
        }
    }

    /// The live session and its user for a token hash; expired sessions are deleted on sight.
    public static func session(
        tokenHash: String, now: Date, on db: any Database
    ) async throws -> (session: SessionRecord, user: UserRecord)? {
        guard let session = try await SessionRecord.query(on: db).filter(\.$tokenHash == tokenHash).first() else {
            return nil
        }
        guard session.expiresAt > now else {
            try await session.delete(on: db)
            return nil
        }
        guard let user = try await UserRecord.find(session.userID, on: db) else { return nil }
        return (session, user)
    }

    public static func deleteSession(tokenHash: String, on db: any Database) async throws {
        try await db.writeTransaction { db in
            try await SessionRecord.query(on: db).filter(\.$tokenHash == tokenHash).delete()
        }
    }
}

/// The audit log: append-only, written in the same transaction as the change it describes.
public enum AuditLog {
    public static func record(_ event: AuditEvent, on db: any Database) async throws {
        try await db.writeTransaction { db in
            try await AuditEventRecord(event).create(on: db)
        }
    }

    /// The newest events, narrowed by `search` (part of the action, the subject or the actor's email, any case).
    public static func recent(
        organisation: Organisation.ID, search: String? = nil, limit: Int = 200, on db: any Database
    ) async throws -> [AuditEvent] {
        var query = AuditEventRecord.scoped(to: organisation, on: db)
        if let search = search?.trimmingCharacters(in: .whitespaces), !search.isEmpty {
            let like = ContainsSearch.likeOperator(dialect: (db as? any SQLDatabase)?.dialect.name)
            let pattern = ContainsSearch.pattern(String(search.prefix(100)))
            query = query.filter(.sql(embed: """
                ("action" \(unsafeRaw: like) \(bind: pattern) ESCAPE '\\' OR "subject" \(unsafeRaw: like) \(bind: pattern) ESCAPE '\\' \
                OR "actor_email" \(unsafeRaw: like) \(bind: pattern) ESCAPE '\\')
                """))
        }
        return try await query.sort(\.$occurredAt, .descending).limit(limit).all().map(\.domain)
    }

    /// One record's history, oldest first (issue 29: on each PO and invoice page).
    public static func history(of entity: UUID, in organisation: Organisation.ID, limit: Int = 200, on db: any Database) async throws -> [AuditEvent] {
        try await AuditEventRecord.scoped(to: organisation, on: db).filter(\.$entityID == entity)
            .sort(\.$occurredAt).limit(limit).all().map(\.domain)
    }
}

extension Accounts {
    /// Stores the hash of a new API token for a user.
    public static func createAPIToken(user: User.ID, tokenHash: String, name: String, on db: any Database) async throws {
        try await db.writeTransaction { db in
            try await APITokenRecord(userID: user.rawValue, tokenHash: tokenHash, name: name).create(on: db)
        }
    }
}
