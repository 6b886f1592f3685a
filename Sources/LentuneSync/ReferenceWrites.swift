import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import ProcoreAPI

/// Lentune → Procore reference data, for the PO and invoice jobs that need it (issue 13): a supplier without a
/// Procore vendor becomes a company vendor, a cost type without a line item type becomes one, **exactly once**.
///
/// Procore's sync actions (`PATCH …/vendors/sync`, `…/line_item_types/sync`) create or update by `origin_id`, and
/// `origin_id` is unique in a company; Lentune sends its own record id as the `origin_id`. So a repeat, a retry after
/// a response that was lost, or two jobs that need the same vendor at the same moment all end at the one Procore
/// record, and whichever job stores its id second finds it already stored.
public enum ReferenceWrites {
    /// The supplier's vendor in the row's company, creating the company vendor when it has none there.
    public static func ensureVendor(
        _ supplierID: Supplier.ID, row: ProcoreCompanyLink, client: Procore.Client, on db: any Database
    ) async throws -> Int64 {
        guard let supplier = try await SupplierRecord.scoped(to: row.organisationID, on: db).filter(\.$id == supplierID.rawValue).first() else {
            throw SyncError.permanent("The supplier \(supplierID) does not exist.")
        }
        if let id = try await ReferenceLinks.procoreID(.supplier, of: supplierID.rawValue, row: row, on: db) { return id }
        let write = Procore.VendorWrite(name: supplier.name, isActive: true, originId: supplierID.rawValue.lowercasedText)
        let result = try await client.syncVendors(row.procoreCompanyID, [write])
        let vendor = try created(result, what: "the vendor \(supplier.name)")
        // Stored unless another job stored it first (then that one, the same vendor by origin_id, stands).
        return try await ReferenceLinks.pair(.supplier, supplierID.rawValue, with: vendor.id, row: row, on: db) ?? vendor.id
    }

    /// The cost type's line item type in the row's company, creating it there when it has none.
    public static func ensureCostType(
        _ costTypeID: CostType.ID, row: ProcoreCompanyLink, client: Procore.Client, on db: any Database
    ) async throws -> Int64 {
        guard let type = try await CostTypeRecord.scoped(to: row.organisationID, on: db).filter(\.$id == costTypeID.rawValue).first() else {
            throw SyncError.permanent("The cost type \(costTypeID) does not exist.")
        }
        if let id = try await ReferenceLinks.procoreID(.costType, of: costTypeID.rawValue, row: row, on: db) { return id }
        let write = Procore.LineItemTypeWrite(name: type.name, csvImportCode: type.code, baseType: "other", originId: costTypeID.rawValue.lowercasedText)
        let result = try await client.syncLineItemTypes(row.procoreCompanyID, [write])
        let created = try created(result, what: "the cost type \(type.code)")
        return try await ReferenceLinks.pair(.costType, costTypeID.rawValue, with: created.id, row: row, on: db) ?? created.id
    }

    /// Procore's words for several refused items, or "no reason given".
    static func reasons<Entity>(_ errors: [Procore.SyncResult<Entity>.ItemError]) -> String {
        errors.isEmpty ? "no reason given" : errors.map(\.reasons).joined(separator: "; ")
    }

    /// The one entity of a one-item sync, or Procore's reason it refused it (permanent: the data must change).
    static func created<Entity: Identified>(_ result: Procore.SyncResult<Entity>, what: String) throws -> Entity {
        if let entity = result.entities.first { return entity }
        throw SyncError.permanent("Procore refused \(what): \(reasons(result.errors)).")
    }
}

/// A Procore entity with an id (what a sync action answers with).
protocol Identified: Decodable, Sendable { var id: Int64 { get } }
extension Procore.Vendor: Identified {}
extension Procore.LineItemType: Identified {}
extension Procore.PurchaseOrderContract: Identified {}

extension Procore.SyncResult.ItemError {
    /// Procore's words for one refused item: "vendor_id is invalid; number has already been taken".
    var reasons: String { errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.joined(separator: ", "))" }.joined(separator: "; ") }
}

extension ReferenceWrites {
    /// Budget codes of one project for cost code + cost type pairs, for a project that requires them: an existing
    /// code is reused, a missing one is created (its segment ids read from the project's existing budget codes; the
    /// create is an upsert on the segment items, so it is safe to repeat). Reads the project's codes once.
    actor BudgetCodes {
        let project: ProcoreID
        let client: Procore.Client
        private var known: [String: ProcoreID]?
        private var segments: (costCode: ProcoreID, costType: ProcoreID)?

        init(project: ProcoreID, client: Procore.Client) {
            self.project = project
            self.client = client
        }

        func id(costCode: ProcoreID, costType: ProcoreID) async throws -> ProcoreID {
            if known == nil {
                let existing = try await client.wbsCodes(project).all()
                var codes: [String: ProcoreID] = [:]
                for code in existing {
                    if let costCode = code.item(ofType: "cost_code")?.id, let costType = code.item(ofType: "line_item_type")?.id {
                        codes["\(costCode):\(costType)"] = code.id
                    }
                }
                known = codes
                if let costCodeSegment = existing.lazy.compactMap({ $0.item(ofType: "cost_code")?.segment.id }).first,
                    let costTypeSegment = existing.lazy.compactMap({ $0.item(ofType: "line_item_type")?.segment.id }).first
                {
                    segments = (costCodeSegment, costTypeSegment)
                }
            }
            let key = "\(costCode):\(costType)"
            if let id = known?[key] { return id }
            guard let segments else {
                throw SyncError.permanent("Procore project \(project) requires budget codes, and Lentune cannot tell its budget code segments (it has no budget code yet): add one budget code in Procore, then Retry.")
            }
            let created = try await client.upsertWBSCode(project, Procore.WBSCodeWrite(segmentItems: [
                .init(segmentId: segments.costCode, segmentItemId: costCode), .init(segmentId: segments.costType, segmentItemId: costType),
            ])).id
            known?[key] = created
            return created
        }
    }
}

