import ArgumentParser
import FluentKit
import FluentSQL
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import LentuneWeb
import NIOCore
import NIOPosix
import Synchronization
import Vapor

/// Issue 12's benchmark: the outbox's throughput and latency with no-op jobs for 1, 2 and 4 workers, and webhook
/// intake under 200 concurrent deliveries, on PostgreSQL.
struct OutboxBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "Outbox jobs/s and due-to-start latency for 1, 2 and 4 workers; webhook intake latency at 200 concurrent deliveries.",
        discussion: """
            Needs a PostgreSQL database it may empty (its tables are dropped and migrated again). Build with -c release.
            Webhook intake is measured on the web app's port, then on the intake listener (LENTUNE_WEBHOOK_PORT).

            Example:
              lentune bench outbox --database-url postgres://postgres@127.0.0.1:5432/bench --jobs 20000 --deliveries 20000
            """)

    @ArgumentParser.Option(help: "PostgreSQL URL (emptied first).") var databaseURL: String
    @ArgumentParser.Option(help: "No-op jobs drained per worker count.") var jobs = 20_000
    @ArgumentParser.Option(help: "Jobs per second offered while latency is measured.") var rate = 500
    @ArgumentParser.Option(help: "Seconds of offered load for the latency figure.") var latencySeconds = 10
    @ArgumentParser.Option(help: "Webhook deliveries in all.") var deliveries = 20_000
    @ArgumentParser.Option(help: "Concurrent webhook senders.") var senders = 200
    @ArgumentParser.Option(help: "Bursts of --senders simultaneous deliveries (each burst waits for the last).") var bursts = 50
    @ArgumentParser.Option(help: "Event-loop threads the webhook senders share (wrk -t).") var senderThreads = 2
    @ArgumentParser.Flag(help: "Skip the jobs; serve webhook intake on the web app's port and on the intake listener, and print both URLs and the Authorization (for wrk) until Ctrl-C.") var hold = false

    func validate() throws {
        guard (0...10_000_000).contains(jobs) else { throw ValidationError("--jobs must be 0 (skip the jobs) to 10,000,000.") }
        guard (1...100_000).contains(rate) else { throw ValidationError("--rate must be 1 to 100,000 jobs/s.") }
        guard (0...3600).contains(latencySeconds) else { throw ValidationError("--latency-seconds must be 0 (skip) to 3,600.") }
        guard (0...10_000_000).contains(deliveries) else { throw ValidationError("--deliveries must be 0 to 10,000,000.") }
        guard (1...10_000).contains(senders) else { throw ValidationError("--senders must be 1 to 10,000.") }
        guard (0...100_000).contains(bursts) else { throw ValidationError("--bursts must be 0 to 100,000.") }
        guard (1...64).contains(senderThreads) else { throw ValidationError("--sender-threads must be 1 to 64.") }
    }

    func run() async throws {
        _ = bootstrapLogging
        let config = try LentuneConfig.load(environment: [
            "LENTUNE_DATABASE_URL": databaseURL, "LENTUNE_ENV": "testing", "PORT": "0", "LOG_LEVEL": "error",
        ])
        guard config.database.isPostgres else { throw ValidationError("--database-url must be a PostgreSQL URL.") }
        let app = try await Application.make(Environment(name: "production", arguments: ["lentune"]))
        do {
            try await configure(app, config: config)
            app.logger.logLevel = .error
            try await app.autoRevert()
            try await app.autoMigrate()
            let organisation = try await Accounts.organisation(named: "Bench Construction Ltd", on: app.db).domain.id
            printNow("lentune bench outbox on \(config.database)")
            for workers in [1, 2, 4] where !hold {
                if jobs > 0 { try await drain(app: app, organisation: organisation, workers: workers) }
                if latencySeconds > 0 { try await latency(app: app, organisation: organisation, workers: workers) }
            }
            // The job phases leave their jobs behind and 75,000 deleted rows; autovacuum reclaiming them during the
            // webhook phase would take CPU from it (as it did from the PO list's bench). Start it on an empty table.
            if !hold, jobs > 0 || latencySeconds > 0 { try await (app.db as! any SQLDatabase).raw("TRUNCATE outbox_jobs").run() }
            try await webhooks(app: app, organisation: organisation, config: config)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    func worker(_ app: Application, name: String) -> SyncWorker {
        var worker = app.lentune.engine.worker(db: app.db, concurrency: 4)
        worker.name = name
        return worker
    }

    /// `jobs` no-op jobs inserted at once, drained by `workers` workers (each its own claim loop, as separate
    /// processes would be).
    func drain(app: Application, organisation: Organisation.ID, workers: Int) async throws {
        let sql = app.db as! any SQLDatabase
        try await sql.raw("DELETE FROM outbox_jobs").run()
        let now = Date()
        try await sql.raw("""
            INSERT INTO outbox_jobs (id, organisation_id, kind, payload, state, attempts, next_attempt_at, created_at, updated_at)
            SELECT gen_random_uuid(), \(bind: organisation.rawValue), 'noop', '{}', 'pending', 0, \(bind: now), \(bind: now), \(bind: now)
            FROM generate_series(1, \(literal: jobs))
            """).run()
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<workers {
                let worker = self.worker(app, name: "bench-\(index)")
                group.addTask { while try await worker.runOnce(limit: 64).claimed > 0 {} }
            }
            try await group.waitForAll()
        }
        let elapsed = seconds(ContinuousClock.now - started)
        let done = try await Outbox.depth(on: app.db)[.done] ?? 0
        printNow(String(format: "  %d worker%@: %6d jobs in %5.2f s = %7.0f jobs/s (%d done)", workers, workers == 1 ? " " : "s",
                        jobs, elapsed, Double(jobs) / elapsed, done))
    }

    /// Jobs enqueued at `rate` per second for `latencySeconds` while `workers` workers run: how long from due (its
    /// enqueue) to its handler starting.
    func latency(app: Application, organisation: Organisation.ID, workers: Int) async throws {
        let sql = app.db as! any SQLDatabase
        try await sql.raw("DELETE FROM outbox_jobs").run()
        let samples = Locked<[Double]>([])
        var handlers = JobHandlers()
        handlers[.noop] = { job, _ in
            let waited = Date().timeIntervalSince(job.nextAttemptAt) * 1000
            samples.withLock { $0.append(waited) }
        }
        let total = rate * latencySeconds
        let stop = Locked(false)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<workers {
                var configured = self.worker(app, name: "latency-\(index)")
                configured.handlers = handlers
                let worker = configured
                group.addTask {
                    while !stop.withLock({ $0 }) {
                        if try await worker.runOnce(limit: 64).claimed == 0 { try await Task.sleep(for: .milliseconds(5)) }
                    }
                }
            }
            // The producer: one job every 1/rate s, each due the moment it is written.
            let interval = Duration.seconds(1) / rate
            let start = ContinuousClock.now
            for index in 0..<total {
                let due = start + interval * index
                if due > ContinuousClock.now { try await Task.sleep(until: due) }
                let now = Date()
                try await Outbox.enqueue(SyncJob(organisationID: organisation, kind: .noop, nextAttemptAt: now, createdAt: now), on: app.db)
            }
            while samples.withLock({ $0.count }) < total { try await Task.sleep(for: .milliseconds(20)) }
            stop.withLock { $0 = true }
            try await group.waitForAll()
        }
        let sorted = samples.withLock { $0 }.sorted()
        printNow(String(format: "     due-to-start at %d jobs/s offered: p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms (%d jobs)",
                        rate, sorted.percentile(0.5), sorted.percentile(0.99), sorted.last ?? 0, sorted.count))
    }

    /// `deliveries` webhook events from `senders` concurrent connections to a running Lentune: acknowledgement
    /// latency, and how many were stored (none may be lost).
    func webhooks(app: Application, organisation: Organisation.ID, config: LentuneConfig) async throws {
        let admin = try await Accounts.createUser(
            organisation: organisation, email: "bench@lentune.test", name: "Bench", role: .administrator, passwordHash: "x", on: app.db)
        let connection = try await ProcoreSettings.saveConnection(
            .init(environment: .production, clientID: "bench-app", clientSecret: "s", grantType: .clientCredentials, redirectURI: nil,
                  serviceCompanyID: nil),
            organisation: organisation, actor: admin, secrets: app.lentune.secrets, now: Date(), on: app.db)
        let authorization = "Bearer " + (try app.lentune.secrets.open(connection.sealedWebhookSecret))
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        let listener = WebhookIntakeListener(app: app)
        let listenerPort = try await listener.start(hostname: "127.0.0.1", port: 0)
        let webPort = app.http.server.shared.localAddress!.port!
        let path = SiteURL.procoreWebhook(connection.id).path
        if hold {
            printNow("serving http://127.0.0.1:\(webPort)\(path) (the web app) and http://127.0.0.1:\(listenerPort)\(path) (the intake listener)\nAuthorization: \(authorization)")
            await LentuneServer.waitForTermination()
            await listener.shutdown()
            await app.server.shutdown()
            printNow("stored \(try await WebhookEvents.count(in: organisation, on: app.db)) events")
            return
        }
        // The senders are plain keep-alive HTTP/1.1 connections (as wrk's are) on event loops of their own: with an
        // HTTP client's pool and state machines, or on the server's event loops, the senders' own work would count
        // as the server's latency on a 2-core machine. Two threads by default, as `wrk -t2`: on one, all 200
        // connections' answers wait unread whenever that thread is off the CPU.
        let senderLoop = MultiThreadedEventLoopGroup(numberOfThreads: senderThreads)
        let head = Array("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: \(authorization)\r\nContent-Type: application/json\r\nContent-Length: ".utf8)
        let request: WebhookSender.Request = { n, buffer in
            let body = #"{"id": \#(n + 1), "ulid": "bench-\#(n)", "api_version": "v2", "event_type": "update", "resource_name": "Purchase Order Contracts", "resource_id": \#(4_294_970_000 + n), "company_id": 4242, "project_id": 1, "metadata": {"source_application_id": null}}"#
            buffer.writeBytes(head)
            buffer.writeString(String(body.utf8.count))
            buffer.writeStaticString("\r\n\r\n")
            buffer.writeString(body)
        }
        var failures = 0
        func report(_ label: String, _ latencies: [Double], elapsed: Double) {
            let sorted = latencies.sorted()
            guard !sorted.isEmpty else { return }
            printNow(String(format: "  webhook intake, %@: %d deliveries in %5.2f s (%6.0f/s), ack p50 %5.1f ms  p99 %5.1f ms  max %6.1f ms",
                            label as NSString, sorted.count, elapsed, Double(sorted.count) / elapsed, sorted.percentile(0.5), sorted.percentile(0.99),
                            sorted.last ?? 0))
        }
        // The same phases on each listener; deliveries are numbered across them (each number is its own event).
        var next = 0
        for (name, port) in [("web app", webPort), ("intake listener", listenerPort)] {
            var connections: [WebhookSender] = []
            for _ in 0..<senders { connections.append(try await WebhookSender.connect(port: port, on: senderLoop.next())) }
            func run(_ work: [[Int]]) async throws -> [Double] {
                let outcomes = try await WebhookSender.send(work, over: connections, request: request)
                failures += outcomes.map(\.failures).reduce(0, +)
                return outcomes.flatMap(\.latencies)
            }
            func numbers(_ count: Int) -> Range<Int> {
                defer { next += count }
                return next..<(next + count)
            }
            // One burst first, not counted: the server's first deliveries open its database connections.
            _ = try await run(numbers(senders).map { [$0] })
            // Bursts: `senders` deliveries at the same moment (one PO edit in Procore fans out like this), then the next.
            let burstStart = ContinuousClock.now
            var burstLatencies: [Double] = []
            for _ in 0..<bursts { burstLatencies += try await run(numbers(senders).map { [$0] }) }
            report("\(name), bursts of \(senders) simultaneous", burstLatencies, elapsed: seconds(ContinuousClock.now - burstStart))
            // Back to back: each sender sends its share (the shares differ by one at most), the next the moment the
            // last is answered.
            let started = ContinuousClock.now
            let all = numbers(deliveries)
            let shares = (0..<senders).map { sender in Array(stride(from: all.lowerBound + sender, to: all.upperBound, by: senders)) }
            let backToBack = try await run(shares)
            report("\(name), \(senders) senders back to back", backToBack, elapsed: seconds(ContinuousClock.now - started))
            for sender in connections { try? await sender.close() }
        }
        try await senderLoop.shutdownGracefully()
        await listener.shutdown()
        await app.server.shutdown()
        let stored = try await WebhookEvents.count(in: organisation, on: app.db)
        printNow("  webhook events sent \(next), stored \(stored), lost \(next - stored), errors \(failures)")
    }
}

