import Foundation
@testable import ProcoreAPI
@testable import ProcoreSandbox
import Synchronization
import Testing

/// A sandbox on a free port and a client session pointed at it, as a real connection would be configured.
struct ClientHarness {
    let sandbox: RunningSandbox
    let client: Procore.Client
    let session: Procore.Session
    static let clientID = "lentune-test"
    static let clientSecret = "lentune-secret"
    static let company: Int64 = Seeds.demoCompanyID

    var store: SandboxStore { sandbox.server.store }

    static func with(
        settings: SandboxSettings? = nil, retry: Procore.RetryPolicy = .init(base: .milliseconds(50), cap: .seconds(2)),
        grant: Procore.Grant = .clientCredentials, tokens: Procore.Tokens? = nil,
        persist: @escaping @Sendable (Procore.Tokens) async throws -> Void = { _ in },
        clock: VirtualClock? = nil,
        _ body: (ClientHarness) async throws -> Void
    ) async throws {
        let now: @Sendable () -> Date = if let clock { { clock.now } } else { { Date() } }
        let sandbox = try await RunningSandbox.start(
            port: 0, seed: "demo", clientID: clientID, clientSecret: clientSecret,
            redirectURIs: ["http://127.0.0.1:9/callback"], settings: settings, clock: now)
        let configuration = Procore.Configuration(
            environment: .custom(authBaseURL: sandbox.authBaseURL, apiBaseURL: sandbox.apiBaseURL), clientID: clientID,
            clientSecret: clientSecret, grant: grant, companyID: company, timeout: .seconds(60))  // generous: a loaded CI machine
        let sleep: @Sendable (Duration) async throws -> Void = if let clock { { try await clock.sleep(for: $0) } } else { { try await Task.sleep(for: $0) } }
        let session = Procore.Session(
            configuration: configuration, tokens: tokens, retry: retry, clock: now, sleep: sleep, persistTokens: persist)
        do {
            try await body(ClientHarness(sandbox: sandbox, client: .live(session: session), session: session))
        } catch {
            await sandbox.shutdown()
            throw error
        }
        await sandbox.shutdown()
    }

    var project: Project { store.read { data in data.projects.first { $0.companyID == Self.company }! } }

    /// Requests the sandbox saw, by "METHOD /route".
    func count(_ route: String) -> Int {
        store.requestLog.all().filter { "\($0.method) \($0.route)" == route }.count
    }

    func statuses() -> [Int] { store.requestLog.all().map(\.status) }

    func faults(_ body: (inout SandboxFaults) -> Void) { store.updateFaults(body) }
}

/// Time that passes only when someone waits: the client's pacer and retries sleep on it, and the sandbox counts
/// requests against its rate limits by it, so what a test asserts about pacing does not depend on the machine's speed.
final class VirtualClock: Sendable {
    private let value: Mutex<Date>
    init(_ start: Date = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))) { value = Mutex(start) }
    var now: Date { value.withLock { $0 } }
    /// Moves the clock on by `duration` and lets other tasks run; never waits in real time.
    func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        value.withLock { $0 = $0.addingTimeInterval(duration.seconds) }
        await Task.yield()
    }
}

extension Duration {
    var seconds: TimeInterval { TimeInterval(components.seconds) + TimeInterval(components.attoseconds) / 1e18 }
}

/// Compares text with a file under `__Snapshots__`; `SNAPSHOT_RECORD=1` writes the files.
func assertSnapshot(_ text: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation, file: String = #filePath) {
    let directory = URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("__Snapshots__")
    let url = directory.appendingPathComponent(name + ".txt")
    if ProcessInfo.processInfo.environment["SNAPSHOT_RECORD"] != nil {
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try? text.write(to: url, atomically: true, encoding: .utf8)
        return
    }
    guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
        Issue.record("No snapshot \(name); run with SNAPSHOT_RECORD=1 to record it", sourceLocation: sourceLocation)
        return
    }
    #expect(text == expected, "snapshot \(name) differs", sourceLocation: sourceLocation)
}
