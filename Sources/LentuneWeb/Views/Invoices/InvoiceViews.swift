import Foundation
import LentuneCore
import LentunePersistence

/// The Invoices pages: list, capture/edit form, and the invoice with its PDF, PO, allocations, stages and posting.
enum InvoiceViews {
    static let day = Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day()

    // MARK: - List

    struct ListModel {
        var viewer: Viewer
        var query: InvoiceController.ListQuery
        var page: ReferenceLists.Page<Invoice>
        /// "Page `number` of `pages`".
        var number: Int
        var pages: Int
        /// How many invoices the filters match.
        var total: Int
        var reference: PurchaseOrderReference
        var postings: [UUID: SyncRecord]
        /// The Approvals inbox (the same list, waiting for the viewer's approval).
        var approvals = false
    }

    static func list(_ model: ListModel) -> HTML {
        let suppliers = Dictionary(uniqueKeysWithValues: model.reference.suppliers.map { ($0.id, $0.name) })
        let projects = Dictionary(uniqueKeysWithValues: model.reference.projects.map { ($0.id, $0.code) })
        let q = model.query
        let base = model.approvals ? SiteURL.approvals.path : SiteURL.invoices.path
        return Layout.page(title: model.approvals ? "Approvals" : "Invoices", viewer: model.viewer, section: model.approvals ? .approvals : .invoices) {
            if model.approvals {
                Layout.flash(q.notice.map { String($0.prefix(200)) }, kind: "notice")
                Layout.flash(q.error.map { String($0.prefix(1500)) })
                el("p", .id("approvals-intro")) { "Invoices waiting for your approval (assigned to you at the Check stage)." }
            } else if model.viewer.user.role.mayEditDocuments {
                el("p") { el("a", .href(SiteURL.newInvoice.path), .class("button"), .id("new-invoice")) { "New invoice" } }
            }
            el("form", .method("get"), .action(base), .class("filters"), .id("invoice-filters")) {
                el("label", .for("q")) { "Search" }
                el("input", .id("q"), .name("q"), .type("search"), .value(q.q ?? ""), .init("placeholder", "Number, supplier or amount"))
                if !model.approvals {
                    PurchaseOrderViews.select("status", label: "Stage", selected: q.status, options: Invoice.Status.allCases.map { ($0.rawValue, $0.title) })
                }
                PurchaseOrderViews.select("supplier", label: "Supplier", selected: q.supplier, options: model.reference.suppliers.map { ($0.id.description, $0.name) })
                PurchaseOrderViews.select("project", label: "Project", selected: q.project, options: model.reference.projects.map { ($0.id.description, "\($0.code) \($0.name)") })
                PurchaseOrderViews.select("posting", label: "Posting", selected: q.posting, options: [
                    (SyncRecord.State.pending.rawValue, "Waiting to post"), (SyncRecord.State.synced.rawValue, "Posted"),
                    (SyncRecord.State.failed.rawValue, "Failed or held"), (SyncRecord.State.skipped.rawValue, "Not posted (overheads)"),
                ])
                if !model.approvals, model.viewer.user.role.mayApprove {
                    el("label", .class("check")) {
                        el("input", .type("checkbox"), .name("assigned"), .value("me"), .id("assigned"), .checked(q.assigned == "me"))
                        " Assigned to me"
                    }
                }
                // Filtering keeps the list's order.
                if let sort = q.sort { el("input", .type("hidden"), .name("sort"), .value(sort)) }
                if let dir = q.dir { el("input", .type("hidden"), .name("dir"), .value(dir)) }
                el("button", .type("submit")) { "Filter" }
            }
            el("p", .class("list-meta")) {
                el("span", .id("result-count")) { model.total == 1 ? "1 invoice" : "\(model.total) invoices" }
                " · "
                el("a", .href(base + "?" + filterQuery(q, extra: [URLQueryItem(name: "format", value: "csv")])), .id("export-csv")) { "Export CSV" }
            }
            if model.page.items.isEmpty {
                let filtered = [q.status, q.supplier, q.project, q.posting, q.q, q.assigned].contains { !($0 ?? "").isEmpty }
                Layout.emptyState(model.approvals ? "Nothing waits for your approval." : filtered ? "No invoices match." : "No invoices yet.")
            } else {
                let table = Layout.table(
                    id: "invoices",
                    headings: (model.approvals ? [Layout.Heading(label: "Select")] : []) + [
                        heading("Number", .number, q, base: base), heading("Supplier", .supplier, q, base: base), Layout.Heading(label: "Project"),
                        heading("Date", .date, q, base: base), heading("Stage", .stage, q, base: base),
                        heading("Total incl. GST", .total, q, base: base), Layout.Heading(label: "Procore"),
                    ],
                    rows: model.page.items.map { invoice in
                        (model.approvals
                            ? [el("input", .type("checkbox"), .name("ids[]"), .value(invoice.id.rawValue.uuidString), .class("select"), .aria("label", "Select \(invoice.number)"))]
                            : [])
                        + [
                            el("a", .href(SiteURL.invoice(invoice.id.rawValue).path)) { invoice.number },
                            .text(suppliers[invoice.supplierID] ?? "—"), .text(invoice.projectID.flatMap { projects[$0] } ?? "—"),
                            .text(invoice.invoiceDate.formatted(day)), .text(invoice.status.title),
                            .text(Money.display(invoice.statedTotalIncludingTax)),
                            model.postings[invoice.id.rawValue].map { PurchaseOrderViews.badge($0.state) } ?? .text(""),
                        ]
                    })
                if model.approvals {
                    // Approve selected: each as its own Approve would (an over-allocated one is left for its page).
                    el("form", .method("post"), .action(SiteURL.approveSelected.path), .id("approve-selected-form")) {
                        Layout.csrfField(model.viewer.csrfToken)
                        // One group of checkboxes, named for assistive technology (axe: checkboxgroup).
                        el("fieldset", .class("stages")) {
                            el("legend", .class("visually-hidden")) { "Invoices to approve" }
                            table
                        }
                        el("button", .type("submit"), .id("approve-selected")) { "Approve selected" }
                    }
                } else {
                    table
                }
                if model.page.next != nil || model.page.previous != nil {
                    el("nav", .class("pagination"), .aria("label", "Pages")) {
                        if let previous = model.page.previous {
                            el("a", .href(page(q, "before", previous, number: model.number - 1, base: base)), .init("rel", "prev"), .id("previous-page")) { "‹ Previous" }
                        }
                        el("span", .id("page-number")) { " Page \(model.number) of \(model.pages) " }
                        if let next = model.page.next {
                            el("a", .href(page(q, "after", next, number: model.number + 1, base: base)), .init("rel", "next"), .id("next-page")) { "Next ›" }
                        }
                    }
                }
            }
        }
    }

