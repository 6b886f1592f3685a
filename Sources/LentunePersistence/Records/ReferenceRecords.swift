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

    public init() {}

    /// The supplier's own fields; its Procore vendors are `ProcoreReferenceLinkRecord`s (`ReferenceLinks.save`).
    public init(_ supplier: Supplier) {
        id = supplier.id.rawValue
        organisationID = supplier.organisationID.rawValue
        name = supplier.name
        matchKey = Supplier.matchKey(supplier.name)
    }

    public func domain(links: [ProcoreCompanyLink.ID: ProcoreID] = [:]) -> Supplier {
        Supplier(id: .init(id!), organisationID: .init(organisationID), name: name, procoreVendors: links)
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

    public init() {}

    /// The cost type's own fields; its Procore line item types are `ProcoreReferenceLinkRecord`s.
    public init(_ costType: CostType) {
        id = costType.id.rawValue
        organisationID = costType.organisationID.rawValue
        code = costType.code
        name = costType.name
    }

    public func domain(links: [ProcoreCompanyLink.ID: ProcoreID] = [:]) -> CostType {
        CostType(id: .init(id!), organisationID: .init(organisationID), code: code, name: name, procoreLineItemTypes: links)
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

/// A Lentune supplier or cost type's counterpart in one Procore company (its vendor, its line item type): Procore keeps
/// both per company, so a record has one link per company row it is known in (migration 0021).
public final class ProcoreReferenceLinkRecord: Model, TenantRecord, @unchecked Sendable {
    public static let schema = "procore_reference_links"
    public static var organisationKey: KeyPath<ProcoreReferenceLinkRecord, FieldProperty<ProcoreReferenceLinkRecord, UUID>> { \.$organisationID }

    public enum Kind: String, Sendable {
        case supplier
        case costType = "cost_type"
    }

    // managed fields
    @ID(key: .id) public var id: UUID?

    // data fields
    @Field(key: "organisation_id") public var organisationID: UUID
    @Field(key: "company_link_id") public var companyLinkID: UUID
    @Field(key: "kind") public var kind: String
    @Field(key: "entity_id") public var entityID: UUID
    @Field(key: "procore_id") public var procoreID: Int64

    public init() {}

    public init(organisation: Organisation.ID, companyLink: ProcoreCompanyLink.ID, kind: Kind, entity: UUID, procoreID: Int64) {
        id = UUID()
        organisationID = organisation.rawValue
        companyLinkID = companyLink.rawValue
        self.kind = kind.rawValue
        entityID = entity
        self.procoreID = procoreID
    }
}
