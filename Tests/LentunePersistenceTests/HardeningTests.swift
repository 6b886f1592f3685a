import FluentKit
import FluentSQL
import Foundation
import LentuneCore
import LentunePropertyTesting
import LentuneTestSupport
import PropertyBased
import Testing

@testable import LentunePersistence

/// Issue 10 at the database: stored amounts never wrap, pages never overflow, automatic numbering never fails under
/// concurrency — on SQLite and PostgreSQL.
@Suite struct StoredAmountTests {
    @Test func scaled_roundTripsEveryCentValue_andRefusesWhatDoesNotFit() async {
        await seededPropertyCheck(seed: 2026_0201, input: zip(Gen.int64(), Gen.int(in: -6...20))) { input in
            let (significand, exponent) = input
            let value = Decimal(sign: significand < 0 ? .minus : .plus, exponent: exponent, significand: Decimal(significand.magnitude))
            do {
                let stored = try Scaled.money(value)
                // What is stored reads back as the value rounded to the cent, never as something else.
                try #require(Scaled.money(stored) == value.roundedToCents())
            } catch is Scaled.OutOfRange {
                try #require((value * 100).roundedToCents().magnitude > Decimal(Int64.max) - 1)
            }
        }
    }

    @Test func scaled_refusesTheReviewersAmount() {
        #expect(throws: Scaled.OutOfRange.self) { try Scaled.money(Decimal(string: "150000000000000000.00")!) }
        #expect(throws: Scaled.OutOfRange.self) { try Scaled.quantity(Decimal(string: "1e20")!) }
        #expect(throws: Scaled.OutOfRange.self) { try Scaled.money(Decimal.nan) }
    }

    @Test(arguments: TestDatabase.kinds)
    func overflowingPurchaseOrder_isNeverStored(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let fixture = try await Fixture.make(on: database.db)
            var po = fixture.purchaseOrder(number: "PO-BIG", lines: 1)
            po.lines[0] = PurchaseOrder.Line(position: 0, description: "x", quantity: 1_000_000_000, unitCost: 150_000_000)
            await #expect(throws: Scaled.OutOfRange.self) { try await PurchaseOrders.insert(po, on: database.db) }
            #expect(try await PurchaseOrders.count(in: fixture.organisation.id, on: database.db) == 0)
            // The largest allowed amount is stored and reads back exactly.
            po.lines[0] = PurchaseOrder.Line(position: 0, description: "x", quantity: 1, unitCost: 0, amount: Money.maximum)
            po.lines[0].tax = 0
            try await PurchaseOrders.insert(po, on: database.db)
            let back = try #require(try await PurchaseOrders.find(po.id, in: fixture.organisation.id, on: database.db))
            #expect(back.totals.includingTax == Money.maximum)
        }
    }
}

@Suite struct ListArithmeticTests {
    @Test(arguments: TestDatabase.kinds)
    func anyPageNumber_neverTraps(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let fixture = try await Fixture.make(on: database.db)
            try await PurchaseOrders.insert(fixture.purchaseOrder(number: "PO-1"), on: database.db)
            for page in [Int.max, Int.max - 1, PurchaseOrders.Filter.maximumPage, Int.min, 0] {
                let filter = PurchaseOrders.Filter(page: page, perPage: Int.max)
                #expect(filter.page >= 1 && filter.page <= PurchaseOrders.Filter.maximumPage)
                let (items, total) = try await PurchaseOrders.list(in: fixture.organisation.id, filter: filter, on: database.db)
                #expect(total == 1)
                #expect(items.count == (filter.page == 1 ? 1 : 0))
            }
        }
    }

    @Test func pageArithmetic_neverTraps_forAnyFilter() async {
        await seededPropertyCheck(seed: 2026_0202, input: zip(Gen.int(), Gen.int())) { input in
            let filter = PurchaseOrders.Filter(page: input.0, perPage: input.1)
            let (start, overflow) = (filter.page - 1).multipliedReportingOverflow(by: filter.perPage)
            try #require(!overflow && start >= 0)
        }
    }

    @Test func cursorTokens_neverTrap_andOutOfRangePlacesAreRefused() async throws {
        await seededPropertyCheck(seed: 2026_0203, count: 300, input: Gen.latin1.string(of: 0...80)) { text in
            _ = PurchaseOrders.ListCursor(token: text)
        }
        for kind in TestDatabase.kinds {
            try await TestDatabase.with(kind) { database in
                let fixture = try await Fixture.make(on: database.db)
                for position in ["9223372036854775807", "-9223372036854775808", "1e300"] {
                    let token = Data("\(position)|\(UUID().uuidString)".utf8).base64EncodedString()
                        .replacingOccurrences(of: "=", with: "")
                    guard let cursor = PurchaseOrders.ListCursor(token: token) else { continue }
                    await #expect(throws: PurchaseOrders.ListError.invalidCursor) {
                        _ = try await PurchaseOrders.list(
                            in: fixture.organisation.id, filter: .init(after: cursor), on: database.db)
                    }
                }
            }
        }
    }
}