    /// The next or previous page: the same filters, continuing after the last row shown or before the first.
    static func page(_ q: InvoiceController.ListQuery, _ direction: String, _ cursor: ReferenceLists.Cursor, number: Int, base: String = SiteURL.invoices.path) -> String {
        base + "?" + filterQuery(q, extra: [URLQueryItem(name: direction, value: cursor.token), URLQueryItem(name: "page", value: String(max(1, number)))])
    }

    /// A sortable column's heading: its link orders the list by it (the other way round when it already is), from
    /// the first page, under the same filters.
    static func heading(_ label: String, _ sort: Invoices.Sort, _ q: InvoiceController.ListQuery, base: String) -> Layout.Heading {
        let (current, ascending) = InvoiceController.order(q)
        var next = q
        next.sort = sort.rawValue
        next.dir = current == sort ? (ascending ? "desc" : "asc") : nil
        return Layout.Heading(label: label, link: base + "?" + filterQuery(next, extra: []), ascending: current == sort ? ascending : nil)
    }

    /// The list's filters (and its order) as a query, with `extra` after them.
    static func filterQuery(_ q: InvoiceController.ListQuery, extra: [URLQueryItem]) -> String {
        var components = URLComponents()
        let filters: [(String, String?)] = [
            ("q", q.q), ("status", q.status), ("supplier", q.supplier), ("project", q.project), ("posting", q.posting), ("assigned", q.assigned),
            ("sort", q.sort), ("dir", q.dir),
        ]
        components.queryItems = filters.compactMap { key, value in value.flatMap { $0.isEmpty ? nil : URLQueryItem(name: key, value: $0) } } + extra
        return components.percentEncodedQuery ?? ""
    }

