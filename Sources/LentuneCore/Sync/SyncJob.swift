import Foundation

/// One unit of work for Procore, stored in the outbox in the same transaction as the change it follows
/// (DESIGN.md §2.2). Workers claim due jobs, run them and record the outcome on the job itself.
public struct SyncJob: Hashable, Sendable {
    public typealias ID = Identifier<SyncJob>

    /// What a job does. The payload says to what.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Register Lentune's webhook hook and triggers for a linked company row.
        case registerHooks = "hooks.register"
        /// Remove them (row unlinked, connection deleted).
        case unregisterHooks = "hooks.unregister"
        /// Turn stored webhook events into the jobs they imply.
        case processWebhook = "webhook.process"
        /// Read what changed in Procore since the company's cursor (catches lost webhooks).
        case sweep
        /// Send a Lentune PO to Procore (company on Lentune purchase order).
        case pushPurchaseOrder = "po.push"
        /// Read one Procore commitment into Lentune (company on Procore purchase order).
        case pullPurchaseOrder = "po.pull"
        /// Read every commitment of a company (it was switched to Procore purchase order).
        case importPurchaseOrders = "po.import"
        /// Compare a Lentune PO's commitment with the PO (company on Lentune purchase order): drift is shown, never
        /// pulled.
        case checkPurchaseOrder = "po.check"
        /// Reference data (projects, vendors, cost codes, cost types, tax codes) of a company.
        case syncReferenceData = "reference.sync"
        /// Post an approved supplier invoice to Procore (a direct cost or a requisition).
        case postInvoice = "invoice.post"
        /// Does nothing: benchmarks and engine tests.
        case noop

        public var title: String {
            switch self {
            case .registerHooks: "Register webhooks"
            case .unregisterHooks: "Remove webhooks"
            case .processWebhook: "Webhook events"
            case .sweep: "Sweep"
            case .pushPurchaseOrder: "Send purchase order"
            case .pullPurchaseOrder: "Read purchase order"
            case .importPurchaseOrders: "Import purchase orders"
            case .checkPurchaseOrder: "Check purchase order"
            case .syncReferenceData: "Reference data"
            case .postInvoice: "Post invoice"
            case .noop: "No-op"
            }
        }

        /// The kinds that move purchase orders: cancelled when a company is switched to neither.
        public var isPurchaseOrderWork: Bool {
            [.pushPurchaseOrder, .pullPurchaseOrder, .importPurchaseOrders, .checkPurchaseOrder].contains(self)
        }
    }

    public enum State: String, Sendable, Codable, CaseIterable {
        /// Waiting for `nextAttemptAt` (a first run or a retry).
        case pending
        /// Claimed by a worker until `lockedUntil`; claimable again after that (its worker died).
        case running
        case done
        /// Stopped: a permanent failure, or too many transient ones. **Retry** makes it pending again.
        case failed
        /// No longer wanted (the setting changed since it was queued).
        case cancelled
        /// Ran, and its record waits (an invoice held: a PO line not in Procore yet, no open billing period, a
        /// commitment not approved there); the reason is in `lastError`. Not done and not failed: whatever clears the
        /// reason (the push, the sweep) queues the record again, and **Retry** tries it now (issue 29).
        case held
    }

    public var id: ID
    public var organisationID: Organisation.ID
    public var companyLinkID: ProcoreCompanyLink.ID?
    public var kind: Kind
    /// JSON, read by the job's handler.
    public var payload: String
    /// At most one pending or running job per key (`po.push:<po id>`): queuing it again while one waits adds nothing.
    public var dedupeKey: String?
    public var state: State
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lockedBy: String?
    public var lockedUntil: Date?
    public var lastError: String?
    public var createdAt: Date
    public var finishedAt: Date?

    public init(
        id: ID = ID(), organisationID: Organisation.ID, companyLinkID: ProcoreCompanyLink.ID? = nil, kind: Kind,
        payload: String = "{}", dedupeKey: String? = nil, state: State = .pending, attempts: Int = 0, nextAttemptAt: Date,
        lockedBy: String? = nil, lockedUntil: Date? = nil, lastError: String? = nil, createdAt: Date, finishedAt: Date? = nil
    ) {
        self.id = id
        self.organisationID = organisationID
        self.companyLinkID = companyLinkID
        self.kind = kind
        self.payload = payload
        self.dedupeKey = dedupeKey
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lockedBy = lockedBy
        self.lockedUntil = lockedUntil
        self.lastError = lastError
        self.createdAt = createdAt
        self.finishedAt = finishedAt
    }
}