/// One keep-alive HTTP/1.1 connection that sends deliveries one after another, as wrk does: the next is written
/// from the event loop the moment the last one's answer has been read, with no task to wake in between. Latency is
/// from writing a request to reading the end of its answer. Requests are written as bytes and answers read by a
/// minimal parser (status line, `Content-Length`, body), so that the sender costs the shared CPU little.
struct WebhookSender: Sendable {
    /// Writes delivery `n`'s whole request (head and body) into the buffer.
    typealias Request = @Sendable (_ n: Int, _ into: inout ByteBuffer) -> Void
    struct Outcome: Sendable {
        var latencies: [Double] = []
        var failures = 0
    }

    final class Driver: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private var context: ChannelHandlerContext?
        private var queue: [Int] = []
        private var request: Request?
        private var received = ByteBuffer()
        private var sentAt = ContinuousClock.now
        private var outcome = Outcome()
        private var done: EventLoopPromise<Outcome>?

        func handlerAdded(context: ChannelHandlerContext) { self.context = context }
        func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

        func start(_ numbers: [Int], request: @escaping Request, promise: EventLoopPromise<Outcome>) {
            queue = numbers.reversed()
            self.request = request
            outcome = Outcome()
            done = promise
            sendNext()
        }

        private func sendNext() {
            guard let context, let request, let number = queue.popLast() else {
                let promise = done
                done = nil
                promise?.succeed(outcome)
                return
            }
            var buffer = context.channel.allocator.buffer(capacity: 512)
            request(number, &buffer)
            sentAt = .now
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            if received.readableBytes == 0 { received = bytes } else { received.writeBuffer(&bytes) }
            while let status = Self.answer(in: &received) {
                outcome.latencies.append(seconds(ContinuousClock.now - sentAt) * 1000)
                if status >= 300 { outcome.failures += 1 }
                sendNext()
            }
        }

