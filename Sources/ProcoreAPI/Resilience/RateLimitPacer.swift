import Foundation
import Metrics

extension Procore {
    /// Paces requests made with one token so Procore's budget is never exhausted: it reads `X-Rate-Limit-Limit`,
    /// `-Remaining` and `-Reset` on every answer; the hourly budget it spreads evenly until the reset, the 10-second
    /// (spike) budget it uses in bursts up to what is left, so neither window runs dry and a batch uses the spike
    /// window whole. On a 429 everyone waits until the reset or `Retry-After`.
    /// Shared by every caller using the same token (an actor: concurrent callers queue for slots).
    public actor RateLimitPacer {
        public struct State: Sendable, Equatable {
            public var limit: Int?
            public var remaining: Int?
            public var reset: Date?
            public var blockedUntil: Date?
            public var throttled: Int = 0
        }

        public private(set) var state = State()
        private var nextSlot: Date = .distantPast
        /// Every budget the headers have named, by its limit, with the longest reset horizon seen for it: the window's
        /// length (10 s for the spike window, an hour for the hourly one). Procore names only the budget closer to
        /// running out, so the pacer keeps all of them and checks its own starts against each (`ownWindowsWait`),
        /// until the headers show that one no longer holds (`dropBudgetsNoLongerHeld`).
        private var windows: [Int: TimeInterval] = [:]
        /// The length of the window the latest headers describe. `length / limit` is the steady spacing that can
        /// never exceed the budget.
        private var windowLength: TimeInterval { state.limit.flatMap { windows[$0] } ?? 0 }
        private var inFlight = 0
        /// The latest figures the headers gave for each budget, by its limit, and the ticket of the request whose
        /// answer gave them. The headers name one budget at a time; a budget they stopped naming still holds what it
        /// said, less every request started since, until its reset (`unnamedBudgetsWait`).
        private var reported: [Int: (remaining: Int, reset: Date, ticket: Int)] = [:]
        /// Tickets order requests by start; an answer older than the last one recorded does not overwrite newer
        /// budget figures (answers to concurrent requests arrive in any order).
        private var lastTicket = 0
        private var lastRecorded = 0
        /// This pacer's own copy of the server's windows, so it can tell when budget has come back without waiting for
        /// Procore to say so. Procore counts a request when it *arrives*, which the pacer cannot see: a request may take
        /// a while to get there (a new connection, a busy event loop). So each answered request is counted at the time
        /// its answer came back, the latest it can have arrived, and each request still in flight counts as arriving
        /// now. Any window of the server's then holds no request the copy does not, however late one arrived.
        /// Ascending.
        private var answered: [Date] = []
        private let clock: @Sendable () -> Date
        private let sleep: @Sendable (Duration) async throws -> Void
        private let label: String
        /// Leave this share of the remaining budget unused, for other processes sharing the token.
        private let headroom: Double

        public init(
            label: String = "default", headroom: Double = 0, clock: @escaping @Sendable () -> Date = { Date() },
            sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
        ) {
            self.label = label
            self.headroom = headroom
            self.clock = clock
            self.sleep = sleep
        }

        /// Waits for a slot, then counts the request as in flight until `record` is called. Returns the request's ticket.
        ///
        /// After every wait the latest figures are checked again, since answers that arrived meanwhile may show the
        /// budget spent. Once the reported reset has passed the figures are stale, and only one request at a time is
        /// let through until a fresh answer arrives.
        @discardableResult
        public func acquire() async throws -> Int {
            let started = clock()
            while true {
                let now = clock()
                var wait: TimeInterval = 0
                if let blocked = state.blockedUntil, blocked > now {
                    wait = blocked.timeIntervalSince(now)
                } else if let remaining = state.remaining, let reset = state.reset, reset > now,
                    Double(remaining - inFlight) * (1 - headroom) < 1
                {
                    // The reset header is rounded up to a whole second, so it is never early.
                    wait = reset.timeIntervalSince(now)
                } else if let reset = state.reset, reset <= now, state.remaining != nil, inFlight > 0, !ownWindowHasRoom(at: now) {
                    wait = 0.01  // stale figures and no room by our own count: wait for the answer in flight
                } else if let until = unnamedBudgetsWait(at: now) {
                    wait = until
                } else if nextSlot > now {
                    wait = nextSlot.timeIntervalSince(now)
                } else {
                    wait = ownWindowsWait(at: now)
                }
                if wait > 0 {
                    // Rounded up: a wait shorter than a microsecond must still move time on.
                    try await sleep(.microseconds(max(1, Int64((wait * 1_000_000).rounded(.up)))))
                    continue
                }
                lastTicket += 1
                inFlight += 1
                nextSlot = now.addingTimeInterval(spacing(at: now))
                let waited = now.timeIntervalSince(started)
                if waited > 0 {
                    Metrics.Timer(label: "procore_pacer_wait_seconds", dimensions: [("token", label)])
                        .recordNanoseconds(Int64(waited * 1_000_000_000))
                }
                return lastTicket
            }
        }

        /// Reads the rate-limit headers of an answer (any status: 4xx spend quota too).
        public func record(ticket: Int = .max, limit: Int?, remaining: Int?, reset: Date?, status: Int, retryAfter: Duration?) {
            let now = clock()
            // Procore's windows are whole seconds (10 s, 1 h) and its reset header is rounded up to a whole second,
            // so the horizon seen overshoots by up to a second: the window is its floor.
            if let limit, limit > 0, let reset {
                let horizon = reset.timeIntervalSince(now)
                windows[limit] = max(windows[limit] ?? 0, min(horizon > 1.5 ? horizon.rounded(.down) : horizon, 86_400))
            }
            landed(at: now)
            if ticket >= lastRecorded {
                lastRecorded = ticket == .max ? lastRecorded : ticket
                if let limit { state.limit = limit }
                if let remaining { state.remaining = remaining }
                if let reset { state.reset = reset }
                if let limit, let remaining, status != 429 { dropBudgetsNoLongerHeld(named: limit, remaining: remaining, at: now) }
                if let limit, let remaining, let reset, ticket != .max, ticket >= (reported[limit]?.ticket ?? 0) {
                    reported[limit] = (remaining, reset, ticket)
                }
            } else if let remaining, let current = state.remaining, limit == state.limit {
                // An older request the server counted after a newer one: its figure may be the lower, truer one.
                state.remaining = min(current, remaining)
            }
            if status == 429 || status == 503 {
                state.throttled += status == 429 ? 1 : 0
                let until = retryAfter.map { now.addingTimeInterval(Double($0.components.seconds)) } ?? reset ?? now.addingTimeInterval(1)
                state.blockedUntil = max(state.blockedUntil ?? .distantPast, until)
            }
            Gauge(label: "procore_rate_limit_remaining", dimensions: [("token", label)]).record(Double(state.remaining ?? -1))
            Gauge(label: "procore_rate_limit_limit", dimensions: [("token", label)]).record(Double(state.limit ?? -1))
            if status == 429 { Counter(label: "procore_throttled_total", dimensions: [("token", label)]).increment() }
        }

        /// How long until every budget the headers named before, and no longer name, has room by what they said of it
        /// (its remaining figure less the requests started since), or nil when each has room. A budget past its reset
        /// is forgotten here (its window has turned); `ownWindowsWait` still counts it.
        func unnamedBudgetsWait(at now: Date) -> TimeInterval? {
            var wait: TimeInterval?
            for (limit, figures) in reported {
                guard figures.reset > now else {
                    reported[limit] = nil
                    continue
                }
                guard limit != state.limit, windows[limit] != nil else { continue }
                let left = Double(figures.remaining - (lastTicket - figures.ticket)) * (1 - headroom)
                if left < 1 { wait = max(wait ?? 0, figures.reset.timeIntervalSince(now)) }
            }
            return wait
        }

        /// Whether this pacer's own count of the current budget's window leaves room under the limit.
        func ownWindowHasRoom(at now: Date) -> Bool {
            guard let limit = state.limit, windowLength > 0 else { return false }
            return Double(ownCount(within: windowLength + Self.margin(windowLength), at: now).count) < Double(limit) * (1 - headroom) - 1
        }

        /// A margin on every window (a second for the hourly window, a quarter for the spike window), for the server's
        /// clock and its reset header, which is rounded up to a whole second.
        static func margin(_ length: TimeInterval) -> TimeInterval { length > burstWindow ? 1.0 : 0.25 }

        /// The longest window taken to be the spike window: its budget is used in a burst rather than spread
        /// (`spacing`), and its margin is a quarter of a second.
        static let burstWindow: TimeInterval = 60

        /// How long until every budget seen so far has room by this pacer's own count (0: now).
        ///
        /// The headers describe one budget at a time, the one closer to running out; when they switch from the spike
        /// window to the hourly one (or back), the budget they stopped naming is still spent. Any span of a window's
        /// length plus the margin holds fewer requests than its limit (less one, and less the headroom), so no window
        /// of the server's, sliding or fixed, can count more arrivals than its limit.
        func ownWindowsWait(at now: Date) -> TimeInterval {
            forgetOld(at: now)
            var wait: TimeInterval = 0
            for (limit, length) in windows where length > 0 {
                let allowed = Int((Double(limit) * (1 - headroom)).rounded(.down)) - 1
                guard allowed >= 1 else { continue }
                let span = length + Self.margin(length)
                let (count, firstRecent) = ownCount(within: span, at: now)
                guard count >= allowed else { continue }
                // When the request at `count - allowed` leaves the span, `allowed - 1` remain. One still in flight
                // counts as now until it is answered, so it leaves no sooner than a whole span from now.
                let expiring = firstRecent + count - allowed
                let leaves = expiring < answered.count ? answered[expiring].addingTimeInterval(span) : now.addingTimeInterval(span)
                wait = max(wait, leaves.timeIntervalSince(now))
            }
            return wait
        }

        /// How many requests this pacer counts in the `span` before `now` (those answered within it and those in
        /// flight), and the index in `answered` of the first one answered within it.
        private func ownCount(within span: TimeInterval, at now: Date) -> (count: Int, firstRecent: Int) {
            var low = 0
            var high = answered.count
            while low < high {
                let middle = (low + high) / 2
                if now.timeIntervalSince(answered[middle]) >= span { low = middle + 1 } else { high = middle }
            }
            return (answered.count - low + inFlight, low)
        }

        /// A request is out of flight: it counts from now, the latest it can have arrived.
        private func landed(at now: Date) {
            guard inFlight > 0 else { return }
            inFlight -= 1
            if let last = answered.last, last > now {
                answered.insert(now, at: answered.firstIndex(where: { $0 > now }) ?? answered.count)
            } else {
                answered.append(now)
            }
            forgetOld(at: now)
        }

        /// Forgets the budgets the latest answer shows are no longer enforced. The headers name the budget with the
        /// smallest share left, so every other budget still enforced has at least the named one's share left, and so
        /// at most `limit × (1 − remaining / named limit)` of it spent. A budget of which this pacer alone has spent
        /// clearly more (beyond its own over-count: the margin, requests in flight) is no longer enforced: Procore has
        /// raised that limit, and the headers now name the new figure. Kept, the old one held the pacer to it for
        /// good (a spike limit raised from 100 per 10 s left Lentune at 100 per 10 s).
        private func dropBudgetsNoLongerHeld(named: Int, remaining: Int, at now: Date) {
            guard named > 0, remaining >= 0 else { return }
            let share = Double(remaining) / Double(named)
            for (limit, length) in windows where limit != named && length > 0 {
                let spent = Double(ownCount(within: length + Self.margin(length), at: now).count)
                let mostStillEnforced = Double(limit) * (1 - share) + Double(inFlight) + max(2, Double(limit) / 5)
                if spent > mostStillEnforced { windows[limit] = nil }
            }
        }

        /// Drops the answers older than the longest window (and its margin).
        private func forgetOld(at now: Date) {
            let longest = windows.values.map { $0 + Self.margin($0) }.max() ?? 0
            answered.removeFirst(ownCount(within: longest, at: now).firstRecent)
        }

        /// A request that never got an answer is out of flight too; it may still have reached Procore.
        public func abandon() { landed(at: clock()) }

        /// Seconds between request starts: the time to the window's reset divided by what is left of the budget
        /// (minus requests still in flight, whose cost the headers do not show yet).
        /// Once the reported reset has passed, the figures are stale: a sliding window frees one request at a time,
        /// so the pacer falls back to the window's steady rate (length / limit) until a fresh answer arrives.
        ///
        /// A short window (the spike window, at most a minute) is not spread: its budget is there to be used in a
        /// burst, and the checks in `acquire` hold the pacer to it (what the latest answer says is left, less the
        /// requests in flight; its own count of every window). A rolling window refills as its oldest requests leave
        /// it, so a burst that fits it never meets a 429. The hourly window is spread, so one batch does not take an
        /// hour's budget from everything else using the token.
        func spacing(at time: Date) -> TimeInterval {
            guard let remaining = state.remaining, let reset = state.reset, let limit = state.limit, limit > 0 else { return 0 }
            let steady = windowLength / (Double(limit) * (1 - headroom))
            let window = reset.timeIntervalSince(time)
            guard window > 0 else { return steady }
            if windowLength > 0, windowLength <= Self.burstWindow { return 0 }
            let usable = Double(remaining - inFlight) * (1 - headroom)
            guard usable >= 1 else { return window }
            // The reset header is rounded up to a whole second; spread the budget over the time actually left (at
            // least the window's steady rate). Running out is still caught by `acquire`, which waits for the reset.
            return max(steady, max(0, window - 1) / usable)
        }
    }
}
