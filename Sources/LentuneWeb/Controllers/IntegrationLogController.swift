import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import Vapor

/// Administration › Integration log: the organisation's sync jobs (newest first) with filters by company, job kind,
/// outcome and time, Procore's message for each failure, **Retry** per job and **Retry all failed**, **Sweep now**,
/// and the webhook events received.
enum IntegrationLogController {
    struct Query: Content {
        var company: String?
        var kind: String?
        var state: String?
        var since: String?
        /// "csv": every job the filters match (up to `CSVExport.maximumRows`), as a file.
        var format: String?
        /// The column the jobs are ordered by (`Outbox.Sort`) and "asc" or "desc" (each column has its own default).
        var sort: String?
        var dir: String?

        /// The list's order from the address: a known column (else when queued) and its direction (else the
        /// column's own).
        var order: (sort: Outbox.Sort, ascending: Bool) {
            let column = sort.flatMap(Outbox.Sort.init(rawValue:)) ?? .queued
            switch dir {
            case "asc": return (column, true)
            case "desc": return (column, false)
            default: return (column, column.startsAscending)
            }
        }

        /// The filters and the order as a query string (the ones set).
        var encoded: String {
            [("company", company), ("kind", kind), ("state", state), ("since", since), ("sort", sort), ("dir", dir)]
                .compactMap { name, value in
                    value.flatMap { $0.isEmpty ? nil : "\(name)=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
                }
                .joined(separator: "&")
        }
    }

    @Sendable static func show(req: Request) async throws -> Response {
        try await page(req, status: .ok)
    }

    static func page(_ req: Request, status: HTTPResponseStatus, notice: String? = nil) async throws -> Response {
        let viewer = try req.requireViewer()
        let query = (try? req.query.decode(Query.self)) ?? Query()
        var errors: [String] = []
        func parse<T>(_ value: String?, _ what: String, _ make: (String) -> T?) -> T? {
            guard let value, !value.isEmpty else { return nil }
            guard let parsed = make(value) else {
                errors.append("“\(value.prefix(40))” is not \(what), so that filter was left out.")
                return nil
            }
            return parsed
        }
        let rows = try await ProcoreSettings.rows(for: viewer.organisationID, on: req.db).map(\.link)
        let filter = Outbox.Filter(
            companyLink: parse(query.company, "a company of this list") { text in rows.first { $0.id.description == text }?.id },
            kind: parse(query.kind, "a job kind", SyncJob.Kind.init(rawValue:)),
            state: parse(query.state, "an outcome", SyncJob.State.init(rawValue:)),
            since: parse(query.since, "a date (YYYY-MM-DD)") { InputRules.date($0) }, limit: 200,
            sort: query.order.sort, ascending: query.order.ascending)
        if query.format == "csv", errors.isEmpty { return try await csv(viewer, filter: filter, rows: rows, on: req.db) }
        let jobs = try await Outbox.jobs(in: viewer.organisationID, filter: filter, on: req.db)
        let counts = try await Outbox.counts(in: viewer.organisationID, filter: filter, on: req.db)
        let events = try await WebhookEvents.recent(in: viewer.organisationID, limit: 50, on: req.db)
        let model = IntegrationLogView.Model(
            viewer: viewer, rows: rows, jobs: jobs, counts: counts,
            subjects: try await subjects(of: jobs, in: viewer.organisationID, on: req.db), events: events, query: query,
            notice: notice ?? (errors.isEmpty ? nil : errors.joined(separator: " ")))
        return IntegrationLogView.page(model).response(status: errors.isEmpty ? status : .badRequest)
    }

    /// The filtered log as CSV, in the page's order: every job it matches, up to `CSVExport.maximumRows`, with its record
    /// and Procore's, as the table shows them.
    static func csv(_ viewer: Viewer, filter: Outbox.Filter, rows: [ProcoreCompanyLink], on db: any Database) async throws -> Response {
        var filter = filter
        filter.limit = CSVExport.maximumRows + 1
        let jobs = try await Outbox.jobs(in: viewer.organisationID, filter: filter, on: db)
        let subjects = try await subjects(of: jobs, in: viewer.organisationID, on: db)
        let names = Dictionary(uniqueKeysWithValues: rows.map { ($0.id, $0.name) })
        let stamp = IntegrationLogView.stamp
        var table: [[String]] = [["Queued (UTC)", "Company", "Job", "Record", "Procore record", "Procore link", "Outcome", "Attempts", "Finished (UTC)", "Next attempt (UTC)", "Message"]]
        for job in jobs {
            let subject = subjects[job.id]
            table.append([
                stamp(job.createdAt), job.companyLinkID.flatMap { names[$0] } ?? "", job.kind.title, subject?.name ?? "",
                subject?.procore ?? "", subject?.procoreLink ?? "", job.state.rawValue, String(job.attempts),
                job.finishedAt.map(stamp) ?? "", job.state == .pending ? stamp(job.nextAttemptAt) : "", job.lastError ?? "",
            ])
        }
        return CSVExport.response(table, filename: "integration-log.csv")
    }

