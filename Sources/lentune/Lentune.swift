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
        subcommands: [Serve.self, Demo.self, Migrate.self, UserCommand.self, SandboxCommand.self, Bench.self])
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

    var overrides: [String: String] {
        var values: [String: String] = [:]
        if let hostname { values["LENTUNE_HOSTNAME"] = hostname }
        if let port { values["PORT"] = String(port) }
        return values
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the web app with the in-process worker.",
        discussion: """
            Applies pending database migrations, then serves until SIGINT or SIGTERM.

            Example:
              LENTUNE_DATABASE_URL=postgres://lentune:secret@127.0.0.1:5432/lentune \\
              LENTUNE_SECRET_KEY=$(openssl rand -base64 32) LENTUNE_ENV=production \\
              LENTUNE_PUBLIC_URL=https://ap.example.com lentune serve --hostname 0.0.0.0 --port 8080
            """)

    @ArgumentParser.OptionGroup var server: ServerOptions

    func run() async throws {
        _ = bootstrapLogging
        let config = loadConfig(overrides: server.overrides)
        try await LentuneServer.run(config: config) { _, url in
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
