import Foundation

// The sandbox's stored records. Field names follow Procore's; JSON shapes are produced in Routes/*+JSON.

public struct SandboxUser: Codable, Sendable {
    public var id: Int64
    public var login: String
    public var name: String
}

public struct OAuthClient: Codable, Sendable {
    public var clientID: String
    public var clientSecret: String
    public var name: String
    public var redirectURIs: [String]
    /// The service account (client credentials) or, for the authorization code grant, the user who consents.
    public var userID: Int64
    /// Companies the client's tokens may reach.
    public var companyIDs: [Int64]
}

public struct OAuthToken: Codable, Sendable {
    public var accessToken: String
    public var refreshToken: String?
    public var clientID: String
    public var userID: Int64
    public var createdAt: Date
    public var expiresAt: Date
    public var revoked = false
}

public struct AuthorizationCode: Codable, Sendable {
    public var code: String
    public var clientID: String
    public var redirectURI: String
    public var userID: Int64
    public var expiresAt: Date
    public var used = false
}

public struct Company: Codable, Sendable {
    public var id: Int64
    public var name: String
    public var isActive = true
}

public struct ProjectStage: Codable, Sendable {
    public var id: Int64
    public var companyID: Int64
    public var name: String
    public var category: String
    public var isBiddingStage = false
}

public struct Project: Codable, Sendable {
    public var id: Int64
    public var companyID: Int64
    public var name: String
    public var projectNumber: String?
    public var stageID: Int64?
    public var active = true
    public var address: String?
    public var city: String?
    public var countryCode: String? = "NZ"
    public var timeZone: String? = "Auckland"
    public var originID: String?
    public var originData: String?
    public var originCode: String?
    /// Other writable attributes Procore keeps as text (state_code, zip, county, phone, description, start_date, …),
    /// by field name. `nil` in state files written before they existed.
    public var attributes: [String: String]?
    /// Whether line items must name an existing budget code (WBS code) here: a cost code + cost type pair that forms
    /// none is refused instead of creating one. `nil` (older state files) means not required.
    public var budgetCodesRequired: Bool?
    public var createdAt: Date
    public var updatedAt: Date
}

public struct Vendor: Codable, Sendable {
    public var id: Int64
    public var companyID: Int64
    public var name: String
    public var abbreviatedName: String?
    public var isActive = true
    public var emailAddress: String?
    public var businessPhone: String?
    public var address: String?
    public var city: String?
    public var countryCode: String?
    public var originID: String?
    public var originData: String?
    public var originCode: String?
    public var projectIDs: [Int64] = []
    public var createdAt: Date
    public var updatedAt: Date
}

public struct CostCode: Codable, Sendable {
    public var id: Int64
    public var companyID: Int64
    public var projectID: Int64
    /// A sub job the code belongs to (its biller), if any.
    public var subJobID: Int64?
    public var parentID: Int64?
    public var code: String
    public var name: String
    public var position: Int64?
    public var originID: String?
    public var originData: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var deletedAt: Date?
}

public struct SubJob: Codable, Sendable {
    public var id: Int64
    public var projectID: Int64
    public var code: String
    public var name: String
}

public struct LineItemType: Codable, Sendable {
    public var id: Int64
    public var companyID: Int64
    public var name: String
    public var code: String?
    public var baseType: String
    public var originID: String?
    public var originData: String?
    public var createdAt: Date
    public var updatedAt: Date
}

public struct TaxCode: Codable, Sendable {
    public var id: Int64
    public var companyID: Int64
    public var code: String
    public var description: String?
    /// Percent, e.g. 15 for GST at 15%.
    public var rate1: Decimal
    public var archived = false
    public var defaultTaxCode = false
    public var originID: String?
    public var originData: String?
    public var createdAt: Date
    public var updatedAt: Date
}

public struct UnitOfMeasure: Codable, Sendable {
    public var id: Int64
    public var companyID: Int64
    public var name: String
    public var description: String?
    public var isStandard = true
    public var category: String
}

public struct PurchaseOrderContract: Codable, Sendable {
    public static let statuses = ["Draft", "Processing", "Submitted", "Partially Received", "Received", "Approved", "Closed"]

    public var id: Int64
    public var companyID: Int64
    public var projectID: Int64
    public var number: String
    public var title: String?
    public var status: String
    public var vendorID: Int64?
    public var executed = false
    public var description: String?
    public var accountingMethod = "amount"
    public var assigneeID: Int64?
    public var billToAddress: String?
    public var shipToAddress: String?
    public var shipVia: String?
    public var paymentTerms: String?
    public var dates: [String: String] = [:]
    public var retainagePercent: String?
    public var isPrivate = false
    public var originID: String?
    public var originData: String?
    public var originCode: String?
    public var createdByID: Int64
    public var createdAt: Date
    public var updatedAt: Date
    public var deletedAt: Date?

    public static let dateFields = [
        "contract_date", "delivery_date", "execution_date", "issued_on_date", "letter_of_intent_date", "returned_date",
        "approval_letter_date", "signed_contract_received_date",
    ]
}

