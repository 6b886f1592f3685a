import Foundation
import Vapor

/// `GET /_sandbox`: a small read-and-write console over the sandbox's data, so a person can see both sides of the
/// integration: companies, projects, vendors, commitments with their lines, direct costs, requisitions and webhook
/// deliveries, and create or edit a commitment "as if in Procore".
///
/// Writes go through the same code as the API's (validation, numbering, webhook events), made by a Procore web user
/// (`procore-web`), so Lentune treats them as changes made in Procore. Like the rest of `/_sandbox` it has no sign-in:
/// the sandbox is a local test and demo tool, bound to loopback.
enum ConsoleRoutes {
    static let webClientID = "procore-web"

    static func register(_ app: any RoutesBuilder, store: SandboxStore) {
        app.get("_sandbox") { req async throws -> Response in
            page(store: store, notice: req.query[String.self, at: "notice"], error: req.query[String.self, at: "error"])
        }
        app.post("_sandbox", "console", "commitments") { req async throws -> Response in
            let form = try req.content.decode([String: String].self)
            return redirect(req, createCommitment(form, store: store))
        }
        // Open or close a billing period "in Procore" (issue 29: a "no open billing period" hold could not be cleared
        // in the demo). Opening one closes the project's others: Procore keeps one open at a time.
        app.post("_sandbox", "console", "billing-periods", ":id") { req async throws -> Response in
            let form = try req.content.decode([String: String].self)
            let id = Int64(req.parameters.get("id") ?? "") ?? 0
            return redirect(req, setBillingPeriod(id, open: form["status"] == "open", store: store))
        }
        app.post("_sandbox", "console", "commitments", ":id") { req async throws -> Response in
            let form = try req.content.decode([String: String].self)
            let id = Int64(req.parameters.get("id") ?? "") ?? 0
            return redirect(req, asWebUser(store: store) { data, ctx throws(Sync.ItemError) in
                guard let index = data.purchaseOrders.firstIndex(where: { $0.id == id && $0.deletedAt == nil }),
                    let project = data.projects.first(where: { $0.id == data.purchaseOrders[index].projectID })
                else { throw Sync.ItemError("commitment", "does not exist") }
                var fields: JSON.Object = [:]
                if let title = form["title"], !title.isEmpty { fields["title"] = .string(title) }
                if let status = form["status"], !status.isEmpty { fields["status"] = .string(status) }
                // Lines are written while the commitment is open: add the line first, then set the status.
                let wanted = fields["status"]
                fields["status"] = nil
                var po = try PurchaseOrderRoutes.upsert(&data, fields, project: project, existing: index, ctx: ctx(project.companyID))
                if PurchaseOrderRoutes.isLocked(po), form["line_amount"]?.isEmpty == false {
                    throw Sync.ItemError("line_amount", "an approved commitment's lines cannot be changed: set it to Draft first")
                }
                try addLine(&data, form: form, commitment: po, project: project, ctx: ctx(project.companyID))
                if let wanted {
                    po = try PurchaseOrderRoutes.upsert(&data, ["status": wanted], project: project, existing: index, ctx: ctx(project.companyID))
                }
                return "Commitment \(po.number) saved."
            })
        }
    }

    /// The console's New commitment form: a commitment with one line, made by the Procore web user (webhook events
    /// included). Answers the notice the console shows.
    static func createCommitment(_ form: [String: String], store: SandboxStore) -> Result<String, Sync.ItemError> {
        asWebUser(store: store) { data, ctx throws(Sync.ItemError) in
            guard let project = Int64(form["project_id"] ?? "").flatMap({ id in data.projects.first { $0.id == id } }) else {
                throw Sync.ItemError("project_id", "choose a project")
            }
            var fields: JSON.Object = ["title": .string(form["title"] ?? ""), "status": .string(form["status"] ?? "Draft")]
            if let number = form["number"], !number.isEmpty { fields["number"] = .string(number) }
            if let vendor = Int64(form["vendor_id"] ?? "") { fields["vendor_id"] = .int(vendor) }
            let po = try PurchaseOrderRoutes.upsert(&data, fields, project: project, existing: nil, ctx: ctx(project.companyID))
            try addLine(&data, form: form, commitment: po, project: project, ctx: ctx(project.companyID))
            return "Commitment \(po.number) created in \(project.name)."
        }
    }

