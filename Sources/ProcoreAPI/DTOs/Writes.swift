import Foundation

// Request bodies. `nil` fields are left out, which Procore reads as "unchanged".

extension Procore {
    public struct PurchaseOrderContractWrite: Hashable, Sendable, Encodable {
        /// Set only in sync batches to update by id.
        public var id: ID?
        public var number: String?
        public var title: String?
        public var status: PurchaseOrderContract.Status?
        public var vendorId: ID?
        public var description: String?
        public var deliveryDate: Day?
        public var paymentTerms: String?
        public var executed: Bool?
        public var originId: String?
        public var originData: String?
        public var originCode: String?

        public init(
            id: ID? = nil, number: String? = nil, title: String? = nil, status: PurchaseOrderContract.Status? = nil,
            vendorId: ID? = nil, description: String? = nil, deliveryDate: Day? = nil, paymentTerms: String? = nil,
            executed: Bool? = nil, originId: String? = nil, originData: String? = nil, originCode: String? = nil
        ) {
            self.id = id
            self.number = number
            self.title = title
            self.status = status
            self.vendorId = vendorId
            self.description = description
            self.deliveryDate = deliveryDate
            self.paymentTerms = paymentTerms
            self.executed = executed
            self.originId = originId
            self.originData = originData
            self.originCode = originCode
        }
    }

    public struct LineItemWrite: Hashable, Sendable, Encodable {
        public var id: ID?
        public var description: String?
        public var amount: Amount?
        public var quantity: Amount?
        public var unitCost: Amount?
        public var uom: String?
        /// "manual" or "calculated".
        public var extendedType: String?
        public var costCodeId: ID?
        public var lineItemTypeId: ID?
        /// The budget code; Procore prefers it to cost code + cost type (and requires one of the two forms).
        public var wbsCodeId: ID?
        public var taxCodeId: ID?
        public var originId: String?
        /// The line's place on the commitment (1-based).
        public var position: Int64?

        public init(
            id: ID? = nil, description: String? = nil, amount: Amount? = nil, quantity: Amount? = nil,
            unitCost: Amount? = nil, uom: String? = nil, extendedType: String? = nil, costCodeId: ID? = nil,
            lineItemTypeId: ID? = nil, wbsCodeId: ID? = nil, taxCodeId: ID? = nil, originId: String? = nil, position: Int64? = nil
        ) {
            self.position = position
            self.wbsCodeId = wbsCodeId
            self.id = id
            self.description = description
            self.amount = amount
            self.quantity = quantity
            self.unitCost = unitCost
            self.uom = uom
            self.extendedType = extendedType
            self.costCodeId = costCodeId
            self.lineItemTypeId = lineItemTypeId
            self.taxCodeId = taxCodeId
            self.originId = originId
        }
    }

    public struct DirectCostWrite: Hashable, Sendable, Encodable {
        public var directCostType: String
        public var vendorId: ID?
        public var invoiceNumber: String?
        public var directCostDate: Day?
        public var receivedDate: Day?
        public var status: String?
        public var description: String?
        public var originId: String?
        public var lineItems: [Line]

        /// A v1.1 nested line as Procore's schema has it (the excerpt's DirectCostLineItem): coded by its budget
        /// code alone, which is required; there are no cost code or cost type fields.
        public struct Line: Hashable, Sendable, Encodable {
            public var description: String?
            /// v1.1 nested lines take `manual_amount` (a JSON number).
            public var manualAmount: Decimal?
            public var wbsCodeId: ID
            public var taxCodeId: ID?
            public var originId: String?

            public init(description: String?, manualAmount: Decimal?, wbsCodeId: ID, taxCodeId: ID? = nil, originId: String? = nil) {
                self.description = description
                self.manualAmount = manualAmount
                self.wbsCodeId = wbsCodeId
                self.taxCodeId = taxCodeId
                self.originId = originId
            }
        }

        public init(
            directCostType: String = "invoice", vendorId: ID?, invoiceNumber: String?, directCostDate: Day?,
            receivedDate: Day? = nil, status: String? = "pending", description: String? = nil, originId: String?,
            lineItems: [Line]
        ) {
            self.directCostType = directCostType
            self.vendorId = vendorId
            self.invoiceNumber = invoiceNumber
            self.directCostDate = directCostDate
            self.receivedDate = receivedDate
            self.status = status
            self.description = description
            self.originId = originId
            self.lineItems = lineItems
        }
    }

    /// A file for Procore's `attachments[]` (sent as `multipart/form-data`).
    public struct Upload: Hashable, Sendable {
        public var filename: String
        public var contentType: String
        public var data: Data

        public init(filename: String, contentType: String = "application/pdf", data: Data) {
            self.filename = filename
            self.contentType = contentType
            self.data = data
        }
    }

