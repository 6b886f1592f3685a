import FluentKit
import FluentSQL
import Foundation
import LentuneCore
import LentuneTestSupport
import Testing

@testable import LentunePersistence

/// Sorting the lists by a column (issue 29). The judge is not the query's own model: every page is walked (forward
/// and, for invoices, back again with the cursors), and the rows must be each row exactly once, in the column's
/// order in the direction asked, however many rows share a value.
@Suite struct ListSortTests {
    @Test(arguments: TestDatabase.kinds)
    func invoices_everySortAndDirection_walksEachRowOnceInOrder_forwardAndBack(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let db = database.db
            let a = try await Fixture.make(name: "A", on: db)
            let org = a.organisation.id
            let bravo = Supplier(organisationID: org, name: "Bravo Ltd")
            let charlie = Supplier(organisationID: org, name: "Charlie Ltd")
            try await ReferenceData.insert(bravo, on: db)
            try await ReferenceData.insert(charlie, on: db)
            let suppliers = [a.supplier, bravo, charlie]
            let statuses: [Invoice.Status] = [.unchecked, .awaitingApproval, .approved, .held, .posted]
            var invoices: [Invoice] = []
            for n in 0..<11 {
                // Shared values on purpose: three suppliers, five stages, four dates and four amounts over 11 rows.
                let amount = Decimal(10 * (n % 4 + 1))
                var invoice = Invoice(
                    organisationID: org, supplierID: suppliers[n % 3].id, number: String(format: "INV-%03d", (n * 7) % 11),
                    invoiceDate: Date(timeIntervalSince1970: 1_800_000_000 + Double(n % 4) * 86_400), projectID: a.project.id,
                    lines: [.init(description: "Work", amount: amount, tax: amount * Decimal(string: "0.15")!)],
                    statedTotalExcludingTax: amount, statedTax: amount * Decimal(string: "0.15")!)
                invoice.status = statuses[n % 5]
                try await Invoices.insert(invoice, on: db)
                invoices.append(invoice)
            }
            let names = Dictionary(uniqueKeysWithValues: suppliers.map { ($0.id, $0.name) })
            let stageOrder = Dictionary(uniqueKeysWithValues: statuses.enumerated().map { ($1, $0) })
            func value(_ invoice: Invoice, _ sort: Invoices.Sort) -> String {
                switch sort {
                case .date: String(format: "%012.0f", invoice.invoiceDate.timeIntervalSince1970)
                case .number: invoice.number
                case .supplier: names[invoice.supplierID] ?? ""
                case .stage: String(stageOrder[invoice.status]!)
                case .total: String(format: "%012d", NSDecimalNumber(decimal: invoice.statedTotalIncludingTax * 100).intValue)
                }
            }
            for sort in Invoices.Sort.allCases {
                for ascending in [true, false] {
                    let filter = Invoices.Filter(sort: sort, ascending: ascending)
                    var pages: [[Invoice]] = []
                    var page = try await Invoices.list(in: org, filter: filter, after: nil, limit: 3, on: db)
                    pages.append(page.items)
                    while let next = page.next, pages.count < 10 {
                        page = try await Invoices.list(in: org, filter: filter, after: next, limit: 3, on: db)
                        pages.append(page.items)
                    }
                    let walked = pages.flatMap { $0 }
                    #expect(walked.count == 11 && Set(walked.map(\.id)).count == 11, "\(sort) \(ascending): \(walked.map(\.number))")
                    let values = walked.map { value($0, sort) }
                    #expect(values == (ascending ? values.sorted() : values.sorted(by: >)), "\(sort) ascending \(ascending): \(values)")
                    // Back from the last page with the list's own Previous cursors: the same pages.
                    var back = [page.items]
                    while let previous = page.previous, back.count < 10 {
                        page = try await Invoices.list(in: org, filter: filter, after: nil, before: previous, limit: 3, on: db)
                        back.insert(page.items, at: 0)
                    }
                    #expect(back.map { $0.map(\.id) } == pages.map { $0.map(\.id) }, "\(sort) \(ascending) back")
                }
            }
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func purchaseOrders_everySortAndDirection_pagesEachRowOnceInOrder(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let db = database.db
            let a = try await Fixture.make(name: "A", on: db)
            let org = a.organisation.id
            let bravo = Supplier(organisationID: org, name: "Bravo Ltd")
            try await ReferenceData.insert(bravo, on: db)
            let statuses: [PurchaseOrder.Status] = [.draft, .awaitingApproval, .approved, .closed]
            var expected: [PurchaseOrder.ID: (number: String, supplier: String, total: Decimal, status: Int)] = [:]
            for n in 0..<9 {
                var po = a.purchaseOrder(number: String(format: "PO-%03d", (n * 4) % 9), lines: n % 3 + 1)
                if n % 2 == 1 { po.supplierID = bravo.id }
                po.status = statuses[n % 4]
                try await PurchaseOrders.insert(po, on: db)
                expected[po.id] = (po.number, n % 2 == 1 ? bravo.name : a.supplier.name, po.totals.includingTax, n % 4)
            }
            for sort in PurchaseOrders.Sort.allCases where sort != .created {
                for ascending in [true, false] {
                    var walked: [PurchaseOrders.ListItem] = []
                    for page in 1...4 {
                        var filter = PurchaseOrders.Filter(page: page, perPage: 3)
                        (filter.sort, filter.ascending) = (sort, ascending)
                        let (items, total) = try await PurchaseOrders.list(in: org, filter: filter, on: db)
                        #expect(total == 9)
                        walked += items
                    }
                    #expect(walked.count == 9 && Set(walked.map(\.id)).count == 9, "\(sort) \(ascending)")
                    let keys: [String] = walked.map { item in
                        let row = expected[item.id]!
                        return switch sort {
                        case .number: row.number
                        case .supplier: row.supplier
                        case .project: a.project.code
                        case .total: String(format: "%012d", NSDecimalNumber(decimal: row.total * 100).intValue)
                        case .status: String(row.status)
                        case .created: ""
                        }
                    }
                    #expect(keys == (ascending ? keys.sorted() : keys.sorted(by: >)), "\(sort) ascending \(ascending): \(keys)")
                }
            }
        }
    }
}

