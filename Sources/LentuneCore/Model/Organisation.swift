import Foundation

/// A tenant. Every record in Lentune belongs to exactly one organisation and every query is scoped to it.
public struct Organisation: Hashable, Sendable, Codable {
    public typealias ID = Identifier<Organisation>
    public var id: ID
    public var name: String

    public init(id: ID = ID(), name: String) {
        self.id = id
        self.name = name
    }
}

public enum Role: String, CaseIterable, Sendable, Codable {
    case administrator
    case apOfficer = "ap_officer"
    case approver
    case auditor

    public var title: String {
        switch self {
        case .administrator: "Administrator"
        case .apOfficer: "AP officer"
        case .approver: "Approver"
        case .auditor: "Auditor"
        }
    }

    /// Integration settings, users and the audit log.
    public var mayAdminister: Bool { self == .administrator }
    /// Raising and editing purchase orders and invoices. Auditors are read-only.
    public var mayEditDocuments: Bool { self == .administrator || self == .apOfficer }
    public var mayApprove: Bool { self == .administrator || self == .approver }
}

public struct User: Hashable, Sendable, Codable {
    public typealias ID = Identifier<User>
    public var id: ID
    public var organisationID: Organisation.ID
    public var email: String
    public var name: String
    public var role: Role
    /// POs at or below this total (incl. tax) raised by this user are approved on submission (Lentune's "Personal Limit").
    public var approvalLimit: Decimal

    public init(
        id: ID = ID(), organisationID: Organisation.ID, email: String, name: String, role: Role,
        approvalLimit: Decimal = 0
    ) {
        self.id = id
        self.organisationID = organisationID
        self.email = email
        self.name = name
        self.role = role
        self.approvalLimit = approvalLimit
    }

    /// Emails are compared case-insensitively and without surrounding spaces.
    public static func normalise(email: String) -> String {
        email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    /// A deliberately small check: one "@", something either side, a dot in the domain, no spaces.
    public static func isPlausible(email: String) -> Bool {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), email.count <= 254 else { return false }
        return !email.contains(where: \.isWhitespace)
    }
}
