import Foundation

/// When a failed job runs again (STYLE §5; soto-core's policy): exponential backoff with full jitter, never sooner
/// than the server asked (`Retry-After`, `X-Rate-Limit-Reset`), a capped number of attempts. Pure: the random draw is
/// passed in.
public struct RetryPolicy: Sendable, Hashable {
    public var base: Duration
    public var cap: Duration
    public var maxAttempts: Int

    public init(base: Duration = .seconds(2), cap: Duration = .seconds(3600), maxAttempts: Int = 12) {
        self.base = base
        self.cap = cap
        self.maxAttempts = maxAttempts
    }

    public enum Decision: Hashable, Sendable {
        case retry(after: Duration)
        case giveUp
    }

    /// The decision after attempt number `attempt` (1 for the first run) failed transiently. `unit` is a random
    /// number in 0..<1 (full jitter: the wait is `unit` × the exponential ceiling).
    public func decision(afterAttempt attempt: Int, serverWait: Duration? = nil, unit: Double) -> Decision {
        guard attempt < maxAttempts else { return .giveUp }
        let exponent = min(max(attempt - 1, 0), 30)
        let ceiling = min(cap, base * (1 << exponent))
        let fraction = min(max(unit, 0), 1)
        let jittered = ceiling * fraction
        let wait = max(jittered, min(serverWait ?? .zero, cap))
        return .retry(after: wait)
    }
}
