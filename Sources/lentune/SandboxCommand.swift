import ArgumentParser
import Foundation
import LentuneWeb
import ProcoreSandbox

struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run the Procore sandbox: a local stand-in for Procore's REST API (docs/SANDBOX.md).",
        discussion: """
            Prints the auth and API base URLs and the seeded company's id. Point a Procore client at them.

            Example:
              lentune sandbox --port 4010 --seed demo --client-id lentune --client-secret s3cret
            """)

    @ArgumentParser.Option(help: "Address to listen on.") var hostname = "127.0.0.1"
    @ArgumentParser.Option(help: "Port (0 picks a free port and prints it).") var port = 4010
    @ArgumentParser.Option(help: "demo, multi (four companies sharing cost type codes and vendor names), empty, or a JSON state file (as exported by GET /_sandbox/state).") var seed = "demo"
    @ArgumentParser.Option(help: "Register an OAuth client (a service account) with this id.") var clientId: String?
    @ArgumentParser.Option(help: "Its secret.") var clientSecret: String?
    @ArgumentParser.Option(help: "A redirect URI for the authorization code grant (repeatable).") var redirectUri: [String] = []
    @ArgumentParser.Option(help: "Keep state in this JSON file, so it survives a restart.") var stateFile: String?

    func validate() throws {
        guard (clientId == nil) == (clientSecret == nil) else {
            throw ValidationError("--client-id and --client-secret go together")
        }
    }

    func run() async throws {
        _ = bootstrapLogging
        let sandbox = try await RunningSandbox.start(
            hostname: hostname, port: port, seed: seed, clientID: clientId, clientSecret: clientSecret,
            redirectURIs: redirectUri, stateFile: stateFile.map { URL(fileURLWithPath: $0) })
        let companies = sandbox.server.store.read { $0.companies }
        var lines = [
            "Procore sandbox is running",
            "  auth base URL: \(sandbox.authBaseURL.absoluteString)",
            "  API base URL:  \(sandbox.apiBaseURL.absoluteString)",
            "  port: \(sandbox.baseURL.port ?? port)",
        ]
        for company in companies { lines.append("  company id: \(company.id) (\(company.name))") }
        if let clientId { lines.append("  client id: \(clientId)") }
        lines.append("Press Ctrl-C to stop.")
        printNow(lines.joined(separator: "\n"))
        await LentuneServer.waitForTermination()
        await sandbox.shutdown()
    }
}
