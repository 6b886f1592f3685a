import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import Logging
import ProcoreAPI
import Synchronization

/// `po.push`: a Lentune PO of a company on **Lentune purchase order** → a Procore Purchase Order Contract with its
/// line items (issue 14, Lentune → Procore).
///
/// Exactly once in effect: the commitment and each line carry Lentune's id as `origin_id`, and both are written
/// through Procore's sync actions, which update what an `origin_id` already names. A retry after a lost answer, a
/// second worker after a lost lease, or a repeat push all land on the one commitment.
///
/// The setting is re-read when the job runs: a PO whose company is no longer on Lentune purchase order is not sent
/// (the job is cancelled and the ledger says why). Procore locks the schedule of values of an approved commitment,
/// so lines are written while the commitment is a draft and the status is set last.
public enum PurchaseOrderJobs {
    struct Payload: Decodable {
        var purchase_order_id: UUID
    }

    /// How many waiting pushes of the same company one run takes with it: their commitments are written in one sync
    /// call per project (Procore takes up to 1,000 items), their lines in one call per PO.
    public static let batchSize = 100

    public static func push(_ job: SyncJob, _ ctx: JobContext) async throws {
        var batch = [job]
        if let link = job.companyLinkID {
            batch += try await ctx.claimMore(.pushPurchaseOrder, link, batchSize - 1)
        }
        let outcomes = await pushBatch(batch, ctx)
        for other in batch.dropFirst() {
            await ctx.settle(other, outcomes[other.id] ?? nil)
        }
        if let error = outcomes[job.id] ?? nil { throw error }
    }

    /// One PO of a batch, ready to send.
    struct Sending {
        var job: SyncJob
        var po: PurchaseOrder
        var row: ProcoreCompanyLink
        var project: ProcoreID
        var lines: [Procore.LineItemWrite]
        var vendor: ProcoreID
        var needsLines: Bool
        /// The commitment's lines as Procore had them before this push (read for a PO pushed before).
        var inProcore: [Procore.LineItem]? = nil
        var status: Procore.PurchaseOrderContract.Status { po.status == .closed ? .closed : .approved }
    }

    /// Sends each job's PO; answers each job's error (nil: done). The ledger records every outcome.
    static func pushBatch(_ batch: [SyncJob], _ ctx: JobContext) async -> [SyncJob.ID: SyncError?] {
        var outcomes: [SyncJob.ID: SyncError?] = [:]
        var ready: [Sending] = []
        let shared = BatchReference()
        try? await shared.preload(batch, ctx)
        for job in batch {
            do {
                guard let payload = try? JSONDecoder().decode(Payload.self, from: Data(job.payload.utf8)) else {
                    throw SyncError.permanent("The job names no purchase order.")
                }
                let (po, row, project) = try await current(.init(payload.purchase_order_id), job: job, ctx, shared: shared)
                let client = try await shared.client(row, ctx)
                let lines = try await lineWrites(po, row: row, project: project, client: client, ctx, shared: shared)
                let vendor = try await shared.vendor(po.supplierID, row: row, client: client, ctx)
                // Lines are written on a first push. A PO pushed before may have been revised since (edited and
                // approved again, perhaps closed too before this push ran): its commitment's lines are read, and
                // written again only when they differ (the commitment goes back to Draft meanwhile, then to the PO's
                // status). An unchanged PO sends its status alone.
                var needsLines = po.procoreCommitmentID == nil || po.lines.contains { $0.procoreLineItemID == nil }
                var inProcore: [Procore.LineItem]?
                if !needsLines, let commitment = po.procoreCommitmentID {
                    let read = try await client.purchaseOrderLineItems(project: project, purchaseOrder: commitment).all()
                    needsLines = !linesMatch(lines, read)
                    inProcore = read
                }
                ready.append(Sending(
                    job: job, po: po, row: row, project: project, lines: lines, vendor: vendor, needsLines: needsLines, inProcore: inProcore))
            } catch {
                outcomes[job.id] = await settle(job, error, ctx)
            }
        }
        for group in Dictionary(grouping: ready, by: { "\($0.row.id):\($0.project)" }).values {
            for (job, error) in await send(group, ctx) {
                outcomes[job.id] = error == nil ? Optional<SyncError>.none : await settle(job, error!, ctx)
            }
        }
        return outcomes
    }

