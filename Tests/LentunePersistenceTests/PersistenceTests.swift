import FluentKit
import FluentSQL
import Foundation
import LentuneCore
import LentunePersistence
import LentuneTestSupport
import Testing

@Suite struct MigrationTests {
    @Test(arguments: TestDatabase.kinds)
    func migrations_applyRevertAndReapply(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            try await database.revertAll()
            await #expect(throws: (any Error).self) { try await OrganisationRecord.query(on: database.db).count() }
            try await database.migrate()
            #expect(try await OrganisationRecord.query(on: database.db).count() == 0)
            // Running again is a no-op.
            try await database.migrate()
        }
    }

    /// 0013 recomputes supplier match keys under the new rule; two suppliers that now share a key stay two.
    @Test(arguments: TestDatabase.kinds)
    func supplierMatchKeys_areRecomputed_andCollisionsKeepBothSuppliers(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let db = database.db
            let org = try await Fixture.make(on: db).organisation.id
            let sql = db as! any SQLDatabase
            try await sql.raw("DROP TABLE supplier_mappings").run()
            try await sql.raw("DELETE FROM _fluent_migrations WHERE name LIKE '%UpdateSuppliersMatchKeysAddSupplierMappings%'").run()
            // Keys as the old rule (case and spaces only) stored them.
            for name in ["ABC Limited", "abc ltd", "Fletcher-Steel"] {
                let supplier = SupplierRecord(Supplier(organisationID: org, name: name))
                supplier.matchKey = name.lowercased()
                try await supplier.create(on: db)
            }
            try await database.migrate()
            let keys = try await SupplierRecord.scoped(to: org, on: db).all().reduce(into: [String: String]()) { $0[$1.name] = $1.matchKey }
            #expect(keys["ABC Limited"] == "abc ltd")  // first by name takes the new key
            #expect(keys["abc ltd"] != "abc ltd" && keys["abc ltd"] != nil)  // kept as its own supplier
            #expect(keys["Fletcher-Steel"] == "fletcher steel")
            #expect(try await SupplierRecord.scoped(to: org, on: db).count() == 4)  // the fixture's and these three
            #expect(try await SupplierMappingRecord.query(on: db).count() == 0)
        }
    }

    /// 0018: on PostgreSQL webhook events carry no foreign keys (the group commit's insert checked two per event);
    /// the outbox keeps its own.
    @Test func postgres_webhookEventsHaveNoForeignKeys() async throws {
        guard TestDatabase.kinds.contains(.postgres) else { return }
        try await TestDatabase.with(.postgres) { database in
            func foreignKeys(_ table: String) async throws -> [String] {
                try await (database.db as! any SQLDatabase).raw("""
                    SELECT conname FROM pg_constraint
                    WHERE contype = 'f' AND conrelid = (quote_ident(current_schema()) || '.' || \(bind: table))::regclass ORDER BY conname
                    """).all().map { try $0.decode(column: "conname", as: String.self) }
            }
            let events = try await foreignKeys("webhook_events"), jobs = try await foreignKeys("outbox_jobs")
            #expect(events.isEmpty && jobs.count == 2, "\(events) \(jobs)")
        }
    }

    /// A claim takes at most its limit, quickly, even when PostgreSQL's statistics say the outbox is empty (a burst of
    /// jobs into a table analysed empty, before autovacuum analyses it again): with `id IN (subquery)` the planner
    /// re-ran the candidates' query for every row of the table, and a claim of 64 took 107.
    @Test func postgres_aClaimTakesItsLimit_whenTheStatisticsAreStale() async throws {
        guard TestDatabase.kinds.contains(.postgres) else { return }
        try await TestDatabase.with(.postgres) { database in
            let sql = database.db as! any SQLDatabase
            let org = try await Accounts.organisation(named: "A Ltd", on: database.db).domain.id
            let now = Date()
            func insert(_ count: Int) async throws {
                try await sql.raw("""
                    INSERT INTO outbox_jobs (id, organisation_id, kind, payload, state, attempts, next_attempt_at, created_at, updated_at)
                    SELECT gen_random_uuid(), \(bind: org.rawValue), 'noop', '{}', 'pending', 0, \(bind: now), \(bind: now), \(bind: now)
                    FROM generate_series(1, \(literal: count))
                    """).run()
            }
            // Pages, but no rows, as far as the statistics know; then the burst.
            try await insert(2000)
            try await sql.raw("DELETE FROM outbox_jobs").run()
            try await sql.raw("ANALYZE outbox_jobs").run()
            try await insert(20000)
            var claimed = 0
            for worker in ["a", "b", "c"] {
                let jobs = try await Outbox.claim(limit: 64, worker: worker, lease: .seconds(60), now: now, on: database.db)
                #expect(jobs.count == 64, "\(worker)")
                claimed += jobs.count
            }
            let running = try await sql.raw("SELECT COUNT(*) AS n FROM outbox_jobs WHERE state = 'running'").first()?.decode(column: "n", as: Int.self)
            #expect(running == claimed)
        }
    }

    /// `readSnapshot` on PostgreSQL: its reads see one state of the database, though a transaction changing what
    /// they read commits between them (as a posting job writes an invoice and its ledger row); it writes nothing.
    @Test func postgres_readSnapshot_seesOneStateOfTheDatabase() async throws {
        guard TestDatabase.kinds.contains(.postgres) else { return }
        try await TestDatabase.with(.postgres) { database in
            let db = database.db
            let a = try await Accounts.organisation(named: "A Ltd", on: db).domain.id
            let b = try await Accounts.organisation(named: "B Ltd", on: db).domain.id
            @Sendable func name(_ id: Organisation.ID, on db: any Database) async throws -> String? {
                try await (db as! any SQLDatabase).raw("SELECT name FROM organisations WHERE id = \(bind: id.rawValue)").first()?
                    .decode(column: "name", as: String.self)
            }
            let seen = try await db.readSnapshot { tx in
                let first = try await name(a, on: tx)
                // Another connection renames both and commits, between the snapshot's two reads.
                try await db.writeTransaction { other in
                    try await (other as! any SQLDatabase).raw("""
                        UPDATE organisations SET name = name || ' (renamed)' WHERE id IN (\(bind: a.rawValue), \(bind: b.rawValue))
                        """).run()
                }
                return [first, try await name(b, on: tx)]
            }
            #expect(seen == ["A Ltd", "B Ltd"])
            #expect(try await name(b, on: db) == "B Ltd (renamed)")
            await #expect(throws: (any Error).self) {
                try await db.readSnapshot { tx in try await (tx as! any SQLDatabase).raw("UPDATE organisations SET name = 'x'").run() }
            }
            #expect(try await name(a, on: db) == "A Ltd (renamed)")
        }
    }

    @Test func postgres_searchUsesTrigramIndexes() async throws {
        guard TestDatabase.kinds.contains(.postgres) else { return }
        try await TestDatabase.with(.postgres) { database in
            let sql = database.db as! any SQLDatabase
            // Catalog tables, not pg_indexes: its pg_get_indexdef fails on an index another test's schema is dropping.
            let names = try await sql.raw("""
                SELECT DISTINCT i.relname AS indexname
                FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
                JOIN pg_opclass o ON o.oid = ANY (x.indclass::oid[])
                WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = 'purchase_orders' AND o.opcname = 'gin_trgm_ops'
                ORDER BY indexname
                """).all().map { try $0.decode(column: "indexname", as: String.self) }
            #expect(names == ["ix_purchase_orders_number_trgm", "ix_purchase_orders_title_trgm"])
            // With enough rows the planner takes them for a search (and not a scan of the organisation's rows).
            let fixture = try await Fixture.make(on: database.db)
            try await sql.raw("""
                INSERT INTO purchase_orders (id, organisation_id, number, origin, status, supplier_id, project_id, title,
                    description, total_excl_tax_cents, tax_cents, sync_state, created_at)
                SELECT gen_random_uuid(), \(bind: fixture.organisation.id.rawValue), 'PO-' || n, 'lentune', 'draft',
                    \(bind: fixture.supplier.id.rawValue), \(bind: fixture.project.id.rawValue), 'Order ' || n, '', 0, 0,
                    'not_synced', now()
                FROM generate_series(1, 100000) AS n
                """).run()
            try await sql.raw("ANALYZE purchase_orders").run()
            let conditions = PurchaseOrders.listConditions(
                organisation: fixture.organisation.id, filter: .init(search: "PO-19999"), dialect: "postgresql")
            let plan = try await sql.raw("EXPLAIN SELECT id FROM purchase_orders WHERE \(conditions) ORDER BY created_at DESC LIMIT 50")
                .all().map { try $0.decode(column: "QUERY PLAN", as: String.self) }.joined(separator: "\n")
            #expect(plan.contains("ix_purchase_orders_number_trgm"), "\(plan)")
        }
    }
}

