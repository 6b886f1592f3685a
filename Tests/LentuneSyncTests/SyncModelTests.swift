import FluentKit
import FluentSQL
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import LentuneTestSupport
import ProcoreAPI
import ProcoreSandbox
import Testing

/// Issue 25's model test: seeded walks over PO lifecycles × setting switches × job outcomes (success, a passing
/// fault, answers lost after Procore committed, a worker that crashed mid-run, jobs the setting cancelled) and
/// another application's changes in Procore, against the sandbox over HTTP. After each walk the outbox is drained, a
/// sweep runs and is drained, and an independent judge — it reads the sandbox's own records, not Lentune's reading of
/// them — checks that Lentune and Procore agree record by record. A failing walk is shrunk to the shortest sequence
/// of steps that still fails, printed with its seed; `LENTUNE_MODEL_SEED=<seed>` replays one walk.
@Suite(.serialized) struct SyncModelTests {
    enum Outcome: String, CaseIterable { case success, fault, lostAnswer, crash }

    enum Step: CustomStringConvertible, Hashable {
        case create(lines: Int)
        case edit(po: Int, unitCost: Int)
        case close(po: Int)
        case switchTo(PurchaseOrderSource)
        case procoreEdit(commitment: Int, amount: Int)
        case procoreDelete(commitment: Int)
        case run(Outcome)

        var description: String {
            switch self {
            case .create(let lines): "create an approved PO of \(lines) line\(lines == 1 ? "" : "s")"
            case .edit(let po, let cost): "edit PO #\(po) (unit cost \(cost)) and approve it again"
            case .close(let po): "close PO #\(po)"
            case .switchTo(let source): "switch the company to \(source.rawValue)"
            case .procoreEdit(let c, let amount): "another app sets commitment #\(c)'s first line to \(amount)"
            case .procoreDelete(let c): "another app deletes commitment #\(c)"
            case .run(let outcome): "a worker round: \(outcome.rawValue)"
            }
        }
    }

