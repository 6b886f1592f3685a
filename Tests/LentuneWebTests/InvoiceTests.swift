import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import LentuneTestSupport
@testable import LentuneWeb
import Testing
import Vapor
import VaporTesting

/// Capture by API and by the page (issue 15): a good invoice with its PDF, each kind of bad input refused with a
/// clear message and nothing stored, another organisation's records, and the stages on the page.
@Suite struct InvoiceWebTests {
    static let pdf = "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

    /// The calendar day `years` from today (UTC), as the API takes dates: a date relative to the server's clock, so
    /// a rule about "a year ahead" is tested the same in any year.
    static func day(yearsFromNow years: Int) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let date = calendar.date(byAdding: .year, value: years, to: Date())!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    static func body(_ h: WebHarness, number: String = "INV-100", excluding: String = "100.00", including: String = "115.00",
                     date: String = "2026-11-20", lines: [(String, String)] = [("100.00", "15.00")], supplier: UUID? = nil,
                     po: UUID? = nil, document: (String, String)? = nil) -> String {
        var object: [String: Any] = [
            "supplier_id": (supplier ?? h.orgA.supplier.id.rawValue).uuidString, "number": number, "invoice_date": date, "due_date": "2026-12-20",
            "total_excluding_tax": excluding, "total_including_tax": including, "project_id": h.orgA.project.id.rawValue.uuidString,
            "lines": lines.map { ["description": "Concrete", "cost_code_id": h.orgA.costCode.id.description, "cost_type_id": h.orgA.costType.id.description,
                                  "tax_code_id": h.orgA.gst.id.description, "amount": $0.0, "tax": $0.1] },
        ]
        if let po { object["purchase_order_id"] = po.uuidString }
        if let document { object["document"] = ["filename": document.0, "content_base64": Data(document.1.utf8).base64EncodedString()] }
        return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    func count(_ h: WebHarness) async throws -> Int {
        try await InvoiceRecord.query(on: h.app.db).count()
    }

    /// Issue 25: `Idempotency-Key` on invoice create, as on PO create: a retried create (even several at once)
    /// captures one invoice and answers the others with it.
    @Test(arguments: TestDatabase.kinds)
    func theAPI_createWithTheSameIdempotencyKey_capturesOneInvoice(kind: TestDatabase.Kind) async throws {
        try await WebHarness.with(kind) { h in
            let token = try await h.apiToken("ap_officer@a.example")
            let client = h.client()
            func create(key: String?, number: String = "INV-700") async throws -> TestingHTTPResponse {
                var headers: HTTPHeaders = ["Authorization": "Bearer \(token)", "Accept": "application/json", "Content-Type": "application/json"]
                if let key { headers.add(name: "Idempotency-Key", value: key) }
                return try await client.send(.POST, "/api/v1/invoices", headers: headers, body: ByteBuffer(string: Self.body(h, number: number)))
            }
            let answers = try await withThrowingTaskGroup(of: TestingHTTPResponse.self) { group in
                for _ in 0..<5 { group.addTask { try await create(key: "inv-retry-1") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.filter { $0.status == .created }.count == 1, "\(answers.map(\.status))")
            #expect(answers.filter { $0.status == .ok }.count == 4)
            #expect(Set(answers.compactMap { $0.headers.first(name: .location) }).count == 1)
            #expect(answers.filter { $0.headers.first(name: "Idempotent-Replayed") == "true" }.count == 4)
            #expect(try await count(h) == 1)
            // Another key is another invoice; without a key, a repeat of the number is the duplicate it is.
            #expect(try await create(key: "inv-retry-2", number: "INV-701").status == .created)
            #expect(try await create(key: nil).status == .unprocessableEntity)
            #expect(try await create(key: String(repeating: "k", count: 201), number: "INV-702").status == .badRequest)
            #expect(try await count(h) == 2)
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func theAPI_capturesAnInvoiceWithItsPDF_andRefusesDuplicates(kind: TestDatabase.Kind) async throws {
        try await WebHarness.with(kind) { h in
            let token = try await h.apiToken("ap_officer@a.example")
            let client = h.client()
            let created = try await client.api(.POST, "/api/v1/invoices", token: token, body: Self.body(h, document: ("inv 100.pdf", Self.pdf)))
            #expect(created.status == .created)
            let json = try JSONSerialization.jsonObject(with: Data(created.body.string.utf8)) as! [String: Any]
            #expect(json["status"] as? String == "unchecked" && json["total_including_tax"] as? String == "115.00")
            let id = try #require(json["id"] as? String)
            let pdf = try await client.api(.GET, "/api/v1/invoices/\(id)/document", token: token)
            #expect(pdf.status == .ok && pdf.headers.contentType?.subType == "pdf" && pdf.body.string == Self.pdf)
            #expect(pdf.headers.first(name: .contentDisposition) == "inline; filename=\"inv_100.pdf\"")

            let again = try await client.api(.POST, "/api/v1/invoices", token: token, body: Self.body(h))
            #expect(again.status == .unprocessableEntity)
            #expect(again.body.string.contains("already has an invoice numbered INV-100"))
            #expect(try await count(h) == 1)

            // Another organisation's administrator sees nothing of it.
            let other = try await h.apiToken("administrator@b.example")
            #expect(try await client.api(.GET, "/api/v1/invoices/\(id)", token: other).status == .notFound)
            #expect(try await client.api(.GET, "/api/v1/invoices/\(id)/document", token: other).status == .notFound)
            let list = try await client.api(.GET, "/api/v1/invoices", token: other)
            #expect(list.status == .ok && !list.body.string.contains(id))
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func badInput_isRefusedWithAClearMessage_andNothingIsStored(kind: TestDatabase.Kind) async throws {
        try await WebHarness.with(kind) { h in
            let token = try await h.apiToken("ap_officer@a.example")
            let client = h.client()
            let foreignPO = h.orgB.purchaseOrder(number: "PO-B1")
            try await PurchaseOrders.insert(foreignPO, on: h.app.db)
            let cases: [(String, String, String)] = [
                ("a negative total", Self.body(h, excluding: "-100.00", including: "-85.00", lines: [("-100.00", "15.00")]), "cannot be negative"),
                ("tax greater than the amount", Self.body(h, excluding: "10.00", including: "30.00", lines: [("10.00", "20.00")]), "is greater than the amount"),
                ("lines that do not add up", Self.body(h, lines: [("60.00", "9.00"), ("30.00", "6.00")]), "The lines add up to 90.00"),
                ("an invoice date in 1899", Self.body(h, date: "1899-12-31"), "before 2000"),
                ("an invoice date 20 years ahead", Self.body(h, date: Self.day(yearsFromNow: 20)), "more than a year ahead"),
                ("a file named .pdf that is not a PDF", Self.body(h, document: ("invoice.pdf", "PK\u{3}\u{4}zip bytes")), "is not a PDF"),
                ("another organisation's supplier", Self.body(h, supplier: h.orgB.supplier.id.rawValue), "There is no such supplier"),
                ("another organisation's PO", Self.body(h, po: foreignPO.id.rawValue), "There is no such purchase order"),
            ]
            for (what, body, message) in cases {
                let response = try await client.api(.POST, "/api/v1/invoices", token: token, body: body)
                #expect(response.status == .unprocessableEntity, "\(what)")
                #expect(response.headers.contentType?.subType == "problem+json", "\(what)")
                #expect(response.body.string.contains(message), "\(what): \(response.body.string)")
            }
            // A 50 MB attachment is refused before it is read.
            let big = Data("%PDF-1.4\n".utf8) + Data(repeating: 32, count: 50 * 1024 * 1024) + Data("%%EOF".utf8)
            let huge = try await client.send(
                .POST, "/api/v1/invoices", headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json"],
                body: ByteBuffer(string: #"{"number":"BIG","document":{"filename":"big.pdf","content_base64":""# + big.base64EncodedString() + #""}}"#))
            #expect(huge.status == .payloadTooLarge)
            #expect(try await count(h) == 0)
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func thePage_capturesChecksAndApproves_andAnAuditorCannot(kind: TestDatabase.Kind) async throws {
        try await WebHarness.with(kind) { h in
            let officer = h.client()
            _ = try await officer.signIn("ap_officer@a.example")
            let form = try await officer.get("/invoices/new")
            #expect(form.status == .ok && form.body.string.contains("New invoice"))
            let csrf = try #require(officer.csrf(from: form))
            let approver = try #require(try await Accounts.user(email: "approver@a.example", on: h.app.db))
            let fields = [
                "_csrf": csrf, "supplier": h.orgA.supplier.id.description, "number": "INV-7", "invoice_date": "2026-11-25",
                "total_excluding_tax": "200.00", "total_including_tax": "230.00", "project": h.orgA.project.id.description,
                "approver": approver.id!.uuidString,
                "lines[0][description]": "Formwork", "lines[0][cost_code]": h.orgA.costCode.id.description,
                "lines[0][cost_type]": h.orgA.costType.id.description, "lines[0][tax_code]": h.orgA.gst.id.description,
                "lines[0][amount]": "200.00", "lines[0][tax]": "30.00",
            ]
            var wrong = fields
            wrong["total_excluding_tax"] = "250.00"
            wrong["total_including_tax"] = "280.00"
            let refused = try await officer.post("/invoices", form: wrong)
            #expect(refused.status == .unprocessableEntity && refused.body.string.contains("The lines add up to 200.00"))
            #expect(try await count(h) == 0)

            let saved = try await officer.post("/invoices", form: fields)
            #expect(saved.status == .seeOther)
            let location = try #require(saved.headers.first(name: .location)).split(separator: "?")[0]
            let page = try await officer.get(String(location))
            #expect(page.body.string.contains("Unchecked") && page.body.string.contains("No PDF attached"))
            let checked = try await officer.post(String(location) + "/check", form: ["_csrf": try #require(officer.csrf(from: page))])
            #expect(checked.status == .seeOther)

            let auditor = h.client()
            _ = try await auditor.signIn("auditor@a.example")
            let seen = try await auditor.get(String(location))
            #expect(seen.status == .ok && !seen.body.string.contains("id=\"approve\""))
            let denied = try await auditor.post(String(location) + "/approve", form: ["_csrf": try #require(auditor.csrf(from: seen))])
            #expect(denied.status == .forbidden)

            let boss = h.client()
            _ = try await boss.signIn("approver@a.example")
            let toApprove = try await boss.get(String(location))
            #expect(toApprove.body.string.contains("Awaiting approval"))
            let approved = try await boss.post(String(location) + "/approve", form: ["_csrf": try #require(boss.csrf(from: toApprove))])
            #expect(approved.status == .seeOther)
            let after = try await boss.get(String(location))
            // The project is not linked to Procore: the invoice is approved and never posted there.
            #expect(after.body.string.contains("Approved") && after.body.string.contains("not linked to Procore"))
            let list = try await boss.get("/invoices?status=approved")
            #expect(list.body.string.contains("INV-7"))
            #expect(try await boss.get("/invoices?status=unchecked").body.string.contains("No invoices match."))
        }
    }

    /// Saving allocations from a form that cannot be read says so and saves nothing (it was read as "no allocations"
    /// and saved as such, silently).
    @Test(arguments: TestDatabase.kinds)
    func allocationsThatCannotBeRead_areRefused_notSavedAsNone(kind: TestDatabase.Kind) async throws {
        try await WebHarness.with(kind) { h in
            let officer = h.client()
            _ = try await officer.signIn("ap_officer@a.example")
            let form = try await officer.get("/invoices/new")
            let fields = [
                "_csrf": try #require(officer.csrf(from: form)), "supplier": h.orgA.supplier.id.description, "number": "INV-8",
                "invoice_date": "2026-11-25", "total_excluding_tax": "200.00", "total_including_tax": "230.00",
                "project": h.orgA.project.id.description, "lines[0][description]": "Formwork",
                "lines[0][cost_code]": h.orgA.costCode.id.description, "lines[0][cost_type]": h.orgA.costType.id.description,
                "lines[0][tax_code]": h.orgA.gst.id.description, "lines[0][amount]": "200.00", "lines[0][tax]": "30.00",
            ]
            let saved = try await officer.post("/invoices", form: fields)
            let location = String(try #require(saved.headers.first(name: .location)).split(separator: "?")[0])
            let page = try await officer.get(location)
            // An allocation's amount is a value, not a group of fields.
            let refused = try await officer.post(location + "/allocate", form: ["_csrf": try #require(officer.csrf(from: page)), "allocations[000][amount][x]": "1855.00"])
            #expect(refused.status == .badRequest)
            #expect(refused.body.string.contains("The allocations could not be read. Nothing was saved."))
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func theListPagesForwardAndBack_withTheSameCursors(kind: TestDatabase.Kind) async throws {
        try await WebHarness.with(kind) { h in
            let token = try await h.apiToken("ap_officer@a.example")
            let client = h.client()
            // Five invoices, two on the same day (the id breaks the tie).
            for (index, date) in ["2026-11-01", "2026-11-02", "2026-11-02", "2026-11-03", "2026-11-04"].enumerated() {
                let created = try await client.api(.POST, "/api/v1/invoices", token: token, body: Self.body(h, number: "P-\(index)", date: date))
                #expect(created.status == .created)
            }
            struct Page: Decodable {
                struct Item: Decodable { var number: String }
                var data: [Item]
                var next_cursor: String?
                var previous_cursor: String?
            }
            func page(_ query: String) async throws -> Page {
                let response = try await client.api(.GET, "/api/v1/invoices?per_page=2" + query, token: token)
                #expect(response.status == .ok)
                return try JSONDecoder().decode(Page.self, from: Data(response.body.string.utf8))
            }
            let first = try await page("")
            #expect(first.previous_cursor == nil)
            let second = try await page("&after=" + (first.next_cursor ?? ""))
            let third = try await page("&after=" + (second.next_cursor ?? ""))
            #expect(third.next_cursor == nil)
            let forward = (first.data + second.data + third.data).map(\.number)
            #expect(forward.count == 5 && Set(forward).count == 5 && forward.first == "P-4" && forward.last == "P-0")
            // Back from the last page: the same pages, in the same order.
            let backToSecond = try await page("&before=" + (third.previous_cursor ?? ""))
            #expect(backToSecond.data.map(\.number) == second.data.map(\.number))
            let backToFirst = try await page("&before=" + (backToSecond.previous_cursor ?? ""))
            #expect(backToFirst.data.map(\.number) == first.data.map(\.number))
            #expect(backToFirst.previous_cursor == nil)
            #expect(try await client.api(.GET, "/api/v1/invoices?after=x&before=y", token: token).status == .badRequest)

            // The page (50 a page) continued after the API's first two has Previous and no Next.
            let person = h.client()
            _ = try await person.signIn("ap_officer@a.example")
            let list = try await person.get("/invoices?after=" + (first.next_cursor ?? ""))
            #expect(list.body.string.contains("id=\"previous-page\"") && !list.body.string.contains("id=\"next-page\""))
            #expect(!list.body.string.contains(">P-4<") && list.body.string.contains(">P-0<"))
        }
    }

    /// 55 invoices at 50 a page: "Page 1 of 2", Next to "Page 2 of 2" with the last five, Previous back. A page
    /// number without a cursor (typed into the address) shows the first page as page 1.
    @Test(arguments: TestDatabase.kinds)
    func theListPage_saysWhichPageOfHowMany(kind: TestDatabase.Kind) async throws {
        try await WebHarness.with(kind) { h in
            let token = try await h.apiToken("ap_officer@a.example")
            let client = h.client()
            for index in 0..<55 {
                let day = String(format: "2026-10-%02d", index % 28 + 1)
                #expect(try await client.api(.POST, "/api/v1/invoices", token: token, body: Self.body(h, number: "N-\(index)", date: day)).status == .created)
            }
            let person = h.client()
            _ = try await person.signIn("ap_officer@a.example")
            func link(_ rel: String, in page: String) throws -> String {
                let match = try #require(page.firstMatch(of: try Regex("<a href=\"([^\"]+)\" rel=\"\(rel)\"")))
                return String(try #require(match.output[1].substring)).replacingOccurrences(of: "&amp;", with: "&")
            }
            let first = try await person.get("/invoices").body.string
            #expect(first.contains("Page 1 of 2") && !first.contains("id=\"previous-page\""))
            let second = try await person.get(try link("next", in: first)).body.string
            #expect(second.contains("Page 2 of 2") && !second.contains("id=\"next-page\""))
            #expect(second.components(separatedBy: ">N-").count - 1 == 5)
            let back = try await person.get(try link("prev", in: second)).body.string
            #expect(back.contains("Page 1 of 2") && back.contains("id=\"next-page\""))
            #expect(try await person.get("/invoices?page=7").body.string.contains("Page 1 of 2"))
            #expect(try await person.get("/invoices?page=99999999999999999999999").status == .ok)
        }
    }

    /// Issue 29: the list searches number, supplier name and amount (excluding or including GST, as typed), counts
    /// what matches, and exports exactly what is filtered as CSV (a formula-looking number made harmless); the
    /// approver's **Approvals** inbox lists what waits for them, with its count in the navigation.
    @Test(arguments: TestDatabase.kinds)
    func theListSearchesCountsAndExports_andApprovalsListsWhatWaitsForMe(kind: TestDatabase.Kind) async throws {
        try await WebHarness.with(kind) { h in
            let token = try await h.apiToken("ap_officer@a.example")
            let client = h.client()
            for (number, excluding, including) in [("ALPHA-1", "100.00", "115.00"), ("BETA-2", "1234.50", "1419.68"), ("=HYPERLINK(1)", "80.00", "92.00")] {
                let tax = (Decimal(string: including)! - Decimal(string: excluding)!).description
                let body = Self.body(h, number: number, excluding: excluding, including: including, lines: [(excluding, tax)])
                #expect(try await client.api(.POST, "/api/v1/invoices", token: token, body: body).status == .created)
            }
            let org = h.orgA.organisation.id
            let approver = try #require(try await Accounts.user(email: "approver@a.example", on: h.app.db)).domain
            let officer = try #require(try await Accounts.user(email: "ap_officer@a.example", on: h.app.db)).domain
            // BETA-2 is assigned to the approver and checked: it waits for them.
            var beta = try #require(try await Invoices.recent(in: org, limit: 10, on: h.app.db).first { $0.number == "BETA-2" })
            beta = try #require(try await Invoices.find(beta.id, in: org, on: h.app.db))
            beta.approverID = approver.id
            _ = try await InvoiceCommands.update(beta, document: nil, actor: officer, now: Date(), on: h.app.db)
            _ = try await InvoiceCommands.act(.check, on: beta.id, organisation: org, actor: officer, now: Date(), on: h.app.db)

            let person = h.client()
            _ = try await person.signIn("ap_officer@a.example")
            func listed(_ query: String) async throws -> (numbers: [String], count: String?) {
                let page = try await person.get("/invoices?" + query).body.string
                let numbers = page.matches(of: /<a href="\/invoices\/[0-9a-f-]+">([^<]+)<\/a>/).map { String($0.output.1) }
                let count = page.firstMatch(of: /id="result-count">([^<]+)</).map { String($0.output.1) }
                return (numbers, count)
            }
            #expect(try await listed("q=alpha") == (["ALPHA-1"], "1 invoice"))
            #expect(try await listed("q=1%2C234.50").numbers == ["BETA-2"], "an amount excluding GST, with a thousands separator")
            #expect(try await listed("q=%241419.68").numbers == ["BETA-2"], "an amount including GST, with a dollar sign")
            #expect(try await listed("q=\(h.orgA.supplier.name.prefix(5).lowercased())").count == "3 invoices", "the supplier's name, any case")
            #expect(try await listed("q=%25").numbers.isEmpty, "% is a character, not a wildcard")
            #expect(try await listed("q=nothing-like-it").count == "0 invoices")

            // The supplier's and the project's pages list their invoices (issue 29); another organisation's is a 404.
            let supplierPage = try await person.get("/suppliers/\(h.orgA.supplier.id.rawValue.uuidString)").body.string
            #expect(supplierPage.contains("Invoices (3)") && supplierPage.contains(">ALPHA-1<") && supplierPage.contains("Purchase orders (0)"))
            #expect(try await person.get("/projects/\(h.orgA.project.id.rawValue.uuidString)").body.string.contains("Invoices (3)"))
            #expect(try await person.get("/suppliers/\(h.orgB.supplier.id.rawValue.uuidString)").status == .notFound)
            #expect(try await person.get("/suppliers").body.string.contains("href=\"/suppliers/\(h.orgA.supplier.id.rawValue.lowercasedText)\""))

            let export = try await person.get("/invoices?q=-&format=csv")
            #expect(export.headers.contentType?.subType == "csv")
            let rows = export.body.string.dropFirst().split(separator: "\r\n").map(String.init)
            #expect(rows.first?.hasPrefix("Number,Supplier,Project") == true)
            #expect(rows.count == 1 + 2, "the header, ALPHA-1 and BETA-2 (what the search for \"-\" matches): \(rows)")
            #expect(rows.contains { $0.hasPrefix("BETA-2,") && $0.contains(",1234.50,185.18,1419.68,") })
            let formula = try await person.get("/invoices?q=HYPERLINK&format=csv").body.string
            #expect(formula.contains("\r\n'=HYPERLINK(1),"), "a cell a spreadsheet would run is prefixed: \(formula)")

            // The approver: Approvals lists BETA-2 alone, and the navigation counts it.
            let approving = h.client()
            _ = try await approving.signIn("approver@a.example")
            let inbox = try await approving.get("/approvals").body.string
            #expect(inbox.contains(">BETA-2<") && !inbox.contains(">ALPHA-1<"))
            #expect(inbox.contains("id=\"approvals-count\"") && inbox.contains(">1</span>"))
            // Approve selected approves it, and nothing waits any more.
            let page = try await approving.get("/approvals")
            let done = try await approving.post("/approvals/approve", form: ["_csrf": approving.csrf(from: page) ?? "", "ids[]": beta.id.rawValue.uuidString])
            #expect(done.status == .ok && done.body.string.contains("Approved 1 of 1."), "\(done.status)")
            #expect(try await Invoices.find(beta.id, in: org, on: h.app.db)?.status == .approved)
            let after = try await approving.get("/approvals").body.string
            #expect(after.contains("Nothing waits for your approval.") && !after.contains("id=\"approvals-count\""))
            // What was done is said on the page the action answers, never taken from an address.
            #expect(!(try await approving.get("/approvals?notice=Approved%201%20of%201.").body.string.contains("Approved 1 of 1.")))
            // The invoice's own history (issue 29): captured, changed, checked and approved, oldest first, by whom.
            let history = try await approving.get("/invoices/\(beta.id.rawValue.lowercasedText)").body.string
            let section = try #require(history.range(of: "id=\"history\"").map { String(history[$0.lowerBound...]) })
            let actions = section.matches(of: /<td>(invoice\.[a-z_]+)<\/td>/).map { String($0.output.1) }
            #expect(actions == ["invoice.captured", "invoice.updated", "invoice.check", "invoice.approve"], "\(actions)")
            #expect(section.contains("approver@a.example") && section.contains("ap_officer@a.example"))
            #expect(try await listed("assigned=me").numbers.isEmpty, "nothing is assigned to the AP officer")
            #expect(!(try await person.get("/invoices").body.string.contains("nav-approvals")), "an AP officer does not approve")
        }
    }

    /// The Posting filter reads the ledger in the list's own query: only invoices whose posting is in that state are
    /// listed and counted (one failed, one posted, one never queued; another organisation's failed one is not).
    @Test(arguments: TestDatabase.kinds)
    func thePostingFilter_listsAndCountsOnlyInvoicesInThatState(kind: TestDatabase.Kind) async throws {
        try await WebHarness.with(kind) { h in
            let token = try await h.apiToken("ap_officer@a.example")
            let client = h.client()
            for number in ["F-1", "S-1", "U-1"] {
                #expect(try await client.api(.POST, "/api/v1/invoices", token: token, body: Self.body(h, number: number)).status == .created)
            }
            let org = h.orgA.organisation.id
            let invoices = try await Invoices.recent(in: org, limit: 10, on: h.app.db)
            func id(_ number: String) throws -> UUID { try #require(invoices.first { $0.number == number }).id.rawValue }
            try await SyncLedger.record(.failed("Vendor is inactive"), .invoice, try id("F-1"), organisation: org, now: Date(), on: h.app.db)
            try await SyncLedger.record(.synced(procoreID: 77, url: nil), .invoice, try id("S-1"), organisation: org, now: Date(), on: h.app.db)
            // Another organisation's failed posting (an id no invoice of A has) stays out of A's list.
            try await SyncLedger.record(.failed("Elsewhere"), .invoice, UUID(), organisation: h.orgB.organisation.id, now: Date(), on: h.app.db)

            let failed = try await Invoices.list(in: org, filter: .init(posting: .failed), after: nil, limit: 50, on: h.app.db)
            #expect(failed.items.map(\.number) == ["F-1"])
            #expect(try await Invoices.count(in: org, filter: .init(posting: .failed), on: h.app.db) == 1)
            #expect(try await Invoices.count(in: org, filter: .init(posting: .synced), on: h.app.db) == 1)
            #expect(try await Invoices.count(in: org, filter: .init(posting: .pending), on: h.app.db) == 0)
            #expect(try await Invoices.count(in: org, filter: .init(), on: h.app.db) == 3)

            let person = h.client()
            _ = try await person.signIn("ap_officer@a.example")
            let page = try await person.get("/invoices?posting=synced").body.string
            #expect(page.contains(">S-1<") && !page.contains(">F-1<") && !page.contains(">U-1<"))
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func showPO_putsThePOBesideTheForm_andSavesNothing(kind: TestDatabase.Kind) async throws {
        try await WebHarness.with(kind) { h in
            let po = h.orgA.purchaseOrder(number: "PO-7001")
            try await PurchaseOrders.insert(po, on: h.app.db)
            let officer = h.client()
            _ = try await officer.signIn("ap_officer@a.example")
            let form = try await officer.get("/invoices/new")
            let csrf = try #require(officer.csrf(from: form))
            let shown = try await officer.post("/invoices", form: ["_csrf": csrf, "purchase_order_number": "PO-7001", "number": "INV-S", "show_po": "1"])
            #expect(shown.status == .ok)
            #expect(shown.body.string.contains("id=\"form-po-lines\"") && shown.body.string.contains("Purchase order PO-7001"))
            #expect(shown.body.string.contains("value=\"INV-S\""))  // what was typed stays
            let unknown = try await officer.post("/invoices", form: ["_csrf": csrf, "purchase_order_number": "PO-9999", "show_po": "1"])
            #expect(unknown.body.string.contains("There is no purchase order PO-9999.") && !unknown.body.string.contains("form-po-lines"))
            #expect(try await count(h) == 0)
        }
    }
}
