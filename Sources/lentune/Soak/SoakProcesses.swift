import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A Lentune process the soak starts, kills with SIGKILL and starts again: `lentune serve --no-worker` or
/// `lentune worker`, its output appended to a log file in the run's folder.
final class SoakProcess: @unchecked Sendable {
    let name: String
    let arguments: [String]
    let environment: [String: String]
    let log: URL
    private let lock = NSLock()
    private var process: Process?

    init(name: String, arguments: [String], environment: [String: String], folder: URL) {
        self.name = name
        self.arguments = arguments
        self.environment = environment
        self.log = folder.appendingPathComponent("\(name).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
    }

    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        lock.withLock { self.process = process }
    }

    /// SIGKILL: no shutdown, no release of claimed jobs, as a crash or an OOM kill.
    func kill() {
        guard let process = lock.withLock({ self.process }) else { return }
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        lock.withLock { self.process = nil }
    }

    func stop() {
        guard let process = lock.withLock({ self.process }) else { return }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        lock.withLock { self.process = nil }
    }
}

/// Lentune's JSON API as a client sees it: a bearer token, a 30 s deadline, and repeats while the web process is
/// down (a connection refused is repeated for up to two minutes: the soak kills the web process once).
struct SoakAPI: Sendable {
    let http: HTTPClient
    let base: String
    let token: String

    struct Answer: Sendable {
        var status: Int
        var body: Data

        var object: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var ok: Bool { (200..<300).contains(status) }
    }

    /// A transport failure after the request may have reached Lentune: the caller decides whether to repeat.
    struct Unanswered: Error {}

    func send(_ method: HTTPMethod, _ path: String, json: Any? = nil, headers extra: [(String, String)] = []) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/json")
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: json)))
        }
        let deadline = ContinuousClock.now + .seconds(120)
        while true {
            do {
                let response = try await http.execute(request, timeout: .seconds(30))
                let body = try await response.body.collect(upTo: 8 << 20)
                return Answer(status: Int(response.status.code), body: Data(buffer: body))
            } catch {
                // Connection refused (the web process is restarting): the request never left; repeat it. Anything
                // else (a reset, a timeout) may have reached Lentune.
                let text = String(describing: error)
                let neverSent = text.contains("connectionRefused") || text.contains("Connection refused") || text.contains("connectTimeout")
                guard neverSent else { throw Unanswered() }
                guard ContinuousClock.now < deadline else { throw error }
            }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    /// Sends until answered: for requests that are safe to repeat (reads, Idempotency-Key creates, actions whose
    /// repeat is refused with 409 once the first took effect).
    func repeating(_ method: HTTPMethod, _ path: String, json: Any? = nil, headers: [(String, String)] = []) async throws -> Answer {
        for _ in 0..<20 {
            do { return try await send(method, path, json: json, headers: headers) } catch is Unanswered {
                try await Task.sleep(for: .milliseconds(500))
            }
        }
        throw Unanswered()
    }
}

/// A seeded generator (SplitMix64): the same seed draws the same operations.
struct SoakRandom: RandomNumberGenerator, Sendable {
    var state: UInt64

    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
}
