import Foundation

extension Procore {
    /// When to try a request again, apart from the call site (after soto-core's `RetryPolicy`).
    ///
    /// Retries network errors, 408, 429 and 5xx with exponential backoff and full jitter, honouring `Retry-After`.
    /// A request that is not idempotent (a plain POST create) is retried only when it provably never reached Procore
    /// (429 and 503 are refusals before processing); otherwise the caller must look the record up by `origin_id`.
    public struct RetryPolicy: Sendable {
        public var maxAttempts: Int
        public var base: Duration
        public var cap: Duration
        /// Random source in 0..<1, injectable for tests.
        public var random: @Sendable () -> Double

        public init(
            maxAttempts: Int = 6, base: Duration = .milliseconds(500), cap: Duration = .seconds(60),
            random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
        ) {
            self.maxAttempts = maxAttempts
            self.base = base
            self.cap = cap
            self.random = random
        }

        public enum Decision: Equatable, Sendable {
            case retry(after: Duration)
            case stop
        }

        /// What went wrong with one attempt.
        public enum Failure: Sendable {
            /// No answer. `requestSent` is false when the connection was never made (safe to repeat anything).
            case transport(requestSent: Bool)
            case status(Int, retryAfter: Duration?)
        }

        /// `attempt` counts from 1 (the attempt that just failed).
        public func decision(for failure: Failure, attempt: Int, idempotent: Bool) -> Decision {
            guard attempt < maxAttempts else { return .stop }
            switch failure {
            case .transport(let sent):
                guard idempotent || !sent else { return .stop }
                return .retry(after: backoff(attempt))
            case .status(let code, let retryAfter):
                let refusedBeforeProcessing = code == 429 || code == 503
                guard code == 408 || code == 429 || code >= 500 else { return .stop }
                guard idempotent || refusedBeforeProcessing else { return .stop }
                if let retryAfter { return .retry(after: retryAfter) }
                return .retry(after: backoff(attempt))
            }
        }

        /// Full jitter: uniform in 0 … min(cap, base × 2^(attempt-1)).
        public func backoff(_ attempt: Int) -> Duration {
            let ceiling = min(cap, base * Int(pow(2, Double(min(attempt - 1, 20)))))
            return ceiling * random()
        }
    }
}