extension SyncJob {
    /// A company-wide job (hooks, reference data, sweep), due now and deduplicated per company row: one waiting or
    /// running job of a kind per row.
    public static func companyWide(_ kind: Kind, of row: ProcoreCompanyLink, now: Date) -> SyncJob {
        SyncJob(
            organisationID: row.organisationID, companyLinkID: row.id, kind: kind, dedupeKey: "\(kind.rawValue):\(row.id)",
            nextAttemptAt: now, createdAt: now)
    }

    /// Send a Lentune PO to Procore (deduplicated per PO: a push already waiting sends the PO as it is when it runs).
    public static func push(
        _ purchaseOrder: PurchaseOrder.ID, organisation: Organisation.ID, companyLink: ProcoreCompanyLink.ID, now: Date
    ) -> SyncJob {
        purchaseOrderJob(.pushPurchaseOrder, purchaseOrder, organisation: organisation, companyLink: companyLink, now: now)
    }

    /// Compare a Lentune PO's commitment in Procore with the PO (deduplicated per PO).
    public static func check(
        _ purchaseOrder: PurchaseOrder.ID, organisation: Organisation.ID, companyLink: ProcoreCompanyLink.ID, now: Date
    ) -> SyncJob {
        purchaseOrderJob(.checkPurchaseOrder, purchaseOrder, organisation: organisation, companyLink: companyLink, now: now)
    }

    /// A job of `kind` about one Lentune PO, keyed `<kind>:<po id>`.
    static func purchaseOrderJob(
        _ kind: Kind, _ purchaseOrder: PurchaseOrder.ID, organisation: Organisation.ID, companyLink: ProcoreCompanyLink.ID, now: Date
    ) -> SyncJob {
        SyncJob(
            organisationID: organisation, companyLinkID: companyLink, kind: kind,
            payload: #"{"purchase_order_id":"\#(purchaseOrder.rawValue.lowercasedText)"}"#,
            dedupeKey: "\(kind.rawValue):\(purchaseOrder.rawValue.lowercasedText)", nextAttemptAt: now, createdAt: now)
    }

    /// Post an approved invoice to Procore (deduplicated per invoice).
    public static func post(_ invoice: Invoice.ID, organisation: Organisation.ID, companyLink: ProcoreCompanyLink.ID, now: Date) -> SyncJob {
        SyncJob(
            organisationID: organisation, companyLinkID: companyLink, kind: .postInvoice,
            payload: #"{"invoice_id":"\#(invoice.rawValue.lowercasedText)"}"#,
            dedupeKey: "invoice.post:\(invoice.rawValue.lowercasedText)", nextAttemptAt: now, createdAt: now)
    }
}

extension SyncJob {
    /// The record a job is about, read from its payload: what the Integration log names and links.
    public enum Subject: Hashable, Sendable {
        case purchaseOrder(PurchaseOrder.ID)
        case invoice(Invoice.ID)
        /// A Procore commitment (a pull), by id.
        case commitment(ProcoreID)
    }

    public var subject: Subject? {
        struct Fields: Decodable {
            var purchase_order_id: UUID?
            var invoice_id: UUID?
            var commitment_id: Int64?
        }
        guard let fields = try? JSONDecoder().decode(Fields.self, from: Data(payload.utf8)) else { return nil }
        if let id = fields.purchase_order_id { return .purchaseOrder(PurchaseOrder.ID(id)) }
        if let id = fields.invoice_id { return .invoice(Invoice.ID(id)) }
        if let id = fields.commitment_id { return .commitment(ProcoreID(id)) }
        return nil
    }
}