    /// Records a job's failure on the PO's ledger row; answers it classified.
    static func settle(_ job: SyncJob, _ error: any Error, _ ctx: JobContext) async -> SyncError {
        let classified = SyncError(any: error, job: job)
        if let payload = try? JSONDecoder().decode(Payload.self, from: Data(job.payload.utf8)) {
            try? await SyncLedger.record(classified.ledgerUpdate(job, ctx), .purchaseOrder, payload.purchase_order_id, organisation: job.organisationID, now: ctx.now(), on: ctx.db)
        }
        return classified
    }

    /// The POs of one project: their commitments in one sync call (drafts while lines are written), each PO's lines,
    /// then the final statuses in one call; Procore's per-item errors land on the PO they name. Answers each job's
    /// error (nil: sent; the ids are stored and the ledger says synced).
    static func send(_ group: [Sending], _ ctx: JobContext) async -> [(SyncJob, (any Error)?)] {
        guard let first = group.first else { return [] }
        var results: [(SyncJob, (any Error)?)] = []
        let (row, project) = (first.row, first.project)
        do {
            let client = try await ctx.sessions.client(organisation: row.organisationID, company: row.procoreCompanyID, on: ctx.db)
            let headers = group.map { item in
                Procore.PurchaseOrderContractWrite(
                    number: item.po.number, title: String(item.po.title.prefix(255)), status: item.needsLines ? .draft : item.status,
                    vendorId: item.vendor, description: item.po.description, deliveryDate: item.po.deliveryDate.map(Procore.Day.init(utc:)),
                    originId: item.po.id.rawValue.lowercasedText, originCode: item.po.number)
            }
            let written = try await client.syncPurchaseOrders(project, headers)
            // Each commitment's id is stored the moment Procore answers with it: a push that fails after this (its
            // lines, its status) has its PO paired with the commitment already, so no later read makes a second PO of it.
            // (One transaction for the batch: a hundred of their own held the line calls back by a second.)
            let byOrigin = Dictionary(written.entities.compactMap { entity in entity.originId.map { ($0, entity.id) } }, uniquingKeysWith: { first, _ in first })
            let newlyPaired = group.compactMap { item -> (PurchaseOrder, ProcoreID)? in
                guard let commitment = byOrigin[item.po.id.rawValue.lowercasedText], item.po.procoreCommitmentID != commitment else { return nil }
                return (item.po, commitment)
            }
            if !newlyPaired.isEmpty {
                try await ctx.db.writeTransaction { tx in
                    for (po, commitment) in newlyPaired {
                        try await PurchaseOrders.storeProcoreIDs(po.id, in: po.organisationID, commitment: commitment, lines: [:], on: tx)
                    }
                }
            }
            var finals: [(Sending, ProcoreID, [PurchaseOrder.Line.ID: ProcoreID])] = []
            var writing: [(Sending, ProcoreID)] = []
            for item in group {
                let origin = item.po.id.rawValue.lowercasedText
                guard let commitment = written.entities.first(where: { $0.originId == origin })?.id else {
                    let reasons = ReferenceWrites.reasons(written.errors.filter { $0.originId == origin })
                    results.append((item.job, SyncError.permanent("Procore refused purchase order \(item.po.number): \(reasons).")))
                    continue
                }
                if item.needsLines, !item.lines.isEmpty { writing.append((item, commitment)) } else { finals.append((item, commitment, [:])) }
            }
            // Each PO's lines are a call of their own: a few at a time (the session's pacer keeps within the limits).
            let lineOutcomes = await withTaskGroup(of: (Sending, ProcoreID, Result<[PurchaseOrder.Line.ID: ProcoreID], any Error>).self) { tasks in
                var outcomes: [(Sending, ProcoreID, Result<[PurchaseOrder.Line.ID: ProcoreID], any Error>)] = []
                var waiting = writing.makeIterator()
                func start(_ entry: (Sending, ProcoreID)) {
                    tasks.addTask {
                        do {
                            let ids = try await writeLines(entry.0, commitment: entry.1, project: project, client: client)
                            // The line ids too, at once (the status call may still fail).
                            try await PurchaseOrders.storeProcoreIDs(
                                entry.0.po.id, in: entry.0.po.organisationID, commitment: entry.1, lines: ids, on: ctx.db)
                            return (entry.0, entry.1, .success(ids))
                        } catch {
                            return (entry.0, entry.1, .failure(error))
                        }
                    }
                }
                // Budget codes were decided (and made where missing) while the batch was prepared, once per project,
                // so every PO's lines may go at once, `lineWidth` at a time.
                for _ in 0..<lineWidth {
                    guard let entry = waiting.next() else { break }
                    start(entry)
                }
                while let outcome = await tasks.next() {
                    outcomes.append(outcome)
                    if let entry = waiting.next() { start(entry) }
                }
                return outcomes
            }
            for (item, commitment, outcome) in lineOutcomes {
                switch outcome {
                case .success(let ids): finals.append((item, commitment, ids))
                case .failure(let error): results.append((item.job, error))
                }
            }
            // The final statuses of the commitments whose lines were just written, in one call.
            let statuses = finals.filter { $0.0.needsLines }.map { Procore.PurchaseOrderContractWrite(id: $0.1, status: $0.0.status) }
            var refused: [ProcoreID: String] = [:]
            if !statuses.isEmpty {
                let answer = try await client.syncPurchaseOrders(project, statuses)
                let done = Set(answer.entities.map(\.id))
                for status in statuses where !done.contains(status.id ?? 0) {
                    refused[status.id ?? 0] = ReferenceWrites.reasons(answer.errors.filter { $0.id == status.id })
                }
            }
            let environment = try await ProcoreSettings.connection(for: row.organisationID, on: ctx.db)?.domain.environment
            var synced: [PurchaseOrder.ID] = []
            for (item, commitment, _) in finals {
                if let reason = refused[commitment] {
                    results.append((item.job, SyncError.permanent("Procore refused the status of purchase order \(item.po.number): \(reason).")))
                } else {
                    synced.append(item.po.id)
                }
            }
            // The batch's ledger rows in one transaction (issue 26: a hundred of them, one by one, kept the push
            // going 1.5 s after its last request).
            let done = finals.filter { refused[$0.1] == nil }
            try await ctx.db.writeTransaction { tx in
                for (item, commitment, _) in done {
                    let url = environment.flatMap { ProcoreWebLinks.url(.commitment(project: project, commitment: commitment), environment: $0) }
                    try await SyncLedger.record(
                        .synced(procoreID: commitment, url: url?.absoluteString), .purchaseOrder, item.po.id.rawValue,
                        organisation: item.po.organisationID, now: ctx.now(), on: tx)
                }
            }
            results += done.map { ($0.0.job, nil) }
            // Invoices held while their POs were on their way (lines, approval) go now, not at the next sweep: one read
            // for the batch.
            for invoice in try await Invoices.held(on: synced, in: row.organisationID, on: ctx.db) {
                try await Outbox.enqueue(.post(invoice, organisation: row.organisationID, companyLink: row.id, now: ctx.now()), on: ctx.db)
            }
        } catch {
            // The call for the whole group failed (network, 429, 5xx …): every PO of it is retried.
            let answered = Set(results.map(\.0.id))
            for item in group where !answered.contains(item.job.id) { results.append((item.job, error)) }
        }
        return results
    }

