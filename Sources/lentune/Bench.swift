import ArgumentParser
import Foundation
import ProcoreAPI
import ProcoreSandbox

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks that print figures.", subcommands: [ClientBench.self, PurchaseOrderListBench.self, OutboxBench.self, ImportBench.self, PurchaseOrderSyncBench.self, InvoiceBench.self, SoakBench.self])
}

/// Pulls POs (list pages, then each PO with its lines) from an in-process sandbox whose spike limit is set low, and
/// reports how close the client's pacer gets to the allowed rate without being throttled.
struct ClientBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Pull POs from a sandbox with a 25-per-10-s spike limit; report requests, 429s and rate achieved.",
        discussion: """
            Example (≈ 14 minutes at the default settings):
              lentune bench client --count 2000 --spike-limit 25 --spike-window 10
            """)

    @ArgumentParser.Option(help: "How many POs to pull.") var count = 2000
    @ArgumentParser.Option(help: "Spike budget per window.") var spikeLimit = 25
    @ArgumentParser.Option(help: "Spike window in seconds.") var spikeWindow: Double = 10
    @ArgumentParser.Option(help: "Concurrent workers fetching PO details.") var concurrency = 4
    @ArgumentParser.Option(help: "Page size of the PO list.") var perPage = 100

    func run() async throws {
        _ = bootstrapLogging
        var settings = SandboxSettings()
        settings.spikeLimit = spikeLimit
        settings.spikeWindow = spikeWindow
        settings.hourlyLimit = 1_000_000
        let sandbox = try await RunningSandbox.start(
            port: 0, seed: "demo", clientID: "bench", clientSecret: "bench-secret", settings: settings)
        let store = sandbox.server.store
        let (project, company) = seed(store: store)
        store.requestLog.clear()

        let session = Procore.Session(configuration: .init(
            environment: .custom(authBaseURL: sandbox.authBaseURL, apiBaseURL: sandbox.apiBaseURL), clientID: "bench",
            clientSecret: "bench-secret", companyID: company))
        let client = Procore.Client.live(session: session)
        _ = try await session.accessToken()

        let started = ContinuousClock.now
        var ids: [Int64] = []
        for try await page in client.purchaseOrders(project: project, perPage: perPage) { ids += page.map(\.id) }
        let pulled = try await withThrowingTaskGroup(of: Int.self) { group in
            let chunks = stride(from: 0, to: ids.count, by: max(1, (ids.count + concurrency - 1) / concurrency)).map {
                Array(ids[$0..<min($0 + (ids.count + concurrency - 1) / concurrency, ids.count)])
            }
            for chunk in chunks {
                group.addTask {
                    var lines = 0
                    for id in chunk { lines += try await client.purchaseOrder(project: project, id: id).lineItems?.count ?? 0 }
                    return lines
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - started
        let seconds = seconds(elapsed)
        let log = store.requestLog.all().filter { $0.path.hasPrefix("/rest/") }
        let throttled = log.filter { $0.status == 429 }.count
        let rate = Double(log.count) / seconds
        let allowed = Double(spikeLimit) / spikeWindow
        // A sliding window also allows one initial burst of a whole budget.
        let ceiling = (Double(spikeLimit) + allowed * seconds) / seconds
        printNow("""
            lentune bench client
              POs pulled:        \(ids.count) (\(pulled) lines)
              requests made:     \(log.count)
              429s received:     \(throttled)   (target 0)
              elapsed:           \(String(format: "%.1f", seconds)) s
              achieved rate:     \(String(format: "%.3f", rate)) req/s
              allowed rate:      \(String(format: "%.3f", allowed)) req/s (\(spikeLimit) per \(Int(spikeWindow)) s)
              share of allowed:  \(String(format: "%.1f", rate / allowed * 100)) %   (target ≥ 90 %; the ceiling with the opening burst is \(String(format: "%.1f", ceiling / allowed * 100)) %)
            """)
        await sandbox.shutdown()
    }

    func seed(store: SandboxStore) -> (project: Int64, company: Int64) {
        store.write { data in Seeds.addPurchaseOrders(count: count, to: &data, now: Date()) }
    }
}

extension Array where Element == Double {
    /// The `p` quantile (0…1) of a sorted array by the nearest-rank rule; NaN when it is empty.
    func percentile(_ p: Double) -> Double {
        isEmpty ? .nan : self[Swift.min(count - 1, Int(Double(count) * p))]
    }
}
