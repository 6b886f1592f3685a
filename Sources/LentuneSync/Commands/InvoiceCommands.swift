import FluentKit
import Foundation
import LentuneCore
import LentunePersistence

/// Every change a person or the API makes to a supplier invoice (issue 15), in one place, like
/// `PurchaseOrderCommands`: each opens the write transaction, checks what the invoice names belongs to the
/// organisation, applies Core's rules, and writes the change, its audit row and its posting job together.
public enum InvoiceCommands {
    public enum Failure: Error, Equatable {
        /// Field → message: the invoice breaks a rule or names something that is not the organisation's.
        case invalid([String: String])
        case workflow(InvoiceWorkflow.Refusal)
        /// Content changes only before the invoice is checked.
        case notEditable(Invoice.Status)
        case notFound
        case duplicateNumber(String)
        /// **Send now** / **Retry** on an invoice that is not waiting to post.
        case notPostable(String)

        public var message: String {
            switch self {
            case .invalid: "The invoice is not valid."
            case .workflow(let refusal): refusal.message
            case .notEditable(let status): "An invoice that is \(status.title.lowercased()) can no longer be changed; send it back or reverse its approval first."
            case .notFound: "There is no such invoice."
            case .duplicateNumber(let number): "This supplier already has an invoice numbered \(number)."
            case .notPostable(let reason): reason
            }
        }
    }

    /// Stores a captured invoice (Unchecked). A single-line PO takes the whole invoice when no allocation is given.
    public static func capture(
        _ draft: Invoice, document: Invoices.Document?, actor: User, now: Date, on db: any Database
    ) async throws -> Invoice {
        try await capture(draft, document: document, requestKey: nil, actor: actor, now: now, on: db).invoice
    }

    /// Captures an invoice; with `requestKey` (the API's `Idempotency-Key`) a repeat captures nothing and answers the
    /// first request's invoice with `created == false`, however many are sent at once.
    public static func capture(
        _ draft: Invoice, document: Invoices.Document?, requestKey: String?, actor: User, now: Date, on db: any Database
    ) async throws -> (invoice: Invoice, created: Bool) {
        guard actor.role.mayEditDocuments else { throw Failure.workflow(.role("Your role cannot capture invoices.")) }
        if let requestKey, let existing = try await Invoices.created(by: requestKey, in: draft.organisationID, on: db),
            let invoice = try await Invoices.find(existing, in: draft.organisationID, on: db)
        {
            return (invoice, false)
        }
        var invoice = draft
        invoice.status = .unchecked
        // Checked before the insert too: a foreign key to nothing would otherwise read as a constraint failure.
        try await validate(invoice, today: now, on: db)
        do {
            let stored = try await Invoices.create(invoice, document: document, requestKey: requestKey, within: { tx, stored in
                try await validate(stored, today: now, on: tx)
                try await audit("invoice.captured", stored, actor: actor, now: now, on: tx)
            }, on: db)
            return (stored, true)
        } catch Invoices.Error.alreadyCreated(let existing) {
            guard let first = try await Invoices.find(existing, in: draft.organisationID, on: db) else { throw Failure.notFound }
            return (first, false)
        } catch Invoices.Error.duplicateNumber {
            throw Failure.duplicateNumber(invoice.number)
        }
    }

    /// Fills in the allocation a single-line PO implies (the caller's, before validation).
    public static func withAutomaticAllocation(_ invoice: Invoice, on db: any Database) async throws -> Invoice {
        guard invoice.allocations.isEmpty, let poID = invoice.purchaseOrderID,
            let po = try await PurchaseOrders.find(poID, in: invoice.organisationID, on: db),
            let automatic = InvoiceAllocations.automatic(invoice, po: po)
        else { return invoice }
        var allocated = invoice
        allocated.allocations = automatic
        return allocated
    }

    /// Replaces an unchecked invoice's content (and its PDF when one is given).
    public static func update(
        _ invoice: Invoice, document: Invoices.Document?, actor: User, now: Date, on db: any Database
    ) async throws -> Invoice {
        guard actor.role.mayEditDocuments else { throw Failure.workflow(.role("Your role cannot change invoices.")) }
        do {
            return try await Invoices.modify(invoice.id, in: invoice.organisationID, document: document, on: db) { tx, stored in
                guard InvoiceWorkflow.mayEditContent(stored) else { throw Failure.notEditable(stored.status) }
                var next = invoice
                (next.status, next.sendBackReason, next.overAllocationAccepted) = (stored.status, stored.sendBackReason, false)
                try await validate(next, today: now, on: tx)
                try await audit("invoice.updated", next, actor: actor, now: now, on: tx)
                return next
            }
        } catch Invoices.Error.notFound {
            throw Failure.notFound
        } catch Invoices.Error.duplicateNumber {
            throw Failure.duplicateNumber(invoice.number)
        }
    }

