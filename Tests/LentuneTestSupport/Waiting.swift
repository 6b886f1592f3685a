import Foundation
import Synchronization

/// A wait that gave up: what was awaited, and for how long.
public struct TimedOut: Error, CustomStringConvertible {
    public var what: String
    public var timeout: Duration
    public var description: String { "\(what) did not happen within \(timeout)" }
}

/// Polls `condition` until it holds, for at most `timeout` (a deadline, not a timing assertion: a slow machine only
/// makes the test slower); throws `TimedOut` naming `what` when the deadline passes first.
public func waitUntil(
    _ what: String, timeout: Duration = .seconds(30), every poll: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return }
        guard ContinuousClock.now < deadline else { throw TimedOut(what: what, timeout: timeout) }
        try await Task.sleep(for: poll)
    }
}

/// The task's value, or `TimedOut` once `timeout` has passed (the task is then cancelled): a test awaiting work that
/// should end fails instead of hanging when the work never ends.
public func awaitTask<T: Sendable>(
    _ task: Task<T, any Error>, _ what: String, within timeout: Duration = .seconds(60)
) async throws -> T {
    let finished = Finished()
    let watchdog = Task {
        try? await Task.sleep(for: timeout)
        if !Task.isCancelled, finished.mark() { task.cancel() }
    }
    let result = await task.result
    watchdog.cancel()
    guard finished.mark() else { throw TimedOut(what: what, timeout: timeout) }
    return try result.get()
}

/// Lets the first of two parties (the task ending, the watchdog firing) claim the outcome.
private final class Finished: Sendable {
    private let claimed = Mutex(false)
    func mark() -> Bool { claimed.withLock { claimed in defer { claimed = true }; return !claimed } }
}
