import ArgumentParser
import Foundation
import LentunePersistence
import LentuneSync
import LentuneWeb
import Logging
import ServiceLifecycle

struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run sync workers only (no web server): they take jobs from the database's outbox.",
        discussion: """
            Any number of worker processes (and `lentune serve --no-worker` web processes) may share one PostgreSQL
            database: jobs are claimed with FOR UPDATE SKIP LOCKED and leases, so each runs once at a time. Run
            `lentune migrate` first. SIGTERM stops taking jobs and lets running ones finish (30 s), releasing the rest.

            Example:
              LENTUNE_DATABASE_URL=postgres://lentune:secret@127.0.0.1:5432/lentune LENTUNE_SECRET_KEY=… \\
              LENTUNE_PUBLIC_URL=https://ap.example.com lentune worker --concurrency 4
            """)

    @ArgumentParser.Option(help: "Jobs this process runs at once (1–16).") var concurrency = 4
    @ArgumentParser.Flag(help: "Also queue the periodic sweeps (run it in one process only; serve does it by default).") var sweeps = false
    @ArgumentParser.Option(help: "Minutes between sweeps with --sweeps (1–1440).") var sweepMinutes = 15
    @ArgumentParser.Option(help: "Seconds a claimed job is held (10–3600): a killed worker's jobs are taken over after this. It must exceed the longest run (a batch of 100 pushes at Procore's spike limit takes about 10 s).") var leaseSeconds = 120

    @ArgumentParser.Option(help: "Longest wait in seconds before a failed job's next attempt (1–86400; backoff doubles up to it).") var retryCapSeconds = 3600

    func validate() throws {
        guard (1...16).contains(concurrency) else { throw ValidationError("--concurrency must be 1 to 16.") }
        guard (1...1440).contains(sweepMinutes) else { throw ValidationError("--sweep-minutes must be 1 to 1440.") }
        guard (1...86400).contains(retryCapSeconds) else { throw ValidationError("--retry-cap-seconds must be 1 to 86400.") }
        guard (10...3600).contains(leaseSeconds) else { throw ValidationError("--lease-seconds must be 10 to 3600.") }
    }

    func run() async throws {
        _ = bootstrapLogging
        let config = loadConfig()
        let logger = Logger(label: "lentune.worker")
        let database = try LentuneDatabase(location: config.database, logger: logger)
        let secrets = try SecretBox(base64Key: config.secretKey)
        let engine = LentuneServices.engine(config: config, secrets: secrets, connector: ProcoreConnector(secrets: secrets, allowLoopback: config.allowLoopbackProcore))
        let db = database.db
        var worker = engine.worker(db: db, concurrency: concurrency, logger: logger)
        worker.lease = .seconds(leaseSeconds)
        worker.policy.cap = .seconds(retryCapSeconds)
        var services: [any Service] = [SyncWorkerService(worker: worker)]
        if sweeps {
            services.append(PeriodicService(name: "sweep scheduler", interval: .seconds(sweepMinutes * 60), logger: logger) {
                try await engine.scheduleSweeps(on: db)
            })
        }
        let configuration = SyncWorkerService.group(services, logger: logger)
        printNow("Lentune worker \(worker.name) is running on \(config.database) (concurrency \(concurrency)).")
        do {
            try await ServiceGroup(configuration: configuration).run()
        } catch {
            await database.shutdown()
            throw error
        }
        await database.shutdown()
    }
}