        /// Reads one whole answer off the front of `buffer` and returns its status (0 when the status line cannot be
        /// read); nil while it is incomplete. Bytes, not strings: the sender shares the 2 cores with the server.
        static func answer(in buffer: inout ByteBuffer) -> Int? {
            let total: Int?
            let status: Int
            (total, status) = buffer.withUnsafeReadableBytes { bytes -> (Int?, Int) in
                guard let headEnd = headEnd(bytes) else { return (nil, 0) }
                var status = 0
                if headEnd >= 12, bytes[8] == UInt8(ascii: " ") {
                    for byte in bytes[9..<12] {
                        guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { status = 0; break }
                        status = status * 10 + Int(byte - UInt8(ascii: "0"))
                    }
                }
                guard let length = contentLength(bytes[..<headEnd]) else { return (headEnd + 4, 0) }
                return (headEnd + 4 + length, status)
            }
            guard let total, buffer.readableBytes >= total else { return nil }
            buffer.moveReaderIndex(forwardBy: total)
            buffer.discardReadBytes()
            return status
        }

        static let contentLengthName = Array("content-length:".utf8)

        /// Where the head's closing blank line (`\r\n\r\n`) starts.
        static func headEnd(_ bytes: UnsafeRawBufferPointer) -> Int? {
            var index = 0
            while index + 3 < bytes.count {
                if bytes[index] == 13, bytes[index + 1] == 10, bytes[index + 2] == 13, bytes[index + 3] == 10 { return index }
                index += 1
            }
            return nil
        }

