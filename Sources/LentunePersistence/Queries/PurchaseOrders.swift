import FluentKit
import FluentPostgresDriver
import FluentSQL
import Foundation
import LentuneCore

public enum PurchaseOrders {
    public enum Error: Swift.Error, Equatable {
        case duplicateNumber(String)
        case notFound
        /// A PO was already created by a request with the same key.
        case alreadyCreated(PurchaseOrder.ID)
        /// An edit removes the line at this position, and invoices are allocated to it.
        case lineAllocated(position: Int)

        public var message: String {
            switch self {
            case .duplicateNumber(let number): "Purchase order number \(number) is already used."
            case .notFound: "There is no such purchase order."
            case .alreadyCreated: "This purchase order was already created by the same request."
            case .lineAllocated(let position):
                "Line \(position) has invoices allocated to it, so it cannot be removed; change those invoices' allocations first."
            }
        }
    }

    /// Inserts a PO and its lines in one transaction. With a `requestKey`, a second insert with the same key (a
    /// repeated request, even a concurrent one) stores nothing and throws `.alreadyCreated` with the first PO's id.
    public static func insert(_ po: PurchaseOrder, requestKey: String? = nil, on db: any Database) async throws {
        do {
            try await db.writeTransaction { tx in try await insertRows(po, requestKey: requestKey, on: tx) }
        } catch where error.isConstraintFailure {
            try await explain(error, for: po, requestKey: requestKey, on: db)
        }
    }

    private static func insertRows(_ po: PurchaseOrder, requestKey: String?, on tx: any Database) async throws {
        guard po.amountProblems.isEmpty else { throw Scaled.OutOfRange(value: po.totals.includingTax) }
        let record = try PurchaseOrderRecord(po)
        record.requestKey = requestKey
        try await record.create(on: tx)
        for line in po.lines {
            try await PurchaseOrderLineRecord(line, purchaseOrderID: po.id.rawValue).create(on: tx)
        }
    }

    /// A constraint failure of an insert in the caller's terms: the same request's PO, or a number already used.
    private static func explain(_ error: any Swift.Error, for po: PurchaseOrder, requestKey: String?, on db: any Database) async throws -> Never {
        if let requestKey, let existing = try await created(by: requestKey, in: po.organisationID, on: db) {
            throw Error.alreadyCreated(existing)
        }
        let taken = try await PurchaseOrderRecord.scoped(to: po.organisationID, on: db)
            .filter(\.$number == po.number).count() > 0
        if taken { throw Error.duplicateNumber(po.number) }
        throw error
    }

    /// The PO a request with this key created, if any.
    public static func created(by requestKey: String, in organisation: Organisation.ID, on db: any Database) async throws
        -> PurchaseOrder.ID?
    {
        try await PurchaseOrderRecord.scoped(to: organisation, on: db).filter(\.$requestKey == requestKey).first()
            .flatMap(\.id).map(PurchaseOrder.ID.init)
    }

