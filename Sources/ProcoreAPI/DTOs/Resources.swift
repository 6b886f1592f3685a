import Foundation

// DTOs for the resources Lentune reads. Unknown fields are ignored; optional fields may be absent or null.

extension Procore {
    public struct Me: Hashable, Sendable, Codable {
        public var id: ID
        public var login: String
        public var name: String?
    }

    public struct Company: Hashable, Sendable, Codable {
        public var id: ID
        public var name: String
        public var isActive: Bool?
    }

    public struct ProjectStage: Hashable, Sendable, Codable {
        public var id: ID
        public var name: String
        public var category: String?
        public var isBiddingStage: Bool?
    }

    public struct Project: Hashable, Sendable, Codable {
        public var id: ID
        public var name: String
        public var displayName: String?
        public var projectNumber: String?
        public var active: Bool?
        public var projectStage: Ref?
        public var company: Ref?
        public var originId: String?
        public var createdAt: Date?
        public var updatedAt: Date?
    }

    public struct Vendor: Hashable, Sendable, Codable {
        public var id: ID
        public var name: String
        public var abbreviatedName: String?
        public var isActive: Bool?
        public var emailAddress: String?
        public var originId: String?
        public var originCode: String?
        public var createdAt: Date?
        public var updatedAt: Date?
    }

    public struct CostCode: Hashable, Sendable, Codable {
        public var id: ID
        public var code: String?
        public var fullCode: String?
        public var name: String
        /// The project's or the sub job's name.
        public var biller: String?
        public var billerType: String?
        public var billerId: ID?
        public var parent: IDRef?
        public var originId: String?
        public var updatedAt: Date?
        public var deletedAt: Date?
    }

    public struct IDRef: Hashable, Sendable, Codable {
        public var id: ID
    }

    public struct LineItemType: Hashable, Sendable, Codable {
        public var id: ID
        public var name: String
        public var code: String?
        public var baseType: String?
        public var originId: String?
    }

    public struct TaxCode: Hashable, Sendable, Codable {
        public var id: ID
        public var code: String
        public var description: String?
        /// Percent: 15 for 15%.
        public var rate1: Amount?
        public var archived: Bool?
        public var originId: String?
    }

    public struct UnitOfMeasure: Hashable, Sendable, Codable {
        public var id: ID
        public var name: String
        public var description: String?
    }

    public struct PurchaseOrderContract: Hashable, Sendable, Codable {
        /// Procore's statuses are Title Case with spaces.
        public enum Status: String, Hashable, Sendable, Codable, CaseIterable {
            case draft = "Draft"
            case processing = "Processing"
            case submitted = "Submitted"
            case partiallyReceived = "Partially Received"
            case received = "Received"
            case approved = "Approved"
            case closed = "Closed"
        }

        public struct VendorRef: Hashable, Sendable, Codable {
            public var id: ID
            public var company: String?
            public var originId: String?
        }

        public var id: ID
        public var number: String?
        public var title: String?
        public var status: Status
        public var executed: Bool?
        public var description: String?
        public var vendor: VendorRef?
        public var project: Ref?
        public var grandTotal: Amount?
        public var deliveryDate: Day?
        public var paymentTerms: String?
        public var originId: String?
        public var originData: String?
        public var originCode: String?
        public var createdAt: Date?
        public var updatedAt: Date?
        public var deletedAt: Date?
        /// Present on show, create and update answers.
        public var lineItems: [LineItem]?
    }

    public struct LineItem: Hashable, Sendable, Codable {
        public struct CostCodeRef: Hashable, Sendable, Codable {
            public var id: ID
            public var fullCode: String?
            public var name: String?
        }

        public var id: ID
        public var amount: Amount
        public var description: String?
        public var quantity: Amount?
        public var unitCost: Amount?
        public var uom: String?
        public var extendedType: String?
        public var position: Int64?
        public var taxCodeId: ID?
        public var costCode: CostCodeRef?
        public var lineItemType: LineItemType?
        /// The budget code the line is coded to (Procore resolves it from `wbs_code_id` or cost code + cost type).
        public var wbsCode: WBSCodeRef?
        public var originId: String?
        public var updatedAt: Date?
    }

