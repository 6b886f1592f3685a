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
    /// Its vendor in each linked Procore company: Procore keeps vendors per company, so one supplier working for two
    /// companies is one vendor in each.
    public var procoreVendors: [ProcoreCompanyLink.ID: ProcoreID]

    public init(id: ID = ID(), organisationID: Organisation.ID, name: String, procoreVendors: [ProcoreCompanyLink.ID: ProcoreID] = [:]) {
        self.id = id
        self.organisationID = organisationID
        self.name = name
        self.procoreVendors = procoreVendors
    }

    /// Suppliers match Procore vendors by name (DESIGN.md §1.1): case-, space- and punctuation-insensitively, with
    /// "Limited" = "Ltd" and "&" = "and". Punctuation separates words, so "Fletcher-Steel Ltd." matches "Fletcher
    /// Steel Limited", while "A.B.C. Limited" (`a b c ltd`) and "ABC Ltd" (`abc ltd`) stay apart: a near miss
    /// (`isNearMiss`), for a person to decide on the Supplier mapping page.
    public static func matchKey(_ name: String) -> String {
        let folded = name.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
        var words: [String] = []
        var word = ""
        func flush() {
            guard !word.isEmpty else { return }
            words.append(synonyms[word] ?? word)
            word = ""
        }
        for character in folded {
            if character == "&" {
                flush()
                words.append("and")
            } else if character.isLetter || character.isNumber {
                word.append(character)
            } else if character == "'" || character == "’" {
                continue  // "O'Brien" = "OBrien"
            } else {
                flush()
            }
        }
        flush()
        return words.joined(separator: " ")
    }

    static let synonyms = ["limited": "ltd"]

    /// Two names that do not match but are close enough that merging or keeping them apart is a person's decision:
    /// the same letters spaced differently ("ABC Ltd" / "A.B.C. Limited"), or one typo (one letter added, removed
    /// or changed) in names of at least five letters.
    public static func isNearMiss(_ a: String, _ b: String) -> Bool {
        isNearMiss(key: matchKey(a), key: matchKey(b))
    }

    /// `isNearMiss` on two names' `matchKey`s (for callers comparing one name with many, keys computed once).
    public static func isNearMiss(key left: String, key right: String) -> Bool {
        guard left != right, !left.isEmpty, !right.isEmpty else { return false }
        let (joinedLeft, joinedRight) = (left.replacingOccurrences(of: " ", with: ""), right.replacingOccurrences(of: " ", with: ""))
        if joinedLeft == joinedRight { return true }
        guard min(joinedLeft.count, joinedRight.count) >= 5 else { return false }
        return withinOneEdit(Array(left), Array(right))
    }

    /// Levenshtein distance ≤ 1, in one pass.
    static func withinOneEdit(_ a: [Character], _ b: [Character]) -> Bool {
        guard abs(a.count - b.count) <= 1 else { return false }
        var (i, j, edits) = (0, 0, 0)
        while i < a.count, j < b.count {
            if a[i] == b[j] {
                i += 1
                j += 1
                continue
            }
            edits += 1
            if edits > 1 { return false }
            if a.count > b.count {
                i += 1
            } else if a.count < b.count {
                j += 1
            } else {
                i += 1
                j += 1
            }
        }
        return edits + (a.count - i) + (b.count - j) <= 1
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
    /// Its line item type in each linked Procore company (Procore keeps line item types per company, and companies
    /// commonly share codes: L, M, S, E, O).
    public var procoreLineItemTypes: [ProcoreCompanyLink.ID: ProcoreID]

    public init(
        id: ID = ID(), organisationID: Organisation.ID, code: String, name: String,
        procoreLineItemTypes: [ProcoreCompanyLink.ID: ProcoreID] = [:]
    ) {
        self.id = id
        self.organisationID = organisationID
        self.code = code
        self.name = name
        self.procoreLineItemTypes = procoreLineItemTypes
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
