import ArgumentParser
import AsyncHTTPClient
import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import LentuneWeb
import NIOCore
import ProcoreSandbox
import FluentSQL
import Vapor

/// Issue 25's soak: Lentune as an integration engineer would try it before trusting it with a company's books, then
/// every record compared on both sides.
///
/// PostgreSQL; the sandbox as its own process with four companies sharing cost type codes and vendor names; the
/// sandbox's fault layer at its API edge (503s, latency, answers lost after the write committed); `lentune serve
/// --no-worker` and two `lentune worker` processes, a worker SIGKILLed every few seconds and the web process once;
/// two mode switches mid-run; another app creating, editing and deleting commitments in Procore; POs created,
/// approved, edited, re-approved and closed and invoices captured, checked and approved through Lentune's API. Then
/// faults off, the outbox drained, a sweep of every company, and the reconciliation (`lentune reconcile`) of each.
struct SoakBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Run Lentune under faults, kills and switches, then reconcile: prints lost, duplicated, diverged and failed.",
        discussion: """
            Needs a PostgreSQL database it may wipe (--database-url, else LENTUNE_TEST_POSTGRES_URL): every table is
            dropped and migrated again. Companies in the sandbox: 4242 on Lentune purchase order, 4343 on Procore
            purchase order, 4444 switched from neither to Lentune a third of the way in, 4545 switched from Lentune to
            Procore two thirds of the way in. Exits 1 unless lost, duplicated, diverged and failed jobs are all 0.
            Build with -c release for long runs.

            Examples:
              lentune bench soak --ops 600 --seed 1
              lentune bench soak --ops 10000 --seed 7 --database-url postgres://postgres@127.0.0.1:5432/soak
            """)

    @ArgumentParser.Option(help: "Operations through Lentune's API and the other app (1–100,000).") var ops = 600
    @ArgumentParser.Option(help: "Seed of the operations drawn.") var seed: UInt64 = 1
    @ArgumentParser.Option(help: "PostgreSQL database to wipe and use (default: LENTUNE_TEST_POSTGRES_URL).") var databaseURL: String?
    @ArgumentParser.Option(help: "Clients working at once (1–16).") var clerks = 4
    @ArgumentParser.Option(help: "Share of Procore requests answered 503 (0–0.5).") var shedRate = 0.1
    @ArgumentParser.Option(help: "Share of Procore writes whose answer is lost after it committed (0–0.5).") var dropRate = 0.1
    @ArgumentParser.Option(help: "Milliseconds added to every Procore answer (0–2,000).") var latency = 20
    @ArgumentParser.Option(help: "Shortest wait between worker kills, in seconds.") var killMin = 4.0
    @ArgumentParser.Option(help: "Longest wait between worker kills, in seconds.") var killMax = 9.0
    @ArgumentParser.Option(help: "Minutes the drain may take before the run fails.") var drainMinutes = 30
    @ArgumentParser.Flag(help: "Keep the run's folder (process logs, sandbox state) even when it passes.") var keep = false

    func validate() throws {
        guard (1...100_000).contains(ops), (1...16).contains(clerks), (0...0.5).contains(shedRate), (0...0.5).contains(dropRate),
            (0...2000).contains(latency), killMin >= 0.5, killMax >= killMin, killMax <= 600, (1...600).contains(drainMinutes)
        else {
            throw ValidationError("--ops 1–100,000, --clerks 1–16, --shed-rate and --drop-rate 0–0.5, --latency 0–2,000, 0.5 ≤ --kill-min ≤ --kill-max ≤ 600, --drain-minutes 1–600.")
        }
    }

    func run() async throws {
        _ = bootstrapLogging
        guard let url = databaseURL ?? ProcessInfo.processInfo.environment["LENTUNE_TEST_POSTGRES_URL"], url.hasPrefix("postgres") else {
            throw ValidationError("The soak runs on PostgreSQL: give --database-url postgres://… (a database it may wipe) or set LENTUNE_TEST_POSTGRES_URL.")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lentune-soak-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)

        let data = Seeds.multi(now: Date())
        let stateFile = folder.appendingPathComponent("sandbox.json")
        try JSONEncoder().encode(data).write(to: stateFile)
        let sandbox = try SandboxProcess.start(stateFile: stateFile, clientID: "lentune", clientSecret: "lentune-secret")
        defer { sandbox.stop() }

        let webPort = try FreePort.pick()
        let environment = [
            "LENTUNE_DATABASE_URL": url, "LENTUNE_ENV": "development", "LOG_LEVEL": "warning",
            "LENTUNE_PUBLIC_URL": "http://127.0.0.1:\(webPort)",
        ]
        let config = try LentuneConfig.load(environment: environment.merging(["PORT": String(webPort)]) { $1 })
        let app = try await Application.make(Environment(name: "production", arguments: ["lentune"]))
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        var passed = false
        do {
            try await configure(app, config: config)
            app.logger.logLevel = .error
            try await app.autoRevert()
            try await app.autoMigrate()
            let run = try await SoakRun.prepare(app: app, sandbox: sandbox, data: data, http: http, options: self, folder: folder, environment: environment, webPort: webPort)
            passed = try await run.go()
            try? await http.shutdown()
            try await app.asyncShutdown()
        } catch {
            try? await http.shutdown()
            try? await app.asyncShutdown()
            printNow("The run's folder (process logs): \(folder.path)")
            throw error
        }
        if passed && !keep { try? FileManager.default.removeItem(at: folder) } else { printNow("The run's folder (process logs): \(folder.path)") }
        if !passed { throw ExitCode(1) }
    }
}

