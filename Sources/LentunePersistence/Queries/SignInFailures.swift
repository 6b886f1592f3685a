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
    /// One sign-in attempt, recorded before its password is checked.
    public struct Attempt: Sendable {
        public var id: UUID
        /// The other attempts and failures of this email since the window's start, committed before this one counted.
        public var earlier: [Date]
    }

    /// Records an attempt for `email` (as a failure until `clear` says otherwise), then reads the earlier ones. The
    /// insert commits before the count, so the k-th attempt to commit sees at least k - 1 others, on SQLite and on
    /// PostgreSQL alike: with a limit of 5, the sixth of 30 concurrent attempts and every one after it are refused.
    /// Also forgets this email's attempts older than a day.
    public static func begin(email: String, at date: Date, since: Date, on db: any Database) async throws -> Attempt {
        let key = SignInThrottle.key(email: email)
        let record = SignInFailureRecord(emailKey: key, failedAt: date)
        // Every write on SQLite goes through the process's one writer (`writeTransaction`): contention is a wait.
        try await db.writeTransaction { db in try await record.create(on: db) }
        let id = try record.requireID()
        let earlier = try await SignInFailureRecord.query(on: db)
            .filter(\.$emailKey == key).filter(\.$failedAt >= since).filter(\.$id != id)
            .all().map(\.failedAt)
        try await db.writeTransaction { db in
            try await SignInFailureRecord.query(on: db).filter(\.$emailKey == key)
                .filter(\.$failedAt < date.addingTimeInterval(-86_400)).delete()
        }
        return Attempt(id: id, earlier: earlier)
    }

    /// An attempt refused by the throttle before its password was checked: it does not count as a failure.
    public static func forget(_ attempt: Attempt, on db: any Database) async throws {
        try await db.writeTransaction { db in
            try await SignInFailureRecord.query(on: db).filter(\.$id == attempt.id).delete()
        }
    }

    /// Failures for `email` since `since`.
    public static func recent(email: String, since: Date, on db: any Database) async throws -> [Date] {
        try await SignInFailureRecord.query(on: db)
            .filter(\.$emailKey == SignInThrottle.key(email: email)).filter(\.$failedAt >= since)
            .all().map(\.failedAt)
    }

    /// After a successful sign-in the count starts again.
    public static func clear(email: String, on db: any Database) async throws {
        try await db.writeTransaction { db in
            try await SignInFailureRecord.query(on: db).filter(\.$emailKey == SignInThrottle.key(email: email)).delete()
        }
    }
}
