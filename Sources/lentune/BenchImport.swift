import ArgumentParser
import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import LentuneWeb
import ProcoreSandbox
import Vapor

/// Issue 13's benchmark: one `reference.sync` of a large Procore company, read from a sandbox running as its own
/// process (so the resident memory measured is Lentune's alone) at the sandbox's default rate limits.
struct ImportBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import 500 projects, 2,000 vendors and 20,000 cost codes from a sandbox; print requests, 429s, time and peak memory.",
        discussion: """
            The sandbox runs as a child process (`lentune sandbox` with a generated state file) at its default rate
            limits. Build with -c release.

            Example:
              lentune bench import --projects 500 --vendors 2000 --cost-codes 20000
            """)

    @ArgumentParser.Option(help: "Projects in an accepted stage (Course of Construction).") var projects = 500
    @ArgumentParser.Option(help: "Company vendors.") var vendors = 2000
    @ArgumentParser.Option(help: "Cost codes in all, spread evenly over the projects.") var costCodes = 20_000
    @ArgumentParser.Option(help: "Lentune's database (default: a new SQLite file in a temporary folder).") var databaseURL: String?

    func validate() throws {
        guard (1...10_000).contains(projects), (0...100_000).contains(vendors), (0...1_000_000).contains(costCodes) else {
            throw ValidationError("--projects 1–10,000, --vendors 0–100,000, --cost-codes 0–1,000,000.")
        }
    }

    func run() async throws {
        _ = bootstrapLogging
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lentune-bench-import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        // The Procore side: the demo company plus the bulk, as a state file for a sandbox process.
        var data = Seeds.named("demo", now: Date())!
        let company = Seeds.addReferenceData(
            projects: projects, costCodesPerProject: costCodes / projects, vendors: vendors, to: &data, now: Date())
        let stateFile = folder.appendingPathComponent("sandbox.json")
        try JSONEncoder().encode(data).write(to: stateFile)
        let sandbox = try SandboxProcess.start(stateFile: stateFile, clientID: "bench", clientSecret: "bench-secret")
        defer { sandbox.stop() }

        let url = databaseURL ?? "sqlite://\(folder.appendingPathComponent("lentune.sqlite").path)"
        let config = try LentuneConfig.load(environment: [
            "LENTUNE_DATABASE_URL": url, "LENTUNE_ENV": "testing", "PORT": "0", "LOG_LEVEL": "error",
        ])
        let app = try await Application.make(Environment(name: "production", arguments: ["lentune"]))
        do {
            try await configure(app, config: config)
            app.logger.logLevel = .error
            try await app.autoRevert()
            try await app.autoMigrate()
            try await measure(app: app, sandbox: sandbox, data: data, company: company)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    func measure(app: Application, sandbox: SandboxProcess, data: SandboxData, company: Int64) async throws {
        let organisation = try await Accounts.organisation(named: "Bench Construction Ltd", on: app.db).domain.id
        let admin = try await Accounts.createUser(
            organisation: organisation, email: "bench@bench.example", name: "Bench", role: .administrator, passwordHash: "-", on: app.db)
        let connection = try await ProcoreSettings.saveConnection(
            .init(environment: .custom(authBaseURL: sandbox.baseURL, apiBaseURL: sandbox.baseURL), clientID: "bench",
                  clientSecret: "bench-secret", grantType: .clientCredentials, redirectURI: nil, serviceCompanyID: company),
            organisation: organisation, actor: admin, secrets: app.lentune.secrets, now: Date(), on: app.db)
        let row = ProcoreCompanyLink(
            organisationID: organisation, connectionID: .init(connection.id), procoreCompanyID: company, name: "Bench", isLinked: true,
            projectStages: ["Course of Construction"])
        try await ProcoreSettings.insert(row, on: app.db)
        try await sandbox.clearRequests(app.client)
        let residentBefore = ProcessMemory.residentKB()

        try await Outbox.enqueue(.companyWide(.syncReferenceData, of: row, now: Date()), on: app.db)
        let started = ContinuousClock.now
        let summary = try await app.lentune.engine.worker(db: app.db, concurrency: 1).runOnce(limit: 1)
        let elapsed = seconds(ContinuousClock.now - started)
        guard summary.done == 1 else {
            let job = try await Outbox.jobs(in: organisation, on: app.db).first
            throw ValidationError("The import did not complete: \(job?.lastError ?? "no job")")
        }

        let log = try await sandbox.requestCounts(app.client)
        let rest = log.counts.filter { $0.key.contains(" /rest/") }.values.reduce(0, +)
        // The fewest requests the page sizes the import asks for allow: projects by 300, cost codes and vendors by
        // 100, line item types and tax codes in one page each.
        let companyProjects = data.projects.filter { $0.companyID == company }
        let accepted = Set(data.stages.filter { $0.name == "Course of Construction" }.map(\.id))
        let acceptedProjects = companyProjects.filter { $0.stageID.map(accepted.contains) ?? false }
        let codesPerProject = Dictionary(grouping: data.costCodes, by: \.projectID).mapValues(\.count)
        let minimum = pages(companyProjects.count, 300) + acceptedProjects.reduce(0) { $0 + max(1, pages(codesPerProject[$1.id] ?? 0, 100)) }
            + max(1, pages(data.vendors.filter { $0.companyID == company }.count, 100)) + 1
            + max(1, pages(data.taxCodes.filter { $0.companyID == company }.count, 100))
        let imported = try await ReferenceImport.summary(of: row, on: app.db)
        printNow("""
            lentune bench import (Lentune on \(databaseURL.map { $0.hasPrefix("postgres") ? "PostgreSQL" : "SQLite" } ?? "SQLite"))
              Procore company:     \(companyProjects.count) projects (\(acceptedProjects.count) in Course of Construction), \
            \(data.vendors.filter { $0.companyID == company }.count) vendors, \(data.costCodes.filter { c in acceptedProjects.contains { $0.id == c.projectID } }.count) cost codes on those
              imported:            \(imported.projectsLinked) projects, \(imported.costCodesLinked) cost codes, \(imported.suppliersLinked) suppliers, \(imported.costTypesLinked) cost types, \(imported.procoreTaxCodes) tax codes
              API requests:        \(rest)   (minimum at the page sizes used: \(minimum))
              token requests:      \(log.counts.filter { $0.key.contains("/oauth/token") }.values.reduce(0, +))
              429s received:       \(log.statuses["429"] ?? 0)   (target 0)
              time:                \(String(format: "%.1f", elapsed)) s
              resident memory:     \(residentBefore / 1024) MB before the import, peak \(ProcessMemory.peakResidentKB() / 1024) MB   (target < 200 MB)
            """)
    }

    func pages(_ count: Int, _ size: Int) -> Int { (count + size - 1) / size }
}

/// `lentune sandbox` as a child process, for benchmarks that must not count the sandbox's memory as Lentune's.
final class SandboxProcess: @unchecked Sendable {
    let process: Process
    let baseURL: URL

    private init(process: Process, baseURL: URL) {
        self.process = process
        self.baseURL = baseURL
    }

    static func start(stateFile: URL, clientID: String, clientSecret: String) throws -> SandboxProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        process.arguments = ["sandbox", "--port", "0", "--seed", stateFile.path, "--client-id", clientID, "--client-secret", clientSecret]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        while !text.contains("Press Ctrl-C") {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first(where: { $0.contains("API base URL:") }),
            let url = URL(string: String(line.split(separator: " ").last ?? ""))
        else {
            process.terminate()
            throw ValidationError("The sandbox did not start: \(text)")
        }
        return SandboxProcess(process: process, baseURL: url)
    }

    struct RequestLog: Decodable {
        var total: Int
        var counts: [String: Int]
        var statuses: [String: Int]
        /// API requests seen and faults injected since the last clear.
        var injected: [String: Int]?
        /// The last 500 requests, oldest first, with when the sandbox answered each.
        var recent: [Entry]?

        struct Entry: Decodable {
            var method: String
            var route: String
            var at: String
        }

        /// Where the time between `start` and `end` went: seconds to the first API request, from the last one to the
        /// end, and the gaps between requests longer than `gap` (what kept a run under its budget).
        func timeline(from start: Date, to end: Date, gap: Double = 0.4) -> String {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let times = (recent ?? []).filter { $0.route.contains("/rest/") }.compactMap { formatter.date(from: $0.at) }
            guard let first = times.first, let last = times.last else { return "no API requests" }
            var gaps: [String] = []
            for (earlier, later) in zip(times, times.dropFirst()) where later.timeIntervalSince(earlier) >= gap {
                gaps.append(String(format: "%.1f s at +%.1f", later.timeIntervalSince(earlier), earlier.timeIntervalSince(start)))
            }
            return String(
                format: "first request at +%.1f s, last at +%.1f s of %.1f s; gaps ≥ %.1f s: %@", first.timeIntervalSince(start),
                last.timeIntervalSince(start), end.timeIntervalSince(start), gap, gaps.isEmpty ? "none" : gaps.joined(separator: ", "))
        }
    }

    func requestCounts(_ client: any Client) async throws -> RequestLog {
        try await client.get(URI(string: baseURL.absoluteString + "/_sandbox/requests")).content.decode(RequestLog.self)
    }

    /// The share of the sandbox's spike budget (`spike_limit` requests per `spike_window` seconds, Procore's 100 per
    /// 10 s by default) that `requests` made in `seconds` used: 1 is every request the budget allowed.
    func spikeBudgetShare(requests: Int, seconds: Double, _ client: any Client) async throws -> Double {
        let response = try await client.get(URI(string: baseURL.absoluteString + "/_sandbox/settings"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let settings = try decoder.decode(SandboxSettings.self, from: Data(buffer: response.body ?? ByteBuffer()))
        let allowed = Double(settings.spikeLimit) / settings.spikeWindow * seconds
        return allowed > 0 ? Double(requests) / allowed : 0
    }

    func clearRequests(_ client: any Client) async throws {
        _ = try await client.delete(URI(string: baseURL.absoluteString + "/_sandbox/requests"))
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

/// The process's resident memory, from /proc (Linux).
enum ProcessMemory {
    static func residentKB() -> Int { field("VmRSS:") }
    static func peakResidentKB() -> Int { field("VmHWM:") }

    static func field(_ name: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name) })
        else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}
