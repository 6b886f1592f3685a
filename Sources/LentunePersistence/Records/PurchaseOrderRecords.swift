import FluentKit
import Foundation
import LentuneCore

public final class PurchaseOrderRecord: Model, TenantRecord, @unchecked Sendable {
    public static let schema = "purchase_orders"
    public static var organisationKey: KeyPath<PurchaseOrderRecord, FieldProperty<PurchaseOrderRecord, UUID>> {
        \.$organisationID
    }

    // managed fields
    @ID(key: .id) public var id: UUID?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?

    // data fields
    @Field(key: "organisation_id") public var organisationID: UUID
    @Field(key: "number") public var number: String
    @Field(key: "origin") public var origin: String
    @Field(key: "status") public var status: String
    @Field(key: "supplier_id") public var supplierID: UUID
    @Field(key: "project_id") public var projectID: UUID
    @Field(key: "title") public var title: String
    @Field(key: "description") public var description: String
    @OptionalField(key: "delivery_date") public var deliveryDate: Date?
    @OptionalField(key: "raised_by") public var raisedBy: UUID?
    @OptionalField(key: "approved_by") public var approvedBy: UUID?
    @OptionalField(key: "procore_commitment_id") public var procoreCommitmentID: Int64?
    @OptionalField(key: "deleted_in_procore_at") public var deletedInProcoreAt: Date?
    /// Denormalised from the lines so that lists can show and sort totals without reading lines.
    @Field(key: "total_excl_tax_cents") public var totalExcludingTaxCents: Int64
    @Field(key: "tax_cents") public var taxCents: Int64
    /// Mirrors the PO's sync record, so the list can filter and badge without a join.
    @Field(key: "sync_state") public var syncState: String
    /// The key of the request that created it (form or `Idempotency-Key`); `nil` for POs made otherwise.
    @OptionalField(key: "request_key") public var requestKey: String?

    // relationships
    @Children(for: \.$purchaseOrder) public var lines: [PurchaseOrderLineRecord]

    public init() {}

    public init(_ po: PurchaseOrder) throws {
        id = po.id.rawValue
        organisationID = po.organisationID.rawValue
        syncState = po.procoreCommitmentID == nil ? SyncRecord.State.notSynced.rawValue : SyncRecord.State.synced.rawValue
        try apply(po)
    }

    public func apply(_ po: PurchaseOrder) throws {
        number = po.number
        origin = po.origin.rawValue
        status = po.status.rawValue
        supplierID = po.supplierID.rawValue
        projectID = po.projectID.rawValue
        title = po.title
        description = po.description
        deliveryDate = po.deliveryDate
        raisedBy = po.raisedBy?.rawValue
        approvedBy = po.approvedBy?.rawValue
        procoreCommitmentID = po.procoreCommitmentID
        deletedInProcoreAt = po.deletedInProcoreAt
        let totals = po.totals
        totalExcludingTaxCents = try Scaled.money(totals.excludingTax)
        taxCents = try Scaled.money(totals.tax)
    }

    /// Requires `lines` to have been eager-loaded or passed in.
    public func domain(lines: [PurchaseOrderLineRecord]) -> PurchaseOrder {
        PurchaseOrder(
            id: .init(id!), organisationID: .init(organisationID), number: number,
            origin: PurchaseOrder.Origin(rawValue: origin) ?? .lentune,
            status: PurchaseOrder.Status(rawValue: status) ?? .draft, supplierID: .init(supplierID),
            projectID: .init(projectID), title: title, description: description, deliveryDate: deliveryDate,
            lines: lines.sorted { $0.position < $1.position }.map(\.domain), raisedBy: raisedBy.map { .init($0) },
            approvedBy: approvedBy.map { .init($0) }, procoreCommitmentID: procoreCommitmentID, deletedInProcoreAt: deletedInProcoreAt)
    }
}

public final class PurchaseOrderLineRecord: Model, @unchecked Sendable {
    public static let schema = "purchase_order_lines"

    // managed fields
    @ID(key: .id) public var id: UUID?

    // data fields
    @Field(key: "position") public var position: Int
    @Field(key: "description") public var description: String
    @OptionalField(key: "cost_code_id") public var costCodeID: UUID?
    @OptionalField(key: "cost_type_id") public var costTypeID: UUID?
    @OptionalField(key: "tax_code_id") public var taxCodeID: UUID?
    @Field(key: "quantity_scaled") public var quantityScaled: Int64
    @Field(key: "unit_cost_scaled") public var unitCostScaled: Int64
    @Field(key: "amount_cents") public var amountCents: Int64
    @Field(key: "tax_cents") public var taxCents: Int64
    @OptionalField(key: "procore_line_item_id") public var procoreLineItemID: Int64?

    // relationships
    @Parent(key: "purchase_order_id") public var purchaseOrder: PurchaseOrderRecord

    public init() {}

    public init(_ line: PurchaseOrder.Line, purchaseOrderID: UUID) throws {
        id = line.id.rawValue
        $purchaseOrder.id = purchaseOrderID
        try apply(line)
    }

    /// Takes the line's content (not its id or PO).
    func apply(_ line: PurchaseOrder.Line) throws {
        position = line.position
        description = line.description
        costCodeID = line.costCodeID?.rawValue
        costTypeID = line.costTypeID?.rawValue
        taxCodeID = line.taxCodeID?.rawValue
        quantityScaled = try Scaled.quantity(line.quantity)
        unitCostScaled = try Scaled.quantity(line.unitCost)
        amountCents = try Scaled.money(line.amount)
        taxCents = try Scaled.money(line.tax)
        procoreLineItemID = line.procoreLineItemID
    }

    public var domain: PurchaseOrder.Line {
        var line = PurchaseOrder.Line(
            id: .init(id!), position: position, description: description, costCodeID: costCodeID.map { .init($0) },
            costTypeID: costTypeID.map { .init($0) }, taxCodeID: taxCodeID.map { .init($0) },
            quantity: Scaled.quantity(quantityScaled), unitCost: Scaled.quantity(unitCostScaled),
            amount: Scaled.money(amountCents), procoreLineItemID: procoreLineItemID)
        line.tax = Scaled.money(taxCents)
        return line
    }
}