    /// What each job is about, named and linked: the PO or invoice (its number, its page) and, once it is in
    /// Procore, Procore's record (from the ledger).
    static func subjects(of jobs: [SyncJob], in organisation: Organisation.ID, on db: any Database) async throws -> [SyncJob.ID: IntegrationLogView.Subject] {
        var pos: [PurchaseOrder.ID] = []
        var invoices: [Invoice.ID] = []
        for job in jobs {
            switch job.subject {
            case .purchaseOrder(let id): pos.append(id)
            case .invoice(let id): invoices.append(id)
            case .commitment, nil: break
            }
        }
        let poNumbers = try await PurchaseOrders.numbers(of: pos, in: organisation, on: db)
        let invoiceNumbers = try await Invoices.numbers(of: invoices, in: organisation, on: db)
        let poLedger = try await SyncLedger.records(of: pos.map(\.rawValue), kind: .purchaseOrder, in: organisation, on: db)
        let invoiceLedger = try await SyncLedger.records(of: invoices.map(\.rawValue), kind: .invoice, in: organisation, on: db)
        var result: [SyncJob.ID: IntegrationLogView.Subject] = [:]
        for job in jobs {
            switch job.subject {
            case .purchaseOrder(let id):
                let record = poLedger[id.rawValue]
                result[job.id] = .init(
                    name: poNumbers[id].map { "PO \($0)" } ?? "A deleted PO", link: poNumbers[id] == nil ? nil : SiteURL.purchaseOrder(id.rawValue).path,
                    procore: record?.procoreID.map { "Commitment #\($0)" }, procoreLink: record?.procoreURL)
            case .invoice(let id):
                let record = invoiceLedger[id.rawValue]
                result[job.id] = .init(
                    name: invoiceNumbers[id].map { "Invoice \($0)" } ?? "A deleted invoice", link: invoiceNumbers[id] == nil ? nil : SiteURL.invoice(id.rawValue).path,
                    procore: record?.procoreID.map { "#\($0)" }, procoreLink: record?.procoreURL)
            case .commitment(let id):
                result[job.id] = .init(name: "Procore commitment #\(id)", link: nil, procore: nil, procoreLink: nil)
            case nil:
                break
            }
        }
        return result
    }

    @Sendable static func retry(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let id = SyncJob.ID(try req.idParameter())
        let retried = try await Outbox.retry(id, in: viewer.organisationID, now: req.application.lentune.now(), on: req.db)
        return try await page(req, status: retried ? .ok : .conflict,
                              notice: retried ? "The job will run again in a moment." : "That job is not failed, held or cancelled (or another like it is already waiting).")
    }

    struct Selection: Content {
        var ids: [String]?
    }

    /// **Retry selected**: the ticked jobs that are failed, held or cancelled run again (up to 200 at once).
    @Sendable static func retrySelected(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let ids = ((try? req.content.decode(Selection.self))?.ids ?? []).prefix(200).compactMap(UUID.init(uuidString:)).map(SyncJob.ID.init)
        guard !ids.isEmpty else { return try await page(req, status: .unprocessableEntity, notice: "Select the jobs to retry first.") }
        let count = try await Outbox.retry(ids, in: viewer.organisationID, now: req.application.lentune.now(), on: req.db)
        let left = ids.count - count
        return try await page(req, status: .ok, notice: "\(count) of \(ids.count) selected job\(ids.count == 1 ? "" : "s") will run again."
            + (left == 0 ? "" : " \(left) \(left == 1 ? "was" : "were") not failed, held or cancelled, or another like it already waits."))
    }

    @Sendable static func retryAll(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let count = try await Outbox.retryAllFailed(in: viewer.organisationID, now: req.application.lentune.now(), on: req.db)
        return try await page(req, status: .ok, notice: count == 0 ? "No failed jobs to retry." : "\(count) failed job\(count == 1 ? "" : "s") will run again.")
    }

