import Foundation
import Vapor

/// Company vendors (the company directory), their sync action, and the project directory.
enum VendorRoutes {
    static func register(_ api: any RoutesBuilder, store: SandboxStore) {
        for version in ["v1.0", "v1.1"] {
            api.api(.GET, "rest/\(version)/vendors") { req, ctx in
                let company = try ctx.company(try ctx.query.requireInt64("company_id"))
                var vendors = store.read { data in data.vendors.filter { $0.companyID == company.id && $0.isActive } }
                vendors = try Lists.standardFilters(vendors, ctx.query)
                if let search = ctx.query["filters[search]"], !search.isEmpty {
                    vendors = vendors.filter { $0.name.localizedCaseInsensitiveContains(search) }
                }
                vendors = try sorted(vendors, ctx.query["sort"])
                let minimal = version == "v1.1" && ctx.query["view"] == "minimal"
                return Lists.respond(req, vendors) { vendor in
                    minimal
                        ? ["id": .int(vendor.id), "name": .string(vendor.name), "is_active": .bool(vendor.isActive), "logo": .null]
                        : vendorJSON(vendor)
                }
            }
        }
        vendors.register(api, store: store)

        // Project directory.
        for version in ["v1.0", "v1.1"] {
            api.api(.GET, "rest/\(version)/projects/:project_id/vendors") { req, ctx in
                let project = try ctx.project(try req.int64Parameter("project_id"))
                var vendors = store.read { data in data.vendors.filter { $0.projectIDs.contains(project.id) } }
                vendors = try Lists.standardFilters(vendors, ctx.query)
                return Lists.respond(req, vendors, render: vendorJSON)
            }
        }
        api.api(.POST, "rest/v1.0/projects/:project_id/vendors/:id/actions/add") { req, ctx in
            let project = try ctx.project(try req.int64Parameter("project_id"))
            let id = try req.int64Parameter("id")
            let vendor = try store.write { (data: inout SandboxData) throws(ProcoreError) -> Vendor in
                guard let index = data.vendors.firstIndex(where: { $0.id == id && $0.companyID == project.companyID }) else {
                    throw ProcoreError.notFound
                }
                if !data.vendors[index].projectIDs.contains(project.id) {
                    data.vendors[index].projectIDs.append(project.id)
                    data.vendors[index].updatedAt = ctx.now
                    data.emit(.projectVendors, "create", id: id, companyID: project.companyID, projectID: project.id, source: ctx.source, now: ctx.now)
                }
                return data.vendors[index]
            }
            return jsonResponse(vendorJSON(vendor), status: .created)
        }
        api.api(.DELETE, "rest/v1.0/projects/:project_id/vendors/:id/actions/remove") { req, ctx in
            let project = try ctx.project(try req.int64Parameter("project_id"))
            let id = try req.int64Parameter("id")
            try store.write { (data: inout SandboxData) throws(ProcoreError) in
                guard let index = data.vendors.firstIndex(where: { $0.id == id && $0.projectIDs.contains(project.id) }) else {
                    throw ProcoreError.notFound
                }
                data.vendors[index].projectIDs.removeAll { $0 == project.id }
                data.emit(.projectVendors, "delete", id: id, companyID: project.companyID, projectID: project.id, source: ctx.source, now: ctx.now)
            }
            return Response(status: .noContent)
        }
    }

    static func companyID(_ ctx: APIContext) throws(ProcoreError) -> Int64 {
        if case .int(let id)? = ctx.body?["company_id"] { return id }
        return try ctx.query.requireInt64("company_id")
    }

    static func sorted(_ vendors: [Vendor], _ sort: String?) throws(ProcoreError) -> [Vendor] {
        switch sort {
        case nil, "": return vendors.sorted { $0.id < $1.id }
        case "name": return vendors.sorted { $0.name.localizedCaseInsensitiveCompare($1.name) == .orderedAscending }
        case "-name": return vendors.sorted { $0.name.localizedCaseInsensitiveCompare($1.name) == .orderedDescending }
        default: throw ProcoreError.field(.badRequest, "sort", "is not a sortable attribute")
        }
    }

    static let vendors = CompanyResource<Vendor>(
        path: "rest/v1.0/vendors", wrapper: "vendor", records: \SandboxData.vendors, resource: .companyVendors,
        company: { ctx throws(ProcoreError) in try ctx.company(try companyID(ctx)).id },
        blank: { company, now in Vendor(id: 0, companyID: company, name: "", createdAt: now, updatedAt: now) },
        fill: { reader, vendor in
            if let name = reader.string("name", maxLength: 255) { vendor.name = (name ?? "").trimmingCharacters(in: .whitespaces) }
            if vendor.name.isEmpty { reader.errors.add("name", "can't be blank") }
            reader.string("abbreviated_name").apply(to: &vendor.abbreviatedName)
            reader.string("email_address").apply(to: &vendor.emailAddress)
            reader.string("business_phone").apply(to: &vendor.businessPhone)
            reader.string("address").apply(to: &vendor.address)
            reader.string("city").apply(to: &vendor.city)
            reader.string("country_code").apply(to: &vendor.countryCode)
            if let active = reader.bool("is_active") { vendor.isActive = active }
            reader.string("origin_code").apply(to: &vendor.originCode)
        },
        render: vendorJSON)

    static func vendorJSON(_ vendor: Vendor) -> JSON {
        [
            "id": .int(vendor.id), "name": .string(vendor.name), "abbreviated_name": .string(vendor.abbreviatedName),
            "address": .string(vendor.address), "city": .string(vendor.city), "state_code": .null,
            "country_code": .string(vendor.countryCode), "zip": .null, "business_phone": .string(vendor.businessPhone),
            "mobile_phone": .null, "fax_number": .null, "email_address": .string(vendor.emailAddress), "website": .null,
            "is_active": .bool(vendor.isActive), "is_connected": false, "company": .string(vendor.name),
            "trade_name": .null, "legal_name": .null, "license_number": .null, "notes": .null,
            "origin_id": .string(vendor.originID), "origin_data": .string(vendor.originData),
            "origin_code": .string(vendor.originCode), "synced_to_erp": .bool(vendor.originID != nil),
            "project_ids": .array(vendor.projectIDs.map(JSON.int)), "trades": [], "vendor_group": .null,
            "parent": .null, "children_count": 0, "primary_contact": .null,
            "created_at": .timestamp(vendor.createdAt), "updated_at": .timestamp(vendor.updatedAt),
        ]
    }
}
