import Foundation

/// A project. `procoreCompanyLinkID` is set when the project came from (or is linked to) a Procore company; the
/// company's purchase-order source then governs the project's POs.
public struct Project: Hashable, Sendable, Codable {
    public typealias ID = Identifier<Project>
    public var id: ID
    public var organisationID: Organisation.ID
    public var code: String
    public var name: String
    public var isActive: Bool
    public var procoreCompanyLinkID: ProcoreCompanyLink.ID?
    public var procoreProjectID: ProcoreID?

    public init(
        id: ID = ID(), organisationID: Organisation.ID, code: String, name: String, isActive: Bool = true,
        procoreCompanyLinkID: ProcoreCompanyLink.ID? = nil, procoreProjectID: ProcoreID? = nil
    ) {
        self.id = id
        self.organisationID = organisationID
        self.code = code
        self.name = name
        self.isActive = isActive
        self.procoreCompanyLinkID = procoreCompanyLinkID
        self.procoreProjectID = procoreProjectID
    }

    /// DESIGN.md §1.1: an imported Procore project with no matching Lentune code gets `PROCORE<id>`.
    public static func code(forUnmatchedProcoreProject id: ProcoreID) -> String { "PROCORE\(id)" }
}

public struct Supplier: Hashable, Sendable, Codable {
    public typealias ID = Identifier<Supplier>
    public var id: ID
    public var organisationID: Organisation.ID
    public var name: String
    public var procoreVendorID: ProcoreID?

    public init(id: ID = ID(), organisationID: Organisation.ID, name: String, procoreVendorID: ProcoreID? = nil) {
        self.id = id
        self.organisationID = organisationID
        self.name = name
        self.procoreVendorID = procoreVendorID
    }

    /// Suppliers match Procore vendors by name, case- and space-insensitively (DESIGN.md §1.1).
    public static func matchKey(_ name: String) -> String {
        name.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}

/// A cost code of one project (cost codes flow Procore → Lentune per project).
public struct CostCode: Hashable, Sendable, Codable {
    public typealias ID = Identifier<CostCode>
    public var id: ID
    public var organisationID: Organisation.ID
    public var projectID: Project.ID
    public var code: String
    public var name: String
    public var procoreCostCodeID: ProcoreID?

    public init(
        id: ID = ID(), organisationID: Organisation.ID, projectID: Project.ID, code: String, name: String,
        procoreCostCodeID: ProcoreID? = nil
    ) {
        self.id = id
        self.organisationID = organisationID
        self.projectID = projectID
        self.code = code
        self.name = name
        self.procoreCostCodeID = procoreCostCodeID
    }
}

/// A cost type (Procore: line item type), e.g. "L" Labour, "M" Materials.
public struct CostType: Hashable, Sendable, Codable {
    public typealias ID = Identifier<CostType>
    public var id: ID
    public var organisationID: Organisation.ID
    public var code: String
    public var name: String
    public var procoreLineItemTypeID: ProcoreID?

    public init(
        id: ID = ID(), organisationID: Organisation.ID, code: String, name: String, procoreLineItemTypeID: ProcoreID? = nil
    ) {
        self.id = id
        self.organisationID = organisationID
        self.code = code
        self.name = name
        self.procoreLineItemTypeID = procoreLineItemTypeID
    }
}

/// A tax code such as "GST" at 15%. `rate` is a fraction: 0.15 for 15%.
public struct TaxCode: Hashable, Sendable, Codable {
    public typealias ID = Identifier<TaxCode>
    public var id: ID
    public var organisationID: Organisation.ID
    public var code: String
    public var name: String
    public var rate: Decimal

    public init(id: ID = ID(), organisationID: Organisation.ID, code: String, name: String, rate: Decimal) {
        self.id = id
        self.organisationID = organisationID
        self.code = code
        self.name = name
        self.rate = rate
    }

    /// Tax on one line, rounded to the cent per line.
    public func tax(on amount: Decimal) -> Decimal { (amount * rate).roundedToCents() }
}