    /// The PO, its company row and its Procore project, if it may still be sent. `shared`: what the batch has read of
    /// its project's company and setting already.
    static func current(
        _ id: PurchaseOrder.ID, job: SyncJob, _ ctx: JobContext, shared: BatchReference = BatchReference()
    ) async throws -> (PurchaseOrder, ProcoreCompanyLink, ProcoreID) {
        guard let po = try await shared.purchaseOrder(id, in: job.organisationID, ctx) else {
            throw SyncError.cancelled("The purchase order no longer exists.")
        }
        guard po.origin == .lentune else { throw SyncError.cancelled("\(po.number) came from Procore: Lentune never writes it back.") }
        guard [.approved, .closed].contains(po.status) else {
            throw SyncError.cancelled("\(po.number) is \(po.status.title.lowercased()): only approved and closed purchase orders are sent.")
        }
        let place = try await shared.place(of: po, ctx)
        guard let source = place.source, let row = place.row, row.isLinked else {
            throw SyncError.cancelled("\(po.number)'s project is not in a linked Procore company: nothing is sent.")
        }
        guard source == .lentune else {
            throw SyncError.cancelled(
                "\(row.name) is no longer on Lentune purchase order (\(source == .procore ? "Procore purchase order" : "neither box") is ticked): \(po.number) is not sent.")
        }
        guard let project = place.procoreProject else {
            throw SyncError.permanent("\(po.number)'s project is not linked to a Procore project.")
        }
        return (po, row, project)
    }

