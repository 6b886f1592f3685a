import Foundation
@testable import ProcoreAPI
import Testing

@Suite struct EndpointSnapshotTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func requests() {
        let cases: [(String, Procore.Endpoint)] = [
            ("token-client-credentials", .token(grant: .clientCredentials, clientID: "cid", clientSecret: "shh")),
            ("token-authorization-code", .token(grant: .authorizationCode(redirectURI: "https://ap.example.com/cb"), clientID: "cid", clientSecret: "shh", code: "abc")),
            ("token-refresh", .refresh(refreshToken: "r1", clientID: "cid", clientSecret: "shh", redirectURI: "https://ap.example.com/cb")),
            ("me", .me),
            ("companies", .companies()),
            ("projects", .projects(company: 4242)),
            ("vendors-changed", .vendors(company: 4242, filter: .init(updatedAt: Self.t0...Self.t0.addingTimeInterval(3600)))),
            ("purchase-orders-filtered", .purchaseOrders(
                project: 5_000_000_001, filter: .init(ids: [1, 2], originID: "lentune-9", status: ["Approved"], includeDeleted: .with), perPage: 50)),
            ("purchase-order-create", .createPurchaseOrder(project: 5_000_000_001, .init(
                number: "PO-0042", title: "Steel & fixings", status: .approved, vendorId: 7, deliveryDate: Procore.Day("2026-12-24"),
                originId: "lentune-po-1"))),
            ("purchase-order-sync", .syncPurchaseOrders(project: 5_000_000_001, [
                .init(number: "PO-1", originId: "a"), .init(id: 9_007_199_254_740_993, status: .closed),
            ])),
            ("line-items-sync", .syncPurchaseOrderLineItems(project: 1, purchaseOrder: 2, [
                .init(description: "Bolts", amount: "10.005", quantity: "3", unitCost: "3.335", uom: "EA", extendedType: "manual",
                      costCodeId: 3, lineItemTypeId: 4, taxCodeId: 5, originId: "line-1"),
            ])),
            ("direct-cost-create", .createDirectCost(project: 1, .init(
                vendorId: 7, invoiceNumber: "INV-9", directCostDate: Procore.Day("2026-11-30"), originId: "lentune-inv-1",
                lineItems: [.init(description: "Sand", manualAmount: Decimal(string: "1234.5678")!, costCodeId: 3, lineItemTypeId: 4, taxCodeId: 5)]))),
            ("requisition-create", .createRequisition(project: 1, commitment: 2, .init(
                periodId: 3, invoiceNumber: "SI-1", billingDate: Procore.Day("2026-11-30"), originId: "lentune-inv-2"))),
            ("hook-create", .createHook(company: 4242, namespace: "lentune-prod", destinationURL: "https://ap.example.com/webhooks/procore/x", authorization: "Bearer s")),
        ]
        for (name, endpoint) in cases { assertSnapshot(endpoint.snapshot, named: name) }
    }

    @Test func secretsNeverAppearInSnapshots() {
        let text = Procore.Endpoint.token(grant: .clientCredentials, clientID: "cid", clientSecret: "top-secret").snapshot
        #expect(!text.contains("top-secret"))
    }

    @Test func linkHeader_next() {
        let header = #"<https://api.procore.com/rest/v1.0/vendors?company_id=1&page=1&per_page=2>; rel="first", <https://api.procore.com/rest/v1.0/vendors?company_id=1&page=3&per_page=2&filters%5Bid%5D%5B%5D=5>; rel="next""#
        let url = Procore.Pages<Procore.Vendor>.nextLink(header)
        #expect(url?.absoluteString.hasSuffix("page=3&per_page=2&filters%5Bid%5D%5B%5D=5") == true)
        let next = Procore.Pages<Procore.Vendor>.endpoint(for: url!, like: .vendors(company: 1))
        #expect(next.path == "/rest/v1.0/vendors")
        #expect(next.query.contains(.init("filters[id][]", "5")))
        #expect(Procore.Pages<Procore.Vendor>.nextLink(#"<https://x/a?page=1>; rel="last""#) == nil)
    }
}

