import ArgumentParser
import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import LentuneWeb
import ProcoreAPI
import ProcoreSandbox
import Vapor

/// Issue 15's benchmark, against a sandbox running as its own process at its default rate limits: posting approved
/// invoices, half as direct costs (each with its PDF) and half as requisitions on POs already in Procore.
struct InvoiceBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoices",
        abstract: "Post 1,000 approved invoices (half direct costs with their PDF, half requisitions) and print the figures.",
        discussion: """
            The company is on Lentune purchase order; the POs the requisitions go against are pushed first (not
            measured). Build with -c release.

            Example:
              lentune bench invoices --invoices 1000
            """)

    @ArgumentParser.Option(help: "Approved invoices to post (half direct costs, half requisitions).") var invoices = 1000
    @ArgumentParser.Option(help: "Lentune's database (default: a new SQLite file in a temporary folder).") var databaseURL: String?

    func validate() throws {
        guard (2...20_000).contains(invoices) else { throw ValidationError("--invoices 2–20,000.") }
    }

    func run() async throws {
        _ = bootstrapLogging
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lentune-bench-invoices-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let stateFile = folder.appendingPathComponent("sandbox.json")
        try JSONEncoder().encode(Seeds.named("demo", now: Date())!).write(to: stateFile)
        let sandbox = try SandboxProcess.start(stateFile: stateFile, clientID: "bench", clientSecret: "bench-secret")
        defer { sandbox.stop() }
        let url = databaseURL ?? "sqlite://\(folder.appendingPathComponent("lentune.sqlite").path)"
        let config = try LentuneConfig.load(environment: ["LENTUNE_DATABASE_URL": url, "LENTUNE_ENV": "testing", "LOG_LEVEL": "error"])
        let app = try await Application.make(Environment(name: "production", arguments: ["lentune"]))
        do {
            try await configure(app, config: config)
            app.logger.logLevel = .error
            try await app.autoRevert()
            try await app.autoMigrate()
            try await measure(app: app, sandbox: sandbox, database: databaseURL.map { $0.hasPrefix("postgres") ? "PostgreSQL" : "SQLite" } ?? "SQLite")
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    func measure(app: Application, sandbox: SandboxProcess, database: String) async throws {
        let db = app.db
        let worker = app.lentune.engine.worker(db: db, concurrency: 4)
        let bench = try await BenchCompany.prepare(app: app, sandbox: sandbox, source: .lentune, worker: worker)
        let gst = bench.taxCodes.first
        let requisitions = invoices / 2
        let directCosts = invoices - requisitions

        // The POs the requisitions go against: one line each, pushed to Procore first.
        var pos: [PurchaseOrder] = []
        for index in 0..<requisitions {
            let po = PurchaseOrder(
                organisationID: bench.organisation, number: String(format: "INVPO-%05d", index), status: .approved,
                supplierID: bench.supplier.id, projectID: bench.project.id, title: "Invoice bench PO \(index)",
                lines: [PurchaseOrder.Line(
                    position: 1, description: "Work", costCodeID: bench.codes[index % bench.codes.count].id, costTypeID: bench.type.id,
                    taxCodeID: gst?.id, quantity: 1, unitCost: Decimal(100 + index % 50), taxRate: gst?.rate ?? 0)])
            try await PurchaseOrders.insert(po, on: db)
            try await Outbox.enqueue(.push(po.id, organisation: bench.organisation, companyLink: bench.row.id, now: Date()), on: db)
            pos.append(po)
        }
        var started = ContinuousClock.now
        try await BenchCompany.drain(worker, on: db)
        printNow("lentune bench invoices (Lentune on \(database), sandbox at its default limits)")
        printNow(String(format: "  pushed %d one-line POs for the requisitions in %.1f s (not measured below)", requisitions, seconds(ContinuousClock.now - started)))

        // The invoices: captured, checked and approved through the commands (approval queues the posting).
        started = ContinuousClock.now
        var ids: [Invoice.ID] = []
        for index in 0..<invoices {
            var po: PurchaseOrder?
            if index < requisitions { po = try await PurchaseOrders.find(pos[index].id, in: bench.organisation, on: db) }
            let amount = po?.totals.excludingTax ?? Decimal(200 + index % 300)
            let tax = (amount * (gst?.rate ?? 0)).roundedToCents()
            let number = String(format: "BENCH-INV-%05d", index)
            let invoice = Invoice(
                organisationID: bench.organisation, supplierID: bench.supplier.id, number: number, invoiceDate: Date(), projectID: bench.project.id,
                purchaseOrderID: po?.id,
                lines: [Invoice.Line(description: "Work", costCodeID: bench.codes[index % bench.codes.count].id, costTypeID: bench.type.id,
                                     taxCodeID: gst?.id, amount: amount, tax: tax)],
                allocations: po.map { [Invoice.Allocation(purchaseOrderLineID: $0.lines[0].id, amount: amount)] } ?? [],
                statedTotalExcludingTax: amount, statedTax: tax, approverID: bench.admin.id)
            let document = po == nil ? Invoices.Document(filename: "\(number).pdf", bytes: demoPDF(title: "Invoice \(number)")) : nil
            let stored = try await InvoiceCommands.capture(invoice, document: document, actor: bench.admin, now: Date(), on: db)
            _ = try await InvoiceCommands.act(.check, on: stored.id, organisation: bench.organisation, actor: bench.admin, now: Date(), on: db)
            _ = try await InvoiceCommands.act(.approve(acceptingOverAllocation: false), on: stored.id, organisation: bench.organisation, actor: bench.admin, now: Date(), on: db)
            ids.append(stored.id)
        }
        printNow(String(format: "  captured, checked and approved %d invoices in %.1f s", invoices, seconds(ContinuousClock.now - started)))

        try await sandbox.clearRequests(app.client)
        started = ContinuousClock.now
        try await BenchCompany.drain(worker, on: db)
        let elapsed = seconds(ContinuousClock.now - started)
        let log = try await sandbox.requestCounts(app.client)
        let rest = log.counts.filter { $0.key.contains(" /rest/") }.values.reduce(0, +)
        var posted = 0
        for id in ids where try await Invoices.find(id, in: bench.organisation, on: db)?.status == .posted { posted += 1 }

        // What Procore holds, read back through its API.
        let client = try await app.lentune.sessions.client(organisation: bench.organisation, company: Seeds.demoCompanyID, on: db)
        let project = bench.project.procoreProjectID!
        let origins = Set(ids.map { $0.rawValue.lowercasedText })
        let costs = try await client.directCosts(project: project).all().filter { $0.originId.map(origins.contains) ?? false }
        let claims = try await client.requisitions(project: project).all().filter { $0.originId.map(origins.contains) ?? false }
        let share = try await sandbox.spikeBudgetShare(requests: rest, seconds: elapsed, app.client)
        printNow(String(format: """
              posting: %d invoices in %.1f s (%.1f invoices/s); %d posted in Lentune
                       in Procore: %d direct costs (%d distinct origin ids; %d expected), %d requisitions (%d distinct; %d expected)
                       Procore requests: %d = %.2f per invoice (target ≤ 1.1: a direct cost is one create with its PDF; a \
            requisition one create with its items, billing periods read once per project and cached); 429s: %d (target 0)
                       spike budget used: %.1f %% (the pacer spreads what is left of the hour's budget once that is closer)
              peak resident memory of Lentune: %d MB
            """, invoices, elapsed, Double(invoices) / elapsed, posted, costs.count, Set(costs.compactMap(\.originId)).count, directCosts,
            claims.count, Set(claims.compactMap(\.originId)).count, requisitions, rest, Double(rest) / Double(invoices), log.statuses["429"] ?? 0,
            share * 100, ProcessMemory.peakResidentKB() / 1024))
    }
}
