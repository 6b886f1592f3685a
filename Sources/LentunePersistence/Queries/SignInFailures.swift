import FluentKit
import Foundation
import LentuneCore

final class SignInFailureRecord: Model, @unchecked Sendable {
    static let schema = "sign_in_failures"

    @ID(key: .id) var id: UUID?
    @Field(key: "email_key") var emailKey: String
    @Field(key: "failed_at") var failedAt: Date

    init() {}

    init(emailKey: String, failedAt: Date) {
        self.emailKey = emailKey
        self.failedAt = failedAt
    }
}

/// The failed sign-ins behind `SignInThrottle`. Keyed by `SignInThrottle.key(email:)`; not tenant data (a sign-in
/// has no organisation until it succeeds).
public enum SignInFailures {
    /// Failures for `email` since `since`.
    public static func recent(email: String, since: Date, on db: any Database) async throws -> [Date] {
        try await SignInFailureRecord.query(on: db)
            .filter(\.$emailKey == SignInThrottle.key(email: email)).filter(\.$failedAt >= since)
            .all().map(\.failedAt)
    }

    /// Records a failure, and forgets this email's failures older than a day.
    public static func record(email: String, at date: Date, on db: any Database) async throws {
        let key = SignInThrottle.key(email: email)
        try await SignInFailureRecord(emailKey: key, failedAt: date).create(on: db)
        try await SignInFailureRecord.query(on: db).filter(\.$emailKey == key)
            .filter(\.$failedAt < date.addingTimeInterval(-86_400)).delete()
    }

    /// After a successful sign-in the count starts again.
    public static func clear(email: String, on db: any Database) async throws {
        try await SignInFailureRecord.query(on: db).filter(\.$emailKey == SignInThrottle.key(email: email)).delete()
    }
}