    /// **Sweep now**: a sweep of every linked company of this organisation.
    @Sendable static func sweep(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let now = req.application.lentune.now()
        var count = 0
        for row in try await ProcoreSettings.rows(for: viewer.organisationID, on: req.db).map(\.link) where row.isLinked {
            if try await Outbox.enqueue(SyncJob(
                organisationID: viewer.organisationID, companyLinkID: row.id, kind: .sweep, dedupeKey: "sweep:\(row.id)",
                nextAttemptAt: now, createdAt: now), on: req.db) { count += 1 }
        }
        return try await page(req, status: .ok, notice: count == 0 ? "No sweep queued (no linked company, or sweeps already wait)." : "A sweep of \(count) compan\(count == 1 ? "y" : "ies") is queued.")
    }
}

enum IntegrationLogView {
    struct Model {
        var viewer: Viewer
        var rows: [ProcoreCompanyLink]
        var jobs: [SyncJob]
        /// Every job the filters match, by outcome (the table shows the newest 200).
        var counts: [SyncJob.State: Int]
        var subjects: [SyncJob.ID: Subject]
        var events: [WebhookEvents.Event]
        var query: IntegrationLogController.Query
        var notice: String?
    }

    /// A job's record in Lentune and, once there, in Procore.
    struct Subject: Hashable {
        var name: String
        var link: String?
        var procore: String?
        var procoreLink: String?
    }

    static func page(_ model: Model) -> HTML {
        let names = Dictionary(uniqueKeysWithValues: model.rows.map { ($0.id, $0.name) })
        return Layout.page(title: "Integration log", viewer: model.viewer, section: model.viewer.user.role.mayAdminister ? .administration : nil) {
            if let notice = model.notice { el("p", .class("notice"), .role("status")) { notice } }
            el("form", .method("get"), .action(SiteURL.integrationLog.path), .class("filters"), .id("log-filters")) {
                select("company", "Company", [("", "All companies")] + model.rows.map { ($0.id.description, $0.name) }, model.query.company)
                select("kind", "Job", [("", "All jobs")] + SyncJob.Kind.allCases.map { ($0.rawValue, $0.title) }, model.query.kind)
                select("state", "Outcome", [("", "All outcomes")] + outcomes.map { ($0.rawValue, title($0)) }, model.query.state)
                el("label", .for("since")) { "Since" }
                el("input", .type("date"), .id("since"), .name("since"), .value(model.query.since ?? ""))
                // Filtering keeps the order.
                for (name, value) in [("sort", model.query.sort), ("dir", model.query.dir)] {
                    if let value, !value.isEmpty { el("input", .type("hidden"), .name(name), .value(value)) }
                }
                el("button", .type("submit"), .class("secondary")) { "Filter" }
            }
            // Everyone may read the log (issue 29: the AP officer could not see why an invoice had not posted);
            // its actions are the administrator's. An invoice's own Retry is on its page.
            if model.viewer.user.role.mayAdminister {
                el("div", .class("actions")) {
                    postButton(SiteURL.integrationLogRetryAll.path, "Retry all failed", id: "retry-all", csrf: model.viewer.csrfToken)
                    postButton(SiteURL.integrationLogSweep.path, "Sweep now", id: "sweep-now", csrf: model.viewer.csrfToken)
                    ReconcileView.form(rows: model.rows.filter(\.isLinked), csrf: model.viewer.csrfToken)
                }
            }
            el("h2") { "Jobs" }
            summary(model)
            el("p", .class("list-meta")) {
                el("a", .href(SiteURL.integrationLog.path + "?" + ([model.query.encoded, "format=csv"].filter { !$0.isEmpty }.joined(separator: "&"))), .id("export-csv")) {
                    "Export CSV"
                }
            }
            if model.jobs.isEmpty {
                Layout.emptyState("No jobs match. Jobs appear when a company is linked, a PO is approved or Procore sends a change.")
            } else if model.viewer.user.role.mayAdminister {
                // Retry selected and each row's Retry share one form (a form may not hold another): the row's button
                // posts to its own job's address.
                el("form", .method("post"), .action(SiteURL.integrationLogRetrySelected.path), .id("retry-selected-form")) {
                    Layout.csrfField(model.viewer.csrfToken)
                    el("fieldset", .class("stages")) {
                        el("legend", .class("visually-hidden")) { "Jobs to retry" }
                        jobsTable(model, names: names)
                    }
                    el("button", .type("submit"), .class("secondary"), .id("retry-selected")) { "Retry selected" }
                }
            } else {
                jobsTable(model, names: names)
            }
            el("h2") { "Webhook events" }
            if model.events.isEmpty {
                Layout.emptyState("No webhook events yet.")
            } else {
                Layout.table(
                    id: "webhook-events", headers: ["Received (UTC)", "Resource", "Event", "Procore id", "Outcome"],
                    rows: model.events.map { event in
                        [.text(stamp(event.receivedAt)), .text(event.resourceName), .text(event.eventType), .text(String(event.resourceID)),
                         .text(event.outcome == .ownWrite ? "skipped: Lentune's own change" : event.outcome.rawValue)]
                    })
            }
        }
    }

