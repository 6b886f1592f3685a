import Foundation
import LentuneCore
import LentunePersistence

enum DocumentsView {
    static func invoices(viewer: Viewer, invoices: [Invoice], supplierNames: [UUID: String]) -> HTML {
        Layout.page(title: "Invoices", viewer: viewer, section: .invoices) {
            if invoices.isEmpty {
                Layout.emptyState("No invoices yet.")
            } else {
                Layout.table(
                    id: "invoices", headers: ["Number", "Supplier", "Date", "Status", "Total excl. tax"],
                    rows: invoices.map { invoice in
                        [
                            .text(invoice.number), .text(supplierNames[invoice.supplierID.rawValue] ?? "—"),
                            .text(day(invoice.invoiceDate)), .text(invoice.status.rawValue.replacingOccurrences(of: "_", with: " ")),
                            .text(Money.display(invoice.statedTotalExcludingTax)),
                        ]
                    })
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