    // MARK: - Form

    struct FormModel {
        var viewer: Viewer
        var reference: PurchaseOrderReference
        var approvers: [User]
        var input: InvoiceInput
        var poNumber: String
        /// The PO the number names, shown beside the form.
        var po: PurchaseOrder?
        var existing: Invoice?
        var errors: [String: String]
    }

    static func form(_ model: FormModel) -> HTML {
        let input = model.input
        let title = model.existing.map { "Edit invoice \($0.number)" } ?? "New invoice"
        let lines = input.lines + Array(repeating: InvoiceInput.Line(), count: max(2, 4 - input.lines.count))
        let action = model.existing.map { SiteURL.invoice($0.id.rawValue).path } ?? SiteURL.invoices.path
        return Layout.page(title: title, viewer: model.viewer, section: .invoices) {
            if !model.errors.isEmpty {
                el("div", .class("flash error"), .role("alert"), .id("form-errors")) {
                    el("p") { "The invoice was not saved:" }
                    el("ul") { for message in model.errors.sorted(by: { $0.key < $1.key }).map(\.value) { el("li") { message } } }
                }
            }
            el("form", .method("post"), .action(action), .id("invoice-form"), .init("enctype", "multipart/form-data")) {
                Layout.csrfField(model.viewer.csrfToken)
                el("div", .class("grid")) {
                    PurchaseOrderViews.field("supplier", "Supplier", error: model.errors["supplier_id"]) {
                        el("select", .id("supplier"), .name("supplier")) {
                            el("option", .value("")) { "The purchase order's supplier" }
                            for supplier in model.reference.suppliers {
                                el("option", .value(supplier.id.description), .selected(supplier.id.description == input.supplier)) { supplier.name }
                            }
                        }
                    }
                    PurchaseOrderViews.field("number", "Invoice number", error: model.errors["number"]) {
                        el("input", .id("number"), .name("number"), .value(input.number), .required, .init("maxlength", "100"))
                    }
                    PurchaseOrderViews.field("invoice_date", "Invoice date", error: model.errors["invoice_date"]) {
                        el("input", .id("invoice_date"), .name("invoice_date"), .type("date"), .value(input.invoiceDate), .required)
                    }
                    PurchaseOrderViews.field("due_date", "Due date", error: model.errors["due_date"]) {
                        el("input", .id("due_date"), .name("due_date"), .type("date"), .value(input.dueDate))
                    }
                    PurchaseOrderViews.field("total_excluding_tax", "Total excl. GST", error: model.errors["total_excluding_tax"]) {
                        el("input", .id("total_excluding_tax"), .name("total_excluding_tax"), .value(input.totalExcludingTax), .init("inputmode", "decimal"), .required)
                    }
                    PurchaseOrderViews.field("total_including_tax", "Total incl. GST", error: model.errors["total_including_tax"]) {
                        el("input", .id("total_including_tax"), .name("total_including_tax"), .value(input.totalIncludingTax), .init("inputmode", "decimal"), .required)
                    }
                    PurchaseOrderViews.field("project", "Project", error: model.errors["project_id"]) {
                        el("select", .id("project"), .name("project")) {
                            el("option", .value("")) { "Choose a project" }
                            for project in model.reference.projects {
                                el("option", .value(project.id.description), .selected(project.id.description == input.project)) { "\(project.code) \(project.name)" }
                            }
                        }
                    }
                    PurchaseOrderViews.field("purchase_order_number", "Purchase order number", error: model.errors["purchase_order_id"] ?? model.errors["allocations"]) {
                        el("input", .id("purchase_order_number"), .name("purchase_order_number"), .value(model.poNumber), .init("placeholder", "PO-00001"))
                        el("button", .type("submit"), .name("show_po"), .value("1"), .id("show-po"), .class("secondary"), .init("formnovalidate", "formnovalidate")) { "Show PO" }
                    }
                    PurchaseOrderViews.field("approver", "Approver", error: model.errors["approver_id"]) {
                        el("select", .id("approver"), .name("approver")) {
                            el("option", .value("")) { "Assign at Check" }
                            for user in model.approvers {
                                el("option", .value(user.id.description), .selected(user.id.description == input.approver)) { "\(user.name) (\(user.role.title))" }
                            }
                        }
                    }
                    PurchaseOrderViews.field("document", "Invoice PDF (at most 20 MB)", error: model.errors["document"]) {
                        el("input", .id("document"), .name("document"), .type("file"), .init("accept", "application/pdf,.pdf"))
                        if let attachment = model.existing?.attachment { el("p", .class("hint")) { "Kept: \(attachment.filename). Choose a file to replace it." } }
                    }
                }
                if let message = model.errors["lines"] { el("p", .class("field-error"), .id("lines-error")) { message } }
                Layout.scroll {
                    el("table", .id("invoice-lines")) {
                        el("thead") {
                            el("tr") { for label in ["Description", "Cost code", "Cost type", "Tax code", "Amount excl. GST", "GST"] { el("th", .init("scope", "col")) { label } } }
                        }
                        el("tbody") {
                            for (index, line) in lines.enumerated() { lineRow(index, line, model: model) }
                        }
                    }
                }
                // What the lines add up to, worked out by the script as they are typed (the server checks on save).
                el("p", .id("lines-total"), .aria("live", "polite")) { "" }
                el("button", .type("submit"), .id("save-invoice")) { model.existing == nil ? "Capture invoice" : "Save" }
                " "
                el("a", .href(model.existing.map { SiteURL.invoice($0.id.rawValue).path } ?? SiteURL.invoices.path)) { "Cancel" }
            }
            // The PO beside the form once its number is entered (Show PO, or a save that found it).
            if let po = model.po {
                el("section", .id("form-purchase-order")) {
                    el("h2") { "Purchase order \(po.number)" }
                    el("p", .class("hint")) {
                        (model.reference.suppliers.first { $0.id == po.supplierID }?.name ?? "") + " · "
                            + (model.reference.projects.first { $0.id == po.projectID }.map { "\($0.code) \($0.name)" } ?? "")
                            + " · \(po.status.title) · \(Money.display(po.totals.excludingTax)) excl. GST"
                    }
                    Layout.table(
                        id: "form-po-lines", headers: ["Line", "Description", "Quantity", "Unit cost", "Amount"],
                        rows: po.lines.map { line in
                            [.text(String(line.position)), .text(line.description), .text("\(line.quantity)"), .text(Money.display(line.unitCost)),
                             .text(Money.display(line.amount))]
                        })
                }
            }
            // The kept PDF beside the form while it is corrected.
            if let existing = model.existing, existing.attachment != nil {
                el("div", .class("invoice-document")) {
                    el("iframe", .init("src", SiteURL.invoiceDocument(existing.id.rawValue).path), .title("Invoice PDF"), .id("invoice-pdf")) { "" }
                }
            }
        }
    }