/// A line item of a PO (schedule of values) or of a direct cost.
public struct LineItem: Codable, Sendable {
    public var id: Int64
    public var holderID: Int64
    public var companyID: Int64
    public var projectID: Int64
    public var description: String?
    public var costCodeID: Int64?
    public var lineItemTypeID: Int64?
    /// The budget code the line resolved to (from `wbs_code_id`, or from its cost code and cost type).
    public var wbsCodeID: Int64?
    public var taxCodeID: Int64?
    public var quantity: Decimal?
    public var unitCost: Decimal?
    public var uom: String?
    public var extendedType: String
    public var amount: Decimal
    public var position: Int64
    public var originID: String?
    public var originData: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var deletedAt: Date?
}

/// A budget code (WBS code) of a project: one combination of segment items. The sandbox has three segments
/// (`WBSSegment`): sub job (optional), cost code and cost type; a segment item's id is the id of the sub job, cost code
/// or line item type it stands for.
public struct WBSCode: Codable, Sendable {
    public var id: Int64
    public var companyID: Int64
    public var projectID: Int64
    public var subJobID: Int64?
    public var costCodeID: Int64
    public var lineItemTypeID: Int64
    public var description: String?
    /// active or inactive
    public var status = "active"
    public var createdAt: Date
    public var updatedAt: Date
}

public enum WBSSegment: Int64, CaseIterable, Sendable {
    case subJob = 1
    case costCode = 2
    case costType = 3

    public var name: String {
        switch self {
        case .subJob: "Sub Job"
        case .costCode: "Cost Code"
        case .costType: "Cost Type"
        }
    }

    public var type: String {
        switch self {
        case .subJob: "sub_job"
        case .costCode: "cost_code"
        case .costType: "line_item_type"
        }
    }
}

public struct DirectCost: Codable, Sendable {
    public static let types = ["invoice", "expense", "payroll", "subcontractor_invoice"]
    public static let statuses = ["draft", "pending", "revise_and_resubmit", "approved"]

    public var id: Int64
    public var companyID: Int64
    public var projectID: Int64
    public var directCostType: String
    public var vendorID: Int64?
    public var invoiceNumber: String?
    public var directCostDate: String?
    public var receivedDate: String?
    public var paymentDate: String?
    public var status: String
    public var description: String?
    public var terms: String?
    public var employeeID: Int64?
    public var originID: String?
    public var originData: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var deletedAt: Date?
    /// Files uploaded with `attachments[]` (multipart), kept whole so a test can compare them.
    public var attachments: [Attachment]? = nil
}

/// A file attached to a Procore record.
public struct Attachment: Codable, Sendable {
    public var id: Int64
    public var filename: String
    public var contentType: String
    public var data: Data
}

public struct BillingPeriod: Codable, Sendable {
    public var id: Int64
    public var projectID: Int64
    public var position: Int64
    public var startDate: String
    public var endDate: String
    public var dueDate: String
    public var status: String
    public var createdAt: Date
    public var updatedAt: Date
}

public struct Requisition: Codable, Sendable {
    public static let statuses = [
        "draft", "under_review", "revise_and_resubmit", "approved", "approved_as_noted", "pending_owner_approval",
    ]

    public var id: Int64
    public var companyID: Int64
    public var projectID: Int64
    public var commitmentID: Int64
    public var number: Int64
    public var periodID: Int64
    public var requisitionStart: String?
    public var requisitionEnd: String?
    public var billingDate: String?
    public var invoiceNumber: String?
    public var final = false
    public var paymentDate: String?
    public var status: String
    public var comment: String?
    public var originID: String?
    public var originData: String?
    public var items: [RequisitionItem]
    public var createdAt: Date
    public var updatedAt: Date
}

public struct RequisitionItem: Codable, Sendable {
    public var id: Int64
    public var itemType: String
    public var lineItemID: Int64
    public var description: String?
    public var costCodeID: Int64?
    public var scheduledValue: Decimal
    public var workCompletedThisPeriod: Decimal = 0
    public var materialsPresentlyStored: Decimal = 0
    public var status: String = "no_action"
    public var comment: String?
}

public struct WebhookHook: Codable, Sendable {
    public var id: Int64
    public var companyID: Int64
    public var projectID: Int64?
    public var namespace: String
    public var destinationURL: String
    public var authorization: String?
    /// "v2", "v3.0" or "v4.0" (v1.0 hooks say "v2" in `api_version`).
    public var payloadVersion: String
    public var status = "active"
    public var ownerUserID: Int64
    public var createdAt: Date
    public var updatedAt: Date
}

public struct WebhookTrigger: Codable, Sendable {
    public var id: Int64
    public var hookID: Int64
    public var resourceName: String
    /// "create", "update" or "delete".
    public var eventType: String
    public var companyID: Int64
    public var projectID: Int64?
    public var userID: Int64
}

public struct WebhookDelivery: Codable, Sendable {
    public var id: Int64
    public var hookID: Int64
    public var eventID: Int64
    public var resourceName: String
    public var eventType: String
    public var payload: String
    /// enqueued, retrying, delivered, failed, discarded
    public var status: String
    public var attempts: [Attempt] = []
    public var createdAt: Date
    public var nextAttemptAt: Date

    public struct Attempt: Codable, Sendable {
        public var id: Int64
        public var success: Bool
        public var responseStatus: Int?
        public var responseBody: String?
        public var error: String?
        public var startedAt: Date
        public var completedAt: Date
    }
}
