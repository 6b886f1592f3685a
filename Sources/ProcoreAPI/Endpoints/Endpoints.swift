import Foundation

/// Pure request builders: one function per Procore call Lentune makes.
extension Procore.Endpoint {
    public typealias ID = Procore.ID

    // MARK: - OAuth (auth host)

    public static func token(grant: Procore.Grant, clientID: String, clientSecret: String, code: String? = nil) -> Self {
        var form = [QueryItem("client_id", clientID), QueryItem("client_secret", clientSecret)]
        switch grant {
        case .clientCredentials:
            form.insert(QueryItem("grant_type", "client_credentials"), at: 0)
        case .authorizationCode(let redirectURI):
            form.insert(QueryItem("grant_type", "authorization_code"), at: 0)
            form += [QueryItem("code", code ?? ""), QueryItem("redirect_uri", redirectURI)]
        }
        return Self(.POST, "/oauth/token", body: .form(form), host: .auth, needsCompany: false).idempotentRetry()
    }

    public static func refresh(refreshToken: String, clientID: String, clientSecret: String, redirectURI: String?) -> Self {
        var form = [
            QueryItem("grant_type", "refresh_token"), QueryItem("refresh_token", refreshToken),
            QueryItem("client_id", clientID), QueryItem("client_secret", clientSecret),
        ]
        if let redirectURI { form.append(QueryItem("redirect_uri", redirectURI)) }
        // Never retried blindly: the refresh token dies the moment the server sees it.
        return Self(.POST, "/oauth/token", body: .form(form), host: .auth, needsCompany: false)
    }

    /// The consent page URL for the authorization code grant.
    public static func authorizeURL(environment: Procore.Environment, clientID: String, redirectURI: String, state: String) -> URL {
        Self(.GET, "/oauth/authorize", query: [
            QueryItem("response_type", "code"), QueryItem("client_id", clientID), QueryItem("redirect_uri", redirectURI),
            QueryItem("state", state),
        ], host: .auth).url(base: environment.authBaseURL)
    }

    // MARK: - Identity and companies

    public static let me = Self(.GET, "/rest/v1.0/me")

    public static func companies(page: Int = 1, perPage: Int = 100) -> Self {
        Self(.GET, "/rest/v1.0/companies", query: paging(page, perPage))
    }

    // MARK: - Reference data

    public static func projects(company: ID, filter: Procore.ListFilter = .none, page: Int = 1, perPage: Int = 300) -> Self {
        Self(.GET, "/rest/v1.1/projects", query: [QueryItem("company_id", String(company))] + filter.queryItems + paging(page, perPage))
    }

    public static func project(company: ID, id: ID) -> Self {
        Self(.GET, "/rest/v1.0/projects/\(id)", query: [QueryItem("company_id", String(company))])
    }

    public static func projectStages(company: ID, page: Int = 1, perPage: Int = 100) -> Self {
        var endpoint = Self(.GET, "/rest/v1.0/companies/\(company)/project_stages", query: paging(page, perPage))
        endpoint.company = company
        return endpoint
    }

    public static func vendors(company: ID, filter: Procore.ListFilter = .none, page: Int = 1, perPage: Int = 100) -> Self {
        Self(.GET, "/rest/v1.0/vendors", query: [QueryItem("company_id", String(company))] + filter.queryItems + paging(page, perPage))
    }

    public static func createVendor(company: ID, _ vendor: Procore.VendorWrite) -> Self {
        Self(.POST, "/rest/v1.0/vendors", body: json(["company_id": .int(company), "vendor": .encodable(vendor)]))
    }

    public static func syncVendors(company: ID, _ updates: [Procore.VendorWrite]) -> Self {
        Self(.PATCH, "/rest/v1.0/vendors/sync", body: json(["company_id": .int(company), "updates": .encodable(updates)]))
    }

    public static func costCodes(project: ID, filter: Procore.ListFilter = .none, page: Int = 1, perPage: Int = 100) -> Self {
        Self(.GET, "/rest/v1.0/cost_codes", query: [QueryItem("project_id", String(project))] + filter.queryItems + paging(page, perPage))
    }

