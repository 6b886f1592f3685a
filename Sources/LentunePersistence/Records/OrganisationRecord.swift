import FluentKit
import Foundation
import LentuneCore

public final class OrganisationRecord: Model, @unchecked Sendable {
    public static let schema = "organisations"

    // managed fields
    @ID(key: .id) public var id: UUID?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?

    // data fields
    @Field(key: "name") public var name: String
    /// Next automatic purchase-order number (issue 5 uses it).
    @Field(key: "next_po_number") public var nextPurchaseOrderNumber: Int

    public init() {}

    public init(id: UUID? = nil, name: String) {
        self.id = id
        self.name = name
        self.nextPurchaseOrderNumber = 1
    }

    public var domain: Organisation { Organisation(id: .init(id!), name: name) }
}

public final class UserRecord: Model, TenantRecord, @unchecked Sendable {
    public static let schema = "users"
    public static var organisationKey: KeyPath<UserRecord, FieldProperty<UserRecord, UUID>> { \.$organisationID }

    // managed fields
    @ID(key: .id) public var id: UUID?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?

    // data fields
    @Field(key: "organisation_id") public var organisationID: UUID
    /// Normalised (trimmed, lower-case); unique across Lentune because it is the sign-in name.
    @Field(key: "email") public var email: String
    @Field(key: "name") public var name: String
    @Field(key: "role") public var role: String
    @Field(key: "password_hash") public var passwordHash: String
    @Field(key: "approval_limit_cents") public var approvalLimitCents: Int64
    /// When an administrator deactivated the user; nil while active (issue 29).
    @OptionalField(key: "deactivated_at") public var deactivatedAt: Date?

    public init() {}

    public init(
        id: UUID? = nil, organisationID: Organisation.ID, email: String, name: String, role: Role,
        passwordHash: String, approvalLimit: Decimal = 0
    ) throws {
        self.id = id
        self.organisationID = organisationID.rawValue
        self.email = User.normalise(email: email)
        self.name = name
        self.role = role.rawValue
        self.passwordHash = passwordHash
        self.approvalLimitCents = try Scaled.money(approvalLimit)
    }

    public var domain: User {
        User(
            id: .init(id!), organisationID: .init(organisationID), email: email, name: name,
            role: Role(rawValue: role) ?? .auditor, approvalLimit: Scaled.money(approvalLimitCents))
    }
}

/// A server-side session. Only a SHA-256 hash of the session token is stored, so a database leak does not leak
/// live sessions. Each session carries its own CSRF token.
public final class SessionRecord: Model, @unchecked Sendable {
    public static let schema = "user_sessions"

    // managed fields
    @ID(key: .id) public var id: UUID?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?

    // data fields
    @Field(key: "token_hash") public var tokenHash: String
    @Field(key: "user_id") public var userID: UUID
    @Field(key: "csrf_token") public var csrfToken: String
    @Field(key: "expires_at") public var expiresAt: Date

    public init() {}

    public init(tokenHash: String, userID: UUID, csrfToken: String, expiresAt: Date) {
        self.tokenHash = tokenHash
        self.userID = userID
        self.csrfToken = csrfToken
        self.expiresAt = expiresAt
    }
}

public final class AuditEventRecord: Model, TenantRecord, @unchecked Sendable {
    public static let schema = "audit_events"
    public static var organisationKey: KeyPath<AuditEventRecord, FieldProperty<AuditEventRecord, UUID>> { \.$organisationID }

    // managed fields
    @ID(key: .id) public var id: UUID?

    // data fields
    @Field(key: "organisation_id") public var organisationID: UUID
    @OptionalField(key: "actor_id") public var actorID: UUID?
    @Field(key: "actor_email") public var actorEmail: String
    @Field(key: "occurred_at") public var occurredAt: Date
    @Field(key: "action") public var action: String
    @Field(key: "subject") public var subject: String
    @OptionalField(key: "before") public var before: String?
    @OptionalField(key: "after") public var after: String?
    /// The record it is about (migration 0024).
    @OptionalField(key: "entity_id") public var entityID: UUID?

    public init() {}

    public init(_ event: AuditEvent) {
        id = event.id.rawValue
        organisationID = event.organisationID.rawValue
        actorID = event.actorID?.rawValue
        actorEmail = event.actorEmail
        occurredAt = event.occurredAt
        action = event.action
        subject = event.subject
        before = event.before
        after = event.after
        entityID = event.entityID
    }

    public var domain: AuditEvent {
        AuditEvent(
            id: .init(id!), organisationID: .init(organisationID), actorID: actorID.map { .init($0) },
            actorEmail: actorEmail, occurredAt: occurredAt, action: action, subject: subject, before: before,
            after: after, entityID: entityID)
    }
}

/// A bearer token for the JSON API; only its SHA-256 is stored.
public final class APITokenRecord: Model, @unchecked Sendable {
    public static let schema = "api_tokens"

    // managed fields
    @ID(key: .id) public var id: UUID?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?

    // data fields
    @Field(key: "user_id") public var userID: UUID
    @Field(key: "token_hash") public var tokenHash: String
    @Field(key: "name") public var name: String
    @OptionalField(key: "last_used_at") public var lastUsedAt: Date?

    public init() {}

    public init(userID: UUID, tokenHash: String, name: String) {
        self.userID = userID
        self.tokenHash = tokenHash
        self.name = name
    }
}