    /// POs of one batch whose lines are written at once. The pacer, not this, keeps the calls within Procore's
    /// budget (it counts the calls in flight); this only has to cover the time an answer takes: ten calls in flight
    /// keep ten a second going while an answer takes up to a second (issue 26: four left the push waiting on answers,
    /// at 70 % of the spike budget).
    static let lineWidth = 10

    /// One PO's lines; answers the Procore id of each line sent, or Procore's refusal naming the lines.
    static func writeLines(_ item: Sending, commitment: ProcoreID, project: ProcoreID, client: Procore.Client) async throws -> [PurchaseOrder.Line.ID: ProcoreID] {
        let lines = try await syncLines(item.lines, project: project, commitment: commitment, client: client)
        if !lines.errors.isEmpty {
            let reasons = lines.errors.map { error in
                let line = item.po.lines.first { $0.id.rawValue.lowercasedText == error.originId }.map { "line \($0.position)" } ?? "a line"
                return "\(line): " + error.reasons
            }
            throw SyncError.permanent("Procore refused \(item.po.number)'s lines: \(reasons.joined(separator: "; ")).")
        }
        var ids: [PurchaseOrder.Line.ID: ProcoreID] = [:]
        for entity in lines.entities {
            if let line = item.po.lines.first(where: { $0.id.rawValue.lowercasedText == entity.originId }) { ids[line.id] = entity.id }
        }
        if item.po.procoreCommitmentID != nil {
            try await deleteRemovedLines(item.po, read: item.inProcore, commitment: commitment, project: project, client: client)
        }
        return ids
    }

    /// Whether the commitment's lines that Lentune wrote are already the PO's: the same lines (by origin_id), each
    /// with the amount, quantity, unit cost, description, cost code, cost type and tax code that would be sent (not
    /// the position: Procore's schema does not let a client write it). Any doubt counts as a difference (the lines are
    /// then written again, which is always safe).
    static func linesMatch(_ writes: [Procore.LineItemWrite], _ inProcore: [Procore.LineItem]) -> Bool {
        lineDifferences(writes, inProcore, label: { _ in "a line" }).isEmpty
    }

    /// How the commitment's lines that Lentune wrote differ from the PO's (`writes`), in a person's words; `label`
    /// names a line by its origin_id ("line 2"). Lines another application added are not Lentune's and not compared.
    static func lineDifferences(
        _ writes: [Procore.LineItemWrite], _ inProcore: [Procore.LineItem], label: (String?) -> String
    ) -> [String] {
        let ours = inProcore.filter { $0.originId.flatMap(UUID.init(uuidString:)) != nil }
        var differences: [String] = []
        for write in writes {
            let name = label(write.originId)
            guard let line = ours.first(where: { $0.originId?.lowercased() == write.originId }) else {
                differences.append("\(name) is not in Procore")
                continue
            }
            func differ(_ what: String, _ procore: String?, _ lentune: String?) {
                differences.append("\(name) \(what): \(procore ?? "none") in Procore, \(lentune ?? "none") in Lentune")
            }
            if line.amount != write.amount { differ("amount", line.amount.description, write.amount?.description) }
            if line.quantity != write.quantity { differ("quantity", line.quantity?.description, write.quantity?.description) }
            if line.unitCost != write.unitCost { differ("unit cost", line.unitCost?.description, write.unitCost?.description) }
            if (line.description ?? "") != (write.description ?? "") { differ("description", line.description, write.description) }
            if line.taxCodeId != write.taxCodeId { differ("tax code", line.taxCodeId.map { "#\($0)" }, write.taxCodeId.map { "#\($0)" }) }
            if let code = write.costCodeId, line.costCode?.id != code { differ("cost code", line.costCode?.fullCode, "#\(code)") }
            if let type = write.lineItemTypeId, line.lineItemType?.id != type { differ("cost type", line.lineItemType?.name, "#\(type)") }
            if let budgetCode = write.wbsCodeId, line.wbsCode?.id != budgetCode { differ("budget code", line.wbsCode?.flatCode, "#\(budgetCode)") }
        }
        let sent = Set(writes.compactMap(\.originId))
        for line in ours where !sent.contains(line.originId?.lowercased() ?? "") {
            differences.append("Procore has a line Lentune removed (\((line.description ?? "").prefix(60)), \(line.amount))")
        }
        return differences
    }