    public static func wbsCodes(project: ID, page: Int = 1, perPage: Int = 1000) -> Self {
        Self(.GET, "/rest/v1.0/projects/\(project)/work_breakdown_structure/wbs_codes", query: paging(page, perPage))
    }

    /// Procore updates the budget code of an existing combination instead of creating a second one, so a repeat is
    /// safe.
    public static func upsertWBSCode(project: ID, _ code: Procore.WBSCodeWrite) -> Self {
        Self(.POST, "/rest/v1.0/projects/\(project)/work_breakdown_structure/wbs_codes", body: json([
            "description": code.description.map(Field.string) ?? .encodable(String?.none),
            "segment_items": .encodable(code.segmentItems),
        ])).idempotentRetry()
    }

    public static func lineItemTypes(company: ID, page: Int = 1, perPage: Int = 100) -> Self {
        Self(.GET, "/rest/v1.0/line_item_types", query: [QueryItem("company_id", String(company))] + paging(page, perPage))
    }

    public static func syncLineItemTypes(company: ID, _ updates: [Procore.LineItemTypeWrite]) -> Self {
        Self(.PATCH, "/rest/v1.0/line_item_types/sync", body: json(["company_id": .int(company), "updates": .encodable(updates)]))
    }

    public static func taxCodes(company: ID, page: Int = 1, perPage: Int = 100) -> Self {
        Self(.GET, "/rest/v1.0/tax_codes", query: [QueryItem("company_id", String(company))] + paging(page, min(perPage, 100)))
    }

    public static func unitsOfMeasure(company: ID, page: Int = 1, perPage: Int = 100) -> Self {
        Self(.GET, "/rest/v1.0/companies/\(company)/uoms", query: paging(page, perPage))
    }

    // MARK: - Purchase order contracts

    public static func purchaseOrders(project: ID, filter: Procore.ListFilter = .none, page: Int = 1, perPage: Int = 100) -> Self {
        Self(.GET, "/rest/v1.0/purchase_order_contracts", query: [QueryItem("project_id", String(project))] + filter.queryItems + paging(page, perPage))
    }

    public static func purchaseOrder(project: ID, id: ID) -> Self {
        Self(.GET, "/rest/v1.0/purchase_order_contracts/\(id)", query: [QueryItem("project_id", String(project))])
    }

    public static func createPurchaseOrder(project: ID, _ po: Procore.PurchaseOrderContractWrite) -> Self {
        Self(.POST, "/rest/v1.0/purchase_order_contracts", body: json(["project_id": .int(project), "purchase_order_contract": .encodable(po)]))
    }

    public static func updatePurchaseOrder(project: ID, id: ID, _ po: Procore.PurchaseOrderContractWrite) -> Self {
        Self(.PATCH, "/rest/v1.0/purchase_order_contracts/\(id)", body: json(["project_id": .int(project), "purchase_order_contract": .encodable(po)]))
    }

    public static func deletePurchaseOrder(project: ID, id: ID) -> Self {
        Self(.DELETE, "/rest/v1.0/purchase_order_contracts/\(id)", query: [QueryItem("project_id", String(project))])
    }

    public static func syncPurchaseOrders(project: ID, _ updates: [Procore.PurchaseOrderContractWrite]) -> Self {
        Self(.PATCH, "/rest/v1.0/purchase_order_contracts/sync", body: json(["project_id": .int(project), "updates": .encodable(updates)]))
    }

    public static func purchaseOrderLineItems(project: ID, purchaseOrder: ID, page: Int = 1, perPage: Int = 100) -> Self {
        Self(.GET, "/rest/v1.0/purchase_order_contracts/\(purchaseOrder)/line_items", query: [QueryItem("project_id", String(project))] + paging(page, perPage))
    }

    public static func deletePurchaseOrderLineItem(project: ID, purchaseOrder: ID, id: ID) -> Self {
        Self(.DELETE, "/rest/v1.0/purchase_order_contracts/\(purchaseOrder)/line_items/\(id)", query: [QueryItem("project_id", String(project))])
    }