/// One soak run: the organisation and its four companies, the processes, the clients, and the verdict.
final class SoakRun: @unchecked Sendable {
    /// What a client needs of one company to raise POs and invoices on it.
    struct Company: Sendable {
        var procoreID: Int64
        var rowID: UUID
        var project: UUID
        var supplier: UUID
        var costCodes: [UUID]
        var costType: UUID
        var taxCode: UUID
        /// The other app's view: a Procore project and vendor of this company.
        var procoreProject: Int64
        var procoreVendor: Int64
    }

    /// A PO as the clients last saw it.
    struct KnownPO: Sendable {
        var id: String
        var company: Int64
        var status: String
        var lines: [[String: String]]
    }

    let app: Application
    let sandbox: SandboxProcess
    let api: SoakAPI
    let http: HTTPClient
    let options: SoakBench
    let organisation: LentuneCore.Organisation.ID
    let admin: UUID
    let companies: [Int64: Company]
    let web: SoakProcess
    let workers: [SoakProcess]
    let otherAppToken: String

    private let lock = NSLock()
    private var modes: [Int64: PurchaseOrderSource]
    private var pos: [String: KnownPO] = [:]
    private var commitments: [Int64: Int64] = [:]  // other app's commitment → company
    private var counts: [String: Int] = [:]
    private var next = 0
    private var invoiceNumber = 0
    private var workerKills = 0
    private var webKills = 0

    static let plan: [(Int64, PurchaseOrderSource)] = [(4242, .lentune), (4343, .procore), (4444, .none), (4545, .lentune)]

    private init(
        app: Application, sandbox: SandboxProcess, api: SoakAPI, http: HTTPClient, options: SoakBench, organisation: LentuneCore.Organisation.ID,
        admin: UUID, companies: [Int64: Company], web: SoakProcess, workers: [SoakProcess], otherAppToken: String
    ) {
        self.app = app
        self.sandbox = sandbox
        self.api = api
        self.http = http
        self.options = options
        self.organisation = organisation
        self.admin = admin
        self.companies = companies
        self.web = web
        self.workers = workers
        self.otherAppToken = otherAppToken
        modes = Dictionary(uniqueKeysWithValues: Self.plan)
    }

    // MARK: - Setup

