import FluentKit
import Foundation
import LentuneCore

/// The demo organisation that `lentune demo` starts with: a few projects, suppliers, cost codes, cost types, GST and
/// purchase orders, so every page has something to show. Idempotent: seeding twice changes nothing but passwords.
public enum DemoData {
    public static let organisationName = "Demo Construction Ltd"
    public static let administratorEmail = "admin@demo.lentune.test"
    public static let apOfficerEmail = "ap@demo.lentune.test"

    /// Ensures the demo organisation, its two users (with `passwordHash`) and its reference data exist.
    public static func seed(passwordHash: String, on db: any Database) async throws {
        let organisation = try await Accounts.organisation(named: organisationName, on: db).domain
        for (email, name, role) in [
            (administratorEmail, "Demo Administrator", Role.administrator), (apOfficerEmail, "Demo AP Officer", .apOfficer),
        ] {
            if let existing = try await Accounts.user(email: email, on: db) {
                existing.passwordHash = passwordHash
                try await existing.save(on: db)
            } else {
                _ = try await Accounts.createUser(
                    organisation: organisation.id, email: email, name: name, role: role, passwordHash: passwordHash,
                    approvalLimit: 5000, on: db)
            }
        }
        guard try await ProjectRecord.scoped(to: organisation.id, on: db).count() == 0 else { return }
        try await seedReferenceData(organisation: organisation.id, on: db)
    }

    static func seedReferenceData(organisation org: Organisation.ID, on db: any Database) async throws {
        let projects = [
            Project(organisationID: org, code: "WSA-01", name: "Wharf Street Apartments"),
            Project(organisationID: org, code: "KRS-02", name: "Karaka Road School Hall"),
            Project(organisationID: org, code: "HBW-03", name: "Harbour Bridge Walkway"),
        ]
        let suppliers = ["Placemakers Ltd", "Carters Building Supplies", "Firth Concrete", "Hynds Pipe Systems"]
            .map { Supplier(organisationID: org, name: $0) }
        let costTypes = [("L", "Labour"), ("M", "Materials"), ("S", "Subcontract"), ("E", "Equipment")]
            .map { CostType(organisationID: org, code: $0.0, name: $0.1) }
        let gst = TaxCode(organisationID: org, code: "GST", name: "GST 15%", rate: Decimal(string: "0.15")!)
        let exempt = TaxCode(organisationID: org, code: "E", name: "GST exempt", rate: 0)

        try await db.writeTransaction { tx in
            for project in projects { try await ReferenceData.insert(project, on: tx) }
            for supplier in suppliers { try await ReferenceData.insert(supplier, on: tx) }
            for costType in costTypes { try await ReferenceData.insert(costType, on: tx) }
            try await ReferenceData.insert(gst, on: tx)
            try await ReferenceData.insert(exempt, on: tx)
            var costCodes: [Project.ID: [CostCode]] = [:]
            for project in projects {
                for (code, name) in [("01-100", "Preliminaries"), ("03-300", "Concrete"), ("06-100", "Framing"), ("22-100", "Plumbing")] {
                    let costCode = CostCode(organisationID: org, projectID: project.id, code: code, name: name)
                    try await ReferenceData.insert(costCode, on: tx)
                    costCodes[project.id, default: []].append(costCode)
                }
            }
            for (index, project) in projects.enumerated() {
                let codes = costCodes[project.id]!
                let po = PurchaseOrder(
                    organisationID: org, number: PurchaseOrders.format(index + 1),
                    status: index == 0 ? .approved : .draft, supplierID: suppliers[index].id, projectID: project.id,
                    title: ["Ready-mix for level 2 slab", "Framing timber", "Stormwater pipes"][index],
                    lines: (0..<3).map { line in
                        PurchaseOrder.Line(
                            position: line, description: "Item \(line + 1)", costCodeID: codes[line + 1].id,
                            costTypeID: costTypes[1].id, taxCodeID: gst.id, quantity: Decimal(line + 2),
                            unitCost: Decimal(string: "123.45")!, taxRate: gst.rate)
                    })
                try await PurchaseOrders.insert(po, on: tx)
            }
            let organisation = try await OrganisationRecord.find(org.rawValue, on: tx)!
            organisation.nextPurchaseOrderNumber = projects.count + 1
            try await organisation.save(on: tx)
        }
    }
}