    /// Creates a Lentune PO. An empty number takes the organisation's next number (PO-00001, PO-00002, …), skipping
    /// numbers already used by hand.
    ///
    /// The number is taken and the PO inserted in one transaction, the counter moved by one `UPDATE … RETURNING` (which
    /// holds the organisation's row until commit on PostgreSQL), so concurrent creates never get the same number. A
    /// number typed by hand for another PO at the same moment makes the insert fail; it is then tried again with the
    /// next number, so automatic numbering never fails under concurrency.
    ///
    /// `requestKey` makes the create safe to repeat: when a PO was already created with that key, nothing is stored
    /// and that PO is returned with `created == false`.
    /// `within` runs in the same transaction after the insert (the command's policy check, audit row and outbox
    /// jobs): when it throws, nothing is stored.
    public static func create(
        _ draft: PurchaseOrder, requestKey: String? = nil,
        within: @escaping @Sendable (any Database, PurchaseOrder) async throws -> Void = { _, _ in }, on db: any Database
    ) async throws -> (purchaseOrder: PurchaseOrder, created: Bool) {
        if let requestKey, let existing = try await created(by: requestKey, in: draft.organisationID, on: db),
            let po = try await find(existing, in: draft.organisationID, on: db)
        {
            return (po, false)
        }
        let automatic = draft.number.isEmpty
        var attempt = 0
        while true {
            attempt += 1
            let number = LockedValue(draft.number)
            do {
                let po = try await db.writeTransaction { tx in
                    var po = draft
                    if automatic { po.number = try await takeNumber(in: draft.organisationID, on: tx) }
                    number.value = po.number
                    try await insertRows(po, requestKey: requestKey, on: tx)
                    try await within(tx, po)
                    return po
                }
                return (po, true)
            } catch where error.isConstraintFailure {
                var po = draft
                po.number = number.value
                do {
                    try await explain(error, for: po, requestKey: requestKey, on: db)
                } catch Error.alreadyCreated(let existing) {
                    guard let first = try await find(existing, in: draft.organisationID, on: db) else { throw Error.notFound }
                    return (first, false)
                } catch Error.duplicateNumber where automatic && attempt < 20 {
                    continue
                }
            }
        }
    }