    static func prepare(
        app: Application, sandbox: SandboxProcess, data: SandboxData, http: HTTPClient, options: SoakBench, folder: URL,
        environment: [String: String], webPort: Int
    ) async throws -> SoakRun {
        let db = app.db
        let base = sandbox.baseURL.absoluteString
        // Limits lifted so that a long run is not an hour of waiting for Procore's hourly budget; the pacing itself
        // is measured by `lentune bench client`.
        _ = try await app.client.put(URI(string: base + "/_sandbox/settings")) { request in
            try request.content.encode(["hourly_limit": 10_000_000, "spike_limit": 2_000], as: .json)
        }
        _ = try await app.client.post(URI(string: base + "/_sandbox/oauth/clients")) {
            try $0.content.encode(["client_id": "other-app", "client_secret": "other-app-secret"])
        }
        let otherAppToken = try await app.client.post(URI(string: base + "/oauth/token")) {
            try $0.content.encode(["grant_type": "client_credentials", "client_id": "other-app", "client_secret": "other-app-secret"], as: .urlEncodedForm)
        }.content.decode([String: AnyCodableValue].self)["access_token"]?.string ?? ""

        let organisation = try await Accounts.organisation(named: "Soak Construction Ltd", on: db).domain.id
        let admin = try await Accounts.createUser(
            organisation: organisation, email: "soak@soak.example", name: "Soak", role: .administrator, passwordHash: "-",
            approvalLimit: 1_000_000_000, on: db)
        let token = APITokens.make()
        try await Accounts.createAPIToken(user: admin.id, tokenHash: APITokens.hash(token), name: "soak", on: db)
        let connection = try await ProcoreSettings.saveConnection(
            .init(environment: .custom(authBaseURL: sandbox.baseURL, apiBaseURL: sandbox.baseURL), clientID: "lentune",
                  clientSecret: "lentune-secret", grantType: .clientCredentials, redirectURI: nil, serviceCompanyID: Seeds.demoCompanyID),
            organisation: organisation, actor: admin, secrets: app.lentune.secrets, now: Date(), on: db)
        var rows: [ProcoreCompanyLink] = []
        for (company, source) in plan {
            let name = Seeds.multiCompanies.first { $0.id == company }?.name ?? String(company)
            let row = ProcoreCompanyLink(
                organisationID: organisation, connectionID: .init(connection.id), procoreCompanyID: company, name: name, isLinked: true,
                purchaseOrderSource: source, projectStages: ["Course of Construction"])
            try await ProcoreSettings.insert(row, on: db)
            try await Outbox.enqueue(.companyWide(.syncReferenceData, of: row, now: Date()), on: db)
            try await Outbox.enqueue(.companyWide(.registerHooks, of: row, now: Date()), on: db)
            rows.append(row)
        }
        try await BenchCompany.drain(app.lentune.engine.worker(db: db, concurrency: 4), on: db)

        // Lentune's own tax code, mapped to each company's GST below.
        try await ReferenceData.insert(TaxCode(organisationID: organisation, code: "GST", name: "GST 15%", rate: Decimal(string: "0.15")!), on: db)
        let taxCodes = try await ReferenceData.taxCodes(in: organisation, on: db)
        guard let gst = taxCodes.first(where: { $0.code == "GST" }) else { throw ValidationError("No tax codes were imported.") }
        let suppliers = try await ReferenceData.suppliers(in: organisation, on: db)
        let types = try await ReferenceData.costTypes(in: organisation, on: db)
        let projects = try await ReferenceData.projects(in: organisation, on: db)
        var companies: [Int64: Company] = [:]
        for row in rows {
            if let procoreGST = try await TaxMappings.mapping(of: row, on: db).procoreCodes.values.first(where: { $0.code == "GST" }) {
                _ = try await TaxMappings.save(
                    Dictionary(uniqueKeysWithValues: taxCodes.map { ($0.id, procoreGST.procoreID) }), default: procoreGST.procoreID, row: row,
                    actor: admin, now: Date(), on: db)
            }
            guard let project = projects.first(where: { $0.procoreCompanyLinkID == row.id && $0.isActive && $0.procoreProjectID != nil }),
                let procoreProject = project.procoreProjectID,
                let supplier = suppliers.first(where: { $0.procoreVendors[row.id] != nil }), let vendor = supplier.procoreVendors[row.id],
                let type = types.first(where: { $0.procoreLineItemTypes[row.id] != nil && $0.code == "M" })
                    ?? types.first(where: { $0.procoreLineItemTypes[row.id] != nil })
            else { throw ValidationError("Company \(row.procoreCompanyID): the reference import brought no project, vendor or cost type.") }
            let codes = try await ReferenceData.costCodes(in: organisation, project: project.id, on: db).filter { $0.procoreCostCodeID != nil }
            guard !codes.isEmpty else { throw ValidationError("Company \(row.procoreCompanyID): no cost codes were imported.") }
            companies[row.procoreCompanyID] = Company(
                procoreID: row.procoreCompanyID, rowID: row.id.rawValue, project: project.id.rawValue, supplier: supplier.id.rawValue,
                costCodes: codes.prefix(4).map(\.id.rawValue), costType: type.id.rawValue, taxCode: gst.id.rawValue,
                procoreProject: procoreProject, procoreVendor: vendor)
        }

        let web = SoakProcess(
            name: "web", arguments: ["serve", "--no-worker", "--port", String(webPort)], environment: environment, folder: folder)
        let workers = (1...2).map { index in
            SoakProcess(
                name: "worker-\(index)", arguments: ["worker", "--concurrency", "3", "--lease-seconds", "10", "--retry-cap-seconds", "8"],
                environment: environment, folder: folder)
        }
        let api = SoakAPI(http: http, base: "http://127.0.0.1:\(webPort)", token: token)
        return SoakRun(
            app: app, sandbox: sandbox, api: api, http: http, options: options, organisation: organisation, admin: admin.id.rawValue,
            companies: companies, web: web, workers: workers, otherAppToken: otherAppToken)
    }

