import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import ProcoreAPI

/// `invoice.post`: an approved supplier invoice → Procore (issue 15, DESIGN.md §1).
///
/// Where it goes is decided when the job runs, from the setting and the PO as they are then (`InvoiceRouting`):
/// - fully allocated to a PO that is in Procore (within the company's rounding tolerance), its company on Lentune or
///   Procore purchase order: a Subcontractor Invoice (requisition) on that commitment in the open billing period, with
///   `work_completed_this_period` per allocated line;
/// - otherwise, and always when the company is on neither: a Direct Cost of type `invoice` with its lines;
/// - a project not linked to Procore (overheads): never posted.
///
/// Exactly once in effect: both are created with `origin_id` = the invoice id, and the client looks the record up by
/// that `origin_id` before creating again, so a retry after a lost answer finds the first one. The requisition's item
/// amounts are absolute values, so writing them again changes nothing.
public enum InvoiceJobs {
    struct Payload: Decodable {
        var invoice_id: UUID
    }

    public static func post(_ job: SyncJob, _ ctx: JobContext) async throws {
        guard let payload = try? JSONDecoder().decode(Payload.self, from: Data(job.payload.utf8)) else {
            throw SyncError.permanent("The job names no invoice.")
        }
        let id = Invoice.ID(payload.invoice_id)
        do {
            try await post(id, job: job, ctx)
        } catch {
            let classified = SyncError(any: error, job: job)
            // A hold wrote its ledger row with the invoice's status, in one transaction.
            if case .held = classified {} else {
                try? await SyncLedger.record(classified.ledgerUpdate(job, ctx), .invoice, id.rawValue, organisation: job.organisationID, now: ctx.now(), on: ctx.db)
            }
            throw classified
        }
    }

    static func post(_ id: Invoice.ID, job: SyncJob, _ ctx: JobContext) async throws {
        let organisation = job.organisationID
        guard let invoice = try await Invoices.find(id, in: organisation, on: ctx.db) else {
            throw SyncError.cancelled("The invoice no longer exists.")
        }
        guard [.approved, .held].contains(invoice.status) else {
            throw SyncError.cancelled("Invoice \(invoice.number) is \(invoice.status.title.lowercased()): only approved invoices are posted.")
        }
        guard let projectID = invoice.projectID, let project = try await ReferenceData.project(projectID, in: organisation, on: ctx.db) else {
            throw SyncError.permanent("Invoice \(invoice.number) has no project.")
        }
        guard let procoreProject = project.procoreProjectID,
            let linkID = try await PurchaseOrders.companyLink(ofProject: projectID, in: organisation, on: ctx.db),
            let row = try await ProcoreSettings.link(linkID, on: ctx.db), row.isLinked
        else {
            throw SyncError.cancelled("Project \(project.code) is not linked to Procore: its invoices are not posted there.")
        }
        let source = try await PurchaseOrders.currentSource(of: projectID, in: organisation, on: ctx.db)?.source
        var po: PurchaseOrder?
        if let poID = invoice.purchaseOrderID { po = try await PurchaseOrders.find(poID, in: organisation, on: ctx.db) }
        let client = try await ctx.sessions.client(organisation: organisation, company: row.procoreCompanyID, on: ctx.db)
        let environment = try await ProcoreSettings.connection(for: organisation, on: ctx.db)?.domain.environment
        let destination = InvoiceRouting.destination(for: invoice, source: source, purchaseOrder: po, tolerance: row.roundingTolerance)
        let target: ProcoreTarget? =
            switch destination {
            case .directCost: .directCost(company: row.procoreCompanyID, project: procoreProject)
            case .requisition(let commitment): .requisition(company: row.procoreCompanyID, project: procoreProject, commitment: commitment)
            case .notIntegrated, .held: nil
            }
        // An earlier run may have written it where it is no longer routed (a mode switch, a PO synced or closed since):
        // there first, so it never reaches Procore twice.
        let ledger = try await SyncLedger.records(of: invoice.id.rawValue, in: organisation, on: ctx.db)
            .first { $0.entityKind == .invoice && $0.direction == .push }
        if let earlier = ledger?.target, earlier != target, let found = try await existing(invoice, at: earlier, ctx) {
            try await posted(invoice, procoreID: found, url: environment.flatMap { ProcoreWebLinks.url(earlier.link(found), environment: $0) }, ctx)
            return
        }
        if let target, ledger?.target != target {
            try await SyncLedger.aim(target, .invoice, invoice.id.rawValue, organisation: organisation, now: ctx.now(), on: ctx.db)
        }
        switch destination {
        case .notIntegrated:
            throw SyncError.cancelled("Project \(project.code) is not linked to Procore: its invoices are not posted there.")
        case .held(let reason):
            try await hold(invoice, reason.message, ctx)
        case .directCost:
            let mayExist = job.attempts > 1 || ledger?.target == target || (ledger?.attempts ?? 0) > 0 || ledger?.lastError != nil
            let cost = try await postDirectCost(invoice, row: row, project: procoreProject, client: client, mayExist: mayExist, ctx)
            let url = environment.flatMap { ProcoreWebLinks.url(.directCost(project: procoreProject, directCost: cost.id), environment: $0) }
            try await posted(invoice, procoreID: cost.id, url: url, ctx)
        case .requisition(let commitment):
            guard let po else { throw SyncError.permanent("Invoice \(invoice.number) has no purchase order to go against.") }
            let requisition = try await postRequisition(invoice, po: po, commitment: commitment, project: project, procoreProject: procoreProject, client: client, ctx)
            let url = environment.flatMap {
                ProcoreWebLinks.url(.requisition(project: procoreProject, commitment: commitment, requisition: requisition.id), environment: $0)
            }
            try await posted(invoice, procoreID: requisition.id, url: url, ctx)
        }
    }

