import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import LentuneTestSupport
import Testing

/// Issue 30, point 4: N concurrent transitions of one record have exactly one winner, which alone writes its audit
/// row; the others get the workflow refusal a stale form gets (409 at the edges). PostgreSQL is the real test
/// (concurrent transactions); SQLite's single writer must give the same answer.
@Suite struct StateRaceTests {
    struct Outcome: Sendable {
        var succeeded = 0
        var refused = 0
        var other: [String] = []
    }

    /// Runs `count` attempts at once. At most 4 hold a database connection at a time (the pool's size: 4 per event
    /// loop, and a test's `db` is one loop's), so the rest wait here rather than in the pool, whose 10 s wait can run
    /// out on a loaded machine; the database sees as many concurrent transactions either way.
    static func race(_ count: Int, _ attempt: @escaping @Sendable (Int) async throws -> Void) async -> Outcome {
        let gate = AsyncGate(width: 4)
        return await withTaskGroup(of: Result<Void, any Error>.self) { group in
            for index in 0..<count {
                group.addTask {
                    await gate.enter()
                    let result: Result<Void, any Error>
                    do { result = .success(try await attempt(index)) } catch { result = .failure(error) }
                    await gate.leave()
                    return result
                }
            }
            var outcome = Outcome()
            for await result in group {
                switch result {
                case .success: outcome.succeeded += 1
                case .failure(let error as PurchaseOrderCommands.Failure):
                    if case .workflow(.notAllowed) = error { outcome.refused += 1 } else { outcome.other.append("\(error)") }
                case .failure(let error as InvoiceCommands.Failure):
                    if case .workflow(.notAllowed) = error { outcome.refused += 1 } else { outcome.other.append("\(error)") }
                case .failure(let error): outcome.other.append(String(reflecting: error))
                }
            }
            return outcome
        }
    }

    static func audits(_ action: String, in org: Organisation.ID, on db: any Database) async throws -> Int {
        try await AuditLog.recent(organisation: org, limit: 1000, on: db).filter { $0.action == action }.count
    }

    @Test(arguments: TestDatabase.kinds)
    func fiftyConcurrentApprovalsOfOnePO_haveOneWinner_andOneAuditEvent(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let w = try await PurchaseOrderCommandTests.world(database, source: .none)
            let org = w.fixture.organisation.id
            let raiser = try await Accounts.createUser(
                organisation: org, email: "ap@a.example", name: "AP", role: .apOfficer, passwordHash: "x", approvalLimit: 0, on: w.db)
            let (po, _) = try await PurchaseOrderCommands.create(w.fixture.purchaseOrder(number: "PO-50"), requestKey: nil, actor: raiser, now: Date(), on: w.db)
            #expect(try await PurchaseOrderCommands.act(.submit, on: po.id, organisation: org, actor: raiser, now: Date(), on: w.db).status == .awaitingApproval)

            let outcome = await Self.race(50) { _ in
                _ = try await PurchaseOrderCommands.act(.approve, on: po.id, organisation: org, actor: w.admin, now: Date(), on: w.db)
            }
            #expect(outcome.succeeded == 1 && outcome.refused == 49, "\(outcome)")
            #expect(outcome.other.isEmpty, "\(outcome.other.prefix(3))")
            #expect(try await Self.audits("purchase_order.approve", in: org, on: w.db) == 1)
            #expect(try await PurchaseOrders.find(po.id, in: org, on: w.db)?.status == .approved)
        }
    }

    static func awaitingInvoice(_ w: PurchaseOrderCommandTests.World, number: String) async throws -> Invoice {
        let invoice = try await InvoiceCommands.capture(
            Invoice(
                organisationID: w.fixture.organisation.id, supplierID: w.fixture.supplier.id, number: number, invoiceDate: Date(),
                projectID: w.fixture.project.id,
                lines: [Invoice.Line(description: "Concrete", costCodeID: w.fixture.costCode.id, costTypeID: w.fixture.costType.id,
                                     taxCodeID: w.fixture.gst.id, amount: 100, tax: 15)],
                allocations: [], statedTotalExcludingTax: 100, statedTax: 15, approverID: w.admin.id),
            document: nil, actor: w.admin, now: Date(), on: w.db)
        let checked = try await InvoiceCommands.act(.check, on: invoice.id, organisation: invoice.organisationID, actor: w.admin, now: Date(), on: w.db)
        #expect(checked.status == .awaitingApproval)
        return checked
    }

    @Test(arguments: TestDatabase.kinds)
    func fiftyConcurrentApprovalsOfOneInvoice_haveOneWinner_andOneAuditEvent(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let w = try await PurchaseOrderCommandTests.world(database, source: .none)
            let org = w.fixture.organisation.id
            let invoice = try await Self.awaitingInvoice(w, number: "INV-50")
            let outcome = await Self.race(50) { _ in
                _ = try await InvoiceCommands.act(.approve(acceptingOverAllocation: false), on: invoice.id, organisation: org, actor: w.admin, now: Date(), on: w.db)
            }
            #expect(outcome.succeeded == 1 && outcome.refused == 49, "\(outcome)")
            #expect(outcome.other.isEmpty, "\(outcome.other.prefix(3))")
            #expect(try await Self.audits("invoice.approve", in: org, on: w.db) == 1)
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func approvalsAgainstSendBacks_oneOfAllTwentyWins(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let w = try await PurchaseOrderCommandTests.world(database, source: .none)
            let org = w.fixture.organisation.id
            let invoice = try await Self.awaitingInvoice(w, number: "INV-20")
            let outcome = await Self.race(20) { index in
                let action: InvoiceWorkflow.Action = index.isMultiple(of: 2) ? .approve(acceptingOverAllocation: false) : .sendBack(reason: "Wrong GST")
                _ = try await InvoiceCommands.act(action, on: invoice.id, organisation: org, actor: w.admin, now: Date(), on: w.db)
            }
            #expect(outcome.succeeded == 1 && outcome.refused == 19, "\(outcome)")
            #expect(outcome.other.isEmpty, "\(outcome.other.prefix(3))")
            let approvals = try await Self.audits("invoice.approve", in: org, on: w.db)
            let sendBacks = try await Self.audits("invoice.send_back", in: org, on: w.db)
            #expect(approvals + sendBacks == 1, "approved \(approvals), sent back \(sendBacks)")
        }
    }
}
