import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import ProcoreAPI

/// Lentune's webhook hooks in a linked company (REST v2.0), in the `lentune` namespace, pointing at
/// `POST /webhooks/procore/{connection}` with the connection's Authorization value.
///
/// Procore offers each webhook resource at one level (its company and project resource lists, reference §11.6):
/// Projects and Company Vendors on the company's hook; Purchase Order Contracts and their line items only on a
/// project's hook. So the company gets one hook for the company resources, and, while it is on Procore purchase
/// order (the only mode that reads commitments), each linked project gets a hook for the commitment resources
/// (issue 26). A trigger Procore refuses is recorded on the company row; the sweep reads those resources anyway.
public struct HookRegistration: Sendable {
    public static let namespace = "lentune"

    /// Resource → events on the company's hook. Projects and Company Vendors offer no delete in Procore.
    public static let companyTriggers: [(resource: String, events: [String])] = [
        ("Projects", ["create", "update"]),
        ("Company Vendors", ["create", "update"]),
    ]

    /// Resource → events on each linked project's hook (company on Procore purchase order).
    public static let projectTriggers: [(resource: String, events: [String])] = [
        ("Purchase Order Contracts", ["create", "update", "delete"]),
        ("Purchase Order Contract Line Items", ["create", "update", "delete"]),
    ]

    /// Where Procore delivers for a connection (the address the settings page shows).
    public var webhookURL: @Sendable (UUID) -> String
    public var secrets: SecretBox

    public init(webhookURL: @escaping @Sendable (UUID) -> String, secrets: SecretBox) {
        self.webhookURL = webhookURL
        self.secrets = secrets
    }

    /// `hooks.register`: finds or creates each hook, adds the missing triggers, records the state on the row.
    public func register(_ job: SyncJob, _ ctx: JobContext) async throws {
        let (link, client, connection) = try await context(job, ctx)
        guard link.isLinked else { throw SyncError.cancelled("The company is no longer linked.") }
        do {
            let url = webhookURL(connection.connection.id.rawValue)
            let authorization = "Bearer " + (try secrets.open(connection.sealedSecret))
            let company = link.procoreCompanyID
            let hook = try await ensureHook(client, company: company, project: nil, url: url, authorization: authorization)
            var refused = try await ensureTriggers(client, company: company, project: nil, hook: hook, Self.companyTriggers).refused
            var commitmentTriggersAdded = 0
            if link.purchaseOrderSource == .procore {
                for project in try await ProcoreSettings.linkedProcoreProjects(of: link, on: ctx.db, activeOnly: true) {
                    let projectHook = try await ensureHook(client, company: company, project: project, url: url, authorization: authorization)
                    let outcome = try await ensureTriggers(client, company: company, project: project, hook: projectHook, Self.projectTriggers)
                    refused += outcome.refused
                    commitmentTriggersAdded += outcome.added
                }
            }
            // Subscribe, then read: a commitment changed after the import read its project but before that project's
            // trigger existed reaches Lentune by no webhook. So when triggers were added, the commitments are read
            // (again) now that every later change is delivered; the import queued with the switch may have run
            // before, or may still be running (then it runs once more).
            if commitmentTriggersAdded > 0 {
                try await Outbox.enqueue(.companyWide(.importPurchaseOrders, of: link, now: ctx.now()), on: ctx.db)
            }
            let state: ProcoreCompanyLink.HookState =
                refused.isEmpty
                ? .registered(hookID: String(hook))
                : .partlyRegistered(
                    hookID: String(hook),
                    refused: "Procore refused \(refused.count == 1 ? "a trigger" : "\(refused.count) triggers"): \(refused.joined(separator: "; ")). "
                        + "Lentune's sweep reads those changes instead (every 15 minutes).")
            try await ProcoreSettings.setHook(state, for: link.id, on: ctx.db)
        } catch {
            try? await ProcoreSettings.setHook(.failing(SyncError(any: error).description), for: link.id, on: ctx.db)
            throw error
        }
    }

    /// Lentune's hook (by its destination) in the company or the project, created when missing.
    func ensureHook(_ client: Procore.Client, company: ProcoreID, project: ProcoreID?, url: String, authorization: String) async throws -> ProcoreID {
        if let hook = try await client.hooks(company: company, project: project, namespace: Self.namespace).first(where: { $0.destinationUrl == url }) {
            return hook.id
        }
        return try await client.createHook(
            company: company, project: project, namespace: Self.namespace, destinationURL: url, authorization: authorization).id
    }

    /// Adds the triggers the hook lacks; answers how many it added and the ones Procore refused, each with its
    /// reason. A hook's triggers are compared by event (Procore answers `CREATED` for a trigger created as `create`).
    func ensureTriggers(
        _ client: Procore.Client, company: ProcoreID, project: ProcoreID?, hook: ProcoreID, _ wanted: [(resource: String, events: [String])]
    ) async throws -> (added: Int, refused: [String]) {
        let existing = Set(try await client.triggers(company, project, hook).map { "\($0.resourceName)|\($0.eventType)" })
        var added = 0
        var refused: [String] = []
        for (resource, events) in wanted {
            for event in events where !existing.contains("\(resource)|\(event)") {
                do throws(Procore.Error) {
                    _ = try await client.createTrigger(company: company, project: project, hook: hook, resourceName: resource, eventType: event)
                    added += 1
                } catch {
                    guard error.isRefusal || { if case .status(403, _, _) = error { true } else { false } }() else { throw error }
                    refused.append("\(resource) \(event)\(project.map { " in project \($0)" } ?? "") (\(error.description))")
                }
            }
        }
        return (added, refused)
    }

    /// `hooks.unregister`: deletes Lentune's hooks (and so their triggers) from the company and its linked projects.
    public func unregister(_ job: SyncJob, _ ctx: JobContext) async throws {
        let (link, client, connection) = try await context(job, ctx)
        let url = webhookURL(connection.connection.id.rawValue)
        let company = link.procoreCompanyID
        var ids = Set(try await client.hooks(company: company, namespace: Self.namespace).filter { $0.destinationUrl == url }.map(\.id))
        if let stored = try await ProcoreSettings.storedHookID(link.id, on: ctx.db).flatMap(Int64.init) { ids.insert(stored) }
        for id in ids { try await client.deleteHook(company, nil, id) }
        for project in try await ProcoreSettings.linkedProcoreProjects(of: link, on: ctx.db) {
            for hook in try await client.hooks(company: company, project: project, namespace: Self.namespace) where hook.destinationUrl == url {
                try await client.deleteHook(company, project, hook.id)
            }
        }
        try await ProcoreSettings.setHook(.notRegistered, for: link.id, on: ctx.db)
    }

    func context(_ job: SyncJob, _ ctx: JobContext) async throws
        -> (ProcoreCompanyLink, Procore.Client, (connection: ProcoreConnection, sealedSecret: String))
    {
        guard let linkID = job.companyLinkID, let link = try await ProcoreSettings.link(linkID, on: ctx.db) else {
            throw SyncError.cancelled("The company row no longer exists.")
        }
        guard let connection = try await ProcoreSettings.webhookConnection(link.connectionID.rawValue, on: ctx.db) else {
            throw SyncError.cancelled("The connection no longer exists.")
        }
        let client = try await ctx.sessions.client(organisation: link.organisationID, company: link.procoreCompanyID, on: ctx.db)
        return (link, client, connection)
    }
}
