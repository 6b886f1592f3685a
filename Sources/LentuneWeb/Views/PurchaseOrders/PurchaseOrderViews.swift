import Foundation
import LentuneCore
import LentunePersistence

enum PurchaseOrderViews {
    // MARK: - List

    struct ListModel {
        var viewer: Viewer
        var items: [PurchaseOrders.ListItem]
        var total: Int
        var filter: PurchaseOrders.Filter
        var query: PurchaseOrderController.ListQuery
        var reference: PurchaseOrderReference
        var button: Result<Void, PurchaseOrderPolicy.Refusal>
        /// What was wrong with the query (the invalid filters are left out).
        var error: String? = nil
    }

    static func list(_ model: ListModel) -> HTML {
        Layout.page(title: "Purchase Orders", viewer: model.viewer, section: .purchaseOrders) {
            el("div", .class("toolbar")) {
                switch model.button {
                case .success:
                    el("a", .href(SiteURL.newPurchaseOrder.path), .class("button"), .id("new-purchase-order")) { "New Purchase Order" }
                case .failure(let refusal):
                    el("button", .type("button"), .id("new-purchase-order"), .disabled(true), .aria("describedby", "new-po-reason")) { "New Purchase Order" }
                    el("p", .id("new-po-reason"), .class("hint")) {
                        model.viewer.user.role.mayEditDocuments ? refusal.message : "Your role can look at purchase orders but not raise them."
                    }
                }
            }
            Layout.flash(model.error)
            filters(model)
            el("p", .class("hint list-meta")) {
                el("span", .id("result-count")) { "\(model.total) purchase order\(model.total == 1 ? "" : "s")" }
                " · "
                el("a", .href(SiteURL.purchaseOrders.path + "?" + csvQuery(model.query)), .id("export-csv")) { "Export CSV" }
            }
            if model.items.isEmpty {
                Layout.emptyState("No purchase orders match.")
            } else {
                Layout.table(
                    id: "purchase-orders",
                    headings: [
                        heading("Number", .number, model), heading("Supplier", .supplier, model), heading("Project", .project, model),
                        heading("Total incl. tax", .total, model), heading("Status", .status, model), Layout.Heading(label: "Source"),
                        Layout.Heading(label: "Sync"),
                    ],
                    rows: model.items.map { item in
                        [
                            el("a", .href(SiteURL.purchaseOrder(item.id.rawValue).path)) { item.number },
                            .text(item.supplier), .text(item.projectCode), .text(Money.display(item.totalIncludingTax)),
                            .text(item.status.title), .text(item.origin == .procore ? "Procore" : "Lentune"),
                            badge(item.syncState),
                        ]
                    })
                pagination(model)
            }
        }
    }

    static func badge(_ state: SyncRecord.State) -> HTML {
        let label =
            switch state {
            case .notSynced: "Not synced"
            case .pending: "Pending"
            case .synced: "Synced"
            case .failed: "Failed"
            case .skipped: "Skipped"
            case .changed: "Changed in Procore"
            }
        return el("span", .class("badge sync-\(state.rawValue)"), .title(label)) { state.symbol.isEmpty ? label : "\(state.symbol) \(label)" }
    }

    static func filters(_ model: ListModel) -> HTML {
        let q = model.query
        return el("form", .method("get"), .action(SiteURL.purchaseOrders.path), .class("filters"), .id("po-filters")) {
            el("input", .name("q"), .type("search"), .value(q.q ?? ""), .init("placeholder", "Number or title"), .aria("label", "Search"))
            select("project", label: "Project", selected: q.project, options: model.reference.projects.map { ($0.id.description, "\($0.code) \($0.name)") })
            select("supplier", label: "Supplier", selected: q.supplier, options: model.reference.suppliers.map { ($0.id.description, $0.name) })
            select("status", label: "Status", selected: q.status, options: PurchaseOrder.Status.allCases.map { ($0.rawValue, $0.title) })
            select("source", label: "Source", selected: q.source, options: [("lentune", "Lentune"), ("procore", "Procore")])
            select("sync", label: "Sync", selected: q.sync, options: SyncRecord.State.allCases.map { ($0.rawValue, $0.rawValue.replacingOccurrences(of: "_", with: " ").capitalized) })
            // Filtering keeps the list's order.
            if let sort = q.sort { el("input", .type("hidden"), .name("sort"), .value(sort)) }
            if let dir = q.dir { el("input", .type("hidden"), .name("dir"), .value(dir)) }
            el("button", .type("submit")) { "Filter" }
        }
    }

