import FluentKit

/// Every migration, in order. Append only: a released migration is never edited (add a new numbered one instead).
/// Shared by the app, the CLI and the tests.
public enum LentuneMigrations {
    public static let all: [any Migration] = [
        // 0001
        CreateOrganisationsAndUsers(),
        // 0002
        CreateProcoreConnections(),
        // 0003
        CreateReferenceData(),
        // 0004
        CreatePurchaseOrdersAndInvoices(),
        // 0005
        CreateAPITokensAndOAuthState(),
        // 0006
        UpdatePurchaseOrdersAddSyncStateAndIndexes(),
        // 0007
        CreatePurchaseOrderSearchIndexes(),
        // 0008
        UpdatePurchaseOrdersAddRequestKey(),
        // 0009
        CreateSignInFailures(),
        // 0010
        UpdatePurchaseOrderListIndexesAddID(),
        // 0011
        UpdateProcoreCompanyLinksAddAvailableStages(),
        // 0012
        CreateOutboxAndWebhookEvents(),
        // 0013
        UpdateSuppliersMatchKeysAddSupplierMappings(),
        // 0014
        CreateTaxMappings(),
        // 0015
        UpdatePurchaseOrdersAddDeletedInProcore(),
        // 0016
        UpdateOutboxJobsAddRerun(),
        // 0017
        UpdateInvoicesForCapture(),
        // 0018
        UpdateWebhookEventsDropForeignKeys(),
        // 0020 (issue 26)
        CreateProcoreBudgetCodes(),
        // 0021 (0019 and 0020 are taken by work in progress on other branches)
        CreateProcoreReferenceLinks(),
        // 0022
        UpdateInvoicesAddRequestKey(),
        // 0023 (issue 25)
        UpdateSyncRecordsAddTarget(),
        // 0024 (issue 29)
        UpdateAuditEventsAddEntity(),
        // 0025 (issue 29)
        UpdateUsersAddDeactivatedAt(),
    ]
}
