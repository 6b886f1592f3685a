import ArgumentParser
import AsyncHTTPClient
import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import LentuneWeb
import NIOCore
import ProcoreAPI
import ProcoreSandbox
import Vapor

/// Issue 14's benchmark, against a sandbox running as its own process: a bulk push of Lentune POs (requests per PO,
/// time, 429s), the initial import of a company's commitments, and webhook-to-visible latency for commitments
/// created "in Procore" by another app at a steady rate.
struct PurchaseOrderSyncBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "po-sync",
        abstract: "Push 1,000 POs of 5 lines, import 5,000 commitments, and time webhook-to-visible at 20 events/s.",
        discussion: """
            The push and the import run at the sandbox's default rate limits. The latency run lifts the sandbox's spike
            limit (each event costs Lentune one read; 20 a second is twice Procore's default spike budget). Build with
            -c release.

            Example:
              lentune bench po-sync --pos 1000 --lines 5 --import 5000 --events 200 --rate 20
            """)

    @ArgumentParser.Option(help: "Lentune POs to push.") var pos = 1000
    @ArgumentParser.Option(help: "Lines per pushed PO.") var lines = 5
    @ArgumentParser.Option(name: .customLong("import"), help: "Commitments (3 lines each) added in Procore for the initial import.") var importCount = 5000
    @ArgumentParser.Option(help: "Commitments created in Procore for the latency run.") var events = 200
    @ArgumentParser.Option(help: "Their rate per second.") var rate: Double = 20
    @ArgumentParser.Option(help: "Lentune's database (default: a new SQLite file in a temporary folder).") var databaseURL: String?
    @ArgumentParser.Flag(help: "Inject faults during the push and the import: 20 % of requests answer 500, 429 storms, 2 s latency, answers lost after commit.") var faults = false

    func validate() throws {
        guard (1...20_000).contains(pos), (1...200).contains(lines), (0...100_000).contains(importCount), (0...10_000).contains(events),
            rate > 0, rate <= 1000
        else { throw ValidationError("--pos 1–20,000, --lines 1–200, --import 0–100,000, --events 0–10,000, --rate 0–1,000.") }
    }

    func run() async throws {
        _ = bootstrapLogging
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lentune-bench-po-sync-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        var data = Seeds.named("demo", now: Date())!
        if importCount > 0 { Seeds.addPurchaseOrders(count: importCount, to: &data, now: Date()) }
        let stateFile = folder.appendingPathComponent("sandbox.json")
        try JSONEncoder().encode(data).write(to: stateFile)
        let sandbox = try SandboxProcess.start(stateFile: stateFile, clientID: "bench", clientSecret: "bench-secret")
        defer { sandbox.stop() }

        let port = try FreePort.pick()
        let url = databaseURL ?? "sqlite://\(folder.appendingPathComponent("lentune.sqlite").path)"
        let config = try LentuneConfig.load(environment: [
            "LENTUNE_DATABASE_URL": url, "LENTUNE_ENV": "testing", "PORT": String(port), "LOG_LEVEL": "error",
            "LENTUNE_PUBLIC_URL": "http://127.0.0.1:\(port)",
        ])
        let app = try await Application.make(Environment(name: "production", arguments: ["lentune"]))
        do {
            try await configure(app, config: config)
            app.logger.logLevel = .error
            try await app.autoRevert()
            try await app.autoMigrate()
            try await app.server.start(address: .hostname("127.0.0.1", port: port))
            try await measure(app: app, sandbox: sandbox)
            await app.server.shutdown()
        } catch {
            await app.server.shutdown()
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    func measure(app: Application, sandbox: SandboxProcess) async throws {
        let company = Seeds.demoCompanyID
        let db = app.db
        var worker = app.lentune.engine.worker(db: db, concurrency: 4)
        if faults {
            // Under injected faults the job retries are what is measured: a shorter backoff keeps the run in minutes.
            worker.policy = RetryPolicy(base: .seconds(1), cap: .seconds(15), maxAttempts: 40)
        }
        func drain() async throws { try await BenchCompany.drain(worker, on: db) }
        let bench = try await BenchCompany.prepare(app: app, sandbox: sandbox, source: .lentune, worker: worker)
        let (organisation, admin, project, codes, type, supplier, taxCodes) = (bench.organisation, bench.admin, bench.project, bench.codes, bench.type, bench.supplier, bench.taxCodes)
        var row = bench.row

        // 1. The bulk push.
        let created = ContinuousClock.now
        var pushed: [PurchaseOrder.ID] = []
        for index in 0..<pos {
            let po = PurchaseOrder(
                organisationID: organisation, number: String(format: "BENCH-%05d", index), status: .approved, supplierID: supplier.id,
                projectID: project.id, title: "Bench PO \(index)",
                lines: (0..<lines).map { line in
                    PurchaseOrder.Line(
                        position: line + 1, description: "Line \(line + 1)", costCodeID: codes[line % codes.count].id, costTypeID: type.id,
                        taxCodeID: taxCodes.first?.id, quantity: Decimal(line + 1), unitCost: Decimal(string: "12.34")!,
                        taxRate: taxCodes.first?.rate ?? 0)
                })
            try await PurchaseOrders.insert(po, on: db)
            try await Outbox.enqueue(.push(po.id, organisation: organisation, companyLink: row.id, now: Date()), on: db)
            pushed.append(po.id)
        }
        printNow("lentune bench po-sync (Lentune on \(databaseURL.map { $0.hasPrefix("postgres") ? "PostgreSQL" : "SQLite" } ?? "SQLite"), sandbox at its default limits\(faults ? ", faults injected during push and import" : ""))")
        printNow(String(format: "  created %d approved POs of %d lines in %.1f s", pos, lines, seconds(ContinuousClock.now - created)))
        // The setup's requests (reference data, hooks) spent part of the current spike window: wait a window and a
        // bit, so the push starts on a whole budget and its share says what the push itself can use.
        try await Task.sleep(for: .seconds(11))
        try await sandbox.clearRequests(app.client)
        try await setFaults(on: sandbox, app: app)
        var started = ContinuousClock.now
        var startedAt = Date()
        try await drain()
        try await clearFaults(on: sandbox, app: app)
        var elapsed = seconds(ContinuousClock.now - started)
        var endedAt = Date()
        var log = try await sandbox.requestCounts(app.client)
        var rest = log.counts.filter { $0.key.contains(" /rest/") }.values.reduce(0, +)
        var synced = 0
        for id in pushed where try await PurchaseOrders.find(id, in: organisation, on: db)?.procoreCommitmentID != nil { synced += 1 }
        let client = try await app.lentune.sessions.client(organisation: organisation, company: company, on: db)
        let inProcore = try await client.purchaseOrders(project.procoreProjectID!, Procore.ListFilter(), 100).all()
        let origins = Set(pushed.map { $0.rawValue.lowercasedText })
        let matching = inProcore.filter { $0.originId.map(origins.contains) ?? false }
        var share = try await sandbox.spikeBudgetShare(requests: rest, seconds: elapsed, app.client)
        printNow(String(format: """
              push:   %d POs in %.1f s (%.1f POs/s); %d synced in Lentune; %d commitments with their origin_id in Procore \
            (%d distinct)
                      Procore requests: %d = %.3f per pushed PO (target ≤ 1.2; one commitment call and one status call per \
            100 POs of a project, one lines call per PO); 429s: %d (target 0)
                      spike budget used: %.1f %% (requests ÷ what 100 per 10 s allows in that time; target ≥ 95 %%)
                      %@
            """, pos, elapsed, Double(pos) / elapsed, synced, matching.count, Set(matching.compactMap(\.originId)).count, rest,
            Double(rest) / Double(pos), log.statuses["429"] ?? 0, share * 100, log.timeline(from: startedAt, to: endedAt)))

        // 2. The initial import, after a switch to Procore purchase order.
        let before = try await ProcoreSettings.row(row.id, in: organisation, on: db)
        row.purchaseOrderSource = .procore
        try await Task.sleep(for: .seconds(11))  // the push's requests leave the spike window first (as above)
        _ = try await ProcoreSettings.save(row, expectedVersion: before?.version ?? 1, actor: admin, now: Date(), on: db)
        try await sandbox.clearRequests(app.client)
        try await setFaults(on: sandbox, app: app)
        started = ContinuousClock.now
        startedAt = Date()
        try await drain()
        try await clearFaults(on: sandbox, app: app)
        elapsed = seconds(ContinuousClock.now - started)
        endedAt = Date()
        log = try await sandbox.requestCounts(app.client)
        rest = log.counts.filter { $0.key.contains(" /rest/") }.values.reduce(0, +)
        let imported = try await PurchaseOrders.list(in: organisation, filter: .init(origin: .procore, perPage: 1), on: db).total
        let job = try await Outbox.jobs(in: organisation, filter: .init(kind: .importPurchaseOrders, limit: 1), on: db).first
        share = try await sandbox.spikeBudgetShare(requests: rest, seconds: elapsed, app.client)
        printNow(String(format: """
              import: %d Procore-created commitments stored in %.1f s (%.1f/s); job %@%@
                      Procore requests: %d (%.2f per commitment read); 429s: %d (target 0); spike budget used: %.1f %%
                      %@ (the last 500 requests)
            """, imported, elapsed, Double(imported) / max(elapsed, 0.001), job?.state.rawValue ?? "?",
            job?.lastError.map { ": \($0)" } ?? "", rest, Double(rest) / Double(max(imported + pos, 1)), log.statuses["429"] ?? 0,
            share * 100, log.timeline(from: startedAt, to: endedAt)))

        // 3. Webhook-to-visible: another app creates commitments at `rate`; Lentune hears by webhook and reads each.
        if events > 0 { try await latency(app: app, sandbox: sandbox, organisation: organisation, project: project.procoreProjectID!, vendor: supplier.procoreVendors[row.id]!) }
        printNow("  peak resident memory of Lentune: \(ProcessMemory.peakResidentKB() / 1024) MB")
    }

    /// `--faults`: 20 % of requests answer 500, a 429 storm every time it is set, 2 s latency, answers lost after commit.
    func setFaults(on sandbox: SandboxProcess, app: Application) async throws {
        guard faults else { return }
        let body = #"{"error_rates": {"*": 0.2}, "storm": {"status": 429, "count": 30, "retry_after": 2}, "latency_milliseconds": 2000, "drop_after_commit": {"*": 25}}"#
        _ = try await app.client.put(URI(string: sandbox.baseURL.absoluteString + "/_sandbox/faults")) { request in
            request.headers.contentType = .json
            request.body = ByteBuffer(string: body)
        }
    }

    func clearFaults(on sandbox: SandboxProcess, app: Application) async throws {
        guard faults else { return }
        _ = try await app.client.delete(URI(string: sandbox.baseURL.absoluteString + "/_sandbox/faults"))
        // What failed for good under the faults is retried now (Retry all failed), then drained.
        let organisation = try await Accounts.organisation(named: BenchCompany.name, on: app.db).domain.id
        let retried = try await Outbox.retryAllFailed(in: organisation, now: Date(), on: app.db)
        if retried > 0 { printNow("  \(retried) jobs failed under the faults and were retried after them") }
        try await BenchCompany.drain(app.lentune.engine.worker(db: app.db, concurrency: 4), on: app.db)
    }

    func latency(app: Application, sandbox: SandboxProcess, organisation: Organisation.ID, project: Int64, vendor: Int64) async throws {
        let base = sandbox.baseURL.absoluteString
        // Procore's spike budget (100 per 10 s) is below 20 reads a second: lift it for this run.
        let snake = JSONDecoder()
        snake.keyDecodingStrategy = .convertFromSnakeCase
        var settings = try await app.client.get(URI(string: base + "/_sandbox/settings")).content.decode(SandboxSettings.self, using: snake)
        settings.spikeLimit = 100_000
        settings.hourlyLimit = 1_000_000
        _ = try await app.client.put(URI(string: base + "/_sandbox/settings")) { request in
            request.headers.contentType = .json
            request.body = ByteBuffer(data: try JSONEncoder().encode(settings))
        }
        _ = try await app.client.post(URI(string: base + "/_sandbox/oauth/clients")) {
            try $0.content.encode(["client_id": "bench-procore", "client_secret": "bench-procore-secret"])
        }
        let token = try await app.client.post(URI(string: base + "/oauth/token")) {
            try $0.content.encode(["grant_type": "client_credentials", "client_id": "bench-procore", "client_secret": "bench-procore-secret"], as: .urlEncodedForm)
        }.content.decode([String: AnyCodableValue].self)["access_token"]?.string ?? ""

        let worker = app.lentune.engine.worker(db: app.db, concurrency: 4)
        let stop = Locked(false)
        let loop = Task {
            while !stop.withLock({ $0 }) {
                let summary = (try? await worker.runOnce(limit: 50)) ?? .init()
                if summary.claimed == 0 { try? await Task.sleep(for: .milliseconds(2)) }
            }
        }
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let sent = Locked<[Int64: Date]>([:])
        let interval = 1.0 / rate
        let first = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<events {
                group.addTask {
                    try await Task.sleep(until: first + .milliseconds(Int64(Double(index) * interval * 1000)), clock: .continuous)
                    var request = HTTPClientRequest(url: base + "/rest/v1.0/purchase_order_contracts")
                    request.method = .POST
                    request.headers.add(name: "Authorization", value: "Bearer \(token)")
                    request.headers.add(name: "Procore-Company-Id", value: String(Seeds.demoCompanyID))
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(string: #"{"project_id": \#(project), "purchase_order_contract": {"number": "LAT-\#(index)", "title": "Latency \#(index)", "status": "Approved", "vendor_id": \#(vendor), "origin_id": "latency-\#(index)"}}"#))
                    let at = Date()
                    let response = try await http.execute(request, timeout: .seconds(30))
                    let body = try await response.body.collect(upTo: 1 << 20)
                    struct Created: Decodable { var id: Int64 }
                    if let created = try? JSONDecoder().decode(Created.self, from: body) { sent.withLock { $0[created.id] = at } }
                }
            }
            try await group.waitForAll()
        }
        // Wait (at most 60 s) until every commitment is visible in Lentune.
        let deadline = ContinuousClock.now + .seconds(60)
        var visible: [Int64: Date] = [:]
        let wanted = sent.withLock { $0 }
        while ContinuousClock.now < deadline {
            visible = [:]
            for (commitment, _) in wanted {
                if let po = try await PurchaseOrders.find(commitment: commitment, in: organisation, on: app.db),
                    let record = try await SyncLedger.records(of: po.id.rawValue, in: organisation, on: app.db).first(where: { $0.direction == .pull }),
                    let at = record.lastSyncedAt
                { visible[commitment] = at }
            }
            if visible.count == wanted.count { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        stop.withLock { $0 = true }
        _ = await loop.value
        try await http.shutdown()
        let latencies = wanted.compactMap { commitment, at in visible[commitment].map { $0.timeIntervalSince(at) * 1000 } }.sorted()
        printNow(String(format: """
              webhook-to-visible: %d commitments created by another app at %.0f/s; %d visible in Lentune; \
            p50 %.0f ms  p99 %.0f ms  max %.0f ms (target p99 < 250 ms)
            """, wanted.count, rate, latencies.count, latencies.percentile(0.5), latencies.percentile(0.99), latencies.last ?? .nan))
    }
}

/// A loopback port free at the moment of asking.
enum FreePort {
    static func pick() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ValidationError("no socket") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw ValidationError("could not bind a port") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A JSON value of unknown shape (the token answer).
enum AnyCodableValue: Decodable {
    case string(String)
    case other

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self = (try? container.decode(String.self)).map(AnyCodableValue.string) ?? .other
    }

    var string: String? { if case .string(let value) = self { value } else { nil } }
}