    /// The jobs, each with its record and Procore's; for administrators a box to select it and **Retry** where it
    /// can run again (inside the page's Retry selected form).
    static func jobsTable(_ model: Model, names: [ProcoreCompanyLink.ID: String]) -> HTML {
        let admin = model.viewer.user.role.mayAdminister
        let (current, ascending) = model.query.order
        func heading(_ label: String, _ sort: Outbox.Sort? = nil) -> Layout.Heading {
            guard let sort else { return Layout.Heading(label: label) }
            var next = model.query
            next.sort = sort.rawValue
            next.dir = current == sort ? (ascending ? "desc" : "asc") : nil
            return Layout.Heading(label: label, link: SiteURL.integrationLog.path + "?" + next.encoded, ascending: current == sort ? ascending : nil)
        }
        return Layout.table(
            id: "jobs",
            headings: (admin ? [heading("Select")] : []) + [
                heading("Queued (UTC)", .queued), heading("Company", .company), heading("Job", .kind), heading("Record"),
                heading("Outcome", .outcome), heading("Attempts", .attempts), heading("Next attempt / finished", .finished),
                heading("Message"), heading(""),
            ],
            rows: model.jobs.map { job in
                (admin
                    ? [retriable(job)
                        ? el("input", .type("checkbox"), .name("ids[]"), .value(job.id.rawValue.uuidString), .class("select"),
                             .aria("label", "Select \(job.kind.title) queued \(stamp(job.createdAt))"))
                        : .fragment([])]
                    : [])
                + [
                    .text(stamp(job.createdAt)), .text(job.companyLinkID.flatMap { names[$0] } ?? "—"), .text(job.kind.title),
                    subject(model.subjects[job.id]),
                    el("span", .class("state-\(job.state.rawValue)"), .data("state", job.state.rawValue)) { title(job.state) },
                    .text(String(job.attempts)),
                    .text(job.finishedAt.map(stamp) ?? (job.state == .pending ? stamp(job.nextAttemptAt) : "")),
                    .text(job.lastError ?? ""),
                    retriable(job) && admin
                        ? el("button", .type("submit"), .class("secondary"), .init("formaction", SiteURL.integrationLogRetry(job.id.rawValue).path)) { "Retry" }
                        : .fragment([]),
                ]
            })
    }

    static func retriable(_ job: SyncJob) -> Bool { [.failed, .cancelled, .held].contains(job.state) }

    /// The outcomes in the order a person reads them (filter and summary).
    static let outcomes: [SyncJob.State] = [.pending, .running, .done, .held, .failed, .cancelled]

    static func title(_ state: SyncJob.State) -> String {
        switch state {
        case .pending: "Waiting"
        case .running: "Running"
        case .done: "✓ Done"
        case .held: "⏸ Held"
        case .failed: "✗ Failed"
        case .cancelled: "– Cancelled"
        }
    }

    /// "Waiting 2 · Running 0 · Done 120 · Held 3 · Failed 1 · Cancelled 4", each a link to the jobs with that
    /// outcome (under the other filters).
    static func summary(_ model: Model) -> HTML {
        var items: [HTML] = []
        for state in outcomes {
            var query = model.query
            query.state = state.rawValue
            let count = model.counts[state] ?? 0
            items.append(el("li", .data("outcome", state.rawValue)) {
                el("a", .href(SiteURL.integrationLog.path + "?" + query.encoded), .class("state-\(state.rawValue)")) {
                    "\(title(state)) \(count)"
                }
            })
        }
        return el("ul", .id("job-counts"), .class("counts")) { HTML.fragment(items) }
    }

    static func subject(_ subject: Subject?) -> HTML {
        guard let subject else { return .text("—") }
        let own: HTML = subject.link.map { link in el("a", .href(link)) { subject.name } } ?? .text(subject.name)
        guard let procore = subject.procore else { return own }
        let theirs: HTML = subject.procoreLink.map { link in
            el("a", .href(link), .init("target", "_blank"), .init("rel", "noopener")) { "Procore \(procore)" }
        } ?? .text("Procore \(procore)")
        return .fragment([own, .text(" · "), theirs])
    }

    /// "2026-12-01 11:14:43" (UTC, as the column says).
    static func stamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(dateTimeSeparator: .space, timeZone: .gmt).year().month().day().time(includingFractionalSeconds: false))
    }

    static func select(_ name: String, _ label: String, _ options: [(String, String)], _ chosen: String?) -> HTML {
        .fragment([
            el("label", .for(name)) { label },
            el("select", .id(name), .name(name)) {
                for (value, text) in options { el("option", .value(value), .selected(value == (chosen ?? ""))) { text } }
            },
        ])
    }

    static func postButton(_ action: String, _ label: String, id: String?, csrf: String) -> HTML {
        el("form", .method("post"), .action(action), .class("inline")) {
            Layout.csrfField(csrf)
            el("button", attributes: [.type("submit"), .class("secondary"), id.map { .id($0) } ?? .none]) { label }
        }
    }
}
