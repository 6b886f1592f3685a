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
            try? await SyncLedger.record(classified.ledgerUpdate(job, ctx), .invoice, id.rawValue, organisation: job.organisationID, now: ctx.now(), on: ctx.db)
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
        switch InvoiceRouting.destination(for: invoice, source: source, purchaseOrder: po, tolerance: row.roundingTolerance) {
        case .notIntegrated:
            throw SyncError.cancelled("Project \(project.code) is not linked to Procore: its invoices are not posted there.")
        case .held(let reason):
            try await hold(invoice, reason.message, ctx)
        case .directCost:
            let write = try await directCost(invoice, row: row, client: client, ctx)
            let cost = try await create(write, project: procoreProject, client: client)
            try await attachPDF(invoice, to: cost, project: procoreProject, client: client, ctx)
            let url = environment.flatMap { ProcoreWebLinks.url(.directCost(project: procoreProject, directCost: cost.id), environment: $0) }
            try await posted(invoice, procoreID: cost.id, url: url, ctx)
        case .requisition(let commitment):
            guard let po else { throw SyncError.permanent("Invoice \(invoice.number) has no purchase order to go against.") }
            let periods = try await client.billingPeriods(project: procoreProject).all()
            guard let period = periods.filter({ $0.status.lowercased() == "open" }).min(by: { $0.startDate.description < $1.startDate.description }) else {
                try await hold(invoice, "Procore project \(project.code) has no open billing period for \(po.number)'s invoices; it posts when one opens.", ctx)
                return
            }
            // Each allocated PO line's amount as work completed this period on the commitment's line, written with
            // the requisition in one call (so a requisition never exists without its amounts).
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
            let requisition = try await client.createRequisition(
                project: procoreProject, commitment: commitment,
                Procore.RequisitionWrite(
                    periodId: period.id, invoiceNumber: String(invoice.number.prefix(255)), billingDate: Procore.Day(utc: invoice.invoiceDate),
                    status: "draft", originId: invoice.id.rawValue.lowercasedText, items: items))
            let url = environment.flatMap {
                ProcoreWebLinks.url(.requisition(project: procoreProject, commitment: commitment, requisition: requisition.id), environment: $0)
            }
            try await posted(invoice, procoreID: requisition.id, url: url, ctx)
        }
    }

    /// Creates the direct cost. A project that requires budget codes refuses a line's cost code + cost type without
    /// one: then each line goes again with the budget code of its pair (created when missing).
    static func create(_ write: Procore.DirectCostWrite, project: ProcoreID, client: Procore.Client) async throws -> Procore.DirectCost {
        let first: Result<Procore.DirectCost, Procore.Error>
        do {
            first = .success(try await client.createDirectCost(project: project, write))
        } catch {
            first = .failure(error)
        }
        switch first {
        case .success(let cost):
            return cost
        case .failure(.validation(_, let fields, _)) where fields.keys.contains(where: { $0.hasSuffix("wbs_code_id") }):
            var coded = write
            let budgetCodes = ReferenceWrites.BudgetCodes(project: project, client: client)
            for index in coded.lineItems.indices {
                guard let costCode = coded.lineItems[index].costCodeId, let costType = coded.lineItems[index].lineItemTypeId else { continue }
                coded.lineItems[index].wbsCodeId = try await budgetCodes.id(costCode: costCode, costType: costType)
            }
            return try await client.createDirectCost(project: project, coded)
        case .failure(let error):
            throw error
        }
    }

    /// The invoice's PDF as the direct cost's attachment, once: a direct cost found again after a lost answer is read
    /// first (the list leaves attachments out), and the file goes only if it is not there yet.
    static func attachPDF(_ invoice: Invoice, to cost: Procore.DirectCost, project: ProcoreID, client: Procore.Client, _ ctx: JobContext) async throws {
        guard let attachment = invoice.attachment,
            let document = try await Invoices.document(of: invoice.id, in: invoice.organisationID, on: ctx.db)
        else { return }
        var attached = cost.attachments
        if attached == nil { attached = try await client.directCost(project, cost.id).attachments }
        guard !(attached ?? []).contains(where: { $0.name == attachment.filename }) else { return }
        try await client.attachToDirectCost(project, cost.id, document.filename, document.bytes)
    }

    static func posted(_ invoice: Invoice, procoreID: ProcoreID, url: URL?, _ ctx: JobContext) async throws {
        try await ctx.db.writeTransaction { tx in
            try await Invoices.setStatus(invoice.id, .posted, in: invoice.organisationID, on: tx)
            try await SyncLedger.record(
                .synced(procoreID: procoreID, url: url?.absoluteString), .invoice, invoice.id.rawValue, organisation: invoice.organisationID,
                now: ctx.now(), on: tx)
        }
    }

    /// Not posted until the reason goes away: the invoice is Held, the ledger says why, and the posting schedule
    /// tries it again.
    static func hold(_ invoice: Invoice, _ reason: String, _ ctx: JobContext) async throws {
        try await ctx.db.writeTransaction { tx in
            try await Invoices.setStatus(invoice.id, .held, in: invoice.organisationID, on: tx)
            try await SyncLedger.record(.failed("Held: \(reason)"), .invoice, invoice.id.rawValue, organisation: invoice.organisationID, now: ctx.now(), on: tx)
        }
    }

    /// The direct cost: vendor (created in Procore first if missing), invoice number, dates, status and each line with
    /// its cost code, cost type and mapped tax code.
    static func directCost(_ invoice: Invoice, row: ProcoreCompanyLink, client: Procore.Client, _ ctx: JobContext) async throws -> Procore.DirectCostWrite {
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
            let tax: ProcoreID?
            do {
                tax = try taxes.procoreTaxCode(for: line.taxCodeID.flatMap { taxCodes[$0] })
            } catch {
                throw SyncError.permanent("\(label): \(error.description)")
            }
            lines.append(Procore.DirectCostWrite.Line(
                description: String((line.description.isEmpty ? "Invoice \(invoice.number)" : line.description).prefix(1000)),
                manualAmount: line.amount, costCodeId: procoreCode, lineItemTypeId: procoreType, taxCodeId: tax,
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
