import Foundation
import NIOConcurrencyHelpers

/// Procore's two budgets per token and company: an hourly window and a rolling spike window (10 s by default).
/// Every answered request spends quota, failures included; requests refused with 429 do not.
final class RateLimiter: Sendable {
    struct Bucket {
        var hourStart: Date
        var hourCount = 0
        var recent: [Date] = []
    }

    struct Decision {
        var allowed: Bool
        var limit: Int
        var remaining: Int
        var reset: Date
        /// Which window refused the request (for the log), nil when allowed.
        var exhausted: String?
    }

    private let buckets = NIOLockedValueBox<[String: Bucket]>([:])

    func reset() { buckets.withLockedValue { $0.removeAll() } }

    func take(key: String, now: Date, hourly: Int, spike: Int, window: Double) -> Decision {
        buckets.withLockedValue { all in
            var bucket = all[key] ?? Bucket(hourStart: now)
            if now.timeIntervalSince(bucket.hourStart) >= 3600 {
                bucket.hourStart = now
                bucket.hourCount = 0
            }
            bucket.recent.removeAll { now.timeIntervalSince($0) >= window }
            let hourReset = bucket.hourStart.addingTimeInterval(3600)
            let spikeReset = (bucket.recent.first ?? now).addingTimeInterval(window)

            if bucket.hourCount >= hourly {
                all[key] = bucket
                return Decision(allowed: false, limit: hourly, remaining: 0, reset: hourReset, exhausted: "hourly")
            }
            if bucket.recent.count >= spike {
                all[key] = bucket
                return Decision(allowed: false, limit: spike, remaining: 0, reset: spikeReset, exhausted: "spike")
            }
            bucket.hourCount += 1
            bucket.recent.append(now)
            all[key] = bucket
            let hourlyRemaining = hourly - bucket.hourCount
            let spikeRemaining = spike - bucket.recent.count
            // Report whichever limit is closer to running out (relative to its size); spike most of the time.
            if Double(hourlyRemaining) / Double(hourly) < Double(spikeRemaining) / Double(spike) {
                return Decision(allowed: true, limit: hourly, remaining: hourlyRemaining, reset: hourReset)
            }
            return Decision(
                allowed: true, limit: spike, remaining: spikeRemaining,
                reset: (bucket.recent.first ?? now).addingTimeInterval(window))
        }
    }
}