    /// Opens (closing the project's others) or closes a billing period.
    static func setBillingPeriod(_ id: Int64, open: Bool, store: SandboxStore) -> Result<String, Sync.ItemError> {
        let now = store.clock()
        return store.write { data in
            guard let index = data.billingPeriods.firstIndex(where: { $0.id == id }) else {
                return .failure(Sync.ItemError("billing_period", "does not exist"))
            }
            func set(_ period: Int, _ status: String) {
                guard data.billingPeriods[period].status != status else { return }
                data.billingPeriods[period].status = status
                data.billingPeriods[period].updatedAt = now
            }
            if open {
                let project = data.billingPeriods[index].projectID
                for other in data.billingPeriods.indices where data.billingPeriods[other].projectID == project { set(other, "closed") }
            }
            set(index, open ? "open" : "closed")
            let period = data.billingPeriods[index]
            return .success("Billing period \(period.position) (\(period.startDate) – \(period.endDate)) is \(period.status).")
        }
    }

    /// Runs a console write as the Procore web user.
    static func asWebUser(
        store: SandboxStore, _ body: (inout SandboxData, (Int64) -> APIContext) throws(Sync.ItemError) -> String
    ) -> Result<String, Sync.ItemError> {
        let now = store.clock()
        let outcome: Result<String, Sync.ItemError> = store.write { data in
            let user = data.users.first?.id ?? Seeds.defaultUserID
            let client = OAuthClient(
                clientID: webClientID, clientSecret: "", name: "Procore (web)", redirectURIs: [], userID: user,
                companyIDs: data.companies.map(\.id))
            let token = OAuthToken(accessToken: "", clientID: webClientID, userID: user, createdAt: now, expiresAt: now)
            let context = { (company: Int64) in
                APIContext(token: token, client: client, headerCompanyID: company, query: Query(nil), body: nil, store: store, now: now)
            }
            do throws(Sync.ItemError) {
                return .success(try body(&data, context))
            } catch {
                return .failure(error)
            }
        }
        return outcome
    }