    // MARK: - The run

    func go() async throws -> Bool {
        let started = ContinuousClock.now
        try web.start()
        for worker in workers { try worker.start() }
        try await waitForWeb()
        try await setFaults(on: true)
        printNow("lentune bench soak: \(options.ops) operations, seed \(options.seed), \(options.clerks) clients; PostgreSQL; web + 2 workers; "
            + "faults: \(Int(options.shedRate * 100)) % 503, \(Int(options.dropRate * 100)) % of writes' answers lost after commit, \(options.latency) ms")

        let stop = Locked(false)
        let chaos = Task { try await self.killWorkers(until: stop) }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for clerk in 0..<options.clerks {
                    group.addTask { try await self.clerk(clerk) }
                }
                try await group.waitForAll()
            }
        } catch {
            stop.withLock { $0 = true }
            _ = try? await chaos.value
            stopProcesses()
            throw error
        }
        stop.withLock { $0 = true }
        try await chaos.value
        let worked = ContinuousClock.now
        printNow(String(format: "  operations done in %.0f s: %@", seconds(worked - started), counted()))

        // Faults off; every process up; drain; a sweep of each company; drain; reconcile.
        try await setFaults(on: false)
        for worker in workers { worker.kill(); try worker.start() }
        let faults = try await sandbox.requestCounts(app.client)
        let drained = try await drain()
        for company in companies.values.sorted(by: { $0.procoreID < $1.procoreID }) {
            let answer = try await api.repeating(.POST, "/api/v1/procore/companies/\(company.rowID.uuidString.lowercased())/sweep")
            guard answer.ok else { throw ValidationError("The sweep of \(company.procoreID) was refused: \(answer.status) \(String(decoding: answer.body, as: UTF8.self))") }
        }
        let swept = try await drain()
        let settled = ContinuousClock.now
        var totals: [Reconciliation.Finding.Category: Int] = [:]
        var details: [String] = []
        for row in try await ProcoreSettings.allLinkedRows(on: app.db) where row.organisationID == organisation {
            let client = try await app.lentune.sessions.client(organisation: organisation, company: row.procoreCompanyID, on: app.db)
            let report = try await Reconciliation.run(row, client: client, on: app.db)
            printNow("  reconcile \(row.procoreCompanyID) (\(row.purchaseOrderSource.rawValue)): \(report.summary)")
            for category in Reconciliation.Finding.Category.allCases { totals[category, default: 0] += report.count(category) }
            details += report.findings.map { "    \($0.category.rawValue.uppercased()) \(row.procoreCompanyID) \($0.record): \($0.difference)" }
        }
        let depth = try await Outbox.depth(on: app.db)
        let failed = depth[.failed] ?? 0
        let failures = try await Outbox.jobs(in: organisation, filter: .init(state: .failed, limit: 10), on: app.db)
        stopProcesses()

        let lost = totals[.lost] ?? 0, duplicated = totals[.duplicated] ?? 0, diverged = totals[.diverged] ?? 0
        let injected = faults.injected ?? [:]
        printNow(String(format: """
              worker kills: %d (SIGKILL), web process kills: %d; injected: %d answers 503, %d writes' answers lost after commit \
            (of %d Procore requests)
              drain after the run: %.1f s; after the sweep: %.1f s; run total %.0f s
            """, workerKills, webKills, injected["shed_503"] ?? 0, injected["dropped_after_commit"] ?? 0, injected["requests"] ?? 0,
            seconds(drained), seconds(swept),
            seconds(settled - started)))
        printNow("  ops \(options.ops)  lost \(lost)  duplicated \(duplicated)  diverged \(diverged)  failed jobs \(failed)")
        for line in details.prefix(40) { printNow(line) }
        for job in failures { printNow("    FAILED \(job.dedupeKey ?? job.kind.rawValue): \(job.lastError ?? "")") }
        return lost == 0 && duplicated == 0 && diverged == 0 && failed == 0
    }

    /// Until no job is pending or running (twice in a row, a second apart: a webhook may queue one more).
    func drain() async throws -> Duration {
        let started = ContinuousClock.now
        let deadline = started + .seconds(options.drainMinutes * 60)
        var quiet = 0
        while quiet < 2 {
            guard ContinuousClock.now < deadline else {
                stopProcesses()
                throw ValidationError("The outbox did not drain within \(options.drainMinutes) minutes: \(try await Outbox.depth(on: app.db))")
            }
            let depth = try await Outbox.depth(on: app.db)
            quiet = (depth[.pending] ?? 0) + (depth[.running] ?? 0) == 0 ? quiet + 1 : 0
            try await Task.sleep(for: .seconds(1))
        }
        return ContinuousClock.now - started
    }

    func stopProcesses() {
        for worker in workers { worker.stop() }
        web.stop()
    }

    func waitForWeb() async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if let answer = try? await api.send(.GET, "/healthz"), answer.ok { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw ValidationError("Lentune's web process did not start (see web.log).")
    }

    func setFaults(on: Bool) async throws {
        let uri = URI(string: sandbox.baseURL.absoluteString + "/_sandbox/faults")
        if on {
            _ = try await app.client.put(uri) { request in
                try request.content.encode(
                    Faults(shed_rate: options.shedRate, drop_after_commit_rate: options.dropRate, latency_milliseconds: options.latency), as: .json)
            }
        } else {
            _ = try await app.client.delete(uri)
        }
    }

    struct Faults: Content {
        var shed_rate: Double
        var drop_after_commit_rate: Double
        var latency_milliseconds: Int
    }

    /// A worker SIGKILLed every `killMin…killMax` seconds and started again; the web process once, half way.
    func killWorkers(until stop: Locked<Bool>) async throws {
        var random = SoakRandom(seed: options.seed &* 31 &+ 7)
        while !stop.withLock({ $0 }) {
            let wait = Double.random(in: options.killMin...options.killMax, using: &random)
            let until = ContinuousClock.now + .milliseconds(Int64(wait * 1000))
            while ContinuousClock.now < until, !stop.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(100)) }
            if stop.withLock({ $0 }) { return }
            let worker = workers[Int.random(in: 0..<workers.count, using: &random)]
            worker.kill()
            try worker.start()
            lock.withLock { workerKills += 1 }
            if lock.withLock({ webKills == 0 && next >= options.ops / 2 }) {
                web.kill()
                try web.start()
                lock.withLock { webKills += 1 }
                try await waitForWeb()
            }
        }
    }

    // MARK: - The clients

    func clerk(_ index: Int) async throws {
        var random = SoakRandom(seed: options.seed &* 1_000_003 &+ UInt64(index))
        while true {
            guard let op = lock.withLock({ () -> Int? in
                guard next < options.ops else { return nil }
                next += 1
                return next
            }) else { return }
            if op == options.ops / 3 { try await switchCompany(4444, to: .lentune) }
            if op == options.ops * 2 / 3 { try await switchCompany(4545, to: .procore) }
            let kind = try await operate(&random)
            lock.withLock { counts[kind, default: 0] += 1 }
        }
    }

    func counted() -> String {
        lock.withLock { counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") }
    }

    /// One operation, drawn: answers its name for the tally.
    func operate(_ random: inout SoakRandom) async throws -> String {
        let (modes, known) = lock.withLock { (self.modes, Array(self.pos.values)) }
        let raising = modes.filter { $0.value != .procore }.map(\.key).sorted()
        let pulling = modes.filter { $0.value == .procore }.map(\.key).sorted()
        let roll = Int.random(in: 0..<100, using: &random)
        let ours = known.filter { modes[$0.company] != .procore }
        switch roll {
        case 0..<22:
            let company = raising.randomElement(using: &random)!
            return try await createPO(company, approve: random.chance(0.7), &random)
        case 22..<34:
            guard let po = ours.filter({ $0.status == "draft" }).randomElement(using: &random) else { return "skip" }
            return try await act("submit", po)
        case 34..<46:
            guard let po = ours.filter({ $0.status == "approved" }).randomElement(using: &random) else { return "skip" }
            return try await edit(po, &random)
        case 46..<52:
            guard let po = ours.filter({ $0.status == "approved" }).randomElement(using: &random) else { return "skip" }
            return try await act("close", po)
        case 52..<66:
            return try await invoiceOnPO(&random)
        case 66..<76:
            let company = modes.keys.sorted().randomElement(using: &random)!
            return try await directInvoice(company, &random)
        default:
            guard let company = pulling.randomElement(using: &random) else { return "skip" }
            return try await otherApp(company, &random)
        }
    }

    func remember(_ answer: SoakAPI.Answer, company: Int64) {
        let object = answer.object
        guard let id = object["id"] as? String, let status = object["status"] as? String else { return }
        let lines = (object["lines"] as? [[String: Any]] ?? []).map { line in
            line.compactMapValues { value -> String? in value as? String }
        }
        lock.withLock { pos[id] = KnownPO(id: id, company: company, status: status, lines: lines) }
    }

    func line(_ company: Company, _ index: Int, _ random: inout SoakRandom) -> [String: String] {
        [
            "description": "Soak line \(index + 1)", "cost_code_id": company.costCodes[index % company.costCodes.count].uuidString,
            "cost_type_id": company.costType.uuidString, "tax_code_id": company.taxCode.uuidString,
            "quantity": String(Int.random(in: 1...20, using: &random)), "unit_cost": "\(Int.random(in: 5...400, using: &random)).\(Int.random(in: 10...99, using: &random))",
        ]
    }

    func createPO(_ procoreID: Int64, approve: Bool, _ random: inout SoakRandom) async throws -> String {
        let company = companies[procoreID]!
        let count = Int.random(in: 1...4, using: &random)
        var lines: [[String: String]] = []
        for index in 0..<count { lines.append(line(company, index, &random)) }
        let body: [String: Any] = [
            "supplier_id": company.supplier.uuidString, "project_id": company.project.uuidString, "title": "Soak \(procoreID)", "lines": lines,
        ]
        let answer = try await api.repeating(.POST, "/api/v1/purchase-orders", json: body, headers: [("Idempotency-Key", UUID().uuidString)])
        guard answer.ok else { return "po.create refused" }
        remember(answer, company: procoreID)
        guard approve, let id = answer.object["id"] as? String else { return "po.create" }
        _ = try await act("submit", KnownPO(id: id, company: procoreID, status: "draft", lines: []))
        return "po.create+approve"
    }

    /// An action; a repeat after a lost answer is refused (409) once the first took effect, then the PO is read.
    func act(_ action: String, _ po: KnownPO) async throws -> String {
        let answer = try await api.repeating(.POST, "/api/v1/purchase-orders/\(po.id)/\(action)")
        if answer.ok {
            remember(answer, company: po.company)
            return "po.\(action)"
        }
        let read = try await api.repeating(.GET, "/api/v1/purchase-orders/\(po.id)")
        if read.ok { remember(read, company: po.company) }
        return "po.\(action) refused"
    }

    /// An edit of an approved PO (a line's quantity, a line dropped or added) sends it back to draft; most are then
    /// approved again at once, and some closed right after: the edit, re-approval and close inside one push.
    func edit(_ po: KnownPO, _ random: inout SoakRandom) async throws -> String {
        let company = companies[po.company]!
        var lines = po.lines.map { line in
            ["id": line["id"] ?? "", "description": line["description"] ?? "", "cost_code_id": line["cost_code_id"] ?? "",
             "cost_type_id": line["cost_type_id"] ?? "", "tax_code_id": line["tax_code_id"] ?? "", "quantity": line["quantity"] ?? "1",
             "unit_cost": line["unit_cost"] ?? "1"].filter { !$0.value.isEmpty }
        }
        guard !lines.isEmpty else { return "skip" }
        switch Int.random(in: 0..<3, using: &random) {
        case 0: lines[0]["quantity"] = String(Int.random(in: 1...30, using: &random))
        case 1 where lines.count > 1: lines.removeLast()
        default: lines.append(line(company, lines.count, &random))
        }
        let body: [String: Any] = [
            "supplier_id": company.supplier.uuidString, "project_id": company.project.uuidString, "title": "Soak \(po.company) edited",
            "lines": lines,
        ]
        let answer = try await api.repeating(.PUT, "/api/v1/purchase-orders/\(po.id)", json: body)
        guard answer.ok else {
            let read = try await api.repeating(.GET, "/api/v1/purchase-orders/\(po.id)")
            if read.ok { remember(read, company: po.company) }
            return "po.edit refused"
        }
        remember(answer, company: po.company)
        guard random.chance(0.8) else { return "po.edit" }
        _ = try await act("submit", KnownPO(id: po.id, company: po.company, status: "draft", lines: []))
        guard random.chance(0.35) else { return "po.edit+approve" }
        _ = try await act("close", KnownPO(id: po.id, company: po.company, status: "approved", lines: []))
        return "po.edit+approve+close"
    }

    /// An invoice on an approved or closed PO of any company (a requisition when the company has a PO direction),
    /// captured, checked and approved.
    func invoiceOnPO(_ random: inout SoakRandom) async throws -> String {
        let rows = try await (app.db as! any SQLDatabase).raw("""
            SELECT id, project_id FROM purchase_orders WHERE organisation_id = \(bind: organisation.rawValue)
            AND status IN ('approved', 'closed') AND deleted_in_procore_at IS NULL ORDER BY created_at DESC LIMIT 40
            """).all()
        guard let row = rows.randomElement(using: &random), let id = try? row.decode(column: "id", as: UUID.self),
            let projectID = try? row.decode(column: "project_id", as: UUID.self),
            let company = companies.values.first(where: { $0.project == projectID })
        else { return "skip" }
        let read = try await api.repeating(.GET, "/api/v1/purchase-orders/\(id.uuidString.lowercased())")
        guard read.ok, let lines = read.object["lines"] as? [[String: Any]], let first = lines.first, let line = first["id"] as? String,
            let supplier = read.object["supplier_id"] as? String
        else { return "skip" }
        let units = Int.random(in: 1...9, using: &random)
        let body: [String: Any] = invoiceBody(
            company, supplier: supplier, units: units, extra: ["purchase_order_id": id.uuidString.lowercased(),
            "allocations": [["purchase_order_line_id": line, "amount": "\(units).00"]]])
        return try await captureCheckApprove(body, kind: "invoice.po")
    }

    /// An invoice without a PO: a direct cost in Procore.
    func directInvoice(_ procoreID: Int64, _ random: inout SoakRandom) async throws -> String {
        let company = companies[procoreID]!
        let body = invoiceBody(company, supplier: company.supplier.uuidString, units: Int.random(in: 1...9, using: &random), extra: [:])
        return try await captureCheckApprove(body, kind: "invoice.direct")
    }

    func invoiceBody(_ company: Company, supplier: String, units: Int, extra: [String: Any]) -> [String: Any] {
        let number = lock.withLock { () -> Int in
            invoiceNumber += 1
            return invoiceNumber
        }
        let tax = Decimal(units) * Decimal(string: "0.15")!
        var body: [String: Any] = [
            "supplier_id": supplier, "number": "SOAK-\(options.seed)-\(number)", "invoice_date": "2026-11-20", "due_date": "2026-12-20",
            "total_excluding_tax": "\(units).00", "total_including_tax": Money.format(Decimal(units) + tax),
            "project_id": company.project.uuidString, "approver_id": admin.uuidString,
            "lines": [["description": "Soak", "cost_code_id": company.costCodes[0].uuidString, "cost_type_id": company.costType.uuidString,
                       "tax_code_id": company.taxCode.uuidString, "amount": "\(units).00", "tax": Money.format(tax)]],
        ]
        body.merge(extra) { $1 }
        return body
    }

    func captureCheckApprove(_ body: [String: Any], kind: String) async throws -> String {
        let created = try await api.repeating(.POST, "/api/v1/invoices", json: body, headers: [("Idempotency-Key", UUID().uuidString)])
        guard created.ok, let id = created.object["id"] as? String else {
            return "\(kind) refused \(created.status): \(String(decoding: created.body.prefix(160), as: UTF8.self))"
        }
        let checked = try await api.repeating(.POST, "/api/v1/invoices/\(id)/check")
        guard checked.ok || checked.status == 409 else { return "\(kind) check refused \(checked.status)" }
        let approved = try await api.repeating(.POST, "/api/v1/invoices/\(id)/approve", json: ["accept_over_allocation": true])
        return approved.ok || approved.status == 409 ? kind : "\(kind) approve refused \(approved.status)"
    }

    /// The administrator ticks the company's new direction (with the confirmation the page asks for).
    func switchCompany(_ procoreID: Int64, to source: PurchaseOrderSource) async throws {
        let company = companies[procoreID]!
        let path = "/api/v1/procore/companies/\(company.rowID.uuidString.lowercased())"
        for _ in 0..<10 {
            let read = try await api.repeating(.GET, path)
            guard read.ok, let version = read.object["version"] as? Int else { continue }
            let body: [String: Any] = [
                "linked": true, "lentune_purchase_order": source == .lentune, "procore_purchase_order": source == .procore,
                "project_stages": ["Course of Construction"], "rounding_tolerance": read.object["rounding_tolerance"] as? String ?? "0.05",
                "version": version,
            ]
            let answer = try await api.repeating(.PUT, path, json: body)
            if answer.ok {
                lock.withLock { modes[procoreID] = source }
                printNow("  switched \(procoreID) to \(source.rawValue) purchase order")
                return
            }
        }
        throw ValidationError("The switch of \(procoreID) to \(source.rawValue) was refused ten times.")
    }

    /// Another app in Procore: creates approved commitments, renames them, deletes some.
    func otherApp(_ procoreID: Int64, _ random: inout SoakRandom) async throws -> String {
        let company = companies[procoreID]!
        let theirs = lock.withLock { commitments.filter { $0.value == procoreID }.map(\.key).sorted() }
        let roll = Int.random(in: 0..<10, using: &random)
        if roll < 5 || theirs.isEmpty {
            let number = "OA-\(procoreID)-\(Int.random(in: 0..<1_000_000_000, using: &random))"
            let body = #"{"project_id": \#(company.procoreProject), "purchase_order_contract": {"number": "\#(number)", "title": "Other app", "status": "Approved", "vendor_id": \#(company.procoreVendor)}}"#
            guard let created = try await procore(.POST, "/rest/v1.0/purchase_order_contracts", procoreID, body: body),
                let id = (try? JSONSerialization.jsonObject(with: created)) as? [String: Any], let commitment = (id["id"] as? NSNumber)?.int64Value
            else { return "procore.create (answer lost)" }
            lock.withLock { commitments[commitment] = procoreID }
            return "procore.create"
        }
        let commitment = theirs.randomElement(using: &random)!
        if roll < 9 {
            let body = #"{"project_id": \#(company.procoreProject), "purchase_order_contract": {"title": "Renamed \#(Int.random(in: 0..<1000, using: &random))"}}"#
            _ = try await procore(.PATCH, "/rest/v1.0/purchase_order_contracts/\(commitment)", procoreID, body: body)
            return "procore.edit"
        }
        _ = try await procore(.DELETE, "/rest/v1.0/purchase_order_contracts/\(commitment)?project_id=\(company.procoreProject)", procoreID, body: nil)
        lock.withLock { _ = commitments.removeValue(forKey: commitment) }
        return "procore.delete"
    }

    /// The other app's request to Procore, repeated through the injected 503s (a few times, as a careful app would).
    func procore(_ method: HTTPMethod, _ path: String, _ company: Int64, body: String?) async throws -> Data? {
        for _ in 0..<6 {
            var request = HTTPClientRequest(url: sandbox.baseURL.absoluteString + path)
            request.method = method
            request.headers.add(name: "Authorization", value: "Bearer \(otherAppToken)")
            request.headers.add(name: "Procore-Company-Id", value: String(company))
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: body))
            }
            guard let response = try? await http.execute(request, timeout: .seconds(30)),
                let data = try? await response.body.collect(upTo: 1 << 20)
            else { return nil }  // the answer was lost: the other app does not know what happened
            if response.status.code < 300 { return Data(buffer: data) }
            if response.status.code != 503 && response.status.code != 500 { return nil }
            try await Task.sleep(for: .milliseconds(300))
        }
        return nil
    }
}