    /// A budget code as line items carry it.
    public struct WBSCodeRef: Hashable, Sendable, Codable {
        public var id: ID
        public var flatCode: String?
        public var description: String?
    }

    /// A project's budget code (Work Breakdown Structure code): a combination of segment items (sub job, cost code,
    /// cost type).
    public struct WBSCode: Hashable, Sendable, Codable {
        public struct SegmentItem: Hashable, Sendable, Codable {
            public struct Segment: Hashable, Sendable, Codable {
                public var id: ID
                public var name: String?
                /// cost_code, line_item_type, sub_job or custom
                public var type: String?
            }

            public var id: ID
            public var code: String?
            public var name: String?
            public var segment: Segment
        }

        public var id: ID
        public var flatCode: String
        public var flatName: String?
        public var description: String?
        public var status: String?
        public var segmentItems: [SegmentItem]

        /// The segment item of a segment type (`cost_code`, `line_item_type`, `sub_job`).
        public func item(ofType type: String) -> SegmentItem? { segmentItems.first { $0.segment.type == type } }
    }

    /// A direct cost as Procore's show, create and update answer it (with its lines and attachments).
    public struct DirectCost: Hashable, Sendable, Codable {
        public var id: ID
        public var directCostType: String
        public var invoiceNumber: String?
        public var directCostDate: Day?
        public var status: String?
        public var description: String?
        public var vendorName: String?
        public var grandTotal: Amount?
        public var originId: String?
        public var createdAt: Date?
        public var updatedAt: Date?
        public var lineItems: [LineItem]?
        public var taxBreakdown: TaxBreakdown?
        public var attachments: [Attachment]?

        /// Procore's attachment: `{id, url, filename}`.
        public struct Attachment: Hashable, Sendable, Codable {
            public var id: ID?
            public var url: String?
            public var filename: String?
        }

        public struct TaxBreakdown: Hashable, Sendable, Codable {
            public var subtotal: Amount?
            public var taxTotal: Amount?
            public var grandTotal: Amount?
        }
    }

    /// A direct cost as Procore's v1.1 list gives it: no lines, no attachments.
    public struct DirectCostSummary: Hashable, Sendable, Codable {
        public var id: ID
        public var directCostType: String?
        public var invoiceNumber: String?
        public var directCostDate: Day?
        public var status: String?
        public var grandTotal: Amount?
        public var originId: String?
        public var updatedAt: Date?
    }

    public struct BillingPeriod: Hashable, Sendable, Codable {
        public var id: ID
        public var position: Int64?
        public var startDate: Day
        public var endDate: Day
        public var dueDate: Day?
        public var status: String
    }

    public struct Requisition: Hashable, Sendable, Codable {
        public var id: ID
        public var number: Int64?
        public var commitmentId: ID
        public var periodId: ID?
        public var invoiceNumber: String?
        public var status: String
        public var originId: String?
        public var totalClaimedAmount: Amount?
        public var percentComplete: Amount?
        public var summary: Summary?
        public var items: [Item]?
        public var createdAt: Date?
        public var updatedAt: Date?

        public struct Summary: Hashable, Sendable, Codable {
            public var originalContractSum: Amount?
            public var totalCompletedAndStoredToDate: Amount?
            public var currentPaymentDue: Amount?
        }

        public struct Item: Hashable, Sendable, Codable {
            public var id: ID
            public var itemType: String
            public var lineItemId: ID?
            public var position: Int64?
            public var descriptionOfWork: String?
            public var wbsCode: WBSCodeRef?
            public var scheduledValue: Amount?
            public var workCompletedFromPreviousApplication: Amount?
            public var workCompletedThisPeriod: Amount?
            public var totalCompletedAndStoredToDate: Amount?
            public var netAmount: Amount?
        }
    }

    /// The `{entities, errors}` answer of every sync action.
    public struct SyncResult<Entity: Decodable & Sendable>: Sendable, Decodable {
        public var entities: [Entity]
        public var errors: [ItemError]

        public struct ItemError: Sendable, Decodable, Hashable {
            /// The submitted item's `origin_id` or `id`, to tell which item failed.
            public var id: ID?
            public var originId: String?
            public var errors: [String: [String]]
        }
    }
}
