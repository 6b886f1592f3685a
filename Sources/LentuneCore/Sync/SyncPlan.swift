import Foundation

/// What saving a row of the Procore company list sets in motion (DESIGN.md §1.1, issue 12): pure, so the command
/// that saves the row and the tests read the same rule.
public enum SyncPlan {
    public enum Step: Hashable, Sendable {
        /// Queue one job of this kind for the row (deduplicated per row and kind).
        case queue(SyncJob.Kind)
        /// Queue a push of every open Lentune PO of the row's projects.
        case pushOpenPurchaseOrders
        /// Cancel the row's pending PO jobs (pushes, pulls, imports) with this reason.
        case cancelPurchaseOrderWork(reason: String)
    }

    public static func steps(before: ProcoreCompanyLink, after: ProcoreCompanyLink) -> [Step] {
        var steps: [Step] = []
        switch (before.isLinked, after.isLinked) {
        case (false, true):
            steps += [.queue(.registerHooks), .queue(.syncReferenceData)]
            steps += purchaseOrderSteps(for: after.purchaseOrderSource, reason: "the company was linked")
        case (true, false):
            steps += [.queue(.unregisterHooks), .cancelPurchaseOrderWork(reason: "The company was unlinked.")]
        case (true, true):
            if before.purchaseOrderSource != after.purchaseOrderSource {
                steps += purchaseOrderSteps(for: after.purchaseOrderSource, reason: "the purchase-order setting changed")
            }
            if Set(before.projectStages) != Set(after.projectStages) { steps.append(.queue(.syncReferenceData)) }
        case (false, false):
            break
        }
        return steps
    }

    /// Switching to a source cancels the work of the others and starts its own.
    static func purchaseOrderSteps(for source: PurchaseOrderSource, reason: String) -> [Step] {
        switch source {
        case .lentune:
            [.cancelPurchaseOrderWork(reason: "Lentune purchase order is ticked now (\(reason)): nothing is read from Procore."),
             .pushOpenPurchaseOrders]
        case .procore:
            // The hooks again: commitment events come from a hook per linked project, registered on Procore purchase
            // order only (issue 26).
            [.cancelPurchaseOrderWork(reason: "Procore purchase order is ticked now (\(reason)): Lentune POs are not sent."),
             .queue(.importPurchaseOrders), .queue(.registerHooks)]
        case .none:
            [.cancelPurchaseOrderWork(reason: "Neither purchase-order box is ticked now (\(reason)): no PO sync.")]
        }
    }
}
