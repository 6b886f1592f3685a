import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import Logging
import ProcoreAPI

// MARK: - Procore → Lentune

extension PurchaseOrderJobs {
    /// `po.pull`: one commitment of a company on **Procore purchase order** read into Lentune with its lines (a
    /// webhook, the sweep, the import, or **Refresh**). Idempotent: the PO is found by its commitment id. A commitment
    /// deleted in Procore marks its PO "deleted in Procore"; it is never removed. The setting is re-read when the job
    /// runs: for a company now on Lentune purchase order or neither, the event is recorded and nothing is read.
    public static func pull(_ job: SyncJob, _ ctx: JobContext) async throws {
        guard let payload = try? JSONDecoder().decode(ChangeJobs.PullPayload.self, from: Data(job.payload.utf8)) else {
            throw SyncError.permanent("The job names no commitment.")
        }
        let row = try await procoreSourcedRow(job, ctx)
        guard let procoreProject = payload.project_id else {
            throw SyncError.permanent("The event for commitment \(payload.commitment_id) names no project.")
        }
        let client = try await ctx.sessions.client(organisation: row.organisationID, company: row.procoreCompanyID, on: ctx.db)
        let commitment: Procore.PurchaseOrderContract?
        if payload.deleted == true {
            commitment = nil
        } else {
            commitment = try await readCommitment(payload.commitment_id, project: procoreProject, client: client)
        }
        guard let commitment, commitment.deletedAt == nil else {
            if try await PurchaseOrders.markDeletedInProcore(payload.commitment_id, in: row.organisationID, now: ctx.now(), on: ctx.db),
                let po = try await PurchaseOrders.find(commitment: payload.commitment_id, in: row.organisationID, on: ctx.db)
            {
                try await SyncLedger.record(
                    .skipped("Deleted in Procore."), .purchaseOrder, po.id.rawValue, direction: .pull, organisation: row.organisationID,
                    now: ctx.now(), on: ctx.db)
            }
            return
        }
        // The show answer carries the lines; a list call is made only when it does not.
        var lines = commitment.lineItems ?? []
        if commitment.lineItems == nil { lines = try await client.purchaseOrderLineItems(procoreProject, commitment.id).all() }
        try await store(commitment, lines: lines, procoreProject: procoreProject, row: row, ctx)
    }

    /// The commitment, or nil when Procore answers 404 (deleted, or never there).
    static func readCommitment(_ id: ProcoreID, project: ProcoreID, client: Procore.Client) async throws -> Procore.PurchaseOrderContract? {
        let result: Result<Procore.PurchaseOrderContract, Procore.Error>
        do {
            result = .success(try await client.purchaseOrder(project, id))
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success(let commitment): return commitment
        case .failure(.status(let code, _, _)) where code == 404: return nil
        case .failure(let error): throw error
        }
    }

    /// `po.import`: every commitment of the company's linked projects (it was switched to Procore purchase order),
    /// read in pages of 100 with each commitment's lines: about one request per PO. Safe to repeat.
    public static func importAll(_ job: SyncJob, _ ctx: JobContext) async throws {
        let row = try await procoreSourcedRow(job, ctx)
        let client = try await ctx.sessions.client(organisation: row.organisationID, company: row.procoreCompanyID, on: ctx.db)
        var (stored, failed) = (0, [String]())
        for project in try await ProcoreSettings.linkedProcoreProjects(of: row, on: ctx.db) {
            for try await page in client.purchaseOrders(project, Procore.ListFilter(), 100) {
                // Each commitment's lines are a request of their own: a few at a time (the session's pacer keeps the
                // pace within Procore's limits), so a slow Procore does not make the import one round trip per PO.
                let outcomes = try await withThrowingTaskGroup(of: String?.self, returning: [String?].self) { group in
                    var results: [String?] = []
                    var waiting = page.filter { $0.deletedAt == nil }.makeIterator()
                    func next() -> Procore.PurchaseOrderContract? { waiting.next() }
                    for _ in 0..<importWidth {
                        guard let commitment = next() else { break }
                        group.addTask { try await importOne(commitment, project: project, row: row, client: client, ctx) }
                    }
                    while let result = try await group.next() {
                        results.append(result)
                        if let commitment = next() {
                            group.addTask { try await importOne(commitment, project: project, row: row, client: client, ctx) }
                        }
                    }
                    return results
                }
                for outcome in outcomes {
                    if let message = outcome { failed.append(message) } else { stored += 1 }
                }
            }
        }
        ctx.logger.info("imported commitments of \(row.name)", metadata: ["stored": "\(stored)", "on their own": "\(failed.count)"])
    }

