import Foundation

/// A tax code of one Procore company, as the reference import read it. `ratePercent` is Procore's `rate1` (15 for 15%).
public struct ProcoreTaxCode: Hashable, Sendable {
    public var procoreID: ProcoreID
    public var code: String
    public var ratePercent: Decimal
    /// Archived in Procore, or no longer listed by it: lines cannot be sent with it.
    public var archived: Bool

    public init(procoreID: ProcoreID, code: String, ratePercent: Decimal, archived: Bool = false) {
        self.procoreID = procoreID
        self.code = code
        self.ratePercent = ratePercent
        self.archived = archived
    }

    public var label: String { "\(code) (\(Money.format(ratePercent, scale: 2))%)" }
}

/// One company row's **Tax mapping** (issue 13): each Lentune tax code → a Procore tax code of that company, and a
/// default for lines that carry no tax code. A line whose tax code is not mapped (or is mapped to a code Procore has
/// archived since) is not sent: `procoreTaxCode(for:)` names the reason, which the sync records on the line's
/// document. The default never stands in for an unmapped code: sending GST 15% as whatever the default is would put
/// a wrong tax figure in Procore without anyone noticing.
public struct TaxMapping: Sendable, Equatable {
    public var companyName: String
    /// Lentune tax code → Procore tax code id.
    public var mappings: [TaxCode.ID: ProcoreID]
    public var defaultProcoreTaxCodeID: ProcoreID?
    /// The company's Procore tax codes by id (archived ones included, so a stale mapping is named, not lost).
    public var procoreCodes: [ProcoreID: ProcoreTaxCode]

    public init(
        companyName: String, mappings: [TaxCode.ID: ProcoreID] = [:], defaultProcoreTaxCodeID: ProcoreID? = nil,
        procoreCodes: [ProcoreTaxCode] = []
    ) {
        self.companyName = companyName
        self.mappings = mappings
        self.defaultProcoreTaxCodeID = defaultProcoreTaxCodeID
        self.procoreCodes = Dictionary(procoreCodes.map { ($0.procoreID, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public struct Unmapped: Error, Equatable, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The Procore tax code a line with `taxCode` is sent with: its mapping; for a line without a tax code, the
    /// default (nil when there is none: Procore then applies no tax code). Throws `Unmapped` with a reason a person
    /// can act on when the code has no usable mapping.
    public func procoreTaxCode(for taxCode: TaxCode?) throws(Unmapped) -> ProcoreID? {
        guard let taxCode else {
            guard let id = defaultProcoreTaxCodeID else { return nil }
            if let code = procoreCodes[id], !code.archived { return id }
            throw Unmapped(description: "The default Procore tax code of \(companyName) is archived or no longer in Procore: choose another on its Tax mapping page.")
        }
        guard let id = mappings[taxCode.id] else {
            throw Unmapped(description: "Tax code \(taxCode.code) (\(taxCode.name)) is not mapped to a Procore tax code of \(companyName): map it on the Tax mapping page.")
        }
        guard let code = procoreCodes[id], !code.archived else {
            throw Unmapped(description: "Tax code \(taxCode.code) is mapped to a Procore tax code of \(companyName) that is archived or no longer in Procore: map it again on the Tax mapping page.")
        }
        return code.procoreID
    }

    /// Why a mapping as a person submitted it cannot be saved: a Procore code that is not one of the company's, or
    /// is archived. Keys are the Lentune tax code (nil for the default).
    public func problems(saving mappings: [TaxCode.ID: ProcoreID], default defaultID: ProcoreID?) -> [String] {
        var problems: [String] = []
        for id in Array(mappings.values) + [defaultID].compactMap({ $0 }) where procoreCodes[id].map({ !$0.archived }) != true {
            problems.append("Procore tax code \(id) is not an active tax code of \(companyName).")
        }
        return problems
    }
}

/// A budget code (Procore WBS code) of one Procore project, as the reference import read it: the combination of a
/// cost code and a cost type (line item type) that Procore's financial lines are coded by (issue 26).
public struct ProcoreBudgetCode: Hashable, Sendable {
    public var procoreProjectID: ProcoreID
    public var id: ProcoreID
    public var costCodeID: ProcoreID?
    public var lineItemTypeID: ProcoreID?
    /// The project's segment ids for cost codes and cost types (what a new budget code's segment items name).
    public var costCodeSegmentID: ProcoreID?
    public var costTypeSegmentID: ProcoreID?
    public var flatCode: String
    public var isActive: Bool

    public init(
        procoreProjectID: ProcoreID, id: ProcoreID, costCodeID: ProcoreID?, lineItemTypeID: ProcoreID?, costCodeSegmentID: ProcoreID?,
        costTypeSegmentID: ProcoreID?, flatCode: String, isActive: Bool
    ) {
        self.procoreProjectID = procoreProjectID
        self.id = id
        self.costCodeID = costCodeID
        self.lineItemTypeID = lineItemTypeID
        self.costCodeSegmentID = costCodeSegmentID
        self.costTypeSegmentID = costTypeSegmentID
        self.flatCode = flatCode
        self.isActive = isActive
    }
}
