import Foundation

/// Named seeds. `demo` is a New Zealand construction company with projects in several stages, vendors, cost codes
/// with divisions and a sub job, cost types, GST tax codes, units, POs with lines and an open billing period.
public enum Seeds {
    public static let demoCompanyID: Int64 = 4242
    public static let defaultUserID: Int64 = 31_337

    /// `demo`, `empty`, or the path of a JSON state document (as exported by `GET /_sandbox/state`).
    public static func named(_ name: String, now: Date) -> SandboxData? {
        switch name {
        case "demo": return demo(now: now)
        case "multi": return multi(now: now)
        case "empty": return empty()
        default:
            guard name.hasSuffix(".json"), let data = FileManager.default.contents(atPath: name) else { return nil }
            return try? JSONDecoder().decode(SandboxData.self, from: data)
        }
    }

    public static func empty() -> SandboxData {
        var data = SandboxData()
        data.users = [SandboxUser(id: defaultUserID, login: "sandbox.user@example.com", name: "Sandbox User")]
        return data
    }

    public static func demo(now: Date) -> SandboxData {
        var data = empty()
        addCompany(demoCompanyID, name: "Kauri Construction Ltd", projectPrefix: "", to: &data, now: now)
        return data
    }

    /// The companies of the `multi` seed: Kauri (the demo company) and three more built alike, so that they share
    /// cost type codes (L, M, S, E, O), tax codes and vendor names, as real companies do; their project numbers differ.
    public static let multiCompanies: [(id: Int64, name: String, prefix: String)] = [
        (demoCompanyID, "Kauri Construction Ltd", ""), (4343, "Tōtara Builders Ltd", "TB-"), (4444, "Rimu Civil Ltd", "RC-"),
        (4545, "Matai Interiors Ltd", "MI-"),
    ]

    /// `multi`: four companies of the demo's shape (issue 25: several companies of one organisation collide on codes).
    public static func multi(now: Date) -> SandboxData {
        var data = empty()
        for company in multiCompanies { addCompany(company.id, name: company.name, projectPrefix: company.prefix, to: &data, now: now) }
        return data
    }