    /// Back to the console with a write's outcome.
    static func redirect(_ req: Request, _ outcome: Result<String, Sync.ItemError>) -> Response {
        let query: String
        switch outcome {
        case .success(let notice): query = "notice=" + (notice.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        case .failure(let error):
            let text = error.errors.items.map { "\($0.0) \($0.1.joined(separator: ", "))" }.joined(separator: "; ")
            query = "error=" + (text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        }
        return req.redirect(to: "/_sandbox?" + query, redirectType: .normal)
    }

    /// One line from the form's `line_description`, `line_amount` and `wbs_code_id` (nothing when no amount is given).
    static func addLine(
        _ data: inout SandboxData, form: [String: String], commitment: PurchaseOrderContract, project: Project, ctx: APIContext
    ) throws(Sync.ItemError) {
        guard let amount = form["line_amount"], !amount.isEmpty else { return }
        guard let value = Decimal(string: amount, locale: Locale(identifier: "en_US_POSIX")) else {
            throw Sync.ItemError("line_amount", "is not a number")
        }
        var fields: JSON.Object = ["description": .string(form["line_description"] ?? ""), "amount": .decimal(value)]
        if let code = Int64(form["wbs_code_id"] ?? "") { fields["wbs_code_id"] = .int(code) }
        _ = try LineItemRoutes.upsert(&data, fields, holder: .purchaseOrder, holderID: commitment.id, project: project, existing: nil, ctx: ctx)
    }

    // MARK: - The page

    static func page(store: SandboxStore, notice: String?, error: String?) -> Response {
        let html = store.read { data in render(data, notice: notice, error: error) }
        var headers = HTTPHeaders()
        headers.contentType = .html
        return Response(status: .ok, headers: headers, body: .init(string: html))
    }

    static func h(_ text: String?) -> String {
        (text ?? "").replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func table(_ id: String, _ headers: [String], _ rows: [[String]]) -> String {
        guard !rows.isEmpty else { return "<p class=\"empty\" id=\"\(id)-empty\">None.</p>" }
        return "<table id=\"\(id)\"><thead><tr>" + headers.map { "<th>\(h($0))</th>" }.joined() + "</tr></thead><tbody>"
            + rows.map { "<tr>" + $0.map { "<td>\($0)</td>" }.joined() + "</tr>" }.joined() + "</tbody></table>"
    }

    static func options(_ items: [(String, String)], selected: String? = nil) -> String {
        items.map { "<option value=\"\(h($0.0))\"\($0.0 == selected ? " selected" : "")>\(h($0.1))</option>" }.joined()
    }

    static func render(_ data: SandboxData, notice: String?, error: String?) -> String {
        let money = { (value: Decimal) in NSDecimalNumber(decimal: value).stringValue }
        let statuses = PurchaseOrderContract.statuses.map { ($0, $0) }
        var body = "<h1>Procore sandbox</h1><p>Not Procore: a local stand-in with Procore's API. Changes made here are made by "
            + "“Procore (web)”, so Lentune hears of them by webhook like any change made in Procore.</p>"
        if let notice { body += "<p class=\"notice\" role=\"status\">\(h(notice))</p>" }
        if let error { body += "<p class=\"error\" role=\"alert\">\(h(error))</p>" }
        for company in data.companies {
            let projects = data.projects.filter { $0.companyID == company.id }
            let projectIDs = Set(projects.map(\.id))
            let vendors = data.vendors.filter { $0.companyID == company.id }
            let vendorName = { (id: Int64?) in id.flatMap { id in vendors.first { $0.id == id }?.name } ?? "—" }
            let projectName = { (id: Int64) in projects.first { $0.id == id }.map { "\($0.projectNumber ?? "") \($0.name)" } ?? "#\(id)" }
            body += "<section class=\"company\" data-company=\"\(company.id)\"><h2>\(h(company.name)) <small>#\(company.id)</small></h2>"
            body += "<h3>Projects</h3>" + table("projects-\(company.id)", ["Id", "Number", "Name", "Stage"], projects.map { project in
                [String(project.id), h(project.projectNumber), h(project.name), h(data.stages.first { $0.id == project.stageID }?.name)]
            })
            body += "<h3>Vendors</h3>" + table("vendors-\(company.id)", ["Id", "Name", "origin_id"], vendors.map { vendor in
                [String(vendor.id), h(vendor.name), h(vendor.originID)]
            })
            let commitments = data.purchaseOrders.filter { projectIDs.contains($0.projectID) && $0.deletedAt == nil }.sorted { $0.id < $1.id }
            body += "<h3>Commitments (purchase order contracts)</h3>" + table("commitments-\(company.id)",
                ["Id", "Project", "Number", "Title", "Status", "Vendor", "Lines", "Total", "origin_id", "Edit"], commitments.map { po in
                    let lines = data.poLineItems.filter { $0.holderID == po.id && $0.deletedAt == nil }.sorted { $0.position < $1.position }
                    let lineList = "<details><summary>\(lines.count)</summary><ol>" + lines.map { line in
                        "<li>\(h(line.description)): \(money(line.amount))</li>"
                    }.joined() + "</ol></details>"
                    let edit = "<form method=\"post\" action=\"/_sandbox/console/commitments/\(po.id)\" class=\"inline\">"
                        + "<select name=\"status\" aria-label=\"Status of \(h(po.number))\">\(options(statuses, selected: po.status))</select>"
                        + "<input name=\"line_description\" placeholder=\"new line\" aria-label=\"New line description\">"
                        + "<input name=\"line_amount\" placeholder=\"amount\" size=\"8\" aria-label=\"New line amount\">"
                        + "<select name=\"wbs_code_id\" aria-label=\"Budget code\">" + budgetCodes(data, project: po.projectID) + "</select>"
                        + "<button type=\"submit\">Save</button></form>"
                    return [String(po.id), h(projectName(po.projectID)), h(po.number), h(po.title), h(po.status), h(vendorName(po.vendorID)),
                            lineList, money(lines.reduce(0) { $0 + $1.amount }), h(po.originID), edit]
                })
            if let first = projects.first {
                body += "<form method=\"post\" action=\"/_sandbox/console/commitments\" id=\"new-commitment-\(company.id)\" class=\"stack\">"
                    + "<h4>New commitment</h4>"
                    + "<label>Project <select name=\"project_id\">\(options(projects.map { (String($0.id), "\($0.projectNumber ?? "") \($0.name)") }, selected: String(first.id)))</select></label>"
                    + "<label>Vendor <select name=\"vendor_id\">\(options(vendors.map { (String($0.id), $0.name) }))</select></label>"
                    + "<label>Number <input name=\"number\" placeholder=\"next in the project\"></label>"
                    + "<label>Title <input name=\"title\"></label>"
                    + "<label>Status <select name=\"status\">\(options(statuses, selected: "Approved"))</select></label>"
                    + "<label>Line <input name=\"line_description\" placeholder=\"description\"></label>"
                    + "<label>Amount <input name=\"line_amount\" placeholder=\"0.00\"></label>"
                    + "<label>Budget code <select name=\"wbs_code_id\">" + projects.map { budgetCodes(data, project: $0.id, label: $0.projectNumber) }.joined() + "</select></label>"
                    + "<button type=\"submit\">Create commitment</button></form>"
            }
            let costs = data.directCosts.filter { projectIDs.contains($0.projectID) && $0.deletedAt == nil }
            body += "<h3>Direct costs</h3>" + table("direct-costs-\(company.id)", ["Id", "Project", "Type", "Vendor", "Invoice number", "Status", "Total", "origin_id"],
                costs.map { cost in
                    let total = data.dcLineItems.filter { $0.holderID == cost.id }.reduce(Decimal(0)) { $0 + $1.amount }
                    return [String(cost.id), h(projectName(cost.projectID)), h(cost.directCostType), h(vendorName(cost.vendorID)), h(cost.invoiceNumber),
                            h(cost.status), money(total), h(cost.originID)]
                })
            let periods = data.billingPeriods.filter { projectIDs.contains($0.projectID) }.sorted { ($0.projectID, $0.position) < ($1.projectID, $1.position) }
            body += "<h3>Billing periods</h3>" + table("billing-periods-\(company.id)", ["Id", "Project", "Period", "From", "To", "Due", "Status", ""],
                periods.map { period in
                    let target = period.status == "open" ? "closed" : "open"
                    let button = "<form method=\"post\" action=\"/_sandbox/console/billing-periods/\(period.id)\" class=\"inline\">"
                        + "<input type=\"hidden\" name=\"status\" value=\"\(target)\">"
                        + "<button type=\"submit\" id=\"billing-period-\(period.id)-\(target)\">\(target == "open" ? "Open" : "Close")</button></form>"
                    return [String(period.id), h(projectName(period.projectID)), String(period.position), h(period.startDate), h(period.endDate),
                            h(period.dueDate), h(period.status), button]
                })
            let requisitions = data.requisitions.filter { projectIDs.contains($0.projectID) }
            body += "<h3>Requisitions (subcontractor invoices)</h3>" + table("requisitions-\(company.id)", ["Id", "Commitment", "Period", "Invoice number", "Status", "This period", "origin_id"],
                requisitions.map { requisition in
                    let period = requisition.items.reduce(Decimal(0)) { $0 + $1.workCompletedThisPeriod + $1.materialsPresentlyStored }
                    return [String(requisition.id), String(requisition.commitmentID), String(requisition.periodID), h(requisition.invoiceNumber),
                            h(requisition.status), money(period), h(requisition.originID)]
                })
            body += "</section>"
        }
        let deliveries = data.deliveries.suffix(50).reversed()
        body += "<h2>Webhook deliveries (latest 50)</h2>" + table("deliveries", ["Id", "Resource", "Event", "Status", "Attempts", "Last answer"],
            deliveries.map { delivery in
                [String(delivery.id), h(delivery.resourceName), h(delivery.eventType), h(delivery.status), String(delivery.attempts.count),
                 delivery.attempts.last.map { h($0.responseStatus.map(String.init) ?? $0.error) } ?? ""]
            })
        return """
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Procore sandbox</title>
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <style>body{font:14px system-ui,sans-serif;margin:1.5rem;max-width:90rem}\
            table{border-collapse:collapse;margin:.5rem 0 1rem;display:block;max-width:100%;overflow-x:auto}\
            input,select,textarea{max-width:100%}@media (max-width:40rem){body{margin:.75rem}}\
            td,th{border:1px solid #ccc;padding:.2rem .4rem;text-align:left;vertical-align:top}.notice{color:#075}.error{color:#a00}\
            form.stack label{display:block;margin:.2rem 0}.inline{display:inline}</style></head><body>\(body)</body></html>
            """
    }

    static func budgetCodes(_ data: SandboxData, project: Int64, label: String? = nil) -> String {
        data.wbsCodes.filter { $0.projectID == project && $0.status == "active" }.prefix(200).map { code in
            let name = WBSRoutes.flatCode(code, data: data)
            return "<option value=\"\(code.id)\">\(h((label.map { "\($0): " } ?? "") + name))</option>"
        }.joined()
    }
}