    /// A PO pushed before may have lost lines in an edit since: the commitment's lines that Lentune wrote (their
    /// origin_id is a Lentune line id) and that the PO no longer has are deleted, while the commitment is a draft.
    /// Lines another application added to the commitment are left alone. Uses the lines read before the push (`read`;
    /// the push writes only the PO's own lines), else reads them; one call per line deleted.
    static func deleteRemovedLines(
        _ po: PurchaseOrder, read: [Procore.LineItem]?, commitment: ProcoreID, project: ProcoreID, client: Procore.Client
    ) async throws {
        let current = Set(po.lines.map { $0.id.rawValue.lowercasedText })
        let lines: [Procore.LineItem]
        if let read { lines = read } else { lines = try await client.purchaseOrderLineItems(project: project, purchaseOrder: commitment).all() }
        let stale = lines.filter { line in
            guard let origin = line.originId, UUID(uuidString: origin) != nil else { return false }
            return !current.contains(origin.lowercased())
        }
        for line in stale {
            try await client.deletePurchaseOrderLineItem(project, commitment, line.id)
        }
    }

    /// Writes the lines. A project that requires budget codes refuses a cost code + cost type pair it has no budget
    /// code for; those lines are sent again with a budget code created for the pair (its segment ids read from the
    /// project's existing budget codes). Projects that create budget codes themselves cost one request.
    static func syncLines(
        _ lines: [Procore.LineItemWrite], project: ProcoreID, commitment: ProcoreID, client: Procore.Client
    ) async throws -> (entities: [Procore.LineItem], errors: [Procore.SyncResult<Procore.LineItem>.ItemError]) {
        let first = try await client.syncPurchaseOrderLineItems(project, commitment, lines)
        let needBudgetCodes = first.errors.filter { $0.errors.keys.contains("wbs_code_id") }
        guard !needBudgetCodes.isEmpty else { return (first.entities, first.errors) }
        let budgetCodes = ReferenceWrites.BudgetCodes(project: project, client: client)
        var again: [Procore.LineItemWrite] = []
        for failure in needBudgetCodes {
            guard var line = lines.first(where: { $0.originId != nil && $0.originId == failure.originId }),
                let costCode = line.costCodeId, let costType = line.lineItemTypeId
            else { continue }
            line.wbsCodeId = try await budgetCodes.id(costCode: costCode, costType: costType)
            (line.costCodeId, line.lineItemTypeId) = (nil, nil)
            again.append(line)
        }
        let second = try await client.syncPurchaseOrderLineItems(project, commitment, again)
        let others = first.errors.filter { !$0.errors.keys.contains("wbs_code_id") }
        return (first.entities + second.entities, others + second.errors)
    }

    /// Each line as Procore takes it: cost code and cost type (a cost type missing in Procore is created there first),
    /// the mapped tax code, the amount excluding tax. A line that cannot be sent stops the PO with the line's reason.
    static func lineWrites(
        _ po: PurchaseOrder, row: ProcoreCompanyLink, project: ProcoreID, client: Procore.Client, _ ctx: JobContext, shared: BatchReference
    ) async throws -> [Procore.LineItemWrite] {
        let writes = try await lineWrites(po, row: row, on: ctx.db, shared: shared) { type in try await shared.costType(type, row: row, client: client, ctx) }
        // Each line's budget code is decided before the write (issue 26), so the lines go in one call, in the PO's
        // order (Procore places lines in the order they are created: `position` is not writable).
        let budgetCodes = shared.budgetCodes(project: project, row: row, client: client, ctx)
        var coded: [Procore.LineItemWrite] = []
        for (write, line) in zip(writes, po.lines) {
            var write = write
            if let costCode = write.costCodeId, let costType = write.lineItemTypeId {
                write.wbsCodeId = try await budgetCodes.id(costCode: costCode, costType: costType, label: "\(po.number) line \(line.position)")
                (write.costCodeId, write.lineItemTypeId) = (nil, nil)
            }
            coded.append(write)
        }
        return coded
    }