    /// One company of the demo's shape, its project numbers prefixed.
    public static func addCompany(_ company: Int64, name companyName: String, projectPrefix: String, to data: inout SandboxData, now: Date) {
        data.companies.append(Company(id: company, name: companyName))
        let stageNames: [(String, String, Bool)] = [
            ("Pre-Construction", "pre_construction", true), ("Course of Construction", "course_of_construction", false),
            ("Post-Construction", "post_construction", false), ("Completed", "completed", false),
            ("Not Awarded", "not_awarded", false), ("Canceled", "canceled", false),
        ]
        var stages: [String: Int64] = [:]
        for (name, category, bidding) in stageNames {
            let stage = ProjectStage(id: data.newID(), companyID: company, name: name, category: category, isBiddingStage: bidding)
            stages[name] = stage.id
            data.stages.append(stage)
        }
        let projects: [(String, String, String, String)] = [
            ("WSA-01", "Wharf Street Apartments", "Course of Construction", "Auckland"),
            ("KRS-02", "Karaka Road School Hall", "Course of Construction", "Hamilton"),
            ("HBW-03", "Harbour Bridge Walkway", "Course of Construction", "Wellington"),
            ("TPO-04", "Te Papa Offices Fit-out", "Pre-Construction", "Wellington"),
            ("RCL-05", "Riccarton Library", "Completed", "Christchurch"),
        ]
        for (number, name, stage, city) in projects {
            data.projects.append(
                Project(
                    id: data.newID(), companyID: company, name: name, projectNumber: projectPrefix + number, stageID: stages[stage],
                    city: city, createdAt: now, updatedAt: now))
        }
        let vendors = [
            "Placemakers Ltd", "Carters Building Supplies", "Firth Concrete", "Hynds Pipe Systems", "Mitre 10 Trade",
            "Fletcher Steel",
        ]
        let ownProjects = { (data: SandboxData) in data.projects.filter { $0.companyID == company } }
        for name in vendors {
            let projectIDs = ownProjects(data).prefix(3).map(\.id)
            data.vendors.append(
                Vendor(
                    id: data.newID(), companyID: company, name: name, isActive: true,
                    emailAddress: "accounts@" + name.lowercased().filter(\.isLetter).prefix(12) + ".co.nz", countryCode: "NZ",
                    projectIDs: Array(projectIDs), createdAt: now, updatedAt: now))
        }
        let types: [(String, String, String)] = [
            ("Labour", "L", "labor"), ("Materials", "M", "materials"), ("Subcontract", "S", "commitment"),
            ("Equipment", "E", "equipment"), ("Other", "O", "other"),
        ]
        for (name, code, base) in types {
            data.lineItemTypes.append(
                LineItemType(id: data.newID(), companyID: company, name: name, code: code, baseType: base, createdAt: now, updatedAt: now))
        }
        let taxes: [(String, String, Decimal, Bool)] = [("GST", "GST 15%", 15, true), ("ZERO", "Zero-rated", 0, false), ("EXEMPT", "GST exempt", 0, false)]
        for (code, description, rate, isDefault) in taxes {
            data.taxCodes.append(
                TaxCode(id: data.newID(), companyID: company, code: code, description: description, rate1: rate,
                        defaultTaxCode: isDefault, createdAt: now, updatedAt: now))
        }
        for (name, category) in [("EA", "Quantity"), ("m", "Length"), ("m2", "Area"), ("m3", "Volume"), ("hr", "Time"), ("t", "Weight"), ("LS", "Lump Sum")] {
            data.uoms.append(UnitOfMeasure(id: data.newID(), companyID: company, name: name, description: nil, category: category))
        }
        // Cost codes: divisions with child codes, per project; the first project also has a sub job.
        let divisions: [(String, String, [(String, String)])] = [
            ("01", "General Requirements", [("100", "Preliminaries"), ("500", "Temporary Facilities")]),
            ("03", "Concrete", [("300", "Cast-in-Place Concrete"), ("400", "Precast Concrete")]),
            ("06", "Wood and Plastics", [("100", "Rough Carpentry")]),
            ("22", "Plumbing", [("100", "Plumbing Piping")]),
        ]
        for project in ownProjects(data) {
            for (code, name, children) in divisions {
                let division = CostCode(
                    id: data.newID(), companyID: company, projectID: project.id, code: code, name: name, createdAt: now, updatedAt: now)
                data.costCodes.append(division)
                for (childCode, childName) in children {
                    data.costCodes.append(
                        CostCode(
                            id: data.newID(), companyID: company, projectID: project.id, parentID: division.id, code: childCode,
                            name: childName, createdAt: now, updatedAt: now))
                }
            }
        }
        let first = ownProjects(data)[0]
        let subJob = SubJob(id: data.newID(), projectID: first.id, code: "SJ1", name: "Basement Carpark")
        data.subJobs.append(subJob)
        data.costCodes.append(
            CostCode(id: data.newID(), companyID: company, projectID: first.id, subJobID: subJob.id, code: "03-300",
                     name: "Carpark Slab", createdAt: now, updatedAt: now))
        // Budget codes: every leaf cost code × cost type on every project. The projects under construction require
        // them (a line whose cost code and cost type form no budget code is refused there).
        let companyTypes = data.lineItemTypes.filter { $0.companyID == company }
        for (position, index) in data.projects.indices.filter({ data.projects[$0].companyID == company }).enumerated() {
            data.projects[index].budgetCodesRequired = position < 3
            let project = data.projects[index]
            for code in data.costCodes where code.projectID == project.id && (code.parentID != nil || code.subJobID != nil) {
                for type in companyTypes {
                    data.wbsCodes.append(WBSCode(
                        id: data.newID(), companyID: company, projectID: project.id, subJobID: code.subJobID, costCodeID: code.id,
                        lineItemTypeID: type.id, createdAt: now, updatedAt: now))
                }
            }
        }

        // Purchase orders with lines on the first two projects.
        let gst = data.taxCodes.first { $0.companyID == company }!.id
        let materials = companyTypes[1].id
        let companyVendors = data.vendors.filter { $0.companyID == company }
        for (index, project) in ownProjects(data).prefix(2).enumerated() {
            let codes = data.costCodes.filter { $0.projectID == project.id && $0.parentID != nil }
            for number in 1...2 {
                let po = PurchaseOrderContract(
                    id: data.newID(), companyID: company, projectID: project.id, number: "PO-\(project.projectNumber!)-\(number)",
                    title: number == 1 ? "Ready-mix concrete" : "Framing timber", status: number == 1 ? "Approved" : "Draft",
                    vendorID: companyVendors[(index + number) % companyVendors.count].id, executed: number == 1,
                    description: "Supply and deliver to site.", paymentTerms: "20th of the month following",
                    createdByID: defaultUserID, createdAt: now, updatedAt: now)
                data.purchaseOrders.append(po)
                for line in 0..<3 {
                    let quantity = Decimal(10 * (line + 1))
                    let unitCost = Decimal(string: "185.50")!
                    let costCode = codes[line % codes.count].id
                    data.poLineItems.append(
                        LineItem(
                            id: data.newID(), holderID: po.id, companyID: company, projectID: project.id,
                            description: "Item \(line + 1)", costCodeID: costCode, lineItemTypeID: materials,
                            wbsCodeID: budgetCode(costCode, materials, in: data), taxCodeID: gst, quantity: quantity,
                            unitCost: unitCost, uom: "m3", extendedType: "calculated",
                            amount: (quantity * unitCost).roundedHalfUp(scale: 2), position: Int64(line + 1), createdAt: now,
                            updatedAt: now))
                }
            }
            let month = Calendar(identifier: .gregorian).dateComponents(in: .gmt, from: now)
            let start = String(format: "%04d-%02d-01", month.year!, month.month!)
            data.billingPeriods.append(
                BillingPeriod(
                    id: data.newID(), projectID: project.id, position: 1, startDate: start,
                    endDate: String(format: "%04d-%02d-28", month.year!, month.month!),
                    dueDate: String(format: "%04d-%02d-20", month.year!, month.month!), status: "open", createdAt: now, updatedAt: now))
        }
    }

