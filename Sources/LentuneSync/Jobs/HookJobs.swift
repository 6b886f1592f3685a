import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import ProcoreAPI

/// Lentune's webhook hook in a linked company (REST v2.0): one hook per company in the `lentune` namespace, pointing
/// at `POST /webhooks/procore/{connection}` with the connection's Authorization value, and the triggers Lentune needs.
public struct HookRegistration: Sendable {
    public static let namespace = "lentune"

    /// Resource → events Lentune subscribes to. Projects and Company Vendors offer no delete in Procore.
    public static let triggers: [(resource: String, events: [String])] = [
        ("Projects", ["create", "update"]),
        ("Company Vendors", ["create", "update"]),
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

    /// `hooks.register`: finds or creates the hook, adds the missing triggers, records the state on the row.
    public func register(_ job: SyncJob, _ ctx: JobContext) async throws {
        let (link, client, connection) = try await context(job, ctx)
        guard link.isLinked else { throw SyncError.cancelled("The company is no longer linked.") }
        do {
            let url = webhookURL(connection.connection.id.rawValue)
            let authorization = "Bearer " + (try secrets.open(connection.sealedSecret))
            let company = link.procoreCompanyID
            var hook = try await client.hooks(company, Self.namespace).first { $0.destinationUrl == url }
            if hook == nil {
                hook = try await client.createHook(company, Self.namespace, url, authorization)
            }
            let hookID = hook!.id
            let existing = Set(try await client.triggers(company, hookID).map { "\($0.resourceName)|\($0.eventType.lowercased())" })
            for (resource, events) in Self.triggers {
                for event in events where !existing.contains("\(resource)|\(event)") {
                    _ = try await client.createTrigger(company, hookID, resource, event)
                }
            }
            try await ProcoreSettings.setHook(.registered(hookID: String(hookID)), for: link.id, on: ctx.db)
        } catch {
            try? await ProcoreSettings.setHook(.failing(SyncError(any: error).description), for: link.id, on: ctx.db)
            throw error
        }
    }

    /// `hooks.unregister`: deletes Lentune's hook (and so its triggers) from the company.
    public func unregister(_ job: SyncJob, _ ctx: JobContext) async throws {
        let (link, client, connection) = try await context(job, ctx)
        let url = webhookURL(connection.connection.id.rawValue)
        var ids = Set(try await client.hooks(link.procoreCompanyID, Self.namespace).filter { $0.destinationUrl == url }.map(\.id))
        if let stored = try await ProcoreSettings.storedHookID(link.id, on: ctx.db).flatMap(Int64.init) { ids.insert(stored) }
        for id in ids { try await client.deleteHook(link.procoreCompanyID, id) }
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