    /// The lines as Procore would take them, with `costType` giving each cost type's line item type.
    static func lineWrites(
        _ po: PurchaseOrder, row: ProcoreCompanyLink, on db: any Database, shared: BatchReference = BatchReference(),
        costType: (CostType.ID) async throws -> ProcoreID
    ) async throws -> [Procore.LineItemWrite] {
        let (codes, taxCodes, taxes) = try await shared.coding(of: po, row: row, on: db)
        var writes: [Procore.LineItemWrite] = []
        for line in po.lines {
            let label = "\(po.number) line \(line.position)"
            guard let codeID = line.costCodeID, let code = codes[codeID] else {
                throw SyncError.permanent("\(label) has no cost code: Procore codes every commitment line to a cost code and cost type.")
            }
            guard let procoreCode = code.procoreCostCodeID else {
                throw SyncError.permanent("\(label): cost code \(code.code) is not in Procore. Cost codes come from Procore; use one of the project's Procore cost codes.")
            }
            guard let typeID = line.costTypeID else {
                throw SyncError.permanent("\(label) has no cost type: Procore codes every commitment line to a cost code and cost type.")
            }
            let procoreType = try await costType(typeID)
            let tax: ProcoreID?
            do {
                tax = try taxes.procoreTaxCode(for: line.taxCodeID.flatMap { taxCodes[$0] })
            } catch {
                throw SyncError.permanent("\(label): \(error.description)")
            }
            writes.append(Procore.LineItemWrite(
                id: line.procoreLineItemID, description: String(line.description.prefix(1000)), amount: .init(line.amount),
                quantity: .init(line.quantity), unitCost: .init(line.unitCost), costCodeId: procoreCode, lineItemTypeId: procoreType,
                taxCodeId: tax, originId: line.id.rawValue.lowercasedText))
        }
        return writes
    }
}

/// What the POs of one push batch share, read once for the batch rather than once per PO (issue 26: read per PO, it
/// took 5.7 s of a 29 s push of 200 POs, with nothing in flight): each project's company row, setting and Procore
/// project, each company's client, the project's cost codes, the tax codes and each company's tax mapping, the
/// Procore ids of cost types and suppliers, and one budget-code book per Procore project. It lives for one job run,
/// so what it holds is as fresh as a read at the start of the run.
final class BatchReference: Sendable {
    struct Place {
        var source: PurchaseOrderSource?
        var row: ProcoreCompanyLink?
        var procoreProject: ProcoreID?
    }

    struct State {
        var purchaseOrders: [PurchaseOrder.ID: PurchaseOrder] = [:]
        var places: [Project.ID: Place] = [:]
        var clients: [ProcoreCompanyLink.ID: Procore.Client] = [:]
        var costCodes: [Project.ID: [CostCode.ID: CostCode]] = [:]
        var taxCodes: [TaxCode.ID: TaxCode]?
        var taxMappings: [ProcoreCompanyLink.ID: TaxMapping] = [:]
        var procoreIDs: [String: ProcoreID] = [:]
        var books: [String: ReferenceWrites.BudgetCodeBook] = [:]
    }

    // One task uses it at a time (the batch's preparation is sequential); the lock keeps that an assumption, not a race.
    private let state = Mutex(State())

    private func cached<T>(_ read: (State) -> T?) -> T? { state.withLock { read($0) } }
    private func keep(_ write: (inout State) -> Void) { state.withLock { write(&$0) } }

    /// The batch's POs, read at once (a PO that cannot be read then is read on its own).
    func preload(_ batch: [SyncJob], _ ctx: JobContext) async throws {
        struct Payload: Decodable { var purchase_order_id: UUID }
        var byOrganisation: [Organisation.ID: [PurchaseOrder.ID]] = [:]
        for job in batch {
            guard let payload = try? JSONDecoder().decode(Payload.self, from: Data(job.payload.utf8)) else { continue }
            byOrganisation[job.organisationID, default: []].append(.init(payload.purchase_order_id))
        }
        for (organisation, ids) in byOrganisation {
            let found = try await PurchaseOrders.find(ids, in: organisation, on: ctx.db)
            keep { $0.purchaseOrders.merge(found) { _, new in new } }
        }
    }