    /// The number a failed attempt tried, carried out of its transaction's closure.
    private final class LockedValue: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: String
        init(_ value: String) { stored = value }
        var value: String {
            get { lock.withLock { stored } }
            set { lock.withLock { stored = newValue } }
        }
    }

    /// Moves the organisation's counter past the next unused number and returns that number (inside `tx`).
    private static func takeNumber(in organisation: Organisation.ID, on tx: any Database) async throws -> String {
        let sql = tx as! any SQLDatabase
        while true {
            guard let row = try await sql.raw("""
                UPDATE organisations SET next_po_number = next_po_number + 1 WHERE id = \(bind: organisation.rawValue)
                RETURNING next_po_number
                """).first()
            else { throw Error.notFound }
            let next = try row.decode(column: "next_po_number", as: Int.self) - 1
            let number = format(next)
            let used = try await PurchaseOrderRecord.scoped(to: organisation, on: tx).filter(\.$number == number).count() > 0
            if !used { return number }
        }
    }

    public static func format(_ n: Int) -> String { String(format: "PO-%05d", n) }

    /// The number the next automatic PO would get (shown, editable, on the New Purchase Order form).
    public static func nextNumber(in organisation: Organisation.ID, on db: any Database) async throws -> String {
        var next = try await OrganisationRecord.find(organisation.rawValue, on: db)?.nextPurchaseOrderNumber ?? 1
        while try await PurchaseOrderRecord.scoped(to: organisation, on: db).filter(\.$number == format(next)).count() > 0 {
            next += 1
        }
        return format(next)
    }

    /// Replaces a PO's header and lines (line ids are kept, so links to Procore line items survive). `within` runs in
    /// the same transaction first, with the PO as stored: it may refuse (throw) and nothing changes.
    public static func update(
        _ po: PurchaseOrder, within: @escaping @Sendable (any Database, PurchaseOrder) async throws -> Void = { _, _ in },
        on db: any Database
    ) async throws {
        do {
            _ = try await modify(po.id, in: po.organisationID, on: db) { tx, stored in
                try await within(tx, stored)
                return po
            }
        } catch Error.duplicateNumber {
            throw Error.duplicateNumber(po.number)
        }
    }

    /// Reads the PO inside a write transaction, locked (`findForUpdate`), lets `change` decide what it becomes (or
    /// refuse by throwing), and stores that; answers what was stored. Concurrent changes of one PO run one after
    /// another, each seeing the one before, so only the winner of a transition writes it and its audit row (issue 30).
    ///
    /// The Procore ids (the commitment's, each line's) and the deleted-in-Procore mark belong to the sync: a change
    /// keeps them as they are stored *now*, whatever the value `change` was built from says, so an edit read before a
    /// push landed never wipes the ids that push stored (issue 25).
    public static func modify(
        _ id: PurchaseOrder.ID, in organisation: Organisation.ID, on db: any Database,
        _ change: @escaping @Sendable (any Database, PurchaseOrder) async throws -> PurchaseOrder
    ) async throws -> PurchaseOrder {
        do {
            return try await db.writeTransaction { tx in
                // Locked: of concurrent changes (50 approvals at once), one wins and the rest see its result.
                guard let record = try await PurchaseOrderRecord.findForUpdate(id.rawValue, in: organisation, on: tx) else {
                    throw Error.notFound
                }
                let stored = record.domain(lines: try await record.$lines.get(on: tx))
                let po = try await change(tx, stored).keepingSyncFields(of: stored)
                guard po.amountProblems.isEmpty else { throw Scaled.OutOfRange(value: po.totals.includingTax) }
                try record.apply(po)
                try await record.save(on: tx)
                if let allocated = try await writeLines(po.lines, of: id.rawValue, on: tx).first {
                    throw Error.lineAllocated(position: allocated.position)
                }
                return po
            }
        } catch where error.isConstraintFailure {
            // The only unique value a change can collide on is the number (`update` names the one tried).
            throw Error.duplicateNumber("")
        }
    }

    /// The ids among `lines` that invoice allocations point at.
    static func allocatedLines(_ lines: [UUID], on db: any Database) async throws -> Set<UUID> {
        guard !lines.isEmpty else { return [] }
        return Set(try await InvoiceAllocationRecord.query(on: db).filter(\.$purchaseOrderLineID ~~ lines).all().map(\.purchaseOrderLineID))
    }

    /// Writes a PO's lines over its stored ones in place (inside `tx`): a line that stays keeps its row, so the invoice
    /// allocations that point at it survive; new lines are inserted; lines no longer there are deleted. A line to be
    /// deleted that invoices are allocated to is not: it stays, and is answered for the caller to refuse or report.
    static func writeLines(_ lines: [PurchaseOrder.Line], of po: UUID, on tx: any Database) async throws -> [PurchaseOrder.Line] {
        let rows = try await PurchaseOrderLineRecord.query(on: tx).filter(\.$purchaseOrder.$id == po).all()
        let wanted = Set(lines.map(\.id.rawValue))
        let removed = rows.filter { !wanted.contains($0.id!) }
        let allocated = try await allocatedLines(removed.compactMap(\.id), on: tx)
        let deletable = removed.compactMap(\.id).filter { !allocated.contains($0) }
        if !deletable.isEmpty {
            try await PurchaseOrderLineRecord.query(on: tx).filter(\.$purchaseOrder.$id == po).filter(\.$id ~~ deletable).delete()
        }
        let byID = Dictionary(rows.map { ($0.id!, $0) }, uniquingKeysWith: { first, _ in first })
        for line in lines {
            if let row = byID[line.id.rawValue] {
                try row.apply(line)
                try await row.save(on: tx)
            } else {
                try await PurchaseOrderLineRecord(line, purchaseOrderID: po).create(on: tx)
            }
        }
        return removed.filter { allocated.contains($0.id!) }.map(\.domain).sorted { $0.position < $1.position }
    }

    /// Records the Procore ids a push got back (the commitment's, and each line's sent), touching nothing else.
    public static func storeProcoreIDs(
        _ id: PurchaseOrder.ID, in organisation: Organisation.ID, commitment: ProcoreID, lines: [PurchaseOrder.Line.ID: ProcoreID],
        on db: any Database
    ) async throws {
        try await db.writeTransaction { tx in
            try await PurchaseOrderRecord.scoped(to: organisation, on: tx).filter(\.$id == id.rawValue)
                .set(\.$procoreCommitmentID, to: commitment).update()
            for (line, procoreID) in lines {
                try await PurchaseOrderLineRecord.query(on: tx).filter(\.$id == line.rawValue).filter(\.$purchaseOrder.$id == id.rawValue)
                    .set(\.$procoreLineItemID, to: procoreID).update()
            }
        }
    }

    /// Stores a PO read from Procore (`po.procoreCommitmentID` set, origin procore): updates the PO of that commitment
    /// (keeping its id, number and the ids of lines Procore still has) or inserts it. A new PO takes Procore's number,
    /// suffixed with the project code when another PO of the organisation has it (Procore numbers are per project).
    /// The unique (organisation, commitment) index makes two concurrent reads of one commitment store one PO.
    ///
    /// A Lentune PO and its commitment are one pair through `origin_id` (issue 25): a commitment whose `origin` names
    /// a Lentune PO of the organisation not paired with another commitment *is* that PO (a push that wrote the header
    /// and failed before Lentune stored the id, then a switch to Procore purchase order), and a Procore line whose
    /// origin (`lineOrigins`, by Procore line id) names one of its lines is that line, so its allocations stay.
    public static func upsertFromProcore(
        _ pulled: PurchaseOrder, projectCode: String, origin: UUID? = nil, lineOrigins: [ProcoreID: UUID] = [:], on db: any Database
    ) async throws -> (PurchaseOrder, created: Bool) {
        guard let commitment = pulled.procoreCommitmentID else { throw Error.notFound }
        guard pulled.amountProblems.isEmpty else { throw Scaled.OutOfRange(value: pulled.totals.includingTax) }
        return try await db.writeTransaction { tx in
            var paired = try await PurchaseOrderRecord.scoped(to: pulled.organisationID, on: tx)
                .filter(\.$procoreCommitmentID == commitment).first()
            if paired == nil, let origin, let record = try await PurchaseOrderRecord.find(origin, in: pulled.organisationID, on: tx),
                record.procoreCommitmentID == nil, record.origin == PurchaseOrder.Origin.lentune.rawValue
            {
                paired = record
            }
            if let record = paired {
                let stored = record.domain(lines: try await record.$lines.get(on: tx))
                var po = pulled
                // A Lentune PO sent to Procore before its company was switched keeps its origin (and number); Procore is
                // its source of truth from now on, and the PO is read-only in Lentune while the company is on Procore.
                (po.id, po.number, po.origin) = (stored.id, stored.number, stored.origin)
                (po.raisedBy, po.approvedBy) = (stored.raisedBy, stored.approvedBy)
                for index in po.lines.indices {
                    let procoreLine = po.lines[index].procoreLineItemID
                    if let same = stored.lines.first(where: { $0.procoreLineItemID != nil && $0.procoreLineItemID == procoreLine })
                        ?? procoreLine.flatMap({ lineOrigins[$0] }).flatMap({ origin in
                            stored.lines.first { $0.id.rawValue == origin && $0.procoreLineItemID == nil }
                        })
                    {
                        po.lines[index].id = same.id
                    }
                }
                // A line deleted in Procore that invoices are allocated to stays (the allocations would be lost); the
                // stored PO keeps it, and the pull job notes it in the ledger.
                let removed = stored.lines.filter { line in !po.lines.contains { $0.id == line.id } }
                let allocated = try await allocatedLines(removed.map(\.id.rawValue), on: tx)
                po.lines += removed.filter { allocated.contains($0.id.rawValue) }
                guard po != stored else { return (stored, false) }
                try record.apply(po)
                try await record.save(on: tx)
                _ = try await writeLines(po.lines, of: po.id.rawValue, on: tx)
                return (po, false)
            }
            var po = pulled
            for candidate in [po.number, "\(po.number) · \(projectCode)", "\(po.number) · \(projectCode) · \(commitment)"] {
                po.number = String(candidate.prefix(100))
                let taken = try await PurchaseOrderRecord.scoped(to: po.organisationID, on: tx).filter(\.$number == po.number).count() > 0
                if !taken { break }
            }
            try await insertRows(po, requestKey: nil, on: tx)
            return (po, true)
        }
    }

    /// Marks the PO of a commitment deleted in Procore (it is kept: invoices may point at it). `false` when Lentune
    /// has no PO of that commitment.
    @discardableResult
    public static func markDeletedInProcore(_ commitment: ProcoreID, in organisation: Organisation.ID, now: Date, on db: any Database) async throws -> Bool {
        try await db.writeTransaction { tx in
            guard let record = try await PurchaseOrderRecord.scoped(to: organisation, on: tx).filter(\.$procoreCommitmentID == commitment).first()
            else { return false }
            if record.deletedInProcoreAt == nil {
                record.deletedInProcoreAt = now
                try await record.save(on: tx)
            }
            return true
        }
    }

    /// A reconciliation's repair of two Lentune POs for one commitment (issue 25): the copy read from Procore and
    /// the PO Lentune made, which carries the commitment's origin_id. In one transaction the copy's invoices and their
    /// allocations move to the PO Lentune made (a line by its Procore line item id where both have one, else by
    /// position), the commitment's id moves to it, and the copy is removed. Answers the commitment (nil: nothing to
    /// merge). The caller reads the commitment again, which pairs the lines by origin_id.
    public static func merge(copy: PurchaseOrder.ID, into keep: PurchaseOrder.ID, in organisation: Organisation.ID, on tx: any Database) async throws
        -> ProcoreID?
    {
        guard let copyRecord = try await PurchaseOrderRecord.find(copy.rawValue, in: organisation, on: tx),
            let keepRecord = try await PurchaseOrderRecord.find(keep.rawValue, in: organisation, on: tx),
            let commitment = copyRecord.procoreCommitmentID, keepRecord.procoreCommitmentID == nil || keepRecord.procoreCommitmentID == commitment
        else { return nil }
        let copyLines = try await copyRecord.$lines.get(on: tx).sorted { $0.position < $1.position }
        let keepLines = try await keepRecord.$lines.get(on: tx).sorted { $0.position < $1.position }
        for (index, line) in copyLines.enumerated() {
            let target = keepLines.first { $0.procoreLineItemID != nil && $0.procoreLineItemID == line.procoreLineItemID }
                ?? (index < keepLines.count ? keepLines[index] : keepLines.last)
            guard let target, let from = line.id, let to = target.id else { continue }
            try await InvoiceAllocationRecord.query(on: tx).filter(\.$purchaseOrderLineID == from).set(\.$purchaseOrderLineID, to: to).update()
        }
        try await InvoiceRecord.scoped(to: organisation, on: tx).filter(\.$purchaseOrderID == copy.rawValue)
            .set(\.$purchaseOrderID, to: keep.rawValue).update()
        try await PurchaseOrderLineRecord.query(on: tx).filter(\.$purchaseOrder.$id == copy.rawValue).delete()
        try await (tx as! any SQLDatabase).raw("DELETE FROM sync_records WHERE entity_id = \(bind: copy.rawValue)").run()
        try await copyRecord.delete(on: tx)
        keepRecord.procoreCommitmentID = commitment
        try await keepRecord.save(on: tx)
        return commitment
    }

    /// The Procore project of a PO's project, if it is linked.
    public static func procoreProject(of id: PurchaseOrder.ID, in organisation: Organisation.ID, on db: any Database) async throws -> ProcoreID? {
        guard let record = try await PurchaseOrderRecord.find(id.rawValue, in: organisation, on: db) else { return nil }
        return try await ProjectRecord.find(record.projectID, in: organisation, on: db)?.procoreProjectID
    }

    /// How many POs of the company row's projects were read from Procore (its import's progress).
    public static func countFromProcore(companyLink: ProcoreCompanyLink.ID, in organisation: Organisation.ID, on db: any Database) async throws -> Int {
        let projects = try await ProjectRecord.scoped(to: organisation, on: db).filter(\.$procoreCompanyLinkID == companyLink.rawValue).all().compactMap(\.id)
        guard !projects.isEmpty else { return 0 }
        return try await PurchaseOrderRecord.scoped(to: organisation, on: db).filter(\.$projectID ~~ projects)
            .filter(\.$origin == PurchaseOrder.Origin.procore.rawValue).count()
    }

    /// The Lentune PO of a Procore commitment.
    public static func find(commitment: ProcoreID, in organisation: Organisation.ID, on db: any Database) async throws -> PurchaseOrder? {
        guard let record = try await PurchaseOrderRecord.scoped(to: organisation, on: db).filter(\.$procoreCommitmentID == commitment).first()
        else { return nil }
        return record.domain(lines: try await record.$lines.get(on: db))
    }

    /// The numbers of these POs of `organisation` (the ones that exist), for lists that name them.
    public static func numbers(of ids: [PurchaseOrder.ID], in organisation: Organisation.ID, on db: any Database) async throws -> [PurchaseOrder.ID: String] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await PurchaseOrderRecord.scoped(to: organisation, on: db).filter(\.$id ~~ ids.map(\.rawValue)).all()
        return Dictionary(rows.compactMap { row in row.id.map { (PurchaseOrder.ID($0), row.number) } }, uniquingKeysWith: { first, _ in first })
    }

    /// The PO with its lines, or `nil` if it does not exist in this organisation.
    public static func find(_ id: PurchaseOrder.ID, in organisation: Organisation.ID, on db: any Database) async throws
        -> PurchaseOrder?
    {
        guard let record = try await PurchaseOrderRecord.find(id.rawValue, in: organisation, on: db) else { return nil }
        let lines = try await record.$lines.get(on: db)
        return record.domain(lines: lines)
    }

    /// Many POs with their lines, by id, in two queries (a push batch of a hundred: issue 26). Ids of another
    /// organisation, or of no PO, are left out.
    public static func find(_ ids: [PurchaseOrder.ID], in organisation: Organisation.ID, on db: any Database) async throws
        -> [PurchaseOrder.ID: PurchaseOrder]
    {
        guard !ids.isEmpty else { return [:] }
        let records = try await PurchaseOrderRecord.scoped(to: organisation, on: db).filter(\.$id ~~ ids.map(\.rawValue)).all()
        let found = records.compactMap(\.id)
        guard !found.isEmpty else { return [:] }
        let lines = Dictionary(grouping: try await PurchaseOrderLineRecord.query(on: db).filter(\.$purchaseOrder.$id ~~ found).all(), by: { $0.$purchaseOrder.id })
        return Dictionary(uniqueKeysWithValues: records.map { record in (PurchaseOrder.ID(record.id!), record.domain(lines: lines[record.id!] ?? [])) })
    }

    /// The organisation's PO with this number (as a person types it on an invoice), if any.
    public static func find(number: String, in organisation: Organisation.ID, on db: any Database) async throws -> PurchaseOrder? {
        let number = number.trimmingCharacters(in: .whitespaces)
        guard !number.isEmpty, number.count <= 100,
            let record = try await PurchaseOrderRecord.scoped(to: organisation, on: db).filter(\.$number == number).first()
        else { return nil }
        return record.domain(lines: try await record.$lines.get(on: db))
    }

    public static func count(in organisation: Organisation.ID, on db: any Database) async throws -> Int {
        try await PurchaseOrderRecord.scoped(to: organisation, on: db).count()
    }

    // MARK: - Which projects allow Lentune POs

    /// The company row a project is linked to, if any.
    public static func companyLink(ofProject project: Project.ID, in organisation: Organisation.ID, on db: any Database) async throws
        -> ProcoreCompanyLink.ID?
    {
        try await ProjectRecord.find(project.rawValue, in: organisation, on: db)?.procoreCompanyLinkID.map { .init($0) }
    }

    /// One project's PO-source context, read inside a write transaction. On PostgreSQL the company row is read
    /// `FOR SHARE`, so a switch of the setting waits for this transaction (and this one for a switch in progress):
    /// the policy is applied to the setting as it is at commit.
    public static func currentSource(of project: Project.ID, in organisation: Organisation.ID, on tx: any Database) async throws
        -> PurchaseOrderPolicy.ProjectSource?
    {
        guard let record = try await ProjectRecord.find(project.rawValue, in: organisation, on: tx),
            let linkID = record.procoreCompanyLinkID
        else { return nil }
        let sql = tx as! any SQLDatabase
        let lock: SQLQueryString = sql.dialect.name == "postgresql" ? " FOR SHARE" : ""
        guard let row = try await sql.raw("""
            SELECT name, is_linked, purchase_order_source FROM procore_company_links
            WHERE id = \(bind: linkID) AND organisation_id = \(bind: organisation.rawValue)\(lock)
            """).first(),
            try row.decode(column: "is_linked", as: Bool.self)
        else { return nil }
        return .init(
            companyName: try row.decode(column: "name", as: String.self),
            source: PurchaseOrderSource(rawValue: try row.decode(column: "purchase_order_source", as: String.self)) ?? .none)
    }

    /// Each project's PO-source context: its Procore company's name and source when the project belongs to a
    /// *linked* company row, `nil` when it is not linked to Procore.
    public static func projectSources(in organisation: Organisation.ID, on db: any Database) async throws
        -> [Project.ID: PurchaseOrderPolicy.ProjectSource?]
    {
        let links = try await ProcoreCompanyLinkRecord.scoped(to: organisation, on: db).all()
        let byID = Dictionary(uniqueKeysWithValues: links.map { ($0.id!, $0.domain) })
        let projects = try await ProjectRecord.scoped(to: organisation, on: db).all()
        var result: [Project.ID: PurchaseOrderPolicy.ProjectSource?] = [:]
        for project in projects {
            let link = project.procoreCompanyLinkID.flatMap { byID[$0] }
            result[.init(project.id!)] = link.flatMap { $0.isLinked ? .init(companyName: $0.name, source: $0.purchaseOrderSource) : nil }
        }
        return result
    }
}

