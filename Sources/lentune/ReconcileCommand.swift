import ArgumentParser
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import LentuneWeb

struct Reconcile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Compare one Procore company's records in Lentune and in Procore; list what is lost, duplicated or diverged.",
        discussion: """
            Purchase orders and their lines are compared in the company's direction (Lentune's POs with their commitments
            on Lentune purchase order; Procore's commitments with their Lentune POs on Procore purchase order), and
            every invoice Lentune posts with its direct cost or requisition. Only reads, paced like every Procore read:
            it can run while the company works. --repair then queues the jobs that fix what was found (a worker runs
            them); run it again once the outbox has drained to see them gone. Exits 1 when something was found.

            Examples:
              lentune reconcile --company 4264            # a Procore company id
              lentune reconcile --company 4264 --repair
              lentune reconcile --company 4264 --org "Harbour Build Ltd" --json
            """)

    @ArgumentParser.Option(help: "The Procore company id (or the company row's id in Lentune).") var company: String
    @ArgumentParser.Option(help: "The organisation, when the company is linked in more than one.") var org: String?
    @ArgumentParser.Flag(help: "Queue the jobs that fix what is found.") var repair = false
    @ArgumentParser.Flag(help: "Print the report as JSON.") var json = false

    func run() async throws {
        _ = bootstrapLogging
        let config = loadConfig()
        let database = try LentuneDatabase(location: config.database)
        do {
            let found = try await Self.reconcile(
                company: company, org: org, repair: repair, json: json, config: config, on: database)
            await database.shutdown()
            if found { throw ExitCode(1) }
        } catch {
            await database.shutdown()
            throw error
        }
    }

    /// Runs the reconciliation and prints it; answers whether anything was found.
    static func reconcile(
        company: String, org: String?, repair: Bool, json: Bool, config: LentuneConfig, on database: LentuneDatabase
    ) async throws -> Bool {
        let rows = try await ProcoreSettings.allLinkedRows(on: database.db).filter { row in
            row.id.rawValue.uuidString.lowercased() == company.lowercased() || String(row.procoreCompanyID) == company
        }
        var candidates = rows
        if let org {
            guard let organisation = try await Accounts.organisationID(named: org, on: database.db) else {
                throw ValidationError("There is no organisation \(org).")
            }
            candidates = rows.filter { $0.organisationID == organisation }
        }
        guard let row = candidates.first else { throw ValidationError("No linked Procore company \(company) (see the Procore company list).") }
        guard candidates.count == 1 else { throw ValidationError("Procore company \(company) is linked in several organisations: name one with --org.") }
        let secrets = try SecretBox(base64Key: config.secretKey)
        let sessions = LentuneServices.engine(config: config, secrets: secrets, connector: ProcoreConnector(secrets: secrets)).sessions
        let client = try await sessions.client(organisation: row.organisationID, company: row.procoreCompanyID, on: database.db)
        let report = try await Reconciliation.run(row, client: client, on: database.db)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            printNow(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            printNow(report.summary)
            for finding in report.findings {
                printNow("  \(finding.category.rawValue.uppercased())  \(finding.record): \(finding.difference)"
                    + (finding.repair.map { "  [repair: \($0.title)]" } ?? "  [no automatic repair]"))
            }
        }
        if repair, !report.findings.isEmpty {
            let queued = try await Reconciliation.repair(report, row: row, now: Date(), on: database.db)
            printNow("Queued \(queued) repair\(queued == 1 ? "" : "s"); run this again once the outbox has drained.")
        }
        return !report.findings.isEmpty
    }
}