    /// Commitments whose lines an import reads at once.
    static let importWidth = 4

    /// One commitment of an import with its lines; nil when stored. One commitment never fails the import (issue 25):
    /// one deleted meanwhile (Procore answers 404) is passed over; one that cannot be read or stored now (Procore's
    /// refusal, a passing fault, a cost code not read yet) gets a `po.pull` job of its own, which fails or succeeds
    /// alone with its own message in the Integration log, and the import goes on. Answers what happened to it then.
    static func importOne(
        _ commitment: Procore.PurchaseOrderContract, project: ProcoreID, row: ProcoreCompanyLink, client: Procore.Client, _ ctx: JobContext
    ) async throws -> String? {
        do {
            let lines = try await client.purchaseOrderLineItems(project, commitment.id).all()
            try await store(commitment, lines: lines, procoreProject: project, row: row, ctx)
            return nil
        } catch {
            if case .status(404, _, _)? = error as? Procore.Error {
                return "commitment \(commitment.id) was deleted in Procore during the import."
            }
            guard !Task.isCancelled else { throw error }
            let reason = SyncError(any: error)
            if case .cancelled(let message) = reason { return "commitment \(commitment.id): \(message)" }
            try await ChangeJobs.queuePull(commitment.id, project: project, deleted: false, row: row, now: ctx.now(), on: ctx.db)
            return "commitment \(commitment.id) is read on its own (\(reason.description.prefix(300)))."
        }
    }

    /// The job's company row, if it is linked and on Procore purchase order now.
    static func procoreSourcedRow(_ job: SyncJob, _ ctx: JobContext) async throws -> ProcoreCompanyLink {
        guard let linkID = job.companyLinkID, let row = try await ProcoreSettings.link(linkID, on: ctx.db), row.isLinked else {
            throw SyncError.cancelled("The company is no longer linked.")
        }
        guard row.purchaseOrderSource == .procore else {
            throw SyncError.cancelled("\(row.name) is not on Procore purchase order now: nothing is read from Procore.")
        }
        return row
    }

    /// Maps a commitment and its lines onto a Lentune PO and stores it; the ledger records the read.
    static func store(
        _ commitment: Procore.PurchaseOrderContract, lines: [Procore.LineItem], procoreProject: ProcoreID, row: ProcoreCompanyLink,
        _ ctx: JobContext
    ) async throws {
        let organisation = row.organisationID
        guard let project = try await ReferenceData.projects(in: organisation, on: ctx.db)
            .first(where: { $0.procoreProjectID == procoreProject && $0.procoreCompanyLinkID == row.id })
        else {
            throw SyncError.cancelled("Procore project \(procoreProject) is not imported into Lentune (its stage is not one the company row accepts).")
        }
        do {
            let po = try await purchaseOrder(from: commitment, lines: lines, project: project, row: row, ctx)
            let lineOrigins = Dictionary(
                lines.compactMap { line in line.originId.flatMap(UUID.init(uuidString:)).map { (line.id, $0) } }, uniquingKeysWith: { first, _ in first })
            let (stored, _) = try await PurchaseOrders.upsertFromProcore(
                po, projectCode: project.code, origin: commitment.originId.flatMap(UUID.init(uuidString:)), lineOrigins: lineOrigins,
                on: ctx.db)
            let environment = try await ProcoreSettings.connection(for: organisation, on: ctx.db)?.domain.environment
            let url = environment.flatMap { ProcoreWebLinks.url(.commitment(project: procoreProject, commitment: commitment.id), environment: $0) }
            // Lines deleted in Procore that invoices are allocated to stay in Lentune until those invoices change.
            let kept = stored.lines.filter { line in !po.lines.contains { $0.procoreLineItemID == line.procoreLineItemID } }
            let note = kept.isEmpty ? nil : """
                Procore no longer has \(kept.count == 1 ? "line" : "lines") \(kept.map { String($0.position) }.joined(separator: ", ")) \
                (\(kept.map(\.description).joined(separator: "; ").prefix(200))), but invoices are allocated to \(kept.count == 1 ? "it" : "them"): \
                Lentune keeps \(kept.count == 1 ? "it" : "them") until those allocations are changed.
                """
            try await SyncLedger.record(
                .synced(procoreID: commitment.id, url: url?.absoluteString, note: note), .purchaseOrder, stored.id.rawValue, direction: .pull,
                organisation: organisation, now: ctx.now(), on: ctx.db)
        } catch let error as SyncError {
            if case .permanent(let message) = error, let existing = try await PurchaseOrders.find(commitment: commitment.id, in: organisation, on: ctx.db) {
                try await SyncLedger.record(.failed(message), .purchaseOrder, existing.id.rawValue, direction: .pull, organisation: organisation, now: ctx.now(), on: ctx.db)
            }
            throw error
        }
    }

