import FluentKit
import Foundation
import LentuneCore

public final class ProjectRecord: Model, TenantRecord, @unchecked Sendable {
    public static let schema = "projects"
    public static var organisationKey: KeyPath<ProjectRecord, FieldProperty<ProjectRecord, UUID>> { \.$organisationID }

    // managed fields
    @ID(key: .id) public var id: UUID?

    // data fields
    @Field(key: "organisation_id") public var organisationID: UUID
    @Field(key: "code") public var code: String
    @Field(key: "name") public var name: String
    @Field(key: "is_active") public var isActive: Bool
    @OptionalField(key: "procore_company_link_id") public var procoreCompanyLinkID: UUID?
    @OptionalField(key: "procore_project_id") public var procoreProjectID: Int64?

    public init() {}

    public init(_ project: Project) {
        id = project.id.rawValue
        organisationID = project.organisationID.rawValue
        code = project.code
        name = project.name
        isActive = project.isActive
        procoreCompanyLinkID = project.procoreCompanyLinkID?.rawValue
        procoreProjectID = project.procoreProjectID
    }

    public var domain: Project {
        Project(
            id: .init(id!), organisationID: .init(organisationID), code: code, name: name, isActive: isActive,
            procoreCompanyLinkID: procoreCompanyLinkID.map { .init($0) }, procoreProjectID: procoreProjectID)
    }
}

public final class SupplierRecord: Model, TenantRecord, @unchecked Sendable {
    public static let schema = "suppliers"
    public static var organisationKey: KeyPath<SupplierRecord, FieldProperty<SupplierRecord, UUID>> { \.$organisationID }

    // managed fields
    @ID(key: .id) public var id: UUID?

    // data fields
    @Field(key: "organisation_id") public var organisationID: UUID
    @Field(key: "name") public var name: String
    /// `Supplier.matchKey(name)`, unique per organisation: two suppliers that Procore could not tell apart by name
    /// would make vendor matching ambiguous.
    @Field(key: "match_key") public var matchKey: String
    @OptionalField(key: "procore_vendor_id") public var procoreVendorID: Int64?

    public init() {}

    public init(_ supplier: Supplier) {
        id = supplier.id.rawValue
        organisationID = supplier.organisationID.rawValue
        name = supplier.name
        matchKey = Supplier.matchKey(supplier.name)
        procoreVendorID = supplier.procoreVendorID
    }

    public var domain: Supplier {
        Supplier(id: .init(id!), organisationID: .init(organisationID), name: name, procoreVendorID: procoreVendorID)
    }
}

public final class CostCodeRecord: Model, TenantRecord, @unchecked Sendable {
    public static let schema = "cost_codes"
    public static var organisationKey: KeyPath<CostCodeRecord, FieldProperty<CostCodeRecord, UUID>> { \.$organisationID }

    // managed fields
    @ID(key: .id) public var id: UUID?

    // data fields
    @Field(key: "organisation_id") public var organisationID: UUID
    @Field(key: "project_id") public var projectID: UUID
    @Field(key: "code") public var code: String
    @Field(key: "name") public var name: String
    @OptionalField(key: "procore_cost_code_id") public var procoreCostCodeID: Int64?

    public init() {}

    public init(_ costCode: CostCode) {
        id = costCode.id.rawValue
        organisationID = costCode.organisationID.rawValue
        projectID = costCode.projectID.rawValue
        code = costCode.code
        name = costCode.name
        procoreCostCodeID = costCode.procoreCostCodeID
    }

    public var domain: CostCode {
        CostCode(
            id: .init(id!), organisationID: .init(organisationID), projectID: .init(projectID), code: code, name: name,
            procoreCostCodeID: procoreCostCodeID)
    }
}

public final class CostTypeRecord: Model, TenantRecord, @unchecked Sendable {
    public static let schema = "cost_types"
    public static var organisationKey: KeyPath<CostTypeRecord, FieldProperty<CostTypeRecord, UUID>> { \.$organisationID }

    // managed fields
    @ID(key: .id) public var id: UUID?

    // data fields
    @Field(key: "organisation_id") public var organisationID: UUID
    @Field(key: "code") public var code: String
    @Field(key: "name") public var name: String
    @OptionalField(key: "procore_line_item_type_id") public var procoreLineItemTypeID: Int64?

    public init() {}

    public init(_ costType: CostType) {
        id = costType.id.rawValue
        organisationID = costType.organisationID.rawValue
        code = costType.code
        name = costType.name
        procoreLineItemTypeID = costType.procoreLineItemTypeID
    }

    public var domain: CostType {
        CostType(
            id: .init(id!), organisationID: .init(organisationID), code: code, name: name,
            procoreLineItemTypeID: procoreLineItemTypeID)
    }
}

public final class TaxCodeRecord: Model, TenantRecord, @unchecked Sendable {
    public static let schema = "tax_codes"
    public static var organisationKey: KeyPath<TaxCodeRecord, FieldProperty<TaxCodeRecord, UUID>> { \.$organisationID }

    // managed fields
    @ID(key: .id) public var id: UUID?

    // data fields
    @Field(key: "organisation_id") public var organisationID: UUID
    @Field(key: "code") public var code: String
    @Field(key: "name") public var name: String
    /// The rate as a fraction scaled by 10⁴ (0.15 → 1500).
    @Field(key: "rate_scaled") public var rateScaled: Int64

    public init() {}

    public init(_ taxCode: TaxCode) throws {
        id = taxCode.id.rawValue
        organisationID = taxCode.organisationID.rawValue
        code = taxCode.code
        name = taxCode.name
        rateScaled = try Scaled.quantity(taxCode.rate)
    }

    public var domain: TaxCode {
        TaxCode(
            id: .init(id!), organisationID: .init(organisationID), code: code, name: name,
            rate: Scaled.quantity(rateScaled))
    }
}
