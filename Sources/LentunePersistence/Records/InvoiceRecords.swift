import FluentKit
import Foundation
import LentuneCore

public final class InvoiceRecord: Model, TenantRecord, @unchecked Sendable {
    public static let schema = "invoices"
    public static var organisationKey: KeyPath<InvoiceRecord, FieldProperty<InvoiceRecord, UUID>> { \.$organisationID }

    // managed fields
    @ID(key: .id) public var id: UUID?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?

    // data fields
    @Field(key: "organisation_id") public var organisationID: UUID
    @Field(key: "supplier_id") public var supplierID: UUID
    @Field(key: "number") public var number: String
    @Field(key: "invoice_date") public var invoiceDate: Date
    @OptionalField(key: "due_date") public var dueDate: Date?
    @Field(key: "status") public var status: String
    @OptionalField(key: "approver_id") public var approverID: UUID?
    @OptionalField(key: "send_back_reason") public var sendBackReason: String?
    @Field(key: "over_allocation_accepted") public var overAllocationAccepted: Bool
    @OptionalField(key: "attachment_filename") public var attachmentFilename: String?
    @OptionalField(key: "attachment_size") public var attachmentSize: Int?
    @OptionalField(key: "project_id") public var projectID: UUID?
    @OptionalField(key: "purchase_order_id") public var purchaseOrderID: UUID?
    /// The API's `Idempotency-Key` of the request that captured it (migration 0022).
    @OptionalField(key: "request_key") public var requestKey: String?
    @Field(key: "stated_total_excl_tax_cents") public var statedTotalExcludingTaxCents: Int64
    @Field(key: "stated_tax_cents") public var statedTaxCents: Int64

    // relationships
    @Children(for: \.$invoice) public var lines: [InvoiceLineRecord]
    @Children(for: \.$invoice) public var allocations: [InvoiceAllocationRecord]

    public init() {}

    public init(_ invoice: Invoice) throws {
        id = invoice.id.rawValue
        organisationID = invoice.organisationID.rawValue
        apply(invoice)
        statedTotalExcludingTaxCents = try Scaled.money(invoice.statedTotalExcludingTax)
        statedTaxCents = try Scaled.money(invoice.statedTax)
    }

    /// Copies the invoice's header (everything but its id, organisation and attachment) onto the record.
    public func apply(_ invoice: Invoice) {
        supplierID = invoice.supplierID.rawValue
        number = invoice.number
        invoiceDate = invoice.invoiceDate
        dueDate = invoice.dueDate
        status = invoice.status.rawValue
        projectID = invoice.projectID?.rawValue
        purchaseOrderID = invoice.purchaseOrderID?.rawValue
        approverID = invoice.approverID?.rawValue
        sendBackReason = invoice.sendBackReason
        overAllocationAccepted = invoice.overAllocationAccepted
    }

    public func domain(lines: [InvoiceLineRecord], allocations: [InvoiceAllocationRecord]) -> Invoice {
        Invoice(
            id: .init(id!), organisationID: .init(organisationID), supplierID: .init(supplierID), number: number,
            invoiceDate: invoiceDate, dueDate: dueDate, status: Invoice.Status(rawValue: status) ?? .unchecked,
            projectID: projectID.map { .init($0) }, purchaseOrderID: purchaseOrderID.map { .init($0) },
            lines: lines.sorted { $0.position < $1.position }.map(\.domain),
            allocations: allocations.map(\.domain),
            statedTotalExcludingTax: Scaled.money(statedTotalExcludingTaxCents), statedTax: Scaled.money(statedTaxCents),
            approverID: approverID.map { .init($0) }, sendBackReason: sendBackReason, overAllocationAccepted: overAllocationAccepted,
            attachment: attachmentFilename.map { Invoice.Attachment(filename: $0, byteCount: attachmentSize ?? 0) })
    }
}

/// An invoice's PDF (one per invoice), stored with it.
public final class InvoiceDocumentRecord: Model, @unchecked Sendable {
    public static let schema = "invoice_documents"

    @ID(custom: "invoice_id", generatedBy: .user) public var id: UUID?
    @Field(key: "filename") public var filename: String
    @Field(key: "bytes") public var bytes: Data

    public init() {}

    public init(invoiceID: UUID, filename: String, bytes: Data) {
        id = invoiceID
        self.filename = filename
        self.bytes = bytes
    }
}

public final class InvoiceLineRecord: Model, @unchecked Sendable {
    public static let schema = "invoice_lines"

    // managed fields
    @ID(key: .id) public var id: UUID?