extension PurchaseOrder {
    /// This PO with the sync's fields (Procore ids, deleted in Procore) as `stored` has them: a line keeps its stored
    /// line item id, a new line has none.
    func keepingSyncFields(of stored: PurchaseOrder) -> PurchaseOrder {
        var po = self
        po.procoreCommitmentID = stored.procoreCommitmentID
        po.deletedInProcoreAt = stored.deletedInProcoreAt
        let ids = Dictionary(stored.lines.map { ($0.id, $0.procoreLineItemID) }, uniquingKeysWith: { first, _ in first })
        for index in po.lines.indices { po.lines[index].procoreLineItemID = ids[po.lines[index].id] ?? nil }
        return po
    }
}

/// Inserting reference data (the Procore import of a later issue and the demo seed use these).
public enum ReferenceData {
    public static func insert(_ project: Project, on db: any Database) async throws {
        try await ProjectRecord(project).create(on: db)
    }

    /// A supplier and its Procore vendors (`procoreVendors`).
    public static func insert(_ supplier: Supplier, on db: any Database) async throws {
        try await SupplierRecord(supplier).create(on: db)
        for (row, vendor) in supplier.procoreVendors {
            try await ProcoreReferenceLinkRecord(
                organisation: supplier.organisationID, companyLink: row, kind: .supplier, entity: supplier.id.rawValue, procoreID: vendor
            ).create(on: db)
        }
    }