    static func lineRow(_ index: Int, _ line: InvoiceInput.Line, model: FormModel) -> HTML {
        let key = "lines[\(index)]"
        let invalid = model.errors.keys.contains { $0.hasPrefix(key) }
        func options(_ selected: String, _ items: [(String, String)]) -> HTML {
            .fragment([el("option", .value("")) { "—" }] + items.map { value, text in el("option", .value(value), .selected(value == selected)) { text } })
        }
        return el("tr", .class(invalid ? "invalid" : "line"), .data("line", String(index))) {
            el("td") {
                el("input", .name(key + "[description]"), .value(line.description), .aria("label", "Line \(index + 1) description"))
                if !line.purchaseOrderLine.isEmpty { el("input", .type("hidden"), .name(key + "[po_line]"), .value(line.purchaseOrderLine)) }
            }
            el("td") {
                // Each code names its project; the script shows only the chosen project's (the server refuses another's).
                el("select", .name(key + "[cost_code]"), .aria("label", "Line \(index + 1) cost code")) {
                    el("option", .value("")) { "—" }
                    for code in model.reference.costCodes {
                        el("option", .value(code.id.description), .data("project", code.projectID.description), .selected(code.id.description == line.costCode)) {
                            (model.reference.projects.first { $0.id == code.projectID }?.code ?? "") + " · \(code.code) \(code.name)"
                        }
                    }
                }
            }
            el("td") {
                el("select", .name(key + "[cost_type]"), .aria("label", "Line \(index + 1) cost type")) {
                    options(line.costType, model.reference.costTypes.map { ($0.id.description, "\($0.code) \($0.name)") })
                }
            }
            el("td") {
                el("select", .name(key + "[tax_code]"), .aria("label", "Line \(index + 1) tax code")) {
                    // The rate lets the script work out the GST as the amount is typed (issue 29).
                    el("option", .value("")) { "—" }
                    for tax in model.reference.taxCodes {
                        el("option", .value(tax.id.description), .data("rate", "\(tax.rate)"), .selected(tax.id.description == line.taxCode)) { tax.name }
                    }
                }
            }
            el("td") { el("input", .name(key + "[amount]"), .value(line.amount), .init("inputmode", "decimal"), .init("size", "9"), .aria("label", "Line \(index + 1) amount")) }
            el("td") { el("input", .name(key + "[tax]"), .value(line.tax), .init("inputmode", "decimal"), .init("size", "7"), .aria("label", "Line \(index + 1) GST")) }
        }
    }