    static func select(_ name: String, label: String, selected: String?, options: [(String, String)]) -> HTML {
        el("select", .name(name), .aria("label", label)) {
            el("option", .value("")) { "Any \(label.lowercased())" }
            for (value, text) in options { el("option", .value(value), .selected(value == selected)) { text } }
        }
    }

    static func pagination(_ model: ListModel) -> HTML {
        let pages = max(1, (model.total + model.filter.perPage - 1) / model.filter.perPage)
        /// Next and Previous name the row they continue from, so every page costs the same to read.
        func link(_ page: Int, after: PurchaseOrders.ListCursor? = nil, before: PurchaseOrders.ListCursor? = nil) -> String {
            var items = [URLQueryItem]()
            if page > 1 {
                items.append(URLQueryItem(name: "page", value: String(page)))
                // Cursors name places in the newest-first order; another order is paged by number.
                if model.filter.sort == .created, !model.filter.ascending {
                    if let after { items.append(URLQueryItem(name: "after", value: after.token)) }
                    if let before { items.append(URLQueryItem(name: "before", value: before.token)) }
                }
            }
            let query = query(model.query, extra: items)
            return SiteURL.purchaseOrders.path + (query.isEmpty ? "" : "?" + query)
        }
        let page = model.filter.page
        return el("nav", .class("pagination"), .aria("label", "Pages")) {
            if page > 1 { el("a", .href(link(page - 1, before: model.items.first?.cursor)), .init("rel", "prev")) { "‹ Previous" } }
            el("span") { " Page \(page) of \(pages) " }
            if page < pages { el("a", .href(link(page + 1, after: model.items.last?.cursor)), .init("rel", "next")) { "Next ›" } }
        }
    }

    // MARK: - Show

    /// **Procore**: where the PO stands (pending; synced with id, time and link; failed with Procore's message and
    /// **Retry**; skipped with the reason), **Refresh** for a Procore PO, and each push or pull with its outcome.
    static func syncSection(_ model: ShowModel) -> HTML {
        let po = model.po
        let direction: SyncRecord.Direction = po.origin == .procore ? .pull : .push
        let record = model.sync.records.first { $0.direction == direction }
        let mayAct = model.viewer.user.role.mayEditDocuments
        // Live while its push or pull waits or runs (see the invoice's panel).
        return el("section", .id("procore-sync"), .data("refresh", ""), record?.state == .pending ? .data("live", "") : .none) {
            el("h2") { "Procore" }
            el("p", .id("sync-state")) {
                badge(record?.state ?? .notSynced)
                switch record?.state {
                case .synced?:
                    " \(po.origin == .procore ? "Read from" : "Sent to") Procore " + (record?.lastSyncedAt.map { IntegrationLogView.stamp($0) + " UTC" } ?? "")
                        + (record?.lastError.map { ". " + $0 } ?? "")
                        + (po.origin == .lentune && [.draft, .awaitingApproval].contains(po.status)
                            ? ". Procore has the version approved before this edit; this one is sent when it is approved." : "")
                case .pending?: " Waiting to be sent." + (record?.lastError.map { " Last attempt: \($0)" } ?? "")
                case .failed?: " " + (record?.lastError ?? "")
                case .skipped?: " " + (record?.lastError ?? "")
                case .changed?: " " + (record?.lastError ?? "") + " Lentune does not read it back: Send Lentune's version to put Procore right."
                default: po.origin == .procore ? " Not read from Procore yet." : " Sent to Procore when approved, if its company is on Lentune purchase order."
                }
            }
            if mayAct, po.origin == .lentune, [.failed, .skipped].contains(record?.state) {
                syncButton(po, "retry", "Retry", csrf: model.viewer.csrfToken)
            }
            if mayAct, po.origin == .lentune, record?.state == .changed {
                syncButton(po, "retry", "Send Lentune's version", csrf: model.viewer.csrfToken)
            }
            if mayAct, po.origin == .procore, po.procoreCommitmentID != nil {
                syncButton(po, "refresh", "Refresh", csrf: model.viewer.csrfToken)
            }
            if !model.sync.history.isEmpty {
                Layout.table(
                    id: "sync-history", headers: ["Queued (UTC)", "What", "Outcome", "Attempts", "Procore's message"],
                    rows: model.sync.history.map { job in
                        [.text(IntegrationLogView.stamp(job.createdAt)), .text(job.kind.title), .text(IntegrationLogView.title(job.state)),
                         .text(String(job.attempts)), .text(job.lastError ?? "")]
                    })
            }
        }
    }