    public static func insert(_ costCode: CostCode, on db: any Database) async throws {
        try await CostCodeRecord(costCode).create(on: db)
    }

    /// A cost type and its Procore line item types (`procoreLineItemTypes`).
    public static func insert(_ costType: CostType, on db: any Database) async throws {
        try await CostTypeRecord(costType).create(on: db)
        for (row, type) in costType.procoreLineItemTypes {
            try await ProcoreReferenceLinkRecord(
                organisation: costType.organisationID, companyLink: row, kind: .costType, entity: costType.id.rawValue, procoreID: type
            ).create(on: db)
        }
    }

    public static func insert(_ taxCode: TaxCode, on db: any Database) async throws {
        try await TaxCodeRecord(taxCode).create(on: db)
    }

    public static func projects(in organisation: Organisation.ID, on db: any Database) async throws -> [Project] {
        try await ProjectRecord.scoped(to: organisation, on: db).sort(\.$code).all().map(\.domain)
    }

    public static func suppliers(in organisation: Organisation.ID, on db: any Database) async throws -> [Supplier] {
        let links = try await ReferenceLinks.links(.supplier, in: organisation, on: db)
        return try await SupplierRecord.scoped(to: organisation, on: db).sort(\.$name).all().map { $0.domain(links: links[$0.id!] ?? [:]) }
    }
}

