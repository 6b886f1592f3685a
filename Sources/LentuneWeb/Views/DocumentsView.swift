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

    static func suppliers(viewer: Viewer, suppliers: [Supplier], procore: ProcoreContext) -> HTML {
        // Vendors belong to a Procore company: a supplier is one vendor in each company it works for.
        let rows = Dictionary(procore.rows.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let several = procore.rows.count > 1
        return Layout.page(title: "Suppliers", viewer: viewer, section: .suppliers) {
            if suppliers.isEmpty {
                Layout.emptyState("No suppliers yet.")
            } else {
                Layout.table(
                    id: "suppliers", headers: ["Name", "Source", "Procore vendor"],
                    rows: suppliers.map { supplier in
                        [
                            .text(supplier.name),
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

    static func projects(viewer: Viewer, projects: [Project], procore: ProcoreContext) -> HTML {
        let names = Dictionary(uniqueKeysWithValues: procore.rows.map { ($0.id, $0.name) })
        return Layout.page(title: "Projects", viewer: viewer, section: .projects) {
            if projects.isEmpty {
                Layout.emptyState("No projects yet.")
            } else {
                Layout.table(
                    id: "projects", headers: ["Code", "Name", "Source", "Procore project", "Active"],
                    rows: projects.map { project in
                        [
                            el("a", .href(SiteURL.project(project.id.rawValue).path)) { project.code },
                            .text(project.name),
                            .text(project.procoreCompanyLinkID.flatMap { names[$0] }.map { "Procore (\($0))" } ?? "Lentune"),
                            project.procoreProjectID.map { procore.link(.project($0), id: $0) } ?? .text("not linked"),
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