    /// A walk of `count` steps drawn from `seed` (the same seed, the same walk).
    static func walk(seed: UInt64, count: Int) -> [Step] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in
            switch Int.random(in: 0..<20, using: &random) {
            case 0..<3: .create(lines: Int.random(in: 1...3, using: &random))
            case 3..<7: .edit(po: Int.random(in: 0..<4, using: &random), unitCost: Int.random(in: 1...900, using: &random))
            case 7..<10: .close(po: Int.random(in: 0..<4, using: &random))
            case 10: .switchTo([.lentune, .procore, .none].randomElement(using: &random)!)
            case 11: .procoreEdit(commitment: Int.random(in: 0..<8, using: &random), amount: Int.random(in: 1...5000, using: &random))
            case 12: .procoreDelete(commitment: Int.random(in: 0..<8, using: &random))
            default: .run(Outcome.allCases.randomElement(using: &random)!)
            }
        }
    }

    static var seeds: [UInt64] {
        if let raw = ProcessInfo.processInfo.environment["LENTUNE_MODEL_SEED"], let seed = UInt64(raw) { return [seed] }
        return [11, 12, 13, 14, 15]
    }

    @Test(arguments: TestDatabase.kinds)
    func afterAnyWalk_drainAndSweep_LentuneAndProcoreAgree(kind: TestDatabase.Kind) async throws {
        for seed in Self.seeds {
            let steps = Self.walk(seed: seed, count: 30)
            guard let failure = try await Self.problems(kind, steps) else { continue }
            let shortest = try await Self.shrink(kind, steps)
            Issue.record("""
                Seed \(seed) on \(kind): Lentune and Procore disagree after drain and sweep: \(failure.joined(separator: "; ")).
                Shortest failing walk (\(shortest.steps.count) of \(steps.count) steps; replay with LENTUNE_MODEL_SEED=\(seed)):
                \(shortest.steps.enumerated().map { "  \($0.offset + 1). \($0.element)" }.joined(separator: "\n"))
                It ends with: \(shortest.problems.joined(separator: "; "))
                """)
        }
    }

    /// The judge's complaints after running `steps`, drain and sweep (nil: they agree).
    static func problems(_ kind: TestDatabase.Kind, _ steps: [Step]) async throws -> [String]? {
        let result = LockedBox<[String]>([])
        try await PurchaseOrderPushTests.world(kind) { w in
            var pos: [PurchaseOrder.ID] = []
            for step in steps { try await apply(step, w, &pos) }
            w.sandbox.server.store.faults = SandboxFaults()
            try await drain(w)
            try await Outbox.enqueue(.companyWide(.sweep, of: w.row, now: Date()), on: w.db)
            try await drain(w)
            result.value = try await judge(w)
        }
        return result.value.isEmpty ? nil : result.value
    }

    /// Removes chunks of steps while the walk still fails (halves, then quarters, … then single steps).
    static func shrink(_ kind: TestDatabase.Kind, _ steps: [Step]) async throws -> (steps: [Step], problems: [String]) {
        var current = steps
        var problems = try await Self.problems(kind, current) ?? []
        var chunk = max(1, current.count / 2)
        while chunk >= 1 {
            var start = 0
            var removed = false
            while start < current.count {
                var candidate = current
                candidate.removeSubrange(start..<min(start + chunk, candidate.count))
                if let found = try await Self.problems(kind, candidate) {
                    (current, problems, removed) = (candidate, found, true)
                } else {
                    start += chunk
                }
            }
            if !removed { chunk /= 2 }
        }
        return (current, problems)
    }

    static func apply(_ step: Step, _ w: PurchaseOrderPushTests.World, _ pos: inout [PurchaseOrder.ID]) async throws {
        let store = w.sandbox.server.store
        switch step {
        case .create(let lines):
            // Refused while the company is on Procore purchase order: then it is a no-op, as for a person.
            if let po = try? await PurchaseOrderPushTests.approvedPO(w, title: "Walk \(pos.count + 1)", lines: lines) { pos.append(po.id) }
        case .edit(let index, let unitCost):
            guard !pos.isEmpty, var po = try await PurchaseOrders.find(pos[index % pos.count], in: w.org, on: w.db) else { return }
            po.status = .draft
            po.lines[0].unitCost = Decimal(unitCost)
            po.lines[0].amount = Decimal(unitCost) * po.lines[0].quantity
            guard (try? await PurchaseOrderCommands.update(po, actor: w.admin, now: Date(), on: w.db)) != nil else { return }
            _ = try? await PurchaseOrderCommands.act(.submit, on: po.id, organisation: w.org, actor: w.admin, now: Date(), on: w.db)
        case .close(let index):
            guard !pos.isEmpty else { return }
            _ = try? await PurchaseOrderCommands.act(.close, on: pos[index % pos.count], organisation: w.org, actor: w.admin, now: Date(), on: w.db)
        case .switchTo(let source):
            guard let row = try await ProcoreSettings.row(w.row.id, in: w.org, on: w.db) else { return }
            var link = row.link
            link.purchaseOrderSource = source
            _ = try await ProcoreSettings.save(link, expectedVersion: row.version, actor: w.admin, now: Date(), on: w.db)
        case .procoreEdit(let index, let amount):
            // Another application works in Procore only where Procore is the master (on Lentune purchase order its
            // edits are drift, which the drift test covers).
            guard try await ProcoreSettings.link(w.row.id, on: w.db)?.purchaseOrderSource == .procore else { return }
            store.write { data in
                let live = data.purchaseOrders.indices.filter { data.purchaseOrders[$0].deletedAt == nil }
                guard !live.isEmpty else { return }
                let po = live[index % live.count]
                if let line = data.poLineItems.firstIndex(where: { $0.holderID == data.purchaseOrders[po].id && $0.deletedAt == nil }) {
                    data.poLineItems[line].amount = Decimal(amount)
                    data.poLineItems[line].updatedAt = Date()
                }
                data.purchaseOrders[po].updatedAt = Date()
            }
        case .procoreDelete(let index):
            guard try await ProcoreSettings.link(w.row.id, on: w.db)?.purchaseOrderSource == .procore else { return }
            store.write { data in
                let live = data.purchaseOrders.indices.filter { data.purchaseOrders[$0].deletedAt == nil }
                guard !live.isEmpty else { return }
                data.purchaseOrders[live[index % live.count]].deletedAt = Date()
                data.purchaseOrders[live[index % live.count]].updatedAt = Date()
            }
        case .run(let outcome):
            try await run(outcome, w)
        }
    }

    static func run(_ outcome: Outcome, _ w: PurchaseOrderPushTests.World) async throws {
        let store = w.sandbox.server.store
        switch outcome {
        case .success:
            _ = try await w.worker.runOnce()
        case .fault:
            var faults = SandboxFaults()
            faults.errorRates = ["*": 0.5]
            store.faults = faults
            _ = try await w.worker.runOnce()
        case .lostAnswer:
            var faults = SandboxFaults()
            faults.dropAfterCommit = ["*": 2]
            store.faults = faults
            _ = try await w.worker.runOnce()
        case .crash:
            // A worker claims jobs and dies: its lease lapses at once and another worker takes them over.
            _ = try await Outbox.claim(limit: 3, worker: "crashed", lease: .zero, now: Date(), on: w.db)
        }
        store.faults = SandboxFaults()
    }

    /// Runs the outbox empty: each round makes every waiting job due (time passes), then a worker runs them.
    static func drain(_ w: PurchaseOrderPushTests.World) async throws {
        for _ in 0..<200 {
            try await (w.db as! any SQLDatabase).raw("UPDATE outbox_jobs SET next_attempt_at = \(bind: Date()) WHERE state = 'pending'").run()
            let summary = try await w.worker.runOnce(limit: 64)
            let open = try await Outbox.jobs(in: w.org, filter: .init(limit: 500), on: w.db).filter { [.pending, .running].contains($0.state) }
            if summary.claimed == 0 && open.isEmpty { return }
            if summary.claimed == 0 { try await Task.sleep(for: .milliseconds(20)) }
        }
        Issue.record("the outbox did not drain in 200 rounds")
    }

    /// What the sandbox's own records say against Lentune's, for the company's mode now.
    static func judge(_ w: PurchaseOrderPushTests.World) async throws -> [String] {
        let source = try await ProcoreSettings.link(w.row.id, on: w.db)?.purchaseOrderSource ?? .none
        let linked = Set(try await ReferenceData.projects(in: w.org, on: w.db).filter { $0.procoreCompanyLinkID == w.row.id }.compactMap(\.procoreProjectID))
        let procore = w.sandbox.server.store.read { $0 }
        let commitments = procore.purchaseOrders.filter { linked.contains($0.projectID) }
        var pos: [PurchaseOrder] = []
        for item in try await PurchaseOrders.list(in: w.org, filter: .init(perPage: 200), on: w.db).items {
            if let po = try await PurchaseOrders.find(item.id, in: w.org, on: w.db) { pos.append(po) }
        }
        var problems: [String] = []
        // Never two Lentune POs for one commitment, by id or by origin_id.
        for commitment in commitments where commitment.deletedAt == nil {
            let byID = pos.filter { $0.procoreCommitmentID == commitment.id }
            let byOrigin = pos.filter { $0.id.rawValue.lowercasedText == commitment.originID && $0.procoreCommitmentID != commitment.id }
            if byID.count + byOrigin.count > 1 { problems.append("commitment \(commitment.number) has \(byID.count + byOrigin.count) Lentune POs") }
        }
        let failed = try await Outbox.jobs(in: w.org, filter: .init(state: .failed, limit: 500), on: w.db)
            .filter { ![.checkPurchaseOrder].contains($0.kind) }
        if !failed.isEmpty { problems.append("failed jobs: " + failed.map { "\($0.kind.rawValue): \($0.lastError ?? "")" }.joined(separator: " | ")) }
        switch source {
        case .lentune: problems += lentuneAgrees(pos, commitments, lines: procore.poLineItems)
        case .procore: problems += procoreAgrees(pos, commitments, lines: procore.poLineItems)
        case .none: break
        }
        return problems
    }

    static func lentuneAgrees(_ pos: [PurchaseOrder], _ commitments: [ProcoreSandbox.PurchaseOrderContract], lines: [ProcoreSandbox.LineItem]) -> [String] {
        var problems: [String] = []
        for po in pos where po.origin == .lentune && (po.status == .approved || (po.status == .closed && po.procoreCommitmentID != nil)) {
            let twins = commitments.filter { $0.originID == po.id.rawValue.lowercasedText && $0.deletedAt == nil }
            guard twins.count == 1, let commitment = twins.first else {
                problems.append("\(po.number) (\(po.status.rawValue)) has \(twins.count) commitments")
                continue
            }
            let status = po.status == .closed ? "Closed" : "Approved"
            if commitment.status != status { problems.append("\(po.number) is \(status) in Lentune, \(commitment.status) in Procore") }
            let ours = lines.filter { $0.holderID == commitment.id && $0.deletedAt == nil && $0.originID.flatMap(UUID.init(uuidString:)) != nil }
            let inProcore = Set(ours.map { "\($0.originID!.lowercased())=\($0.amount)" })
            let inLentune = Set(po.lines.map { "\($0.id.rawValue.lowercasedText)=\($0.amount)" })
            if inProcore != inLentune { problems.append("\(po.number)'s lines differ: Procore \(inProcore.sorted()), Lentune \(inLentune.sorted())") }
        }
        return problems
    }

    static func procoreAgrees(_ pos: [PurchaseOrder], _ commitments: [ProcoreSandbox.PurchaseOrderContract], lines: [ProcoreSandbox.LineItem]) -> [String] {
        var problems: [String] = []
        for commitment in commitments {
            let po = pos.first { $0.procoreCommitmentID == commitment.id }
            if commitment.deletedAt != nil {
                if let po, po.deletedInProcoreAt == nil { problems.append("\(po.number): commitment deleted in Procore, not marked in Lentune") }
                continue
            }
            guard let po else {
                problems.append("commitment \(commitment.number) is not in Lentune")
                continue
            }
            let inProcore = Set(lines.filter { $0.holderID == commitment.id && $0.deletedAt == nil }.map { "\($0.id)=\($0.amount)" })
            let inLentune = Set(po.lines.compactMap { line in line.procoreLineItemID.map { "\($0)=\(line.amount)" } })
            if !inProcore.isSubset(of: inLentune) { problems.append("\(po.number)'s lines differ: Procore \(inProcore.sorted()), Lentune \(inLentune.sorted())") }
        }
        return problems
    }
}

/// A value a `@Sendable` closure fills in.
final class LockedBox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
