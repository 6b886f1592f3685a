import Foundation

/// How many failed sign-ins an email may have before further attempts are refused for a while.
///
/// Counted per email entered (known or not, so the refusal says nothing about which emails exist), not per address:
/// behind a company's proxy every user shares one address, and one person's typos must not lock out the office.
public struct SignInThrottle: Sendable, Equatable {
    public var limit: Int
    public var window: TimeInterval

    public init(limit: Int = 5, window: TimeInterval = 15 * 60) {
        self.limit = limit
        self.window = window
    }

    /// `nil` when a sign-in may be tried now; otherwise when it may be tried again (the moment enough of the recent
    /// failures have left the window).
    ///
    /// An attempt a moment ahead of `now` (up to `concurrentSlack`) is a concurrent one, from a request that started
    /// after this one and was recorded before this one counted: it counts as now. Ignoring it let a sixth of 30
    /// concurrent attempts through (the browser test of issue 30, once in a full run). One further ahead (a clock gone
    /// wrong) is ignored.
    public func blockedUntil(failures: [Date], now: Date) -> Date? {
        let recent = failures.compactMap { $0 <= now ? $0 : ($0.timeIntervalSince(now) <= Self.concurrentSlack ? now : nil) }
            .filter { now.timeIntervalSince($0) < window }.sorted()
        guard recent.count >= limit else { return nil }
        return recent[recent.count - limit].addingTimeInterval(window)
    }

    /// How far ahead of a request's clock another attempt may be and still count as concurrent with it.
    public static let concurrentSlack: TimeInterval = 30

    /// The key failures are counted under: the email as typed, trimmed and lower-cased.
    public static func key(email: String) -> String {
        email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }
}