@Suite struct ConcurrentNumberingTests {
    @Test(arguments: TestDatabase.kinds)
    func thirtyCreatesAtOnce_withoutNumbers_allSucceedWithDistinctNumbers(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let a = try await Fixture.make(name: "Harbour Build Ltd", on: database.db)
            let b = try await Fixture.make(name: "Other Builders Ltd", on: database.db)
            // One number typed by hand in the middle of the range: automatic numbering skips it.
            try await PurchaseOrders.insert(a.purchaseOrder(number: "PO-00005"), on: database.db)
            let db = database.db
            let results = try await withThrowingTaskGroup(of: (Organisation.ID, String).self) { group in
                for index in 0..<30 {
                    let fixture = index.isMultiple(of: 3) ? b : a
                    group.addTask {
                        let (po, created) = try await PurchaseOrders.create(fixture.purchaseOrder(number: ""), on: db)
                        #expect(created)
                        return (fixture.organisation.id, po.number)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.count == 30)
            let numbersA = results.filter { $0.0 == a.organisation.id }.map(\.1)
            let numbersB = results.filter { $0.0 == b.organisation.id }.map(\.1)
            #expect(Set(numbersA).count == 20)
            #expect(!numbersA.contains("PO-00005"))
            #expect(Set(numbersB) == Set((1...10).map(PurchaseOrders.format)))
            #expect(try await PurchaseOrders.count(in: a.organisation.id, on: db) == 21)
        }
    }
}

/// Issue 30 (8b): on SQLite, contention is a wait, never "database is locked". Two deferred transactions that each
/// read and then write deadlock, and SQLite answers one of them BUSY at once rather than wait (its busy handler is
/// not called when waiting could deadlock); `writeTransaction` runs one at a time per process so that never happens.
/// On a file, as `lentune serve` runs, with the pool's connections on every event loop.
@Suite struct SQLiteContentionTests {
    @Test func readThenWriteTransactions_atOnce_allCommit_onASQLiteFile() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lentune-contention-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = try LentuneDatabase(location: .sqliteFile(path: folder.appendingPathComponent("lentune.sqlite").path))
        try await database.migrate()
        let organisation = try await Accounts.organisation(named: "Contention Ltd", on: database.db).domain.id
        let writers = 40
        let outcomes = await withTaskGroup(of: String?.self) { group in
            for n in 0..<writers {
                group.addTask {
                    do {
                        try await database.db.writeTransaction { tx in
                            let sql = tx as! any SQLDatabase
                            // Read (a shared lock), let the others read too, then write.
                            _ = try await sql.raw("SELECT name FROM organisations WHERE id = \(bind: organisation.rawValue)").first()
                            try await Task.sleep(for: .milliseconds(2))
                            try await sql.raw("UPDATE organisations SET name = \(bind: "Contention \(n)") WHERE id = \(bind: organisation.rawValue)").run()
                        }
                        return nil
                    } catch {
                        return String(describing: error)
                    }
                }
            }
            var failures: [String] = []
            for await outcome in group { if let outcome { failures.append(outcome) } }
            return failures
        }
        await database.shutdown()
        #expect(outcomes.isEmpty, "\(outcomes.count) of \(writers) failed: \(Set(outcomes).sorted())")
    }
}

/// Issue 30 (5): the sign-in throttle cannot be raced. Each attempt is recorded before the earlier ones are counted,
/// so of 30 concurrent attempts for one email at most 5 see fewer than 5 others (the limit) and reach the password
/// check. Counted first, many could see none.
@Suite struct SignInThrottleRaceTests {
    @Test(arguments: TestDatabase.kinds)
    func thirtyConcurrentAttempts_atMostTheLimitSeeRoom(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let base = Date()
            let limit = 5
            let throttle = SignInThrottle(limit: limit, window: 900)
            // Each attempt has its own clock, as each request does (a millisecond apart, started in any order): an
            // attempt that started later may be recorded before an earlier one counts.
            let clocks = (0..<30).map { base.addingTimeInterval(Double($0) / 1000) }.shuffled()
            let seen = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                for now in clocks {
                    group.addTask {
                        let attempt = try await SignInFailures.begin(
                            email: "Race@Example.com", at: now, since: now.addingTimeInterval(-900), on: database.db)
                        return (attempt.earlier.count, throttle.blockedUntil(failures: attempt.earlier, now: now) == nil)
                    }
                }
                var outcomes: [(Int, Bool)] = []
                for try await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            #expect(seen.count == 30)
            let admitted = seen.filter(\.1).count
            // At most the limit; under a true race it can be fewer (each attempt may see the others' inserts first),
            // which errs on the side of refusing.
            #expect(admitted <= limit, "\(kind): \(admitted) of 30 saw room (earlier counts \(seen.map(\.0).sorted()))")
        }
    }
}