    // MARK: - Show

    struct ShowModel {
        var viewer: Viewer
        var invoice: Invoice
        var reference: PurchaseOrderReference
        var po: PurchaseOrder?
        var allocatedElsewhere: [PurchaseOrder.Line.ID: Decimal]
        var users: [User]
        var posting: SyncRecord?
        var history: [SyncJob]
        var notice: String?
        var error: String?
        /// Who captured, checked, approved or changed it (the audit log's events about it).
        var audit: [AuditEvent] = []
    }

    static func show(_ model: ShowModel) -> HTML {
        let invoice = model.invoice
        let user = model.viewer.user
        let name = { (id: UUID?, list: [(UUID, String)]) in id.flatMap { id in list.first { $0.0 == id }?.1 } ?? "—" }
        return Layout.page(title: "Invoice \(invoice.number)", viewer: model.viewer, section: .invoices) {
            Layout.flash(model.notice, kind: "notice")
            Layout.flash(model.error)
            el("div", .class("invoice-layout")) {
                el("div", .class("invoice-main")) {
                    el("dl", .class("facts")) {
                        el("dt") { "Stage" }
                        el("dd", .id("status")) { invoice.status.title }
                        if let reason = invoice.sendBackReason {
                            el("dt") { "Sent back" }
                            el("dd", .id("send-back-reason")) { reason }
                        }
                        el("dt") { "Supplier" }
                        el("dd", .id("supplier")) { model.reference.suppliers.first { $0.id == invoice.supplierID }?.name ?? "—" }
                        el("dt") { "Project" }
                        el("dd", .id("project")) { model.reference.projects.first { $0.id == invoice.projectID }.map { "\($0.code) \($0.name)" } ?? "—" }
                        el("dt") { "Invoice date" }
                        el("dd") { invoice.invoiceDate.formatted(day) }
                        if let due = invoice.dueDate {
                            el("dt") { "Due date" }
                            el("dd") { due.formatted(day) }
                        }
                        el("dt") { "Approver" }
                        el("dd", .id("approver")) { model.users.first { $0.id == invoice.approverID }?.name ?? "Not assigned" }
                        el("dt") { "Total excl. GST" }
                        el("dd", .id("total-excl")) { Money.display(invoice.statedTotalExcludingTax) }
                        el("dt") { "GST" }
                        el("dd") { Money.display(invoice.statedTax) }
                        el("dt") { "Total incl. GST" }
                        el("dd", .id("total-incl")) { Money.display(invoice.statedTotalIncludingTax) }
                    }
                    Layout.table(
                        id: "lines", headers: ["Description", "Cost code", "Cost type", "Tax code", "Amount", "GST"],
                        rows: invoice.lines.map { line in
                            [
                                .text(line.description),
                                .text(name(line.costCodeID?.rawValue, model.reference.costCodes.map { ($0.id.rawValue, "\($0.code) \($0.name)") })),
                                .text(name(line.costTypeID?.rawValue, model.reference.costTypes.map { ($0.id.rawValue, $0.code) })),
                                .text(name(line.taxCodeID?.rawValue, model.reference.taxCodes.map { ($0.id.rawValue, $0.code) })),
                                .text(Money.display(line.amount)), .text(Money.display(line.tax)),
                            ]
                        })
                    if let po = model.po { purchaseOrder(po, model) }
                    stages(model)
                    posting(model)
                    AdministrationView.history(model.audit)
                }
                if invoice.attachment != nil {
                    el("div", .class("invoice-document")) {
                        el("iframe", .init("src", SiteURL.invoiceDocument(invoice.id.rawValue).path), .title("Invoice PDF"), .id("invoice-pdf")) { "" }
                        el("p") { el("a", .href(SiteURL.invoiceDocument(invoice.id.rawValue).path), .id("pdf-link")) { invoice.attachment?.filename ?? "PDF" } }
                    }
                } else {
                    el("p", .class("hint"), .id("no-pdf")) { "No PDF attached." }
                }
            }
            if InvoiceWorkflow.mayEditContent(invoice), user.role.mayEditDocuments {
                el("p") { el("a", .href(SiteURL.invoice(invoice.id.rawValue).path + "/edit"), .class("button secondary"), .id("edit")) { "Edit" } }
            }
        }
    }

