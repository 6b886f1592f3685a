import Foundation
import LentuneCore
import LentunePersistence

enum DocumentsView {
    struct ProcoreContext {
        var environment: ProcoreEnvironment?
        var rows: [ProcoreCompanyLink]

        /// "View in Procore" for a target, when the environment has a web app; otherwise the Procore id as text.
        func link(_ target: ProcoreWebLinks.Target, id: ProcoreID) -> HTML {
            guard let environment, let url = ProcoreWebLinks.url(target, environment: environment) else { return .text("#\(id)") }
            return el("a", .href(url.absoluteString), .init("target", "_blank"), .init("rel", "noopener")) { "#\(id) ↗" }
        }
    }

    /// The supplier list's columns, in the order of its headings.
    enum SupplierColumn: String, CaseIterable { case name, source, vendor }
    typealias SupplierOrder = ColumnOrder<SupplierColumn>

    static func suppliers(viewer: Viewer, suppliers: [Supplier], order: SupplierOrder, procore: ProcoreContext) -> HTML {
        // Vendors belong to a Procore company: a supplier is one vendor in each company it works for.
        let rows = Dictionary(procore.rows.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let several = procore.rows.count > 1
        let shown = order.sorted(suppliers) { supplier, column in
            switch column {
            case .name: supplier.name
            case .source: supplier.procoreVendors.isEmpty ? "Lentune" : "Procore"
            case .vendor: supplier.procoreVendors.values.sorted().map(String.init).joined(separator: " ")
            }
        }
        let base = SiteURL.suppliers.path
        return Layout.page(title: "Suppliers", viewer: viewer, section: .suppliers) {
            if suppliers.isEmpty {
                Layout.emptyState("No suppliers yet.")
            } else {
                el("p", .class("hint list-meta")) { el("span", .id("result-count")) { "\(suppliers.count) supplier\(suppliers.count == 1 ? "" : "s")" } }
                Layout.table(
                    id: "suppliers",
                    headings: [order.heading("Name", .name, base: base), order.heading("Source", .source, base: base),
                               order.heading("Procore vendor", .vendor, base: base)],
                    rows: shown.map { supplier in
                        [
                            el("a", .href(SiteURL.supplier(supplier.id.rawValue).path)) { supplier.name },
                            .text(supplier.procoreVendors.isEmpty ? "Lentune" : "Procore"),
                            supplier.procoreVendors.isEmpty
                                ? .text("not linked")
                                : .fragment(supplier.procoreVendors.sorted { $0.value < $1.value }.map { row, vendor in
                                    guard let company = rows[row] else { return .text("#\(vendor) ") }
                                    return .fragment([
                                        procore.link(.vendor(company: company.procoreCompanyID, vendor: vendor), id: vendor),
                                        .text(several ? " (\(company.name)) " : " "),
                                    ])
                                }),
                        ]
                    })
            }
        }
    }

    /// The project list's columns, in the order of its headings.
    enum ProjectColumn: String, CaseIterable { case code, name, source, procore, active }
    typealias ProjectOrder = ColumnOrder<ProjectColumn>

    static func projects(viewer: Viewer, projects: [Project], order: ProjectOrder, procore: ProcoreContext) -> HTML {
        let names = Dictionary(uniqueKeysWithValues: procore.rows.map { ($0.id, $0.name) })
        func source(_ project: Project) -> String {
            project.procoreCompanyLinkID.flatMap { names[$0] }.map { "Procore (\($0))" } ?? "Lentune"
        }
        let shown = order.sorted(projects) { project, column in
            switch column {
            case .code: project.code
            case .name: project.name
            case .source: source(project)
            case .procore: project.procoreProjectID.map(String.init) ?? ""
            // Active ones first when ascending.
            case .active: project.isActive ? "0" : "1"
            }
        }
        let base = SiteURL.projects.path
        return Layout.page(title: "Projects", viewer: viewer, section: .projects) {
            if projects.isEmpty {
                Layout.emptyState("No projects yet.")
            } else {
                el("p", .class("hint list-meta")) { el("span", .id("result-count")) { "\(projects.count) project\(projects.count == 1 ? "" : "s")" } }
                Layout.table(
                    id: "projects",
                    headings: [order.heading("Code", .code, base: base), order.heading("Name", .name, base: base),
                               order.heading("Source", .source, base: base), order.heading("Procore project", .procore, base: base),
                               order.heading("Active", .active, base: base)],
                    rows: shown.map { project in
                        [
                            el("a", .href(SiteURL.project(project.id.rawValue).path)) { project.code },
                            .text(project.name),
                            .text(source(project)),
                            project.procoreProjectID.map { procore.link(.project($0), id: $0) } ?? .text("not linked"),
                            .text(project.isActive ? "Yes" : "No"),
                        ]
                    })
            }
        }
    }

    /// A supplier's or project's newest POs and invoices, each with how many there are and a link to the whole list.
    struct Documents {
        var purchaseOrders: [PurchaseOrders.ListItem]
        var purchaseOrderTotal: Int
        var invoices: [Invoice]
        var invoiceTotal: Int
        var suppliers: [Supplier.ID: String]
        var projects: [Project.ID: String]
    }

    static func related(_ documents: Documents, purchaseOrderList: String, invoiceList: String) -> HTML {
        .fragment([
            el("section", .id("purchase-orders-of")) {
                el("h2") { "Purchase orders (\(documents.purchaseOrderTotal))" }
                if documents.purchaseOrders.isEmpty {
                    Layout.emptyState("No purchase orders.")
                } else {
                    Layout.table(
                        id: "related-purchase-orders", headers: ["Number", "Title", "Supplier", "Project", "Total incl. tax", "Status"],
                        rows: documents.purchaseOrders.map { po in
                            [
                                el("a", .href(SiteURL.purchaseOrder(po.id.rawValue).path)) { po.number }, .text(po.title), .text(po.supplier),
                                .text(po.projectCode), .text(Money.display(po.totalIncludingTax)), .text(po.status.title),
                            ]
                        })
                    if documents.purchaseOrderTotal > documents.purchaseOrders.count {
                        el("p") { el("a", .href(purchaseOrderList)) { "All \(documents.purchaseOrderTotal) purchase orders ›" } }
                    }
                }
            },
            el("section", .id("invoices-of")) {
                el("h2") { "Invoices (\(documents.invoiceTotal))" }
                if documents.invoices.isEmpty {
                    Layout.emptyState("No invoices.")
                } else {
                    Layout.table(
                        id: "related-invoices", headers: ["Number", "Supplier", "Project", "Date", "Stage", "Total incl. GST"],
                        rows: documents.invoices.map { invoice in
                            [
                                el("a", .href(SiteURL.invoice(invoice.id.rawValue).path)) { invoice.number },
                                .text(documents.suppliers[invoice.supplierID] ?? "—"), .text(invoice.projectID.flatMap { documents.projects[$0] } ?? "—"),
                                .text(day(invoice.invoiceDate)), .text(invoice.status.title), .text(Money.display(invoice.statedTotalIncludingTax)),
                            ]
                        })
                    if documents.invoiceTotal > documents.invoices.count {
                        el("p") { el("a", .href(invoiceList)) { "All \(documents.invoiceTotal) invoices ›" } }
                    }
                }
            },
        ])
    }

    static func supplier(viewer: Viewer, supplier: Supplier, documents: Documents, procore: ProcoreContext) -> HTML {
        let rows = Dictionary(procore.rows.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return Layout.page(title: supplier.name, viewer: viewer, section: .suppliers) {
            el("dl", .class("facts")) {
                el("dt") { "Source" }
                el("dd", .id("source")) { supplier.procoreVendors.isEmpty ? "Lentune" : "Procore" }
                el("dt") { "Procore vendor" }
                el("dd", .id("procore-vendors")) {
                    if supplier.procoreVendors.isEmpty { "not linked" }
                    for (row, vendor) in supplier.procoreVendors.sorted(by: { $0.value < $1.value }) {
                        if let company = rows[row] {
                            procore.link(.vendor(company: company.procoreCompanyID, vendor: vendor), id: vendor)
                            " (\(company.name)) "
                        } else {
                            "#\(vendor) "
                        }
                    }
                }
            }
            related(
                documents, purchaseOrderList: SiteURL.purchaseOrders.path + "?supplier=\(supplier.id.rawValue.uuidString)",
                invoiceList: SiteURL.invoices.path + "?supplier=\(supplier.id.rawValue.uuidString)")
        }
    }

    static func project(viewer: Viewer, project: Project, costCodes: [CostCode], documents: Documents, procore: ProcoreContext) -> HTML {
        let names = Dictionary(uniqueKeysWithValues: procore.rows.map { ($0.id, $0.name) })
        return Layout.page(title: "\(project.code) \(project.name)", viewer: viewer, section: .projects) {
            el("dl", .class("facts")) {
                el("dt") { "Source" }
                el("dd", .id("source")) { project.procoreCompanyLinkID.flatMap { names[$0] }.map { "Procore (\($0))" } ?? "Lentune" }
                el("dt") { "Procore project" }
                el("dd", .id("procore-project")) { project.procoreProjectID.map { procore.link(.project($0), id: $0) } ?? .text("not linked") }
            }
            related(
                documents, purchaseOrderList: SiteURL.purchaseOrders.path + "?project=\(project.id.rawValue.uuidString)",
                invoiceList: SiteURL.invoices.path + "?project=\(project.id.rawValue.uuidString)")
            el("h2") { "Cost codes" }
            if costCodes.isEmpty {
                Layout.emptyState("This project has no cost codes yet.")
            } else {
                Layout.table(id: "cost-codes", headers: ["Code", "Name"], rows: costCodes.map { [.text($0.code), .text($0.name)] })
            }
        }
    }

    static func day(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day())
    }
}