extension ListSortTests {
    /// The Integration log ordered by each of its columns (issue 29), both ways, on both databases: the judge is the
    /// jobs' own values sorted here (outcomes in reading order, kinds by the name shown, company by its name), with
    /// ties in any order but never out of order; every job appears once.
    @Test(arguments: TestDatabase.kinds)
    func integrationLog_everySortAndDirection_isInTheColumnsOrder(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let db = database.db
            let fixture = try await Fixture.make(on: db)
            let org = fixture.organisation.id
            let box = try SecretBox(base64Key: SecretBox.generateKey())
            let connection = ProcoreConnectionRecord(
                organisationID: org, environment: .production, clientID: "cid", sealedClientSecret: try box.seal("s"), grantType: .clientCredentials,
                redirectURI: nil, sealedWebhookSecret: try box.seal("h"))
            try await connection.create(on: db)
            let zulu = ProcoreCompanyLink(organisationID: org, connectionID: .init(connection.id!), procoreCompanyID: 1, name: "Zulu Homes")
            let alpha = ProcoreCompanyLink(organisationID: org, connectionID: .init(connection.id!), procoreCompanyID: 2, name: "Alpha Build")
            try await ProcoreSettings.insert(zulu, on: db)
            try await ProcoreSettings.insert(alpha, on: db)
            let kinds: [SyncJob.Kind] = [.pushPurchaseOrder, .sweep, .postInvoice, .syncReferenceData]
            let states: [SyncJob.State] = [.failed, .done, .pending, .held, .cancelled, .running]
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            var jobs: [SyncJob] = []
            for n in 0..<13 {
                let job = SyncJob(
                    organisationID: org, companyLinkID: n % 3 == 2 ? nil : (n % 2 == 0 ? zulu.id : alpha.id), kind: kinds[n % 4],
                    nextAttemptAt: start.addingTimeInterval(Double(100 + n % 5)), createdAt: start.addingTimeInterval(Double(n % 6)))
                try await Outbox.enqueue(job, on: db)
                let state = states[n % 6]
                let finished: Date? = [.done, .failed, .held, .cancelled].contains(state) ? start.addingTimeInterval(Double(50 + n % 4)) : nil
                try await (db as! any SQLDatabase).raw("""
                    UPDATE outbox_jobs SET state = \(bind: state.rawValue), attempts = \(bind: n % 3), finished_at = \(bind: finished)
                    WHERE id = \(bind: job.id.rawValue)
                    """).run()
                jobs.append(try #require(try await Outbox.jobs(in: org, filter: .init(limit: 100), on: db).first { $0.id == job.id }))
            }
            let companies = [zulu.id: "Zulu Homes", alpha.id: "Alpha Build"]
            let outcomeRank: [SyncJob.State: Int] = [.pending: 0, .running: 1, .done: 2, .held: 3, .failed: 4, .cancelled: 5]
            func value(_ job: SyncJob, _ sort: Outbox.Sort) -> String {
                switch sort {
                case .queued: String(format: "%012.3f", job.createdAt.timeIntervalSince1970)
                case .company: (job.companyLinkID.flatMap { companies[$0] } ?? "").lowercased()
                case .kind: job.kind.title
                case .outcome: String(outcomeRank[job.state]!)
                case .attempts: String(job.attempts)
                case .finished: String(format: "%012.3f", (job.finishedAt ?? job.nextAttemptAt).timeIntervalSince1970)
                }
            }
            for sort in Outbox.Sort.allCases {
                for ascending in [true, false] {
                    let listed = try await Outbox.jobs(in: org, filter: .init(limit: 100, sort: sort, ascending: ascending), on: db)
                    #expect(Set(listed.map(\.id)) == Set(jobs.map(\.id)) && listed.count == jobs.count, "\(sort) \(ascending)")
                    let values = listed.map { value($0, sort) }
                    #expect(values == (ascending ? values.sorted() : values.sorted(by: >)), "\(sort) ascending \(ascending): \(values)")
                }
            }
            // The default is newest first.
            #expect(Outbox.Filter().sort == .queued && !Outbox.Filter().ascending)
        }
    }
}
