import Foundation
import Vapor

/// The sandbox's stand-in for Procore's web app: the pages a "View in Procore" link opens (issue 29), at the paths of
/// Procore's own web app (`ProcoreWebLinks` in LentuneCore builds them), so a link made in the demo opens the record
/// it names, as it would on app.procore.com. Each page names the record and its main facts and links to the
/// console; an unknown or deleted record is a 404 page. Read-only and, like the console, without sign-in.
enum WebAppRoutes {
    /// The first segment is the company's or the project's id (one parameter name: the router allows no other).
    static func register(_ app: any RoutesBuilder, store: SandboxStore) {
        app.get(":owner", "company", "home", "list") { req in
            try answer(store) { data in
                let company = id(req, "owner")
                return data.companies.first { $0.id == company }.map { ("Company \($0.name)", [("Id", String($0.id))]) }
            }
        }
        app.get(":owner", "project", "home") { req in
            try answer(store) { data in
                let project = id(req, "owner")
                return data.projects.first { $0.id == project }.map { project in
                    ("Project \(project.projectNumber.map { "\($0) " } ?? "")\(project.name)",
                     [("Id", String(project.id)), ("Stage", data.stages.first { $0.id == project.stageID }?.name ?? "—")])
                }
            }
        }
        app.get(":owner", "company", "directory", "vendors", ":vendor") { req in
            try answer(store) { data in
                let (company, vendor) = (id(req, "owner"), id(req, "vendor"))
                return data.vendors.first { $0.id == vendor && $0.companyID == company }.map { ("Vendor \($0.name)", [("Id", String($0.id))]) }
            }
        }
        app.get(":owner", "project", "commitments", "purchase_order_contracts", ":commitment") { req in
            try answer(store) { data in
                let (project, commitment) = (id(req, "owner"), id(req, "commitment"))
                return data.purchaseOrders.first { $0.id == commitment && $0.projectID == project && $0.deletedAt == nil }.map { po in
                    let total = data.poLineItems.filter { $0.holderID == po.id && $0.deletedAt == nil }.reduce(Decimal(0)) { $0 + $1.amount }
                    return ("Commitment \(po.number) \(po.title ?? "")",
                            [("Id", String(po.id)), ("Status", po.status), ("Total", money(total)), ("origin_id", po.originID ?? "—")])
                }
            }
        }
        app.get(":owner", "project", "direct_costs", ":cost") { req in
            try answer(store) { data in
                let (project, wanted) = (id(req, "owner"), id(req, "cost"))
                return data.directCosts.first { $0.id == wanted && $0.projectID == project && $0.deletedAt == nil }.map { cost in
                    let total = data.dcLineItems.filter { $0.holderID == cost.id }.reduce(Decimal(0)) { $0 + $1.amount }
                    return ("Direct cost \(cost.invoiceNumber ?? "#\(cost.id)")",
                            [("Id", String(cost.id)), ("Type", cost.directCostType), ("Status", cost.status), ("Total", money(total)),
                             ("origin_id", cost.originID ?? "—")])
                }
            }
        }
        app.get(":owner", "project", "commitments", "purchase_order_contracts", ":commitment", "invoices", ":requisition") { req in
            try answer(store) { data in
                let (project, commitment, wanted) = (id(req, "owner"), id(req, "commitment"), id(req, "requisition"))
                return data.requisitions.first { $0.id == wanted && $0.projectID == project && $0.commitmentID == commitment }.map { requisition in
                    let number = data.purchaseOrders.first { $0.id == commitment }?.number ?? "#\(commitment)"
                    return ("Subcontractor invoice \(requisition.invoiceNumber ?? "#\(requisition.id)") on commitment \(number)",
                            [("Id", String(requisition.id)), ("Status", requisition.status), ("Billing period", String(requisition.periodID)),
                             ("origin_id", requisition.originID ?? "—")])
                }
            }
        }
    }

    /// A path's id: a positive number, else 0, which names no record (its page is the 404 page).
    static func id(_ req: Request, _ name: String) -> Int64 {
        guard let text = req.parameters.get(name), let value = Int64(text), value > 0 else { return 0 }
        return value
    }

    static func money(_ value: Decimal) -> String { NSDecimalNumber(decimal: value).stringValue }

    /// The record's page, or a 404 page when `find` finds none.
    static func answer(_ store: SandboxStore, _ find: (SandboxData) throws -> (title: String, facts: [(String, String)])?) throws -> Response {
        let found = try store.read { data in try find(data) }
        let h = ConsoleRoutes.h
        let (status, title, body): (HTTPResponseStatus, String, String) =
            if let found {
                (.ok, found.title, "<dl id=\"facts\">" + found.facts.map { "<dt>\(h($0.0))</dt><dd>\(h($0.1))</dd>" }.joined() + "</dl>")
            } else {
                (.notFound, "Not found", "<p>There is no such record in this sandbox.</p>")
            }
        var headers = HTTPHeaders()
        headers.contentType = .html
        let html = """
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>\(h(title)) · Procore sandbox</title>
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <style>body{font:14px system-ui,sans-serif;margin:1.5rem;max-width:60rem}dt{font-weight:600}dd{margin:0 0 .4rem}</style></head>
            <body><p>Procore sandbox: the page Procore's web app shows for this record.</p><h1 id="record">\(h(title))</h1>\(body)
            <p><a href="/_sandbox">Sandbox console</a></p></body></html>
            """
        return Response(status: status, headers: headers, body: .init(string: html))
    }
}