@Suite struct ValueTests {
    @Test func amounts_decodeExactlyFromStringsAndNumbers() throws {
        struct Box: Decodable { var a: Procore.Amount; var b: Procore.Amount; var c: Procore.Amount }
        let box = try Procore.decoder.decode(Box.self, from: Data(#"{"a": "3329738.01", "b": 0.1, "c": "96.36%"}"#.utf8))
        #expect(box.a.value == Decimal(string: "3329738.01"))
        #expect(box.b.value == Decimal(string: "0.1"))
        #expect(box.c.value == Decimal(string: "96.36"))
        #expect(throws: (any Error).self) { try Procore.decoder.decode(Box.self, from: Data(#"{"a": "1e5x", "b": 1, "c": 1}"#.utf8)) }
    }

    @Test func days_andTimestamps_parseStrictly() throws {
        #expect(Procore.Day("2026-02-28")?.description == "2026-02-28")
        for bad in ["2026-02-30", "2026-2-1", "26-02-01", "2026-13-01", ""] { #expect(Procore.Day(bad) == nil, "\(bad)") }
        struct Stamp: Decodable { var at: Date }
        #expect(try Procore.decoder.decode(Stamp.self, from: Data(#"{"at": "2026-02-01T18:22:03Z"}"#.utf8)).at == Date(timeIntervalSince1970: 1_769_970_123))
        #expect(throws: (any Error).self) { try Procore.decoder.decode(Stamp.self, from: Data(#"{"at": "01/02/2026"}"#.utf8)) }
    }
}

@Suite struct RetryPolicyTests {
    let policy = Procore.RetryPolicy(maxAttempts: 4, base: .seconds(1), cap: .seconds(8), random: { 0.5 })

    @Test func transientFailures_retryWithFullJitter() {
        #expect(policy.decision(for: .status(500, retryAfter: nil), attempt: 1, idempotent: true) == .retry(after: .milliseconds(500)))
        #expect(policy.decision(for: .status(502, retryAfter: nil), attempt: 3, idempotent: true) == .retry(after: .seconds(2)))
        #expect(policy.backoff(10) == .seconds(4))  // capped at 8 s, jitter 0.5
        #expect(policy.decision(for: .status(500, retryAfter: nil), attempt: 4, idempotent: true) == .stop)
    }

    @Test func retryAfter_isHonoured() {
        #expect(policy.decision(for: .status(429, retryAfter: .seconds(7)), attempt: 1, idempotent: true) == .retry(after: .seconds(7)))
        #expect(policy.decision(for: .status(503, retryAfter: .seconds(3)), attempt: 1, idempotent: false) == .retry(after: .seconds(3)))
    }

    @Test func creates_areNotRetriedBlindly() {
        #expect(policy.decision(for: .status(500, retryAfter: nil), attempt: 1, idempotent: false) == .stop)
        #expect(policy.decision(for: .transport(requestSent: true), attempt: 1, idempotent: false) == .stop)
        #expect(policy.decision(for: .transport(requestSent: false), attempt: 1, idempotent: false) == .retry(after: .milliseconds(500)))
        #expect(policy.decision(for: .status(422, retryAfter: nil), attempt: 1, idempotent: true) == .stop)
        #expect(policy.decision(for: .status(404, retryAfter: nil), attempt: 1, idempotent: true) == .stop)
    }
}

@Suite struct PacerTests {
    @Test func spreadsTheRemainingBudgetUntilReset() async {
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let pacer = Procore.RateLimitPacer(clock: { t0 }, sleep: { _ in })
        #expect(await pacer.spacing(at: t0) == 0)  // nothing known yet
        await pacer.record(limit: 25, remaining: 20, reset: t0.addingTimeInterval(10), status: 200, retryAfter: nil)
        #expect(await pacer.spacing(at: t0) == 0.45)  // (10 s - 1 s of header rounding) / 20
        await pacer.record(limit: 25, remaining: 0, reset: t0.addingTimeInterval(4), status: 200, retryAfter: nil)
        #expect(await pacer.spacing(at: t0) == 4)  // nothing left: wait for the reset
        // Past the reset the figures are stale: the steady rate of the window (10 s / 25) applies.
        #expect(await pacer.spacing(at: t0.addingTimeInterval(5)) == 0.4)
    }

    @Test func a429_blocksEveryoneUntilRetryAfter() async throws {
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let slept = SleepLog()
        let clock = TestClock(t0)
        let pacer = Procore.RateLimitPacer(headroom: 0, clock: { clock.now }, sleep: { duration in
            await slept.add(duration)
            clock.advance(duration)
        })
        await pacer.record(limit: 25, remaining: 0, reset: nil, status: 429, retryAfter: .seconds(6))
        try await pacer.acquire()
        #expect(await slept.total == .seconds(6))
        #expect(await pacer.state.throttled == 1)
    }
}

final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    init(_ start: Date) { current = start }
    var now: Date { lock.withLock { current } }
    func advance(_ duration: Duration) {
        lock.withLock { current = current.addingTimeInterval(Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18) }
    }
}

actor SleepLog {
    var total: Duration = .zero
    func add(_ duration: Duration) { total += duration }
}