    /// The id of the invoice's record at `target` in Procore, found by its `origin_id`, if an earlier run made it.
    static func existing(_ invoice: Invoice, at target: ProcoreTarget, _ ctx: JobContext) async throws -> ProcoreID? {
        let client = try await ctx.sessions.client(organisation: invoice.organisationID, company: target.company, on: ctx.db)
        let origin = Procore.ListFilter(originID: invoice.id.rawValue.lowercasedText)
        switch target {
        case .directCost(_, let project):
            return try await client.directCosts(project: project, filter: origin).all().first?.id
        case .requisition(_, let project, let commitment):
            return try await client.requisitions(project: project, filter: origin, commitment: commitment).all().first?.id
        }
    }

    /// The direct cost, its lines coded by budget codes decided before the write and its PDF in the same request.
    /// `mayExist`: an earlier run may already have created it (its answer lost: this job ran before, the ledger aimed it
    /// here or records an earlier attempt), so the create looks it up by `origin_id` first.
    static func postDirectCost(
        _ invoice: Invoice, row: ProcoreCompanyLink, project: ProcoreID, client: Procore.Client, mayExist: Bool, _ ctx: JobContext
    ) async throws -> Procore.DirectCost {
        let budgetCodes = ReferenceWrites.BudgetCodeBook(project: project, row: row, client: client, db: ctx.db)
        let write = try await directCost(invoice, row: row, client: client, budgetCodes: budgetCodes, ctx)
        var uploads: [Procore.Upload] = []
        if invoice.attachment != nil, let pdf = try await Invoices.document(of: invoice.id, in: invoice.organisationID, on: ctx.db) {
            uploads.append(Procore.Upload(filename: pdf.filename, data: pdf.bytes))
        }
        // (A Result, not a catch with a pattern: Swift 6.3's SIL pass crashes on the latter here.)
        let first: Result<Procore.DirectCost, Procore.Error>
        do throws(Procore.Error) {
            first = .success(try await client.createDirectCost(project: project, write, attachments: uploads, mayExist: mayExist))
        } catch {
            first = .failure(error)
        }
        var cost: Procore.DirectCost
        switch first {
        case .success(let created):
            cost = created
        case .failure(let error):
            // Procore refused the lines: if the project's budget codes changed since they were read (one made
            // inactive or deleted), read them again and code the lines anew, once. Otherwise the refusal stands.
            guard error.isRefusal, try await budgetCodes.refresh() else { throw error }
            let again = try await directCost(invoice, row: row, client: client, budgetCodes: budgetCodes, ctx)
            guard again != write else { throw error }
            cost = try await client.createDirectCost(project: project, again, attachments: uploads, mayExist: false)
        }
        if let upload = uploads.first { try await attachPDF(upload, to: cost, project: project, client: client) }
        return cost
    }