    /// The PO beside the invoice: its lines, what is left on each, the indicator, and the allocations (editable while
    /// the invoice is unchecked).
    static func purchaseOrder(_ po: PurchaseOrder, _ model: ShowModel) -> HTML {
        let invoice = model.invoice
        let comparison = InvoiceAllocations.compare(invoice, with: po)
        let editable = InvoiceWorkflow.mayEditContent(invoice) && model.viewer.user.role.mayEditDocuments
        let mine = Dictionary(invoice.allocations.map { ($0.purchaseOrderLineID, $0) }, uniquingKeysWith: { first, _ in first })
        return el("section", .id("purchase-order")) {
            el("h2") {
                "Purchase order "
                el("a", .href(SiteURL.purchaseOrder(po.id.rawValue).path)) { po.number }
                if po.origin == .procore, po.procoreCommitmentID != nil {
                    " "
                    el("form", .method("post"), .action(SiteURL.purchaseOrderSync(po.id.rawValue).path), .class("inline")) {
                        Layout.csrfField(model.viewer.csrfToken)
                        el("button", .type("submit"), .name("do"), .value("refresh"), .id("refresh-po")) { "Refresh" }
                    }
                }
            }
            el("p", .id("po-indicator"), .class("indicator indicator-\(comparison.colour)"), .data("comparison", comparison.rawValue)) {
                "Invoice \(Money.display(invoice.statedTotalExcludingTax)) excl. GST · PO \(Money.display(po.totals.excludingTax)) · "
                switch comparison {
                case .equal: "equal"
                case .over: "invoice is over the PO"
                case .under: "invoice is under the PO"
                }
            }
            el("form", .method("post"), .action(SiteURL.invoiceAction(invoice.id.rawValue, "allocate").path), .id("allocation-form")) {
                Layout.csrfField(model.viewer.csrfToken)
                Layout.table(
                    id: "po-lines", headers: ["Line", "Description", "Amount", "Remaining", "Allocate (value)", "or quantity"],
                    rows: po.lines.enumerated().map { index, line in
                        let remaining = line.amount - (model.allocatedElsewhere[line.id] ?? 0)
                        let allocation = mine[line.id]
                        var quantity = ""
                        if case .quantity(let value)? = allocation?.basis { quantity = "\(value)" }
                        let key = "allocations[\(String(format: "%03d", index))]"
                        return [
                            .text(String(line.position)), .text(line.description), .text(Money.display(line.amount)), .text(Money.display(remaining)),
                            .fragment([
                                el("input", .type("hidden"), .name(key + "[line]"), .value(line.id.description)),
                                el("input", .name(key + "[amount]"), .value(quantity.isEmpty ? allocation.map { Money.format($0.amount) } ?? "" : ""),
                                   .init("inputmode", "decimal"), .init("size", "9"), .aria("label", "Allocate to line \(line.position)"),
                                   .disabled(!editable)),
                            ]),
                            el("input", .name(key + "[quantity]"), .value(quantity), .init("inputmode", "decimal"), .init("size", "6"),
                               .aria("label", "Quantity for line \(line.position)"), .disabled(!editable)),
                        ]
                    })
                el("p", .id("allocated")) { "Allocated: \(Money.display(invoice.allocatedExcludingTax)) of \(Money.display(invoice.statedTotalExcludingTax)) excl. GST" }
                if editable { el("button", .type("submit"), .id("allocate")) { "Save allocations" } }
            }
            let warnings = InvoiceAllocations.overRemaining(invoice.allocations, po: po, allocatedElsewhere: model.allocatedElsewhere)
            if !warnings.isEmpty {
                el("div", .class("flash warning"), .id("over-allocation")) { el("ul") { for warning in warnings { el("li") { warning } } } }
            }
        }
    }

