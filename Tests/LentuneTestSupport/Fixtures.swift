import FluentKit
import Foundation
import LentuneCore
import LentunePersistence

/// An organisation with a little reference data, inserted into a test database.
public struct Fixture: Sendable {
    public var organisation: Organisation
    public var project: Project
    public var supplier: Supplier
    public var costCode: CostCode
    public var costType: CostType
    public var gst: TaxCode

    public static func make(name: String = "Harbour Build Ltd", on db: any Database) async throws -> Fixture {
        let organisation = try await Accounts.organisation(named: name, on: db).domain
        let org = organisation.id
        let project = Project(organisationID: org, code: "P-100", name: "Wharf Street Apartments")
        let supplier = Supplier(organisationID: org, name: "Placemakers Ltd")
        let costCode = CostCode(organisationID: org, projectID: project.id, code: "03-100", name: "Concrete")
        let costType = CostType(organisationID: org, code: "M", name: "Materials")
        let gst = TaxCode(organisationID: org, code: "GST", name: "GST 15%", rate: Decimal(string: "0.15")!)
        try await ReferenceData.insert(project, on: db)
        try await ReferenceData.insert(supplier, on: db)
        try await ReferenceData.insert(costCode, on: db)
        try await ReferenceData.insert(costType, on: db)
        try await ReferenceData.insert(gst, on: db)
        return Fixture(
            organisation: organisation, project: project, supplier: supplier, costCode: costCode, costType: costType,
            gst: gst)
    }

    public func purchaseOrder(number: String, lines: Int = 3) -> PurchaseOrder {
        PurchaseOrder(
            organisationID: organisation.id, number: number, supplierID: supplier.id, projectID: project.id,
            title: "Concrete for level 2",
            lines: (0..<lines).map {
                PurchaseOrder.Line(
                    position: $0, description: "Line \($0 + 1)", costCodeID: costCode.id, costTypeID: costType.id,
                    taxCodeID: gst.id, quantity: Decimal($0 + 1), unitCost: Decimal(string: "3.33")!, taxRate: gst.rate)
            })
    }
}
