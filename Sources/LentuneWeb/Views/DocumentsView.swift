import Foundation
import LentuneCore
import LentunePersistence

enum DocumentsView {
    static func invoices(viewer: Viewer, invoices: [InvoiceRecord], supplierNames: [UUID: String]) -> HTML {
        Layout.page(title: "Invoices", viewer: viewer, section: .invoices) {
            if invoices.isEmpty {
                Layout.emptyState("No invoices yet.")
            } else {
                Layout.table(
                    id: "invoices", headers: ["Number", "Supplier", "Date", "Status", "Total excl. tax"],
                    rows: invoices.map { invoice in
                        [
                            .text(invoice.number), .text(supplierNames[invoice.supplierID] ?? "—"),
                            .text(day(invoice.invoiceDate)), .text(invoice.status.replacingOccurrences(of: "_", with: " ")),
                            .text(Money.display(Decimal(invoice.statedTotalExcludingTaxCents) / 100)),
                        ]
                    })
            }
        }
    }

    static func purchaseOrders(
        viewer: Viewer, orders: [PurchaseOrderRecord], suppliers: [UUID: String], projects: [UUID: String]
    ) -> HTML {
        Layout.page(title: "Purchase Orders", viewer: viewer, section: .purchaseOrders) {
            if orders.isEmpty {
                Layout.emptyState("No purchase orders yet.")
            } else {
                Layout.table(
                    id: "purchase-orders", headers: ["Number", "Supplier", "Project", "Total incl. tax", "Status", "Source"],
                    rows: orders.map { po in
                        [
                            el("a", .href(SiteURL.purchaseOrder(po.id!).path)) { po.number },
                            .text(suppliers[po.supplierID] ?? "—"), .text(projects[po.projectID] ?? "—"),
                            .text(Money.display(Decimal(po.totalExcludingTaxCents + po.taxCents) / 100)),
                            .text(PurchaseOrder.Status(rawValue: po.status)?.title ?? po.status),
                            .text(po.origin == PurchaseOrder.Origin.procore.rawValue ? "Procore" : "Lentune"),
                        ]
                    })
            }
        }
    }

    static func purchaseOrder(viewer: Viewer, po: PurchaseOrder, supplier: String, project: String) -> HTML {
        let totals = po.totals
        return Layout.page(title: "Purchase order \(po.number)", viewer: viewer, section: .purchaseOrders) {
            el("dl", .class("facts")) {
                el("dt") { "Source" }
                el("dd", .id("source")) { po.origin == .procore ? "Source: Procore" : "Source: Lentune" }
                el("dt") { "Status" }
                el("dd") { po.status.title }
                el("dt") { "Supplier" }
                el("dd") { supplier }
                el("dt") { "Project" }
                el("dd") { project }
                el("dt") { "Title" }
                el("dd") { po.title }
                if !po.description.isEmpty {
                    el("dt") { "Description" }
                    el("dd") { po.description }
                }
            }
            Layout.table(
                id: "lines", headers: ["Description", "Quantity", "Unit cost", "Amount", "Tax"],
                rows: po.lines.map { line in
                    [
                        .text(line.description), .text("\(line.quantity)"), .text(Money.display(line.unitCost)),
                        .text(Money.display(line.amount)), .text(Money.display(line.tax)),
                    ]
                })
            el("p", .id("totals")) {
                "Total excl. tax \(Money.display(totals.excludingTax)) · Tax \(Money.display(totals.tax)) · "
                    + "Total incl. tax \(Money.display(totals.includingTax))"
            }
        }
    }

    static func suppliers(viewer: Viewer, suppliers: [Supplier]) -> HTML {
        Layout.page(title: "Suppliers", viewer: viewer, section: .suppliers) {
            if suppliers.isEmpty {
                Layout.emptyState("No suppliers yet.")
            } else {
                Layout.table(
                    id: "suppliers", headers: ["Name", "Procore vendor"],
                    rows: suppliers.map { [.text($0.name), .text($0.procoreVendorID.map { "#\($0)" } ?? "not linked")] })
            }
        }
    }

    static func projects(viewer: Viewer, projects: [Project]) -> HTML {
        Layout.page(title: "Projects", viewer: viewer, section: .projects) {
            if projects.isEmpty {
                Layout.emptyState("No projects yet.")
            } else {
                Layout.table(
                    id: "projects", headers: ["Code", "Name", "Procore project", "Active"],
                    rows: projects.map { project in
                        [
                            el("a", .href(SiteURL.project(project.id.rawValue).path)) { project.code },
                            .text(project.name), .text(project.procoreProjectID.map { "#\($0)" } ?? "not linked"),
                            .text(project.isActive ? "Yes" : "No"),
                        ]
                    })
            }
        }
    }

    static func project(viewer: Viewer, project: Project, costCodes: [CostCode]) -> HTML {
        Layout.page(title: "\(project.code) \(project.name)", viewer: viewer, section: .projects) {
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