    static func syncButton(_ po: PurchaseOrder, _ action: String, _ label: String, csrf: String) -> HTML {
        el("form", .method("post"), .action(SiteURL.purchaseOrderSync(po.id.rawValue).path), .class("inline")) {
            Layout.csrfField(csrf)
            el("button", .type("submit"), .name("do"), .value(action), .id("sync-\(action)")) { label }
        }
    }

    struct ShowModel {
        var viewer: Viewer
        var po: PurchaseOrder
        var reference: PurchaseOrderReference
        var notice: String? = nil
        var error: String? = nil
        var sync = SyncPanel()
        /// Close was pressed: ask before closing (issue 29: it closed at once, with no way back in Lentune).
        var confirmClose = false
        /// Who changed it and how (the audit log's events about it).
        var history: [AuditEvent] = []
    }

    /// A PO's Procore state: the ledger (push for Lentune POs, pull for Procore POs) and the jobs that moved it.
    struct SyncPanel {
        var records: [SyncRecord] = []
        var history: [SyncJob] = []
    }

    static func show(_ model: ShowModel) -> HTML {
        let po = model.po
        let totals = po.totals
        let project = model.reference.projects.first { $0.id == po.projectID }
        let source = model.reference.source(of: po.projectID)
        let editable = (try? PurchaseOrderPolicy.mayEdit(po, project: source).get()) != nil
        let actions = PurchaseOrderWorkflow.available(for: po, user: model.viewer.user, project: source)
        let name = { (id: UUID?, list: [(UUID, String)]) in id.flatMap { id in list.first { $0.0 == id }?.1 } ?? "" }
        return Layout.page(title: "Purchase order \(po.number)", viewer: model.viewer, section: .purchaseOrders) {
            Layout.flash(model.notice, kind: "notice")
            Layout.flash(model.error)
            if model.confirmClose {
                el("section", .class("confirm"), .id("confirm-close-box"), .role("alertdialog"), .aria("labelledby", "confirm-close-title")) {
                    el("h2", .id("confirm-close-title")) { "Close \(po.number)?" }
                    el("p") {
                        "A closed purchase order takes no more invoices, here or in Procore, until it is reopened "
                            + "(Reopen on this page; on Lentune purchase order its commitment is approved again in Procore)."
                    }
                    el("form", .method("post"), .action(SiteURL.purchaseOrderAction(po.id.rawValue, "close").path), .class("inline")) {
                        Layout.csrfField(model.viewer.csrfToken)
                        el("input", .type("hidden"), .name("confirm"), .value("yes"))
                        el("button", .type("submit"), .id("confirm-close")) { "Close it" }
                    }
                    el("a", .href(SiteURL.purchaseOrder(po.id.rawValue).path), .class("button secondary"), .id("keep-open")) { "Keep it open" }
                }
            }
            el("dl", .class("facts")) {
                el("dt") { "Source" }
                el("dd", .id("source")) { po.origin == .procore ? "Source: Procore" : "Source: Lentune" }
                el("dt") { "Status" }
                el("dd", .id("status")) { po.status.title }
                el("dt") { "Supplier" }
                el("dd") { model.reference.suppliers.first { $0.id == po.supplierID }?.name ?? "—" }
                el("dt") { "Project" }
                el("dd") { project.map { "\($0.code) \($0.name)" } ?? "—" }
                el("dt") { "Title" }
                el("dd") { po.title }
                if let date = po.deliveryDate {
                    el("dt") { "Delivery date" }
                    el("dd") { date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day()) }
                }
                if let commitment = po.procoreCommitmentID {
                    el("dt") { "Procore commitment" }
                    el("dd", .id("procore-commitment")) {
                        if let url = model.sync.records.first(where: { $0.procoreURL != nil })?.procoreURL {
                            el("a", .href(url), .init("target", "_blank"), .init("rel", "noopener")) { "Commitment \(po.number) (#\(commitment)) ↗" }
                        } else {
                            "Commitment \(po.number) (#\(commitment))"
                        }
                    }
                }
                if let deleted = po.deletedInProcoreAt {
                    el("dt") { "Deleted in Procore" }
                    el("dd", .id("deleted-in-procore")) { IntegrationLogView.stamp(deleted) + " UTC: kept here because invoices may refer to it." }
                }
                if !po.description.isEmpty {
                    el("dt") { "Description" }
                    el("dd", .class("description")) { po.description }
                }
            }
            if case .failure(let refusal) = PurchaseOrderPolicy.mayEdit(po, project: source) {
                el("p", .class("hint"), .id("read-only")) { refusal.message }
            }
            Layout.table(
                id: "lines", headers: ["Description", "Cost code", "Cost type", "Tax", "Quantity", "Unit cost", "Amount", "Tax amount"],
                rows: po.lines.map { line in
                    [
                        .text(line.description),
                        .text(name(line.costCodeID?.rawValue, model.reference.costCodes.map { ($0.id.rawValue, "\($0.code) \($0.name)") })),
                        .text(name(line.costTypeID?.rawValue, model.reference.costTypes.map { ($0.id.rawValue, $0.code) })),
                        .text(name(line.taxCodeID?.rawValue, model.reference.taxCodes.map { ($0.id.rawValue, $0.code) })),
                        .text("\(line.quantity)"), .text(Money.display(line.unitCost)), .text(Money.display(line.amount)),
                        .text(Money.display(line.tax)),
                    ]
                })
            el("dl", .class("facts totals"), .id("totals")) {
                el("dt") { "Total excl. tax" }
                el("dd", .id("total-excl")) { Money.display(totals.excludingTax) }
                el("dt") { "Tax" }
                el("dd", .id("total-tax")) { Money.display(totals.tax) }
                el("dt") { "Total incl. tax" }
                el("dd", .id("total-incl")) { Money.display(totals.includingTax) }
            }
            syncSection(model)
            if editable || actions.contains(.reopen) {
                el("div", .class("actions")) {
                    if PurchaseOrderWorkflow.mayEditContent(po), model.viewer.user.role.mayEditDocuments {
                        el("a", .href(SiteURL.editPurchaseOrder(po.id.rawValue).path), .class("button secondary"), .id("edit")) { "Edit" }
                    }
                    for action in actions {
                        el("form", .method("post"), .action(SiteURL.purchaseOrderAction(po.id.rawValue, action.rawValue).path), .class("inline")) {
                            Layout.csrfField(model.viewer.csrfToken)
                            el("button", .type("submit"), .id(action.rawValue)) {
                                switch action {
                                case .submit: "Submit for approval"
                                case .approve: "Approve"
                                case .close: "Close"
                                case .reopen: "Reopen"
                                }
                            }
                        }
                    }
                }
            }
            AdministrationView.history(model.history)
            // An invoice against it starts from its remaining lines (Procore's POs take invoices too).
            if po.status == .approved, model.viewer.user.role.mayEditDocuments {
                el("p", .class("actions")) {
                    el("a", .href(SiteURL.newInvoice.path + "?purchase_order=\(po.id.rawValue.uuidString)"), .class("button secondary"), .id("new-invoice")) {
                        "New invoice against \(po.number)"
                    }
                }
            }
        }
    }
}

