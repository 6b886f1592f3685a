import Foundation
import Testing

@testable import LentuneCore

@Suite struct SignInThrottleTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func minutes(_ values: Double...) -> [Date] { values.map { t0.addingTimeInterval($0 * 60) } }

    @Test func fourFailuresAllowAnotherTry_theFifthBlocksUntilTheOldestLeavesTheWindow() {
        let throttle = SignInThrottle(limit: 5, window: 15 * 60)
        #expect(throttle.blockedUntil(failures: minutes(0, 1, 2, 3), now: t0.addingTimeInterval(4 * 60)) == nil)
        let five = minutes(0, 1, 2, 3, 4)
        #expect(throttle.blockedUntil(failures: five, now: t0.addingTimeInterval(5 * 60)) == t0.addingTimeInterval(15 * 60))
        // Once the oldest has left the window, four remain: allowed again.
        #expect(throttle.blockedUntil(failures: five, now: t0.addingTimeInterval(15 * 60)) == nil)
        // More failures than the limit: blocked until enough have aged out (the sixth-newest does not count).
        #expect(throttle.blockedUntil(failures: minutes(0, 10, 11, 12, 13, 14), now: t0.addingTimeInterval(14.5 * 60))
            == t0.addingTimeInterval(25 * 60))
    }

    @Test func oldAndFutureFailuresAreIgnored_andKeysIgnoreCaseAndSpaces() {
        let throttle = SignInThrottle()
        let now = t0.addingTimeInterval(60 * 60)
        #expect(throttle.blockedUntil(failures: minutes(0, 1, 2, 3, 4, 5, 6), now: now) == nil)
        #expect(throttle.blockedUntil(failures: minutes(61, 62, 63, 64, 65), now: now) == nil)
        #expect(SignInThrottle.key(email: "  Anna@Example.COM ") == "anna@example.com")
    }

    /// Attempts recorded by concurrent requests that started a moment later count as now (issue 30: ignoring them
    /// let a sixth of 30 concurrent attempts through).
    @Test func attemptsAMomentAhead_countAsNow() {
        let throttle = SignInThrottle(limit: 5, window: 15 * 60)
        let ahead = [0.001, 0.002, 0.003, 0.004, 0.005].map { t0.addingTimeInterval($0) }
        #expect(throttle.blockedUntil(failures: ahead, now: t0) == t0.addingTimeInterval(15 * 60))
        #expect(throttle.blockedUntil(failures: ahead.dropLast().map { $0 }, now: t0) == nil)
    }
}