    /// Procore's statuses in Lentune's workflow.
    static func status(_ status: Procore.PurchaseOrderContract.Status) -> PurchaseOrder.Status {
        switch status {
        case .draft: .draft
        case .processing, .submitted: .awaitingApproval
        case .partiallyReceived, .received, .approved: .approved
        case .closed: .closed
        }
    }

    /// The Lentune PO a commitment is: vendor → supplier, lines with cost code, cost type, tax code and amounts.
    /// Reference data Lentune has not read yet (a cost code added in Procore a moment ago) queues its read and the
    /// job is retried; an amount over Lentune's limits is refused with the commitment named.
    static func purchaseOrder(
        from commitment: Procore.PurchaseOrderContract, lines: [Procore.LineItem], project: Project, row: ProcoreCompanyLink, _ ctx: JobContext
    ) async throws -> PurchaseOrder {
        let organisation = row.organisationID
        let label = "Procore commitment \(commitment.number ?? String(commitment.id))"
        guard let vendor = commitment.vendor else {
            throw SyncError.permanent("\(label) has no vendor: Lentune needs a supplier on every purchase order.")
        }
        var supplier = try await ReferenceLinks.entity(.supplier, procoreID: vendor.id, row: row, on: ctx.db)
        if supplier == nil {
            _ = try await ReferenceImport.suppliers([(id: vendor.id, name: vendor.company ?? "Vendor \(vendor.id)")], row: row, now: ctx.now(), on: ctx.db)
            supplier = try await ReferenceLinks.entity(.supplier, procoreID: vendor.id, row: row, on: ctx.db)
        }
        guard let supplier else {
            throw SyncError.permanent("\(label): its vendor \(vendor.company ?? String(vendor.id)) waits for a decision on the Supplier mapping page.")
        }
        let codes = Dictionary(
            try await ReferenceData.costCodes(in: organisation, project: project.id, on: ctx.db).compactMap { code in code.procoreCostCodeID.map { ($0, code) } },
            uniquingKeysWith: { first, _ in first })
        let types = Dictionary(
            try await ReferenceData.costTypes(in: organisation, on: ctx.db).compactMap { type in type.procoreLineItemTypes[row.id].map { ($0, type) } },
            uniquingKeysWith: { first, _ in first })
        let taxCodes = try await ReferenceData.taxCodes(in: organisation, on: ctx.db)
        let taxes = try await TaxMappings.mapping(of: row, on: ctx.db)
        var mapped: [PurchaseOrder.Line] = []
        for (index, line) in lines.sorted(by: { ($0.position ?? 0, $0.id) < ($1.position ?? 0, $1.id) }).enumerated() {
            let costCode = line.costCode.flatMap { codes[$0.id] }
            let costType = line.lineItemType.flatMap { types[$0.id] }
            if line.costCode != nil && costCode == nil || line.lineItemType != nil && costType == nil {
                // New in Procore since the last read: read the project's reference data, then this again.
                try await Outbox.enqueue(ReferenceJobs.job(.init(project_id: project.procoreProjectID), of: row, now: ctx.now()), on: ctx.db)
                if line.lineItemType != nil && costType == nil { try await Outbox.enqueue(.companyWide(.syncReferenceData, of: row, now: ctx.now()), on: ctx.db) }
                throw SyncError.transient("\(label) line \(index + 1) uses a cost code or cost type Lentune has not read yet; reading it now.")
            }
            let taxCode = line.taxCodeId.flatMap { procoreTax in
                taxCodes.filter { taxes.mappings[$0.id] == procoreTax }.sorted { $0.code < $1.code }.first
            }
            let rate = taxCode?.rate ?? line.taxCodeId.flatMap { taxes.procoreCodes[$0] }.map { $0.ratePercent / 100 } ?? 0
            let quantity = line.quantity?.value ?? 1
            let unitCost = line.unitCost?.value ?? line.amount.value
            guard Money.isWithinLimit(line.amount.value), line.amount.value >= 0, quantity >= 0, quantity <= 1_000_000_000, abs(unitCost) <= 1_000_000_000 else {
                throw SyncError.permanent("\(label) line \(index + 1): its amount \(line.amount) is outside what Lentune can hold (0 to \(Money.maximumText)).")
            }
            mapped.append(PurchaseOrder.Line(
                position: index + 1, description: String((line.description ?? "").prefix(1000)), costCodeID: costCode?.id,
                costTypeID: costType?.id, taxCodeID: taxCode?.id, quantity: quantity, unitCost: unitCost, amount: line.amount.value,
                taxRate: rate, procoreLineItemID: line.id))
        }
        let po = PurchaseOrder(
            organisationID: organisation, number: String((commitment.number?.isEmpty == false ? commitment.number! : "PC-\(commitment.id)").prefix(60)),
            origin: .procore, status: status(commitment.status), supplierID: .init(supplier), projectID: project.id,
            title: String((commitment.title ?? "").prefix(255)), description: String((commitment.description ?? "").prefix(100_000)),
            deliveryDate: commitment.deliveryDate.flatMap(\.utcDate), lines: mapped, procoreCommitmentID: commitment.id)
        if !po.amountProblems.isEmpty {
            throw SyncError.permanent("\(label): its total is outside what Lentune can hold (at most \(Money.maximumText)).")
        }
        return po
    }
}

