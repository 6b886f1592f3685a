import FluentKit
import Foundation
import LentuneCore

public final class ProcoreBudgetCodeRecord: Model, TenantRecord, @unchecked Sendable {
    public static let schema = "procore_budget_codes"
    public static var organisationKey: KeyPath<ProcoreBudgetCodeRecord, FieldProperty<ProcoreBudgetCodeRecord, UUID>> { \.$organisationID }

    // managed fields
    @ID(key: .id) public var id: UUID?

    // data fields
    @Field(key: "organisation_id") public var organisationID: UUID
    @Field(key: "company_link_id") public var companyLinkID: UUID
    @Field(key: "procore_project_id") public var procoreProjectID: Int64
    @Field(key: "procore_wbs_code_id") public var procoreWBSCodeID: Int64
    @OptionalField(key: "procore_cost_code_id") public var procoreCostCodeID: Int64?
    @OptionalField(key: "procore_line_item_type_id") public var procoreLineItemTypeID: Int64?
    @OptionalField(key: "cost_code_segment_id") public var costCodeSegmentID: Int64?
    @OptionalField(key: "cost_type_segment_id") public var costTypeSegmentID: Int64?
    @Field(key: "flat_code") public var flatCode: String
    @Field(key: "active") public var active: Bool

    public init() {}

    var domain: ProcoreBudgetCode {
        ProcoreBudgetCode(
            procoreProjectID: procoreProjectID, id: procoreWBSCodeID, costCodeID: procoreCostCodeID, lineItemTypeID: procoreLineItemTypeID,
            costCodeSegmentID: costCodeSegmentID, costTypeSegmentID: costTypeSegmentID, flatCode: flatCode, isActive: active)
    }

    func fill(_ code: ProcoreBudgetCode) {
        (procoreProjectID, procoreWBSCodeID, procoreCostCodeID, procoreLineItemTypeID) = (code.procoreProjectID, code.id, code.costCodeID, code.lineItemTypeID)
        (costCodeSegmentID, costTypeSegmentID, flatCode, active) = (code.costCodeSegmentID, code.costTypeSegmentID, String(code.flatCode.prefix(255)), code.isActive)
    }
}

/// The budget codes of a row's linked Procore projects (issue 26), read with the reference data: a project's list is
/// replaced whole when it is read, and one budget code Lentune creates is added as Procore answers it.
public enum ProcoreBudgetCodes {
    /// The cursor resource naming when a project's budget codes were last read (none: never).
    static func cursor(_ project: ProcoreID) -> String { "budget_codes:\(project)" }

    /// Replaces the project's budget codes with `codes` (as Procore lists them now).
    public static func replace(
        _ codes: [ProcoreBudgetCode], project: ProcoreID, row: ProcoreCompanyLink, now: Date, on db: any Database
    ) async throws {
        try await db.writeTransaction { tx in
            let existing = try await ProcoreBudgetCodeRecord.scoped(to: row.organisationID, on: tx)
                .filter(\.$companyLinkID == row.id.rawValue).filter(\.$procoreProjectID == project).all()
            var byID = Dictionary(existing.map { ($0.procoreWBSCodeID, $0) }, uniquingKeysWith: { first, _ in first })
            for code in codes {
                let record = byID.removeValue(forKey: code.id) ?? ProcoreBudgetCodeRecord()
                if record.id == nil { (record.organisationID, record.companyLinkID) = (row.organisationID.rawValue, row.id.rawValue) }
                record.fill(code)
                if record.hasChanges || record.id == nil { try await record.save(on: tx) }
            }
            for gone in byID.values { try await gone.delete(on: tx) }
            try await SweepCursors.advance(row.id, resource: cursor(project), to: now, now: now, on: tx)
        }
    }

    /// Adds (or updates) one budget code, as Procore answered its creation.
    public static func store(_ code: ProcoreBudgetCode, row: ProcoreCompanyLink, on db: any Database) async throws {
        try await db.writeTransaction { tx in
            let record = try await ProcoreBudgetCodeRecord.scoped(to: row.organisationID, on: tx)
                .filter(\.$companyLinkID == row.id.rawValue).filter(\.$procoreProjectID == code.procoreProjectID)
                .filter(\.$procoreWBSCodeID == code.id).first() ?? ProcoreBudgetCodeRecord()
            if record.id == nil { (record.organisationID, record.companyLinkID) = (row.organisationID.rawValue, row.id.rawValue) }
            record.fill(code)
            try await record.save(on: tx)
        }
    }

    /// The project's budget codes, or nil when they were never read.
    public static func codes(of project: ProcoreID, row: ProcoreCompanyLink, on db: any Database) async throws -> [ProcoreBudgetCode]? {
        guard try await SweepCursors.cursor(row.id, resource: cursor(project), on: db) != nil else { return nil }
        return try await ProcoreBudgetCodeRecord.scoped(to: row.organisationID, on: db)
            .filter(\.$companyLinkID == row.id.rawValue).filter(\.$procoreProjectID == project).all().map(\.domain)
    }
}