        /// The `Content-Length` of a head (0 when it has none); nil when its value is not a number (the answer then
        /// counts as a failure, and only its head is consumed).
        static func contentLength(_ head: Slice<UnsafeRawBufferPointer>) -> Int? {
            let name = contentLengthName
            var lineStart = head.startIndex
            while lineStart < head.endIndex {
                var lineEnd = lineStart
                while lineEnd < head.endIndex, head[lineEnd] != 13 { lineEnd += 1 }
                if lineEnd - lineStart > name.count,
                   zip(head[lineStart..<(lineStart + name.count)], name).allSatisfy({ $0 | 0x20 == $1 | 0x20 }) {
                    var value = 0
                    var digits = 0
                    for byte in head[(lineStart + name.count)..<lineEnd] where byte != UInt8(ascii: " ") {
                        guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte), digits < 12 else { return nil }
                        value = value * 10 + Int(byte - UInt8(ascii: "0"))
                        digits += 1
                    }
                    return digits > 0 ? value : nil
                }
                lineStart = lineEnd + 2
            }
            return 0
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            fail(error)
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) { fail(ChannelError.ioOnClosedChannel) }

        private func fail(_ error: any Error) {
            let promise = done
            done = nil
            promise?.fail(error)
        }
    }

    let channel: any Channel
    let driver: NIOLoopBound<Driver>

    static func connect(port: Int, on loop: any EventLoop) async throws -> WebhookSender {
        let channel = try await ClientBootstrap(group: loop).channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Driver()) }
            }.connect(host: "127.0.0.1", port: port).get()
        let driver = try await channel.eventLoop.submit {
            NIOLoopBound(try channel.pipeline.syncOperations.handler(type: Driver.self), eventLoop: channel.eventLoop)
        }.get()
        return WebhookSender(channel: channel, driver: driver)
    }

    /// Each sender sends its deliveries (`work[i]` for sender `i`), one after another; the senders of each event loop
    /// start in the same turn of it, so a burst's deliveries are written at the same moment.
    static func send(_ work: [[Int]], over senders: [WebhookSender], request: @escaping Request) async throws -> [Outcome] {
        let byLoop = Dictionary(grouping: zip(senders, work), by: { ObjectIdentifier($0.0.channel.eventLoop) })
        return try await withThrowingTaskGroup(of: [Outcome].self) { group in
            for pairs in byLoop.values {
                let loop = pairs[0].0.channel.eventLoop
                group.addTask {
                    try await loop.flatSubmit {
                        let outcomes = pairs.map { sender, numbers in
                            let promise = loop.makePromise(of: Outcome.self)
                            sender.driver.value.start(numbers, request: request, promise: promise)
                            return promise.futureResult
                        }
                        return EventLoopFuture.whenAllSucceed(outcomes, on: loop)
                    }.get()
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
    }

    func close() async throws { try await channel.close() }
}

/// A value shared by a benchmark's tasks.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<T: Sendable>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
}