    public static func syncPurchaseOrderLineItems(project: ID, purchaseOrder: ID, _ updates: [Procore.LineItemWrite]) -> Self {
        Self(.PATCH, "/rest/v1.0/purchase_order_contracts/\(purchaseOrder)/line_items/sync",
             query: [QueryItem("project_id", String(project))], body: json(["updates": .encodable(updates)]))
    }

    // MARK: - Direct costs, billing periods, requisitions

    public static func directCosts(project: ID, filter: Procore.ListFilter = .none, invoiceNumber: String? = nil, page: Int = 1, perPage: Int = 100) -> Self {
        var query = filter.queryItems
        if let invoiceNumber { query.append(QueryItem("filters[invoice_number]", invoiceNumber)) }
        return Self(.GET, "/rest/v1.1/projects/\(project)/direct_costs", query: query + paging(page, perPage))
    }

    /// Creates a direct cost with its lines; with `attachments`, in the same request as Procore's create allows it
    /// (the whole payload as `multipart/form-data`, the files as `attachments[]`: the excerpt's Body92).
    public static func createDirectCost(project: ID, _ cost: Procore.DirectCostWrite, attachments: [Procore.Upload] = []) -> Self {
        let path = "/rest/v1.1/projects/\(project)/direct_costs"
        guard !attachments.isEmpty else { return Self(.POST, path, body: json(["direct_cost": .encodable(cost)])) }
        return Self(.POST, path, body: .multipart(
            boundary: "lentune-\(UUID().uuidString)", fields: formFields(cost),
            files: attachments.map { .init(field: "attachments[]", filename: $0.filename, contentType: $0.contentType, data: $0.data) }))
    }

    /// The direct cost's fields as Rails-style form fields (`direct_cost[line_items][0][wbs_code_id]`), numbers
    /// written exactly.
    static func formFields(_ cost: Procore.DirectCostWrite) -> [QueryItem] {
        var fields: [QueryItem] = []
        func add(_ name: String, _ value: String?) { if let value { fields.append(QueryItem("direct_cost[\(name)]", value)) } }
        add("direct_cost_type", cost.directCostType)
        add("vendor_id", cost.vendorId.map { String($0) })
        add("invoice_number", cost.invoiceNumber)
        add("direct_cost_date", cost.directCostDate?.description)
        add("received_date", cost.receivedDate?.description)
        add("status", cost.status)
        add("description", cost.description)
        add("origin_id", cost.originId)
        for (index, line) in cost.lineItems.enumerated() {
            let prefix = "line_items][\(index)]["
            add(prefix + "description", line.description)
            add(prefix + "manual_amount", line.manualAmount.map { NSDecimalNumber(decimal: $0).stringValue })
            add(prefix + "wbs_code_id", String(line.wbsCodeId))
            add(prefix + "tax_code_id", line.taxCodeId.map { String($0) })
            add(prefix + "origin_id", line.originId)
        }
        return fields
    }

    public static func directCost(project: ID, id: ID) -> Self {
        Self(.GET, "/rest/v1.1/projects/\(project)/direct_costs/\(id)")
    }

    /// Adds files to a direct cost (`attachments[]`, multipart; the v1.1 update takes them without other fields).
    /// Not idempotent: a blind retry could attach the file twice (the job looks before attaching again).
    public static func attachToDirectCost(project: ID, directCost: ID, filename: String, data: Data) -> Self {
        var endpoint = Self(.PATCH, "/rest/v1.1/projects/\(project)/direct_costs/\(directCost)",
             body: .multipart(boundary: "lentune-\(UUID().uuidString)", files: [.init(field: "attachments[]", filename: filename, contentType: "application/pdf", data: data)]))
        endpoint.isIdempotent = false
        return endpoint
    }

    public static func billingPeriods(project: ID, page: Int = 1, perPage: Int = 100) -> Self {
        Self(.GET, "/rest/v1.0/projects/\(project)/billing_periods", query: paging(page, perPage))
    }