    /// The requisition on the commitment in the project's open billing period (the invoice held, `SyncError.held`,
    /// when it cannot go yet).
    /// The periods are kept between requisitions; they are read again when none of them is open, or when Procore
    /// refuses the requisition (its period may have closed since).
    static func postRequisition(
        _ invoice: Invoice, po: PurchaseOrder, commitment: ProcoreID, project: LentuneCore.Project, procoreProject: ProcoreID,
        client: Procore.Client, _ ctx: JobContext
    ) async throws -> Procore.Requisition {
        // Each allocated PO line's amount as work completed this period on the commitment's line, written with the
        // requisition in one call (so a requisition never exists without its amounts).
        var amounts: [PurchaseOrder.Line.ID: Decimal] = [:]
        for allocation in invoice.allocations { amounts[allocation.purchaseOrderLineID, default: 0] += allocation.amount }
        var items: [Procore.RequisitionWrite.Item] = []
        for line in po.lines {
            guard let amount = amounts[line.id] else { continue }
            guard let lineItem = line.procoreLineItemID else {
                throw SyncError.permanent("\(po.number) line \(line.position) is not on the commitment's schedule of values in Procore.")
            }
            items.append(.init(lineItemId: lineItem, workCompletedThisPeriod: .init(amount)))
        }
        guard items.count == amounts.count else {
            throw SyncError.permanent("Invoice \(invoice.number) is allocated to a line that is no longer on \(po.number).")
        }
        let cache = ctx.sessions.billingPeriods
        let now = ctx.now()
        let read: @Sendable () async throws -> [Procore.BillingPeriod] = { try await client.billingPeriods(project: procoreProject).all() }
        var open = BillingPeriodCache.open(in: try await cache.periods(project: procoreProject, now: now, read: read))
        if open == nil {
            await cache.forget(project: procoreProject)
            open = BillingPeriodCache.open(in: try await cache.periods(project: procoreProject, now: now, read: read))
        }
        guard let period = open else {
            try await hold(invoice, noOpenPeriod(project.code, po.number), ctx)
        }
        let write = Procore.RequisitionWrite(
            periodId: period.id, invoiceNumber: String(invoice.number.prefix(255)), billingDate: Procore.Day(utc: invoice.invoiceDate),
            status: "draft", originId: invoice.id.rawValue.lowercasedText, items: items)
        let first: Result<Procore.Requisition, Procore.Error>
        do throws(Procore.Error) {
            first = .success(try await client.createRequisition(project: procoreProject, commitment: commitment, write))
        } catch {
            first = .failure(error)
        }
        switch first {
        case .success(let requisition):
            return requisition
        case .failure(let error):
            guard error.isRefusal else { throw error }
            await cache.forget(project: procoreProject)
            guard let current = BillingPeriodCache.open(in: try await cache.periods(project: procoreProject, now: now, read: read)) else {
                try await hold(invoice, noOpenPeriod(project.code, po.number), ctx)
            }
            guard current.id != period.id else {
                // Procore takes subcontractor invoices only on approved commitments. One that is not (Lentune's own
                // push sets it to Draft while it rewrites the lines; someone in Procore may have changed it) is waited
                // for, held, rather than failed for good: the push that approves it queues the invoice again, and so
                // does every sweep.
                // (The soak saw the push approve it again between the refusal and this read: then the create is tried
                // once more, and a second refusal stands.)
                guard let status = try? await client.purchaseOrder(project: procoreProject, id: commitment).status else { throw error }
                guard status == .approved else {
                    try await hold(
                        invoice, "The commitment of \(po.number) is \(status.rawValue) in Procore, which takes subcontractor invoices "
                            + "only on approved commitments; the invoice posts once it is approved.", ctx)
                }
                return try await client.createRequisition(project: procoreProject, commitment: commitment, write)
            }
            var again = write
            again.periodId = current.id
            return try await client.createRequisition(project: procoreProject, commitment: commitment, again)
        }
    }

    /// The invoice's PDF on the direct cost, once. It normally went with the create; a direct cost found by its
    /// `origin_id` (created by an earlier run, or before Lentune sent PDFs with the create) gets it only when none of
    /// its attachments has the PDF's `filename` (Procore's attachment is `{id, url, filename}`).
    static func attachPDF(_ upload: Procore.Upload, to cost: Procore.DirectCost, project: ProcoreID, client: Procore.Client) async throws {
        var attached = cost.attachments
        if attached == nil { attached = try await client.directCost(project, cost.id).attachments }
        guard !(attached ?? []).contains(where: { $0.filename == upload.filename }) else { return }
        try await client.attachToDirectCost(project, cost.id, upload.filename, upload.data)
    }

