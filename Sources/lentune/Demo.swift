import ArgumentParser
import Foundation
import LentuneCore
import LentunePersistence
import LentuneWeb
import Vapor

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run Lentune on embedded defaults with a seeded demo organisation and administrator.",
        discussion: """
            Uses ./lentune-demo.sqlite unless LENTUNE_DATABASE_URL is set. Prints the URL and the demo administrator's
            email and password; LENTUNE_DEMO_PASSWORD sets the password (otherwise a random one is made each start).

            Example:
              lentune demo --port 8080
            """)

    @ArgumentParser.OptionGroup var server: ServerOptions

    func run() async throws {
        _ = bootstrapLogging
        var overrides = server.overrides
        if ProcessInfo.processInfo.environment["LENTUNE_DATABASE_URL"] == nil {
            overrides["LENTUNE_DATABASE_URL"] = "sqlite://lentune-demo.sqlite"
        }
        let config = loadConfig(overrides: overrides)
        let password = ProcessInfo.processInfo.environment["LENTUNE_DEMO_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
            ?? String(Tokens.randomPassword())
        guard password.count >= 8 else {
            throw ValidationError("LENTUNE_DEMO_PASSWORD must have at least 8 characters.")
        }
        try await LentuneServer.run(
            config: config,
            prepare: { app in
                let hash = try await app.password.async.hash(password)
                try await DemoData.seed(passwordHash: hash, on: app.db)
            },
            onStart: { _, url in
                printNow(
                    """
                    Lentune demo is running at \(url)
                      administrator: \(DemoData.administratorEmail)
                      AP officer:    \(DemoData.apOfficerEmail)
                      password:      \(password)
                    Press Ctrl-C to stop.
                    """)
            })
    }
}

enum Tokens {
    /// 16 characters from an unambiguous alphabet.
    static func randomPassword() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        return String((0..<16).map { _ in alphabet.randomElement()! })
    }
}