    public struct RequisitionWrite: Hashable, Sendable, Encodable {
        public var periodId: ID
        public var invoiceNumber: String?
        public var billingDate: Day?
        public var status: String?
        public var originId: String?
        /// v1.1: the items claimed, named by their commitment line, written with the requisition in one call.
        public var items: [Item]?

        public struct Item: Hashable, Sendable, Encodable {
            public var itemType: String
            public var lineItemId: ID
            public var workCompletedThisPeriod: Amount

            public init(itemType: String = "contract_item", lineItemId: ID, workCompletedThisPeriod: Amount) {
                self.itemType = itemType
                self.lineItemId = lineItemId
                self.workCompletedThisPeriod = workCompletedThisPeriod
            }
        }

        public init(periodId: ID, invoiceNumber: String?, billingDate: Day?, status: String? = "draft", originId: String?, items: [Item]? = nil) {
            self.periodId = periodId
            self.invoiceNumber = invoiceNumber
            self.billingDate = billingDate
            self.status = status
            self.originId = originId
            self.items = items
        }
    }

    public struct RequisitionItemWrite: Hashable, Sendable, Encodable {
        public var id: ID
        public var itemType: String
        public var workCompletedThisPeriod: Amount

        public init(id: ID, itemType: String = "contract_item", workCompletedThisPeriod: Amount) {
            self.id = id
            self.itemType = itemType
            self.workCompletedThisPeriod = workCompletedThisPeriod
        }
    }

    public struct VendorWrite: Hashable, Sendable, Encodable {
        public var id: ID?
        public var name: String?
        public var emailAddress: String?
        public var isActive: Bool?
        public var originId: String?

        public init(id: ID? = nil, name: String?, emailAddress: String? = nil, isActive: Bool? = nil, originId: String? = nil) {
            self.id = id
            self.name = name
            self.emailAddress = emailAddress
            self.isActive = isActive
            self.originId = originId
        }
    }

    public struct LineItemTypeWrite: Hashable, Sendable, Encodable {
        public var id: ID?
        public var name: String?
        public var csvImportCode: String?
        public var baseType: String?
        public var originId: String?

        public init(id: ID? = nil, name: String?, csvImportCode: String?, baseType: String? = "other", originId: String? = nil) {
            self.id = id
            self.name = name
            self.csvImportCode = csvImportCode
            self.baseType = baseType
            self.originId = originId
        }
    }

    /// List filters shared by many endpoints.
    public struct ListFilter: Hashable, Sendable {
        public var updatedAt: ClosedRange<Date>?
        public var ids: [ID]
        public var originID: String?
        public var status: [String]
        public var includeDeleted: IncludeDeleted?
        /// Projects only: `filters[by_status]` = Active (Procore's default), Inactive or All.
        public var projectStatus: String?

        public enum IncludeDeleted: String, Sendable {
            case only, with
        }

        public init(
            updatedAt: ClosedRange<Date>? = nil, ids: [ID] = [], originID: String? = nil, status: [String] = [],
            includeDeleted: IncludeDeleted? = nil
        ) {
            self.updatedAt = updatedAt
            self.ids = ids
            self.originID = originID
            self.status = status
            self.includeDeleted = includeDeleted
        }

        public static let none = ListFilter()

        var queryItems: [Endpoint.QueryItem] {
            var items: [Endpoint.QueryItem] = []
            if let range = updatedAt {
                // Procore takes whole seconds: the start is cut down to its second and the end rounded up to the next,
                // so a record changed in the same second as the end is inside the range, not lost.
                let end = Date(timeIntervalSince1970: range.upperBound.timeIntervalSince1970.rounded(.up))
                items.append(.init("filters[updated_at]", "\(Self.stamp(range.lowerBound))...\(Self.stamp(end))"))
            }
            items += ids.map { .init("filters[id][]", String($0)) }
            if let originID { items.append(.init("filters[origin_id]", originID)) }
            items += status.map { .init("filters[status]", $0) }
            if let projectStatus { items.append(.init("filters[by_status]", projectStatus)) }
            if let includeDeleted { items.append(.init("filters[include_deleted]", includeDeleted.rawValue)) }
            return items
        }

        static func stamp(_ date: Date) -> String {
            date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
        }
    }

    /// A budget code to create (or, when the combination exists, to update): its segment items.
    public struct WBSCodeWrite: Hashable, Sendable, Encodable {
        public struct SegmentItem: Hashable, Sendable, Encodable {
            public var segmentId: ID
            public var segmentItemId: ID
            public init(segmentId: ID, segmentItemId: ID) {
                self.segmentId = segmentId
                self.segmentItemId = segmentItemId
            }
        }

        public var description: String?
        public var segmentItems: [SegmentItem]

        public init(description: String? = nil, segmentItems: [SegmentItem]) {
            self.description = description
            self.segmentItems = segmentItems
        }
    }
}