@Suite struct AccountsTests {
    @Test(arguments: TestDatabase.kinds)
    func organisationNamed_createsOnceThenReuses(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let first = try await Accounts.organisation(named: "Harbour Build", on: database.db)
            let second = try await Accounts.organisation(named: "  Harbour Build ", on: database.db)
            #expect(first.id == second.id)
            #expect(try await OrganisationRecord.query(on: database.db).count() == 1)
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func createUser_emailIsUniqueCaseInsensitively(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let org = try await Accounts.organisation(named: "A", on: database.db).domain.id
            _ = try await Accounts.createUser(
                organisation: org, email: "Ann@Example.com", name: "Ann", role: .administrator, passwordHash: "h",
                on: database.db)
            await #expect(throws: Accounts.Error.emailTaken("ann@example.com")) {
                _ = try await Accounts.createUser(
                    organisation: org, email: " ann@example.COM", name: "Ann 2", role: .apOfficer, passwordHash: "h",
                    on: database.db)
            }
            await #expect(throws: Accounts.Error.invalidEmail("nope")) {
                _ = try await Accounts.createUser(
                    organisation: org, email: "nope", name: "N", role: .apOfficer, passwordHash: "h", on: database.db)
            }
            #expect(try await UserRecord.query(on: database.db).count() == 1)
            #expect(try await Accounts.user(email: "ANN@example.com", on: database.db)?.domain.role == .administrator)
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func sessions_expireAndAreDeleted(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let org = try await Accounts.organisation(named: "A", on: database.db).domain.id
            let user = try await Accounts.createUser(
                organisation: org, email: "a@b.co", name: "A", role: .auditor, passwordHash: "h", on: database.db)
            let t0 = Date(timeIntervalSince1970: 1_800_000_000)
            try await Accounts.createSession(
                user: user.id, tokenHash: "abc", csrfToken: "c", expiresAt: t0.addingTimeInterval(60), on: database.db)
            #expect(try await Accounts.session(tokenHash: "abc", now: t0, on: database.db)?.user.email == "a@b.co")
            #expect(try await Accounts.session(tokenHash: "zzz", now: t0, on: database.db) == nil)
            #expect(try await Accounts.session(tokenHash: "abc", now: t0.addingTimeInterval(61), on: database.db) == nil)
            #expect(try await SessionRecord.query(on: database.db).count() == 0)
        }
    }
}