extension ReferenceData {
    public static func costCodes(in organisation: Organisation.ID, project: Project.ID? = nil, on db: any Database) async throws -> [CostCode] {
        var query = CostCodeRecord.scoped(to: organisation, on: db)
        if let project { query = query.filter(\.$projectID == project.rawValue) }
        return try await query.sort(\.$code).all().map(\.domain)
    }

    public static func costTypes(in organisation: Organisation.ID, on db: any Database) async throws -> [CostType] {
        let links = try await ReferenceLinks.links(.costType, in: organisation, on: db)
        return try await CostTypeRecord.scoped(to: organisation, on: db).sort(\.$code).all().map { $0.domain(links: links[$0.id!] ?? [:]) }
    }

    public static func taxCodes(in organisation: Organisation.ID, on db: any Database) async throws -> [TaxCode] {
        try await TaxCodeRecord.scoped(to: organisation, on: db).sort(\.$code).all().map(\.domain)
    }

    /// One supplier with its Procore vendor links, or `nil` (also when it is another organisation's).
    public static func supplier(_ id: Supplier.ID, in organisation: Organisation.ID, on db: any Database) async throws -> Supplier? {
        guard let record = try await SupplierRecord.find(id.rawValue, in: organisation, on: db) else { return nil }
        let links = try await ReferenceLinks.links(.supplier, in: organisation, entities: [id.rawValue], on: db)
        return record.domain(links: links[id.rawValue] ?? [:])
    }

