import Foundation
import LentuneCore
import LentunePersistence
import LentuneTestSupport
import FluentSQL
@testable import LentuneWeb
import Testing

/// Issue 29: the Suppliers and Projects lists (every row on one page) and the Integration log sort by the column
/// whose heading is clicked, and back; the heading says which order is shown (`aria-sort`).
@Suite struct ShortListSortTests {
    /// The texts of the first link of each row of the table `id`, in page order.
    static func firstLinks(_ html: String, table id: String) -> [String] {
        guard let start = html.range(of: "<table id=\"\(id)\""), let end = html.range(of: "</table>", range: start.upperBound..<html.endIndex)
        else { return [] }
        let body = html[start.upperBound..<end.lowerBound]
        return body.components(separatedBy: "<tr>").dropFirst(2).compactMap { row in
            guard let open = row.range(of: "<a href="), let close = row.range(of: ">", range: open.upperBound..<row.endIndex),
                  let stop = row.range(of: "</a>", range: close.upperBound..<row.endIndex)
            else { return nil }
            return String(row[close.upperBound..<stop.lowerBound])
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func suppliersAndProjects_sortByTheHeadingClicked_asPeopleReadThem(kind: TestDatabase.Kind) async throws {
        try await WebHarness.with(kind) { h in
            let org = h.orgA.organisation.id
            for name in ["bravo Plumbing", "Site 10 Scaffolding", "Site 9 Scaffolding", "Alpha Electrical"] {
                try await ReferenceData.insert(Supplier(organisationID: org, name: name), on: h.app.db)
            }
            for (code, name) in [("P-20", "Zinc Lane"), ("P-3", "Albany Mews")] {
                try await ReferenceData.insert(Project(organisationID: org, code: code, name: name), on: h.app.db)
            }
            let admin = h.client()
            try await admin.signIn("administrator@a.example")

            let byName = try await admin.get("/suppliers").body.string
            let names = ["Alpha Electrical", "bravo Plumbing", "Placemakers Ltd", "Site 9 Scaffolding", "Site 10 Scaffolding"]
            #expect(Self.firstLinks(byName, table: "suppliers") == names, "names from A, any case, numbers as numbers")
            #expect(byName.contains(#"aria-sort="ascending""#) && byName.contains("5 suppliers"))
            #expect(Self.firstLinks(try await admin.get("/suppliers?sort=name&dir=desc").body.string, table: "suppliers") == names.reversed())

            let codes = Self.firstLinks(try await admin.get("/projects?sort=code").body.string, table: "projects")
            #expect(codes == ["P-3", "P-20", "P-100"])
            let byProjectName = try await admin.get("/projects?sort=name&dir=desc").body.string
            #expect(Self.firstLinks(byProjectName, table: "projects") == ["P-20", "P-100", "P-3"], "Zinc, Wharf, Albany: from Z")
            #expect(byProjectName.contains(#"aria-sort="descending""#))
            // An unknown column is the list's first; the other organisation's rows never appear.
            #expect(Self.firstLinks(try await admin.get("/projects?sort=nonsense").body.string, table: "projects") == ["P-3", "P-20", "P-100"])
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func theUsersList_sortsByEmailAndBack(kind: TestDatabase.Kind) async throws {
        try await WebHarness.with(kind) { h in
            let admin = h.client()
            try await admin.signIn("administrator@a.example")
            func emails(_ path: String) async throws -> [String] {
                let page = try await admin.get(path).body.string
                let table = try #require(page.range(of: #"<table id="users""#))
                let emails = ["administrator@a.example", "ap_officer@a.example", "approver@a.example", "auditor@a.example"]
                return emails.compactMap { email in page.range(of: "<td>\(email)</td>", range: table.upperBound..<page.endIndex).map { ($0.lowerBound, email) } }
                    .sorted { $0.0 < $1.0 }.map(\.1)
            }
            #expect(try await emails("/administration/users") == ["administrator@a.example", "ap_officer@a.example", "approver@a.example", "auditor@a.example"])
            #expect(try await emails("/administration/users?sort=email&dir=desc") == ["auditor@a.example", "approver@a.example", "ap_officer@a.example", "administrator@a.example"])
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func theIntegrationLog_sortsByOutcome_andFilteringKeepsTheOrder(kind: TestDatabase.Kind) async throws {
        try await WebHarness.with(kind) { h in
            let org = h.orgA.organisation.id
            let now = Date()
            // Queued in an order that is neither the outcomes' nor its reverse: done, pending, failed (newest last).
            for (n, state) in [SyncJob.State.done, .pending, .failed].enumerated() {
                let job = SyncJob(organisationID: org, kind: .sweep, nextAttemptAt: now, createdAt: now.addingTimeInterval(Double(n)))
                try await Outbox.enqueue(job, on: h.app.db)
                try await (h.app.db as! any SQLDatabase).raw("UPDATE outbox_jobs SET state = \(bind: state.rawValue) WHERE id = \(bind: job.id.rawValue)").run()
            }
            let admin = h.client()
            try await admin.signIn("administrator@a.example")
            let page = try await admin.get("/administration/integration-log?sort=outcome").body.string
            let positions = [SyncJob.State.pending, .done, .failed].map { state in
                page.range(of: #"data-state="\#(state.rawValue)""#)?.lowerBound
            }
            #expect(positions.allSatisfy { $0 != nil } && positions == positions.sorted { $0! < $1! }, "waiting, done, failed")
            #expect(page.contains(#"name="sort" value="outcome""#), "the filter form keeps the order")
            #expect(page.contains(#"aria-sort="ascending""#))
            let reversed = try await admin.get("/administration/integration-log?sort=outcome&dir=desc").body.string
            let backwards = [SyncJob.State.failed, .done, .pending].map { state in reversed.range(of: #"data-state="\#(state.rawValue)""#)?.lowerBound }
            #expect(backwards.allSatisfy { $0 != nil } && backwards == backwards.sorted { $0! < $1! }, "failed, done, waiting")
        }
    }
}