@Suite struct PurchaseOrderPersistenceTests {
    @Test(arguments: TestDatabase.kinds)
    func purchaseOrder_roundTripsExactly(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let fixture = try await Fixture.make(on: database.db)
            var po = fixture.purchaseOrder(number: "PO-0001")
            po.procoreCommitmentID = 9_007_199_254_740_993  // > 2^53: must survive as Int64, not Double
            po.lines[0].quantity = Decimal(string: "2.125")!
            try await PurchaseOrders.insert(po, on: database.db)
            let loaded = try #require(try await PurchaseOrders.find(po.id, in: fixture.organisation.id, on: database.db))
            #expect(loaded == po)
            #expect(loaded.totals.excludingTax == Decimal(string: "19.98"))
            #expect(loaded.totals.tax == Decimal(string: "3.00"))
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func purchaseOrderNumber_uniquePerOrganisation(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let a = try await Fixture.make(name: "A", on: database.db)
            let b = try await Fixture.make(name: "B", on: database.db)
            try await PurchaseOrders.insert(a.purchaseOrder(number: "PO-1"), on: database.db)
            await #expect(throws: PurchaseOrders.Error.duplicateNumber("PO-1")) {
                try await PurchaseOrders.insert(a.purchaseOrder(number: "PO-1"), on: database.db)
            }
            // Another organisation may use the same number.
            try await PurchaseOrders.insert(b.purchaseOrder(number: "PO-1"), on: database.db)
            // The failed insert left no lines behind.
            #expect(try await PurchaseOrderLineRecord.query(on: database.db).count() == 6)
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func tenantScoping_foreignIdIsNotFound(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let a = try await Fixture.make(name: "A", on: database.db)
            let b = try await Fixture.make(name: "B", on: database.db)
            let po = a.purchaseOrder(number: "PO-1")
            try await PurchaseOrders.insert(po, on: database.db)
            #expect(try await PurchaseOrders.find(po.id, in: b.organisation.id, on: database.db) == nil)
            #expect(try await PurchaseOrders.find(po.id, in: a.organisation.id, on: database.db) != nil)
            #expect(try await ReferenceData.projects(in: b.organisation.id, on: database.db).map(\.id) == [b.project.id])
        }
    }
}

