import Foundation
import NIOConcurrencyHelpers

/// The sandbox's state behind one lock. Handlers read and write through `read`/`write`; a write may also queue
/// webhook deliveries, which the dispatcher sends.
public final class SandboxStore: Sendable {
    private let state: NIOLockedValueBox<SandboxData>
    private let faultsBox = NIOLockedValueBox(SandboxFaults())
    let limiter = RateLimiter()
    public let requestLog = RequestLog()
    /// Sees every API and OAuth request with its answer, as bytes (tests hold them against Procore's description).
    public let exchanges = ExchangeTap()
    let busyDirectCosts = BusySet()
    public let clock: @Sendable () -> Date
    let stateFile: URL?

    public init(data: SandboxData = SandboxData(), stateFile: URL? = nil, clock: @escaping @Sendable () -> Date = { Date() }) {
        var initial = data
        if let stateFile, let saved = try? Data(contentsOf: stateFile),
            let decoded = try? JSONDecoder().decode(SandboxData.self, from: saved)
        {
            initial = decoded
        }
        state = NIOLockedValueBox(initial)
        self.stateFile = stateFile
        self.clock = clock
    }

    public func read<T, E: Error>(_ body: (SandboxData) throws(E) -> T) throws(E) -> T {
        let result: Result<T, E> = state.withLockedValue { data in Result { () throws(E) -> T in try body(data) } }
        return try result.get()
    }

    /// Applies a change atomically: if `body` throws, nothing is kept.
    public func write<T, E: Error>(_ body: (inout SandboxData) throws(E) -> T) throws(E) -> T {
        let result: Result<T, E> = state.withLockedValue { data in
            var copy = data
            let outcome = Result { () throws(E) -> T in try body(&copy) }
            if case .success = outcome { data = copy }
            return outcome
        }
        let value = try result.get()
        persist()
        return value
    }

    public func replace(with data: SandboxData) {
        state.withLockedValue { $0 = data }
        limiter.reset()
        persist()
    }

    public var faults: SandboxFaults {
        get { faultsBox.withLockedValue { $0 } }
        set { faultsBox.withLockedValue { $0 = newValue } }
    }

    public func updateFaults<T>(_ body: (inout SandboxFaults) -> T) -> T {
        faultsBox.withLockedValue { body(&$0) }
    }

    public var settings: SandboxSettings { read { $0.settings } }

    private func persist() {
        guard let stateFile else { return }
        let encoded = state.withLockedValue { try? JSONEncoder().encode($0) }
        guard let encoded else { return }
        try? encoded.write(to: stateFile, options: .atomic)
    }
}

/// Counts per route pattern, for `/_sandbox/requests` (tests assert how many calls a client made).
public final class RequestLog: Sendable {
    public struct Entry: Sendable {
        public var method: String
        public var route: String
        public var path: String
        public var status: Int
        public var at: Date
    }

    private let entries = NIOLockedValueBox<[Entry]>([])

    func append(_ entry: Entry) {
        entries.withLockedValue { list in
            list.append(entry)
            if list.count > 20_000 { list.removeFirst(list.count - 20_000) }
        }
    }

    /// Requests seen and faults injected, counted since the last clear (never truncated, unlike the entries).
    private let tally = NIOLockedValueBox<[String: Int]>([:])

    func count(_ name: String) { tally.withLockedValue { $0[name, default: 0] += 1 } }

    public func counted() -> [String: Int] { tally.withLockedValue { $0 } }
    public func all() -> [Entry] { entries.withLockedValue { $0 } }
    public func clear() {
        entries.withLockedValue { $0.removeAll() }
        tally.withLockedValue { $0.removeAll() }
    }
}

/// One request and its answer as the sandbox saw them.
public struct SandboxExchange: Sendable {
    public var method: String
    public var path: String
    /// The raw query string (percent-encoded), if any.
    public var query: String?
    public var requestHeaders: [(name: String, value: String)]
    public var requestBody: Data
    public var status: Int
    /// Empty when the answer streams (a dropped answer, say).
    public var responseBody: Data
    public var responseContentType: String?
}

/// Where exchanges go while a test listens (nobody listens by default, and then it costs nothing).
public final class ExchangeTap: Sendable {
    private let listener = NIOLockedValueBox<(@Sendable (SandboxExchange) -> Void)?>(nil)

    public func listen(_ body: (@Sendable (SandboxExchange) -> Void)?) { listener.withLockedValue { $0 = body } }

    var isListening: Bool { listener.withLockedValue { $0 != nil } }

    func send(_ exchange: SandboxExchange) { listener.withLockedValue { $0 }?(exchange) }
}

/// Direct costs refuse concurrent writes (Procore answers 409): a write claims its direct cost for its duration.
final class BusySet: Sendable {
    private let ids = NIOLockedValueBox<Set<Int64>>([])

    func claim(_ id: Int64) throws(ProcoreError) {
        let claimed = ids.withLockedValue { $0.insert(id).inserted }
        guard claimed else {
            throw ProcoreError.message(.conflict, "Another request is updating or deleting this direct cost. Try again when it has finished.")
        }
    }

    func release(_ id: Int64) { _ = ids.withLockedValue { $0.remove(id) } }

    /// The ids claimed right now.
    var claimed: [Int64] { ids.withLockedValue { $0.sorted() } }
}