extension ReferenceWrites {
    /// The budget code of each cost code + cost type pair of one project, decided before a write (issue 26): Procore's
    /// v1.1 direct-cost line requires `wbs_code_id` and takes no pair, so Lentune never leans on a refusal to find
    /// out. The project's budget codes are read with the reference data (and here, once, if they never were); a pair
    /// without one gets it through the WBS API (`POST …/wbs_codes`, which updates an existing combination instead of
    /// making a second), with the segment ids the project's other budget codes show, and it is stored at once.
    actor BudgetCodeBook {
        let project: ProcoreID
        let row: ProcoreCompanyLink
        let client: Procore.Client
        let db: any Database
        private var codes: [ProcoreBudgetCode]?

        init(project: ProcoreID, row: ProcoreCompanyLink, client: Procore.Client, db: any Database) {
            self.project = project
            self.row = row
            self.client = client
            self.db = db
        }

        func id(costCode: ProcoreID, costType: ProcoreID, label: String) async throws -> ProcoreID {
            let known = try await load()
            if let code = known.first(where: { $0.isActive && $0.costCodeID == costCode && $0.lineItemTypeID == costType }) { return code.id }
            guard let costCodeSegment = known.lazy.compactMap(\.costCodeSegmentID).first,
                let costTypeSegment = known.lazy.compactMap(\.costTypeSegmentID).first
            else {
                throw SyncError.permanent(
                    "\(label): Procore project \(project) has no budget code yet, so Lentune cannot tell its budget code segments: add one budget code in Procore, then Retry.")
            }
            let created: Procore.WBSCode
            do throws(Procore.Error) {
                created = try await client.upsertWBSCode(project, Procore.WBSCodeWrite(segmentItems: [
                    .init(segmentId: costCodeSegment, segmentItemId: costCode), .init(segmentId: costTypeSegment, segmentItemId: costType),
                ]))
            } catch {
                guard error.isRefusal else { throw error }
                throw SyncError.permanent("\(label) has no budget code in Procore project \(project), and Procore did not let Lentune create it: \(error.description)")
            }
            let code = ReferenceWrites.budgetCode(created, project: project)
            try await ProcoreBudgetCodes.store(code, row: row, on: db)
            codes = (codes ?? []).filter { $0.id != code.id } + [code]
            return code.id
        }

        /// Reads the project's budget codes from Procore again; answers whether they changed.
        func refresh() async throws -> Bool {
            let before = Set(try await load())
            let read = try await ReferenceWrites.readBudgetCodes(project: project, row: row, client: client, now: Date(), on: db)
            codes = read
            return Set(read) != before
        }

        private func load() async throws -> [ProcoreBudgetCode] {
            if let codes { return codes }
            let loaded: [ProcoreBudgetCode]
            if let stored = try await ProcoreBudgetCodes.codes(of: project, row: row, on: db) {
                loaded = stored
            } else {
                loaded = try await ReferenceWrites.readBudgetCodes(project: project, row: row, client: client, now: Date(), on: db)
            }
            codes = loaded
            return loaded
        }
    }

    /// Reads a project's budget codes from Procore and stores them (replacing what was stored).
    static func readBudgetCodes(
        project: ProcoreID, row: ProcoreCompanyLink, client: Procore.Client, now: Date, on db: any Database
    ) async throws -> [ProcoreBudgetCode] {
        let codes = try await client.wbsCodes(project).all().map { budgetCode($0, project: project) }
        try await ProcoreBudgetCodes.replace(codes, project: project, row: row, now: now, on: db)
        return codes
    }

    static func budgetCode(_ code: Procore.WBSCode, project: ProcoreID) -> ProcoreBudgetCode {
        let costCode = code.item(ofType: "cost_code")
        let costType = code.item(ofType: "line_item_type")
        return ProcoreBudgetCode(
            procoreProjectID: project, id: code.id, costCodeID: costCode?.id, lineItemTypeID: costType?.id,
            costCodeSegmentID: costCode?.segment.id, costTypeSegmentID: costType?.segment.id, flatCode: code.flatCode,
            isActive: (code.status ?? "active").lowercased() != "inactive")
    }
}