extension PurchaseOrderViews {
    /// The list's filters with `format=csv` (the export of what the list shows).
    static func csvQuery(_ q: PurchaseOrderController.ListQuery) -> String {
        query(q, extra: [URLQueryItem(name: "format", value: "csv")])
    }

    /// The list's filters and order as a query, with `extra` after them.
    static func query(_ q: PurchaseOrderController.ListQuery, extra: [URLQueryItem]) -> String {
        var components = URLComponents()
        let filters: [(String, String?)] = [
            ("q", q.q), ("project", q.project), ("supplier", q.supplier), ("status", q.status), ("source", q.source), ("sync", q.sync),
            ("sort", q.sort), ("dir", q.dir),
        ]
        components.queryItems = filters.compactMap { key, value in value.flatMap { $0.isEmpty ? nil : URLQueryItem(name: key, value: $0) } }
            + extra
        return components.percentEncodedQuery ?? ""
    }

    /// A sortable column's heading: its link orders the list by it (the other way round when it already is), from
    /// the first page, under the same filters.
    static func heading(_ label: String, _ sort: PurchaseOrders.Sort, _ model: ListModel) -> Layout.Heading {
        let current = model.filter.sort == sort
        var next = model.query
        next.sort = sort.rawValue
        next.dir = current ? (model.filter.ascending ? "desc" : "asc") : nil
        let query = query(next, extra: [])
        return Layout.Heading(
            label: label, link: SiteURL.purchaseOrders.path + (query.isEmpty ? "" : "?" + query), ascending: current ? model.filter.ascending : nil)
    }
}