    /// Check, approve, send back or reverse the approval. Approving an invoice for a project linked to Procore queues
    /// its posting in the same transaction.
    public static func act(
        _ action: InvoiceWorkflow.Action, on id: Invoice.ID, organisation: Organisation.ID, actor: User, now: Date, on db: any Database
    ) async throws -> Invoice {
        do {
            return try await Invoices.modify(id, in: organisation, on: db) { tx, stored in
                var warnings: [String] = []
                if case .check = action, let poID = stored.purchaseOrderID, let po = try await PurchaseOrders.find(poID, in: organisation, on: tx) {
                    let tolerance = try await roundingTolerance(ofProject: po.projectID, in: organisation, on: tx)
                    if let refusal = InvoiceAllocations.checkRefusal(stored, purchaseOrderNumber: po.number, tolerance: tolerance) {
                        throw Failure.invalid(["allocations": refusal])
                    }
                }
                if case .approve = action, let poID = stored.purchaseOrderID, let po = try await PurchaseOrders.find(poID, in: organisation, on: tx) {
                    let elsewhere = try await Invoices.allocatedElsewhere(to: poID, excluding: id, in: organisation, on: tx)
                    warnings = InvoiceAllocations.overRemaining(stored.allocations, po: po, allocatedElsewhere: elsewhere)
                }
                switch InvoiceWorkflow.apply(action, to: stored, by: actor, overAllocation: warnings) {
                case .failure(let refusal):
                    throw Failure.workflow(refusal)
                case .success(var next):
                    // Back to awaiting approval after its approver left: it waits for whoever reversed it, not for
                    // someone who can no longer sign in (their Approvals would be nobody's).
                    if case .reverseApproval = action, let approver = next.approverID,
                        try await Accounts.isDeactivated(approver, in: organisation, on: tx)
                    {
                        next.approverID = actor.id
                    }
                    try await audit("invoice.\(action.name)", next, actor: actor, now: now, detail: { if case .sendBack(let reason) = action { reason } else { nil } }(), on: tx)
                    if next.status == .approved { try await queuePosting(next, now: now, on: tx) }
                    return next
                }
            }
        } catch Invoices.Error.notFound {
            throw Failure.notFound
        }
    }

    /// The rounding tolerance of the project's Procore company (the default when it is not in a linked company).
    static func roundingTolerance(ofProject project: Project.ID, in organisation: Organisation.ID, on db: any Database) async throws -> Decimal {
        guard let link = try await PurchaseOrders.companyLink(ofProject: project, in: organisation, on: db),
            let row = try await ProcoreSettings.link(link, on: db)
        else { return ProcoreCompanyLink.defaultRoundingTolerance }
        return row.roundingTolerance
    }

    /// **Send now** on an approved or held invoice, and **Retry** on one whose posting failed: queues its posting.
    public static func sendNow(_ id: Invoice.ID, organisation: Organisation.ID, actor: User, now: Date, on db: any Database) async throws -> Invoice {
        guard actor.role.mayEditDocuments || actor.role.mayApprove else { throw Failure.workflow(.role("Your role cannot post invoices.")) }
        return try await db.writeTransaction { tx in
            guard let invoice = try await Invoices.find(id, in: organisation, on: tx) else { throw Failure.notFound }
            guard [.approved, .held].contains(invoice.status) else {
                throw Failure.notPostable("Invoice \(invoice.number) is \(invoice.status.title.lowercased()): only approved or held invoices are posted.")
            }
            guard try await queuePosting(invoice, now: now, on: tx) else {
                throw Failure.notPostable("Invoice \(invoice.number)'s project is not linked to Procore: it is not posted there.")
            }
            try await audit("invoice.send_now", invoice, actor: actor, now: now, on: tx)
            return invoice
        }
    }

    /// Queues the posting job when the invoice's project is in a linked Procore company; otherwise the ledger says it
    /// is not posted (overheads). Answers whether a job was queued.
    @discardableResult
    static func queuePosting(_ invoice: Invoice, now: Date, on tx: any Database) async throws -> Bool {
        guard let project = invoice.projectID,
            let link = try await PurchaseOrders.companyLink(ofProject: project, in: invoice.organisationID, on: tx),
            try await ReferenceData.project(project, in: invoice.organisationID, on: tx)?.procoreProjectID != nil
        else {
            try await SyncLedger.record(
                .skipped("The project is not linked to Procore: the invoice is not posted there."), .invoice, invoice.id.rawValue,
                organisation: invoice.organisationID, now: now, on: tx)
            return false
        }
        try await Outbox.enqueue(.post(invoice.id, organisation: invoice.organisationID, companyLink: link, now: now), on: tx)
        try await SyncLedger.record(.pending(error: nil), .invoice, invoice.id.rawValue, organisation: invoice.organisationID, now: now, on: tx)
        return true
    }

    /// The posting schedule (run with each company's sweep): queues the held invoices and approved ones never queued
    /// of the company's projects. Answers how many were queued.
    public static func queueAwaitingPosting(_ row: ProcoreCompanyLink, now: Date, on db: any Database) async throws -> Int {
        var queued = 0
        for id in try await Invoices.awaitingPosting(in: row.organisationID, limit: 1000, on: db) {
            guard let invoice = try await Invoices.find(id, in: row.organisationID, on: db), let project = invoice.projectID,
                try await PurchaseOrders.companyLink(ofProject: project, in: row.organisationID, on: db) == row.id
            else { continue }
            if try await db.writeTransaction({ tx in try await queuePosting(invoice, now: now, on: tx) }) { queued += 1 }
        }
        return queued
    }

    static func validate(_ invoice: Invoice, today: Date, on tx: any Database) async throws {
        var problems = InvoiceRules.problems(invoice, today: today)
        problems.merge(try await Invoices.referenceProblems(invoice, on: tx)) { first, _ in first }
        guard problems.isEmpty else { throw Failure.invalid(problems) }
    }

    static func audit(_ action: String, _ invoice: Invoice, actor: User, now: Date, detail: String? = nil, on tx: any Database) async throws {
        try await AuditLog.record(
            AuditEvent(
                organisationID: invoice.organisationID, actorID: actor.id, actorEmail: actor.email, occurredAt: now, action: action,
                subject: "Invoice \(invoice.number)", before: detail,
                after: "\(invoice.status.title); \(invoice.lines.count) line\(invoice.lines.count == 1 ? "" : "s"); total \(Money.format(invoice.statedTotalIncludingTax))",
                entityID: invoice.id.rawValue),
            on: tx)
    }
}