    static func budgetCode(_ costCode: Int64, _ type: Int64, in data: SandboxData) -> Int64? {
        data.wbsCodes.first { $0.costCodeID == costCode && $0.lineItemTypeID == type }?.id
    }

    /// Bulk reference data for `lentune bench import`: `projects` more projects of the first company, all in Course
    /// of Construction, with `costCodesPerProject` cost codes each (divisions of four children), and `vendors` more
    /// vendors. Returns the company.
    public static func addReferenceData(projects: Int, costCodesPerProject: Int, vendors: Int, to data: inout SandboxData, now: Date) -> Int64 {
        let company = data.companies[0].id
        let stage = data.stages.first { $0.companyID == company && $0.name == "Course of Construction" }?.id
        for index in 0..<projects {
            let project = Project(
                id: data.newID(), companyID: company, name: "Bench Project \(index + 1)", projectNumber: "BEN-\(index + 1)",
                stageID: stage, city: "Auckland", createdAt: now, updatedAt: now)
            data.projects.append(project)
            var division: CostCode?
            for code in 0..<costCodesPerProject {
                if code % 5 == 0 || division == nil {
                    let parent = CostCode(
                        id: data.newID(), companyID: company, projectID: project.id, code: String(format: "%02d", code / 5 + 1),
                        name: "Division \(code / 5 + 1)", createdAt: now, updatedAt: now)
                    data.costCodes.append(parent)
                    division = parent
                } else {
                    data.costCodes.append(CostCode(
                        id: data.newID(), companyID: company, projectID: project.id, parentID: division?.id, code: "\(code % 5)00",
                        name: "Item \(code)", createdAt: now, updatedAt: now))
                }
            }
        }
        for index in 0..<vendors {
            data.vendors.append(Vendor(
                id: data.newID(), companyID: company, name: "Bench Vendor \(index + 1) Ltd", isActive: true, countryCode: "NZ",
                projectIDs: [], createdAt: now, updatedAt: now))
        }
        return company
    }

    /// Adds `count` approved POs with three lines each to the first project (benchmarks and load tests).
    @discardableResult
    public static func addPurchaseOrders(count: Int, to data: inout SandboxData, now: Date) -> (project: Int64, company: Int64) {
        let project = data.projects[0]
        for index in 0..<count {
            let po = PurchaseOrderContract(
                id: data.newID(), companyID: project.companyID, projectID: project.id, number: "BULK-\(index)",
                title: "Bulk \(index)", status: "Approved", vendorID: data.vendors.first?.id, createdByID: defaultUserID,
                createdAt: now, updatedAt: now)
            data.purchaseOrders.append(po)
            let code = data.wbsCodes.first { $0.projectID == project.id }
            for line in 1...3 {
                data.poLineItems.append(LineItem(
                    id: data.newID(), holderID: po.id, companyID: project.companyID, projectID: project.id,
                    description: "Line \(line)", costCodeID: code?.costCodeID, lineItemTypeID: code?.lineItemTypeID,
                    wbsCodeID: code?.id, extendedType: "manual", amount: Decimal(line * 100), position: Int64(line),
                    createdAt: now, updatedAt: now))
            }
        }
        return (project.id, project.companyID)
    }
}