    /// Check → Approve: the actions this person may take now.
    static func stages(_ model: ShowModel) -> HTML {
        let invoice = model.invoice
        let user = model.viewer.user
        let path = { (action: String) in SiteURL.invoiceAction(invoice.id.rawValue, action).path }
        return el("div", .class("actions"), .id("stage-actions")) {
            if invoice.status == .unchecked, user.role.mayEditDocuments {
                el("form", .method("post"), .action(path("check")), .class("inline")) {
                    Layout.csrfField(model.viewer.csrfToken)
                    el("button", .type("submit"), .id("check")) { "Mark as checked" }
                }
            }
            if invoice.status == .awaitingApproval, user.role.mayApprove {
                el("form", .method("post"), .action(path("approve")), .class("inline")) {
                    Layout.csrfField(model.viewer.csrfToken)
                    if let po = model.po, !InvoiceAllocations.overRemaining(invoice.allocations, po: po, allocatedElsewhere: model.allocatedElsewhere).isEmpty {
                        el("label") {
                            el("input", .type("checkbox"), .name("accept_over_allocation"), .id("accept_over_allocation"))
                            " Accept the over-allocation"
                        }
                    }
                    el("button", .type("submit"), .id("approve")) { "Approve" }
                }
                el("form", .method("post"), .action(path("send_back")), .class("inline"), .id("send-back-form")) {
                    Layout.csrfField(model.viewer.csrfToken)
                    el("input", .name("reason"), .id("reason"), .aria("label", "Reason for sending back"), .init("placeholder", "Why is it sent back?"), .init("maxlength", "1000"))
                    el("button", .type("submit"), .id("send_back"), .class("secondary")) { "Send back" }
                }
            }
            if [.approved, .held].contains(invoice.status), user.role.mayApprove {
                el("form", .method("post"), .action(path("reverse_approval")), .class("inline")) {
                    Layout.csrfField(model.viewer.csrfToken)
                    el("button", .type("submit"), .id("reverse_approval"), .class("secondary")) { "Reverse approval" }
                }
            }
        }
    }