@Suite struct PurchaseOrderListTests {
    @Test(arguments: TestDatabase.kinds)
    func list_filtersSearchesPagesAndStaysInItsOrganisation(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let a = try await Fixture.make(name: "A", on: database.db)
            let b = try await Fixture.make(name: "B", on: database.db)
            let titles = ["Concrete pour", "Rebar 100% galvanised", "concrete TESTING", "Scaffold_hire", "Windows"]
            for (index, title) in titles.enumerated() {
                var po = a.purchaseOrder(number: "PO-\(index + 1)", lines: 2)
                po.title = title
                if index == 1 { po.status = .approved }
                if index == 2 { po.origin = .procore }
                try await PurchaseOrders.insert(po, on: database.db)
                try await Task.sleep(for: .milliseconds(5))  // distinct created_at, so the order is defined
            }
            var foreign = b.purchaseOrder(number: "PO-9")
            foreign.title = "Concrete elsewhere"
            try await PurchaseOrders.insert(foreign, on: database.db)

            func numbers(_ filter: PurchaseOrders.Filter) async throws -> ([String], Int) {
                let (items, total) = try await PurchaseOrders.list(in: a.organisation.id, filter: filter, on: database.db)
                return (items.map(\.number), total)
            }
            // Newest first, only organisation A.
            #expect(try await numbers(.init()) == (["PO-5", "PO-4", "PO-3", "PO-2", "PO-1"], 5))
            // Search ignores case and matches number or title; % and _ are literal characters, not wildcards.
            #expect(try await numbers(.init(search: "CONCRETE")) == (["PO-3", "PO-1"], 2))
            #expect(try await numbers(.init(search: "100%")) == (["PO-2"], 1))
            #expect(try await numbers(.init(search: "0%g")) == ([], 0))
            #expect(try await numbers(.init(search: "d_h")) == (["PO-4"], 1))
            #expect(try await numbers(.init(search: "l_h")) == ([], 0))
            #expect(try await numbers(.init(search: "PO-5")) == (["PO-5"], 1))
            #expect(try await numbers(.init(status: .approved)) == (["PO-2"], 1))
            #expect(try await numbers(.init(origin: .procore)) == (["PO-3"], 1))
            #expect(try await numbers(.init(projectID: b.project.id)) == ([], 0))
            #expect(try await numbers(.init(supplierID: a.supplier.id, page: 2, perPage: 2)) == (["PO-3", "PO-2"], 5))
            #expect(try await numbers(.init(page: 3, perPage: 2)) == (["PO-1"], 5))
            #expect(try await numbers(.init(page: 4, perPage: 2)) == ([], 5))
            // Pages in the older half are read from the other end: every page of one still lines up.
            var onePerPage: [String] = []
            for page in 1...5 { onePerPage += try await numbers(.init(page: page, perPage: 1)).0 }
            #expect(onePerPage == ["PO-5", "PO-4", "PO-3", "PO-2", "PO-1"])
            var threePerPage: [String] = []
            for page in 1...2 { threePerPage += try await numbers(.init(page: page, perPage: 3)).0 }
            #expect(threePerPage == ["PO-5", "PO-4", "PO-3", "PO-2", "PO-1"])

            // The row carries the names and the total including tax, to the cent.
            let first = try #require(try await PurchaseOrders.list(in: a.organisation.id, filter: .init(search: "PO-1"), on: database.db).items.first)
            let po = try #require(try await PurchaseOrders.find(first.id, in: a.organisation.id, on: database.db))
            #expect(first.totalIncludingTax == po.totals.includingTax)
            #expect(first.supplier == a.supplier.name)
            #expect(first.projectCode == a.project.code)
        }
    }
}