    public static func requisitions(project: ID, filter: Procore.ListFilter = .none, commitment: ID? = nil, page: Int = 1, perPage: Int = 100) -> Self {
        var query = [QueryItem("project_id", String(project))] + filter.queryItems
        if let commitment { query.append(QueryItem("filters[commitment_id]", String(commitment))) }
        return Self(.GET, "/rest/v1.1/requisitions", query: query + paging(page, perPage))
    }

    public static func createRequisition(project: ID, commitment: ID, _ requisition: Procore.RequisitionWrite) -> Self {
        Self(.POST, "/rest/v1.1/requisitions", body: json([
            "project_id": .int(project), "commitment_id": .int(commitment), "requisition": .encodable(requisition),
        ]))
    }

    public static func updateRequisitionItems(project: ID, requisition: ID, _ items: [Procore.RequisitionItemWrite]) -> Self {
        Self(.PATCH, "/rest/v1.0/requisitions/\(requisition)/bulk_item_update", query: [QueryItem("project_id", String(project))],
             body: json(["requisition_items": .encodable(items)]))
    }

    // MARK: - Webhooks (REST v2.0; a company's hooks, or a project's with `project`)

    /// `/rest/v2.0/companies/{company}[/projects/{project}]/webhooks/hooks`: Procore offers company resources on
    /// company hooks and project resources on project hooks.
    static func hooksPath(_ company: ID, _ project: ID?) -> String {
        "/rest/v2.0/companies/\(company)" + (project.map { "/projects/\($0)" } ?? "") + "/webhooks/hooks"
    }

    public static func hooks(company: ID, project: ID? = nil, namespace: String) -> Self {
        Self(.GET, hooksPath(company, project), query: [QueryItem("namespace", namespace)])
    }

    public static func createHook(
        company: ID, project: ID? = nil, namespace: String, destinationURL: String, authorization: String, payloadVersion: String = "v2"
    ) -> Self {
        Self(.POST, hooksPath(company, project), body: json([
            "payload_version": .string(payloadVersion), "namespace": .string(namespace), "destination_url": .string(destinationURL),
            "destination_headers": .object(["Authorization": .string(authorization)]),
        ]))
    }

    public static func deleteHook(company: ID, project: ID? = nil, hook: ID) -> Self {
        Self(.DELETE, hooksPath(company, project) + "/\(hook)")
    }

    public static func triggers(company: ID, project: ID? = nil, hook: ID) -> Self {
        Self(.GET, hooksPath(company, project) + "/\(hook)/triggers", query: paging(1, 100))
    }

    public static func createTrigger(company: ID, project: ID? = nil, hook: ID, resourceName: String, eventType: String) -> Self {
        Self(.POST, hooksPath(company, project) + "/\(hook)/triggers", body: json([
            "resource_name": .string(resourceName), "event_type": .string(eventType),
        ])).idempotentRetry()
    }

    // MARK: - Helpers

    static func paging(_ page: Int, _ perPage: Int) -> [QueryItem] {
        [QueryItem("page", String(page)), QueryItem("per_page", String(perPage))]
    }

    /// Marks a POST that is safe to repeat (a token request, a trigger that Procore de-duplicates).
    func idempotentRetry() -> Self {
        var copy = self
        copy.isIdempotent = true
        return copy
    }

    /// A tiny JSON tree for request bodies, so key order and number formatting are ours.
    enum Field {
        case int(Int64)
        case string(String)
        case object([String: Field])
        case encodable(any Encodable & Sendable)
    }

    /// Writes JSON text directly (never through `JSONSerialization`, which would turn decimals into doubles).
    static func json(_ fields: [String: Field]) -> Body {
        func write(_ field: Field) -> String {
            switch field {
            case .int(let i): return String(i)
            case .string(let s): return quote(s)
            case .object(let o): return "{" + o.keys.sorted().map { quote($0) + ":" + write(o[$0]!) }.joined(separator: ",") + "}"
            case .encodable(let e):
                return (try? Procore.encoder.encode(e)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
            }
        }
        return .json(Data(write(.object(fields)).utf8))
    }

    static func quote(_ text: String) -> String {
        (try? Procore.encoder.encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }
}