    public static func project(_ id: Project.ID, in organisation: Organisation.ID, on db: any Database) async throws -> Project? {
        try await ProjectRecord.find(id.rawValue, in: organisation, on: db)?.domain
    }

    /// Display names of suppliers by id (of this organisation only).
    public static func supplierNames(_ ids: [Supplier.ID], in organisation: Organisation.ID, on db: any Database) async throws -> [UUID: String] {
        let unique = Array(Set(ids.map(\.rawValue)))
        guard !unique.isEmpty else { return [:] }
        let records = try await SupplierRecord.scoped(to: organisation, on: db).filter(\.$id ~~ unique).all()
        return Dictionary(uniqueKeysWithValues: records.map { ($0.id!, $0.name) })
    }
}

extension Accounts {
    public static func users(in organisation: Organisation.ID, on db: any Database) async throws -> [User] {
        try await UserRecord.scoped(to: organisation, on: db).sort(\.$email).all().map(\.domain)
    }

    /// The users who may sign in (not deactivated): those offered as approvers.
    public static func activeUsers(in organisation: Organisation.ID, on db: any Database) async throws -> [User] {
        try await UserRecord.scoped(to: organisation, on: db).filter(\.$deactivatedAt == nil).sort(\.$email).all().map(\.domain)
    }

    /// When each deactivated user of the organisation was deactivated (the Users page).
    public static func deactivated(in organisation: Organisation.ID, on db: any Database) async throws -> [User.ID: Date] {
        var found: [User.ID: Date] = [:]
        for record in try await UserRecord.scoped(to: organisation, on: db).filter(\.$deactivatedAt != nil).all() {
            if let id = record.id, let at = record.deactivatedAt { found[.init(id)] = at }
        }
        return found
    }
}