@Suite struct InvoicePersistenceTests {
    @Test(arguments: TestDatabase.kinds)
    func invoiceNumber_uniquePerSupplier(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let fixture = try await Fixture.make(on: database.db)
            let other = Supplier(organisationID: fixture.organisation.id, name: "Carters")
            try await ReferenceData.insert(other, on: database.db)
            let po = fixture.purchaseOrder(number: "PO-1")
            try await PurchaseOrders.insert(po, on: database.db)
            func invoice(_ supplier: Supplier.ID) -> Invoice {
                Invoice(
                    organisationID: fixture.organisation.id, supplierID: supplier, number: "INV-1",
                    invoiceDate: Date(timeIntervalSince1970: 1_800_000_000), projectID: fixture.project.id,
                    purchaseOrderID: po.id, lines: [.init(description: "Concrete", amount: 10, tax: Decimal(string: "1.5")!)],
                    allocations: [.init(purchaseOrderLineID: po.lines[0].id, basis: .quantity(1), amount: 10)],
                    statedTotalExcludingTax: 10, statedTax: Decimal(string: "1.5")!)
            }
            let first = invoice(fixture.supplier.id)
            try await Invoices.insert(first, on: database.db)
            await #expect(throws: Invoices.Error.duplicateNumber("INV-1")) {
                try await Invoices.insert(invoice(fixture.supplier.id), on: database.db)
            }
            try await Invoices.insert(invoice(other.id), on: database.db)
            #expect(try await Invoices.find(first.id, in: fixture.organisation.id, on: database.db) == first)
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func procoreCompanyPerConnection_isUnique(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let fixture = try await Fixture.make(on: database.db)
            let box = try SecretBox(base64Key: SecretBox.generateKey())
            let connection = ProcoreConnectionRecord(
                organisationID: fixture.organisation.id, environment: .production, clientID: "cid",
                sealedClientSecret: try box.seal("s3cret"), grantType: .clientCredentials, redirectURI: nil,
                sealedWebhookSecret: try box.seal("hook"))
            try await connection.create(on: database.db)
            let link = ProcoreCompanyLink(
                organisationID: fixture.organisation.id, connectionID: .init(connection.id!),
                procoreCompanyID: 4_242, name: "Harbour Build Ltd", purchaseOrderSource: .procore)
            try await ProcoreSettings.insert(link, on: database.db)
            await #expect(throws: (any Error).self) {
                var again = link
                again.id = .init()
                try await ProcoreSettings.insert(again, on: database.db)
            }
            #expect(try await ProcoreSettings.companyLinks(for: fixture.organisation.id, on: database.db) == [link])
            let stored = try #require(try await ProcoreSettings.connection(for: fixture.organisation.id, on: database.db))
            #expect(stored.sealedClientSecret != "s3cret")
            #expect(try box.open(stored.sealedClientSecret!) == "s3cret")
        }
    }
}

@Suite struct SecretBoxTests {
    @Test func sealOpen_roundTripsAndRejectsOtherKeys() throws {
        let box = try SecretBox(base64Key: SecretBox.generateKey())
        let sealed = try box.seal("client-secret")
        #expect(!sealed.contains("client-secret"))
        #expect(try box.open(sealed) == "client-secret")
        #expect(try box.seal("x") != box.seal("x"))  // a fresh nonce each time
        let other = try SecretBox(base64Key: SecretBox.generateKey())
        #expect(throws: SecretBox.Error.authenticationFailed) { try other.open(sealed) }
        #expect(throws: SecretBox.Error.malformed) { try box.open("plain") }
        #expect(throws: SecretBox.Error.invalidKey) { try SecretBox(base64Key: "short") }
    }
}