extension PurchaseOrderJobs {
    /// The `po.pull` job that re-reads a Procore PO (its **Refresh**), or nil when the PO is not a linked commitment.
    public static func refreshJob(for po: PurchaseOrder, now: Date, on db: any Database) async throws -> SyncJob? {
        guard po.origin == .procore, let commitment = po.procoreCommitmentID,
            let link = try await PurchaseOrders.companyLink(ofProject: po.projectID, in: po.organisationID, on: db),
            let project = try await ReferenceData.project(po.projectID, in: po.organisationID, on: db)?.procoreProjectID
        else { return nil }
        return SyncJob(
            organisationID: po.organisationID, companyLinkID: link, kind: .pullPurchaseOrder,
            payload: #"{"commitment_id":\#(commitment),"project_id":\#(project)}"#, dedupeKey: historyKeys(for: po, companyLink: link).last,
            nextAttemptAt: now, createdAt: now)
    }

    /// The dedupe keys of a PO's push and pull jobs: its sync history in the outbox.
    public static func historyKeys(for po: PurchaseOrder, companyLink: ProcoreCompanyLink.ID?) -> [String] {
        var keys = ["po.push:\(po.id.rawValue.lowercasedText)", "po.check:\(po.id.rawValue.lowercasedText)"]
        if let commitment = po.procoreCommitmentID, let companyLink { keys.append("po.pull:\(companyLink):\(commitment)") }
        return keys
    }
}