    /// Where the invoice stands in Procore: ✓ with the Procore id and link, ✗ with Procore's message (or why it is
    /// held) and **Retry**, – when it is not posted there; **Send now** while it waits.
    static func posting(_ model: ShowModel) -> HTML {
        let invoice = model.invoice
        let record = model.posting
        let mayPost = model.viewer.user.role.mayEditDocuments || model.viewer.user.role.mayApprove
        // While its posting waits or runs, the script reads the page again every few seconds and puts this panel
        // (and the stage) as they are now in place (issue 29: live status).
        return el("section", .id("procore-posting"), .data("refresh", ""), record?.state == .pending ? .data("live", "") : .none) {
            el("h2") { "Procore" }
            el("p", .id("posting-state")) {
                // Held is not failed (issue 29): the ledger keeps a held posting as not done, with the hold's reason.
                if invoice.status == .held, record?.state == .failed {
                    el("span", .class("badge sync-held"), .title("Held")) { "⏸ Held" }
                } else {
                    PurchaseOrderViews.badge(record?.state ?? .notSynced)
                }
                switch record?.state {
                case .synced?:
                    " Posted " + (record?.lastSyncedAt.map { IntegrationLogView.stamp($0) + " UTC " } ?? "")
                    if let id = record?.procoreID {
                        // Named for what was made in Procore (issue 29: "#4294968341" said nothing), as the ledger
                        // records it: an invoice with a PO goes as a direct cost when its company is on neither box.
                        let kind = record?.target?.title ?? (invoice.purchaseOrderID == nil ? "Direct cost" : "Subcontractor invoice")
                        let made = "\(kind) \(invoice.number) (#\(id))"
                        if let url = record?.procoreURL {
                            el("a", .href(url), .init("target", "_blank"), .init("rel", "noopener"), .id("procore-link")) { "\(made) ↗" }
                        } else {
                            el("span", .id("procore-id")) { made }
                        }
                    }
                case .pending?: " Waiting to post." + (record?.lastError.map { " Last attempt: \($0)" } ?? "")
                case .failed?, .skipped?:
                    let message = record?.lastError ?? ""
                    " " + (invoice.status == .held && message.hasPrefix("Held: ") ? String(message.dropFirst("Held: ".count)) : message)
                default: " Posted to Procore once approved (a direct cost, or a subcontractor invoice on its PO's commitment)."
                }
            }
            if mayPost, [.approved, .held].contains(invoice.status), record?.state != .synced, record?.state != .skipped {
                el("form", .method("post"), .action(SiteURL.invoiceAction(invoice.id.rawValue, record?.state == .failed ? "retry" : "send_now").path), .class("inline")) {
                    Layout.csrfField(model.viewer.csrfToken)
                    el("button", .type("submit"), .id(record?.state == .failed ? "retry" : "send-now")) { record?.state == .failed ? "Retry" : "Send now" }
                }
            }
            if !model.history.isEmpty {
                Layout.table(
                    id: "posting-history", headers: ["Queued (UTC)", "Outcome", "Attempts", "Procore's message"],
                    rows: model.history.map { job in
                        [.text(IntegrationLogView.stamp(job.createdAt)), .text(IntegrationLogView.title(job.state)), .text(String(job.attempts)), .text(job.lastError ?? "")]
                    })
                // Everyone may read the log (the AP officer has no Administration menu to find it by).
                el("p") {
                    el("a", .href(SiteURL.integrationLog.path + "?kind=" + SyncJob.Kind.postInvoice.rawValue), .id("integration-log-link")) {
                        "Every posting in the Integration log ›"
                    }
                }
            }
        }
    }
}