@Suite struct DatabaseLocationTests {
    @Test func parsesURLs() {
        #expect(DatabaseLocation(url: "sqlite://lentune.sqlite") == .sqliteFile(path: "lentune.sqlite"))
        #expect(DatabaseLocation(url: "sqlite:///var/lib/l.sqlite") == .sqliteFile(path: "/var/lib/l.sqlite"))
        #expect(DatabaseLocation(url: "postgres://u:p@127.0.0.1:5432/db")?.isPostgres == true)
        #expect(DatabaseLocation(url: "postgres://u:p@127.0.0.1:5432/db")?.description.contains("p@") == false)
        for bad in ["", "mysql://x", "sqlite://", "lentune.sqlite"] { #expect(DatabaseLocation(url: bad) == nil) }
    }
}

extension PurchaseOrderListTests {
    @Test(arguments: TestDatabase.kinds)
    func cursors_walkEveryPageOnceInBothDirections_evenWithEqualCreationTimes(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let db = database.db
            let a = try await Fixture.make(name: "A", on: db)
            for n in 1...7 {
                try await PurchaseOrders.insert(a.purchaseOrder(number: "PO-\(n)", lines: 1), on: db)
                try await Task.sleep(for: .milliseconds(3))
            }
            // Three POs share one creation time: only the id orders them, and a cursor must still name one place.
            let sql = db as! any SQLDatabase
            let shared = try #require(try await PurchaseOrderRecord.query(on: db).filter(\.$number == "PO-4").first()?.createdAt)
            try await sql.raw("UPDATE purchase_orders SET created_at = \(bind: shared) WHERE number IN ('PO-3', 'PO-5')").run()

            func page(_ filter: PurchaseOrders.Filter) async throws -> [PurchaseOrders.ListItem] {
                try await PurchaseOrders.list(in: a.organisation.id, filter: filter, on: db).items
            }
            var byOffset: [[String]] = []
            for n in 1...4 { byOffset.append(try await page(.init(page: n, perPage: 2)).map(\.number)) }
            #expect(byOffset.flatMap { $0 }.count == 7)
            #expect(Set(byOffset.flatMap { $0 }).count == 7)

            // Next, Next, Next from the first page: the same pages as by number.
            var forward = [try await page(.init(perPage: 2))]
            while forward.count < 4, let last = forward.last?.last {
                forward.append(try await page(.init(page: forward.count + 1, perPage: 2, after: last.cursor)))
            }
            #expect(forward.map { $0.map(\.number) } == byOffset)
            #expect(try await page(.init(page: 5, perPage: 2, after: forward[3].last!.cursor)).isEmpty)
            // Previous, Previous, Previous from the last page.
            var backward = [forward[3]]
            while backward.count < 4, let first = backward.first?.first {
                backward.insert(try await page(.init(page: 4 - backward.count, perPage: 2, before: first.cursor)), at: 0)
            }
            #expect(backward.map { $0.map(\.number) } == byOffset)
            // A token survives the trip through text; anything else is not a cursor.
            let token = forward[1][0].cursor.token
            #expect(PurchaseOrders.ListCursor(token: token) == forward[1][0].cursor)
            #expect(PurchaseOrders.ListCursor(token: "not-a-cursor") == nil)
            #expect(PurchaseOrders.ListCursor(token: Data("x|\(UUID())".utf8).base64EncodedString()) == nil)
        }
    }
}

@Suite struct ListCountsTests {
    actor Calls {
        var count = 0
        func add() { count += 1 }
    }

    @Test func concurrentViews_shareOneCount_andAWriteMeanwhileIsNotCached() async throws {
        let counts = PurchaseOrders.ListCounts()
        let organisation = Organisation.ID()
        let calls = Calls()
        let compute: @Sendable () async throws -> Int = {
            await calls.add()
            try await Task.sleep(for: .milliseconds(200))
            return 42
        }
        let totals = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<10 { group.addTask { try await counts.total(organisation: organisation, filter: .init(), compute: compute) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(totals == Array(repeating: 42, count: 10))
        #expect(await calls.count == 1)
        #expect(await counts.value(organisation: organisation, filter: .init()) == 42)

        // A write (forget) while a count runs: that count answers its callers but is not kept.
        await counts.forget(organisation: organisation)
        let (gate, open) = AsyncStream.makeStream(of: Void.self)
        let held: @Sendable () async throws -> Int = {
            await calls.add()
            for await _ in gate { break }  // until the test has written
            return 7
        }
        async let counted = counts.total(organisation: organisation, filter: .init(), compute: held)
        try await waitUntil("the second count to start") { await calls.count >= 2 }
        await counts.forget(organisation: organisation)
        open.yield()
        open.finish()
        #expect(try await counted == 7)
        #expect(await counts.value(organisation: organisation, filter: .init()) == nil)
        #expect(await calls.count == 2)
    }
}

@Suite struct PurchaseOrderRequestKeyTests {
    @Test(arguments: TestDatabase.kinds)
    func concurrentCreatesWithOneKey_storeOnePurchaseOrder(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let fixture = try await Fixture.make(on: database.db)
            let db = database.db
            let results = try await withThrowingTaskGroup(of: (PurchaseOrder.ID, Bool).self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        let (po, created) = try await PurchaseOrders.create(fixture.purchaseOrder(number: ""), requestKey: "form-1", on: db)
                        return (po.id, created)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(results.map(\.0)).count == 1)
            #expect(results.filter(\.1).count == 1)
            #expect(try await PurchaseOrders.count(in: fixture.organisation.id, on: db) == 1)
            #expect(try await PurchaseOrderLineRecord.query(on: db).count() == 3)
            // Another organisation may use the same key.
            let other = try await Fixture.make(name: "Other", on: db)
            #expect(try await PurchaseOrders.create(other.purchaseOrder(number: ""), requestKey: "form-1", on: db).created)
        }
    }
}