    // data fields
    @Field(key: "position") public var position: Int
    @Field(key: "description") public var description: String
    @OptionalField(key: "cost_code_id") public var costCodeID: UUID?
    @OptionalField(key: "cost_type_id") public var costTypeID: UUID?
    @OptionalField(key: "tax_code_id") public var taxCodeID: UUID?
    @Field(key: "amount_cents") public var amountCents: Int64
    @Field(key: "tax_cents") public var taxCents: Int64

    // relationships
    @Parent(key: "invoice_id") public var invoice: InvoiceRecord

    public init() {}

    public init(_ line: Invoice.Line, position: Int, invoiceID: UUID) throws {
        $invoice.id = invoiceID
        self.position = position
        description = line.description
        costCodeID = line.costCodeID?.rawValue
        costTypeID = line.costTypeID?.rawValue
        taxCodeID = line.taxCodeID?.rawValue
        amountCents = try Scaled.money(line.amount)
        taxCents = try Scaled.money(line.tax)
    }

    public var domain: Invoice.Line {
        Invoice.Line(
            description: description, costCodeID: costCodeID.map { .init($0) },
            costTypeID: costTypeID.map { .init($0) }, taxCodeID: taxCodeID.map { .init($0) },
            amount: Scaled.money(amountCents), tax: Scaled.money(taxCents))
    }
}

public final class InvoiceAllocationRecord: Model, @unchecked Sendable {
    public static let schema = "invoice_allocations"

    // managed fields
    @ID(key: .id) public var id: UUID?

    // data fields
    @Field(key: "purchase_order_line_id") public var purchaseOrderLineID: UUID
    /// Set when allocated by quantity; `nil` when by value.
    @OptionalField(key: "quantity_scaled") public var quantityScaled: Int64?
    @Field(key: "amount_cents") public var amountCents: Int64

    // relationships
    @Parent(key: "invoice_id") public var invoice: InvoiceRecord

    public init() {}

    public init(_ allocation: Invoice.Allocation, invoiceID: UUID) throws {
        $invoice.id = invoiceID
        purchaseOrderLineID = allocation.purchaseOrderLineID.rawValue
        if case .quantity(let quantity) = allocation.basis { quantityScaled = try Scaled.quantity(quantity) }
        amountCents = try Scaled.money(allocation.amount)
    }

    public var domain: Invoice.Allocation {
        Invoice.Allocation(
            purchaseOrderLineID: .init(purchaseOrderLineID),
            basis: quantityScaled.map { .quantity(Scaled.quantity($0)) } ?? .value, amount: Scaled.money(amountCents))
    }
}

public final class SyncRecordRecord: Model, TenantRecord, @unchecked Sendable {
    public static let schema = "sync_records"
    public static var organisationKey: KeyPath<SyncRecordRecord, FieldProperty<SyncRecordRecord, UUID>> { \.$organisationID }

    // managed fields
    @ID(key: .id) public var id: UUID?
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?

    // data fields
    @Field(key: "organisation_id") public var organisationID: UUID
    @Field(key: "entity_kind") public var entityKind: String
    @Field(key: "entity_id") public var entityID: UUID
    @Field(key: "direction") public var direction: String
    @OptionalField(key: "procore_id") public var procoreID: Int64?
    @OptionalField(key: "procore_url") public var procoreURL: String?
    @Field(key: "state") public var state: String
    @Field(key: "attempts") public var attempts: Int
    @OptionalField(key: "last_error") public var lastError: String?
    @OptionalField(key: "last_synced_at") public var lastSyncedAt: Date?
    /// `ProcoreTarget.text` (migration 0023).
    @OptionalField(key: "procore_target") public var procoreTarget: String?

    public init() {}

    public init(_ record: SyncRecord) {
        id = record.id.rawValue
        organisationID = record.organisationID.rawValue
        entityKind = record.entityKind.rawValue
        entityID = record.entityID
        direction = record.direction.rawValue
        procoreID = record.procoreID
        procoreURL = record.procoreURL
        state = record.state.rawValue
        attempts = record.attempts
        lastError = record.lastError
        lastSyncedAt = record.lastSyncedAt
        procoreTarget = record.target?.text
    }

    public var domain: SyncRecord {
        SyncRecord(
            id: .init(id!), organisationID: .init(organisationID),
            entityKind: SyncRecord.EntityKind(rawValue: entityKind) ?? .purchaseOrder, entityID: entityID,
            direction: SyncRecord.Direction(rawValue: direction) ?? .push, procoreID: procoreID, procoreURL: procoreURL,
            state: SyncRecord.State(rawValue: state) ?? .notSynced, attempts: attempts, lastError: lastError,
            lastSyncedAt: lastSyncedAt, target: procoreTarget.flatMap(ProcoreTarget.init(text:)))
    }
}