    /// The PO as the batch read it, or read now.
    func purchaseOrder(_ id: PurchaseOrder.ID, in organisation: Organisation.ID, _ ctx: JobContext) async throws -> PurchaseOrder? {
        if let known = cached({ $0.purchaseOrders[id] }), known.organisationID == organisation { return known }
        return try await PurchaseOrders.find(id, in: organisation, on: ctx.db)
    }

    func place(of po: PurchaseOrder, _ ctx: JobContext) async throws -> Place {
        if let known = cached({ $0.places[po.projectID] }) { return known }
        var place = Place(source: try await PurchaseOrders.currentSource(of: po.projectID, in: po.organisationID, on: ctx.db)?.source)
        if let link = try await PurchaseOrders.companyLink(ofProject: po.projectID, in: po.organisationID, on: ctx.db) {
            place.row = try await ProcoreSettings.link(link, on: ctx.db)
        }
        place.procoreProject = try await ReferenceData.project(po.projectID, in: po.organisationID, on: ctx.db)?.procoreProjectID
        keep { $0.places[po.projectID] = place }
        return place
    }

    func client(_ row: ProcoreCompanyLink, _ ctx: JobContext) async throws -> Procore.Client {
        if let known = cached({ $0.clients[row.id] }) { return known }
        let client = try await ctx.sessions.client(organisation: row.organisationID, company: row.procoreCompanyID, on: ctx.db)
        keep { $0.clients[row.id] = client }
        return client
    }

    func coding(of po: PurchaseOrder, row: ProcoreCompanyLink, on db: any Database) async throws
        -> ([CostCode.ID: CostCode], [TaxCode.ID: TaxCode], TaxMapping)
    {
        let codes: [CostCode.ID: CostCode]
        if let known = cached({ $0.costCodes[po.projectID] }) { codes = known } else {
            codes = Dictionary(uniqueKeysWithValues: try await ReferenceData.costCodes(in: po.organisationID, project: po.projectID, on: db).map { ($0.id, $0) })
            keep { $0.costCodes[po.projectID] = codes }
        }
        let taxCodes: [TaxCode.ID: TaxCode]
        if let known = cached({ $0.taxCodes }) { taxCodes = known } else {
            taxCodes = Dictionary(uniqueKeysWithValues: try await ReferenceData.taxCodes(in: po.organisationID, on: db).map { ($0.id, $0) })
            keep { $0.taxCodes = taxCodes }
        }
        let mapping: TaxMapping
        if let known = cached({ $0.taxMappings[row.id] }) { mapping = known } else {
            mapping = try await TaxMappings.mapping(of: row, on: db)
            keep { $0.taxMappings[row.id] = mapping }
        }
        return (codes, taxCodes, mapping)
    }

    func costType(_ type: CostType.ID, row: ProcoreCompanyLink, client: Procore.Client, _ ctx: JobContext) async throws -> ProcoreID {
        try await procoreID("cost type \(row.id):\(type)") { try await ReferenceWrites.ensureCostType(type, row: row, client: client, on: ctx.db) }
    }

    func vendor(_ supplier: Supplier.ID, row: ProcoreCompanyLink, client: Procore.Client, _ ctx: JobContext) async throws -> ProcoreID {
        try await procoreID("vendor \(row.id):\(supplier)") { try await ReferenceWrites.ensureVendor(supplier, row: row, client: client, on: ctx.db) }
    }

    /// A Procore id the batch found (or made) already, or finds now.
    private func procoreID(_ key: String, _ find: () async throws -> ProcoreID) async throws -> ProcoreID {
        if let known = cached({ $0.procoreIDs[key] }) { return known }
        let id = try await find()
        keep { $0.procoreIDs[key] = id }
        return id
    }

    func budgetCodes(project: ProcoreID, row: ProcoreCompanyLink, client: Procore.Client, _ ctx: JobContext) -> ReferenceWrites.BudgetCodeBook {
        state.withLock { state in
            let key = "\(row.id):\(project)"
            if let book = state.books[key] { return book }
            let book = ReferenceWrites.BudgetCodeBook(project: project, row: row, client: client, db: ctx.db)
            state.books[key] = book
            return book
        }
    }
}