    static func posted(_ invoice: Invoice, procoreID: ProcoreID, url: URL?, _ ctx: JobContext) async throws {
        try await ctx.db.writeTransaction { tx in
            try await Invoices.setStatus(invoice.id, .posted, in: invoice.organisationID, on: tx)
            try await SyncLedger.record(
                .synced(procoreID: procoreID, url: url?.absoluteString), .invoice, invoice.id.rawValue, organisation: invoice.organisationID,
                now: ctx.now(), on: tx)
        }
    }

    /// The hold's reason when the project has no open billing period, with where a person opens one.
    static func noOpenPeriod(_ project: String, _ po: String) -> String {
        "Procore project \(project) has no open billing period for \(po)'s invoices; it posts when one opens "
            + "(in Procore: the project's Invoicing tool, Billing Periods tab)."
    }

    /// Not posted until the reason goes away: the invoice is Held, the ledger says why, the job ends Held (not Done:
    /// issue 29) with the reason, and the push or sweep that clears the reason queues it again. Always throws.
    static func hold(_ invoice: Invoice, _ reason: String, _ ctx: JobContext) async throws -> Never {
        try await ctx.db.writeTransaction { tx in
            try await Invoices.setStatus(invoice.id, .held, in: invoice.organisationID, on: tx)
            try await SyncLedger.record(.failed("Held: \(reason)"), .invoice, invoice.id.rawValue, organisation: invoice.organisationID, now: ctx.now(), on: tx)
        }
        throw SyncError.held(reason)
    }

    /// The direct cost: vendor (created in Procore first if missing), invoice number, dates, status and each line
    /// with its budget code (the project's, decided before the write; made through the WBS API when the pair has
    /// none) and mapped tax code.
    static func directCost(
        _ invoice: Invoice, row: ProcoreCompanyLink, client: Procore.Client, budgetCodes: ReferenceWrites.BudgetCodeBook, _ ctx: JobContext
    ) async throws -> Procore.DirectCostWrite {
        let organisation = invoice.organisationID
        let codes = Dictionary(uniqueKeysWithValues: try await ReferenceData.costCodes(in: organisation, project: invoice.projectID, on: ctx.db).map { ($0.id, $0) })
        let taxCodes = Dictionary(uniqueKeysWithValues: try await ReferenceData.taxCodes(in: organisation, on: ctx.db).map { ($0.id, $0) })
        let taxes = try await TaxMappings.mapping(of: row, on: ctx.db)
        let vendor = try await ReferenceWrites.ensureVendor(invoice.supplierID, row: row, client: client, on: ctx.db)
        var lines: [Procore.DirectCostWrite.Line] = []
        for (index, line) in invoice.lines.enumerated() {
            let label = "Invoice \(invoice.number) line \(index + 1)"
            guard let codeID = line.costCodeID, let code = codes[codeID], let procoreCode = code.procoreCostCodeID else {
                throw SyncError.permanent("\(label) has no cost code of the project that is in Procore.")
            }
            guard let typeID = line.costTypeID else { throw SyncError.permanent("\(label) has no cost type.") }
            let procoreType = try await ReferenceWrites.ensureCostType(typeID, row: row, client: client, on: ctx.db)
            let budgetCode = try await budgetCodes.id(costCode: procoreCode, costType: procoreType, label: "\(label) (\(code.code))")
            let tax: ProcoreID?
            do {
                tax = try taxes.procoreTaxCode(for: line.taxCodeID.flatMap { taxCodes[$0] })
            } catch {
                throw SyncError.permanent("\(label): \(error.description)")
            }
            lines.append(Procore.DirectCostWrite.Line(
                description: String((line.description.isEmpty ? "Invoice \(invoice.number)" : line.description).prefix(1000)),
                manualAmount: line.amount, wbsCodeId: budgetCode, taxCodeId: tax,
                originId: "\(invoice.id.rawValue.lowercasedText):\(index + 1)"))
        }
        guard !lines.isEmpty else { throw SyncError.permanent("Invoice \(invoice.number) has no lines.") }
        guard lines.count <= 100 else { throw SyncError.permanent("Invoice \(invoice.number) has \(lines.count) lines; Procore takes at most 100 on a direct cost.") }
        return Procore.DirectCostWrite(
            vendorId: vendor, invoiceNumber: String(invoice.number.prefix(255)), directCostDate: Procore.Day(utc: invoice.invoiceDate),
            receivedDate: nil, status: "approved", description: "Supplier invoice \(invoice.number)",
            originId: invoice.id.rawValue.lowercasedText, lineItems: lines)
    }
}
