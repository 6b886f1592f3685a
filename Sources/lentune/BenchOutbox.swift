import ArgumentParser
import AsyncHTTPClient
import FluentKit
import FluentSQL
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import LentuneWeb
import NIOCore
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
    @ArgumentParser.Flag(help: "Skip the jobs; serve the webhook endpoint and print its URL and Authorization (for wrk) until Ctrl-C.") var hold = false

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
                try await drain(app: app, organisation: organisation, workers: workers)
                try await latency(app: app, organisation: organisation, workers: workers)
            }
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
        func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        printNow(String(format: "     due-to-start at %d jobs/s offered: p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms (%d jobs)",
                        rate, percentile(0.5), percentile(0.99), sorted.last ?? 0, sorted.count))
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
        let url = "http://127.0.0.1:\(app.http.server.shared.localAddress!.port!)" + SiteURL.procoreWebhook(connection.id).path
        if hold {
            printNow("serving \(url)\nAuthorization: \(authorization)")
            await LentuneServer.waitForTermination()
            await app.server.shutdown()
            printNow("stored \(try await WebhookEvents.count(in: organisation, on: app.db)) events")
            return
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: senders)))
        let latencies = Locked<[Double]>([])
        let failures = Locked(0)
        @Sendable func deliver(_ n: Int) async throws {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Authorization", value: authorization)
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: #"{"id": \#(n + 1), "ulid": "bench-\#(n)", "api_version": "v2", "event_type": "update", "resource_name": "Purchase Order Contracts", "resource_id": \#(4_294_970_000 + n), "company_id": 4242, "project_id": 1, "metadata": {"source_application_id": null}}"#))
            let sent = ContinuousClock.now
            let response = try await client.execute(request, timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 1024 * 1024)
            latencies.withLock { $0.append(seconds(ContinuousClock.now - sent) * 1000) }
            if response.status.code >= 300 { failures.withLock { $0 += 1 } }
        }
        func report(_ label: String, count: Int, elapsed: Double) {
            let sorted = latencies.withLock { $0 }.sorted()
            func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
            printNow(String(format: "  webhook intake, %@: %d deliveries in %5.2f s (%6.0f/s), ack p50 %5.1f ms  p99 %5.1f ms  max %6.1f ms",
                            label as NSString, count, elapsed, Double(count) / elapsed, percentile(0.5), percentile(0.99), sorted.last ?? 0))
            latencies.withLock { $0 = [] }
        }
        // Bursts: `senders` deliveries at the same moment (one PO edit in Procore fans out like this), then the next.
        let burstStart = ContinuousClock.now
        for burst in 0..<bursts {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<senders { group.addTask { try await deliver(1_000_000 + burst * senders + index) } }
                try await group.waitForAll()
            }
        }
        report("bursts of \(senders) simultaneous", count: bursts * senders, elapsed: seconds(ContinuousClock.now - burstStart))
        let started = ContinuousClock.now
        let perSender = (deliveries + senders - 1) / senders
        try await withThrowingTaskGroup(of: Void.self) { group in
            for sender in 0..<senders {
                group.addTask {
                    for index in 0..<perSender where sender * perSender + index < deliveries {
                        try await deliver(sender * perSender + index)
                    }
                }
            }
            try await group.waitForAll()
        }
        report("\(senders) senders back to back", count: deliveries, elapsed: seconds(ContinuousClock.now - started))
        try await client.shutdown()
        await app.server.shutdown()
        let stored = try await WebhookEvents.count(in: organisation, on: app.db)
        let sent = deliveries + bursts * senders
        printNow("  webhook events sent \(sent), stored \(stored), lost \(sent - stored), errors \(failures.withLock { $0 })")
    }
}

/// A value shared by a benchmark's tasks.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<T: Sendable>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
}
