import ArgumentParser
import Foundation
import LentuneCore
import LentuneLogging
import LentunePersistence
import LentuneWeb
import Logging
import Vapor

@main
struct Lentune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lentune",
        abstract: "Accounts payable for construction, integrated with Procore.",
        discussion: """
            Settings come from the environment (LENTUNE_DATABASE_URL, LENTUNE_SECRET_KEY, LENTUNE_PUBLIC_URL, PORT,
            LOG_LEVEL, LENTUNE_ENV); see docs/CONFIGURATION.md.

            Examples:
              lentune demo                     # try Lentune with a seeded demo organisation
              lentune serve --port 8080        # run for real
            """,
        subcommands: [
            Serve.self, Worker.self, Demo.self, Migrate.self, UserCommand.self, ProcoreCommand.self, Reconcile.self, SandboxCommand.self, Bench.self,
        ])
}

/// Parses the environment once; on any problem prints all of them and exits with status 2.
func loadConfig(overrides: [String: String] = [:]) -> LentuneConfig {
    let environment = ProcessInfo.processInfo.environment.merging(overrides) { _, override in override }
    do {
        return try LentuneConfig.load(environment: environment)
    } catch {
        FileHandle.standardError.write(Data((error.description + "\n").utf8))
        Foundation.exit(2)
    }
}

let bootstrapLogging: Void = {
    let level = Logger.Level(rawValue: ProcessInfo.processInfo.environment["LOG_LEVEL"]?.lowercased() ?? "") ?? .info
    // Every handler redacts secrets, so the framework's own logging (Vapor's requests, Fluent's queries) is covered.
    LoggingSystem.bootstrap { label in RedactingLogHandler.standardError(label: label, level: level) }
}()

struct ServerOptions: ParsableArguments {
    @ArgumentParser.Option(help: "Address to listen on.") var hostname: String?
    @ArgumentParser.Option(help: "Port to listen on (0 picks a free port and prints it).") var port: Int?
    @ArgumentParser.Option(help: """
        Also take Procore's webhook deliveries on this port, with a listener of their own (LENTUNE_WEBHOOK_PORT; \
        a proxy sends /webhooks/ there; see docs/SYNC.md).
        """) var webhookPort: Int?

    var overrides: [String: String] {
        var values: [String: String] = [:]
        if let hostname { values["LENTUNE_HOSTNAME"] = hostname }
        if let port { values["PORT"] = String(port) }
        if let webhookPort { values["LENTUNE_WEBHOOK_PORT"] = String(webhookPort) }
        return values
    }
}

/// `--no-worker` and `--concurrency`, shared by `serve` and `demo`.
struct WorkerFlags: ParsableArguments {
    @ArgumentParser.Flag(help: "Run no sync worker in this process (run `lentune worker` processes instead).") var noWorker = false
    @ArgumentParser.Option(help: "Jobs the in-process worker runs at once (1–16).") var concurrency = 4
    @ArgumentParser.Option(help: "Minutes between sweeps of each linked Procore company (1–1440).") var sweepMinutes = 15

    func validate() throws {
        guard (1...16).contains(concurrency) else { throw ValidationError("--concurrency must be 1 to 16.") }
        guard (1...1440).contains(sweepMinutes) else { throw ValidationError("--sweep-minutes must be 1 to 1440.") }
    }

    var options: LentuneServer.WorkerOptions? {
        noWorker ? nil : .init(concurrency: concurrency, sweepInterval: .seconds(sweepMinutes * 60))
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the web app with the in-process worker.",
        discussion: """
            Applies pending database migrations, then serves until SIGINT or SIGTERM. The in-process sync worker and
            sweep scheduler run beside it unless --no-worker is given.

            Example:
              LENTUNE_DATABASE_URL=postgres://lentune:secret@127.0.0.1:5432/lentune \\
              LENTUNE_SECRET_KEY=$(openssl rand -base64 32) LENTUNE_ENV=production \\
              LENTUNE_PUBLIC_URL=https://ap.example.com lentune serve --hostname 0.0.0.0 --port 8080
            """)

    @ArgumentParser.OptionGroup var server: ServerOptions
    @ArgumentParser.OptionGroup var worker: WorkerFlags

    func run() async throws {
        _ = bootstrapLogging
        let config = loadConfig(overrides: server.overrides)
        try await LentuneServer.run(config: config, worker: worker.options) { _, url in
            printNow("Lentune is running at \(url)")
        }
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending database migrations and exit.",
        discussion: """
            Example:
              LENTUNE_DATABASE_URL=postgres://lentune:secret@127.0.0.1:5432/lentune lentune migrate
            """)

    @ArgumentParser.Flag(help: "Revert every migration instead (destroys all data).") var revertAll = false

    func run() async throws {
        _ = bootstrapLogging
        let config = loadConfig()
        let database = try LentuneDatabase(location: config.database)
        do {
            if revertAll {
                try await database.revertAll()
                print("Reverted all migrations on \(config.database).")
            } else {
                try await database.migrate()
                print("Migrations applied on \(config.database).")
            }
        } catch {
            await database.shutdown()
            throw error
        }
        await database.shutdown()
    }
}

/// Unbuffered, so that a script reading our output sees the line at once.
func printNow(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
