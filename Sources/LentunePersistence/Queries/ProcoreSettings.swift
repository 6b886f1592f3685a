import FluentKit
import FluentSQL
import Foundation
import LentuneCore

/// Procore connections and the Procore company list.
public enum ProcoreSettings {
    public static func connection(for organisation: Organisation.ID, on db: any Database) async throws -> StoredConnection? {
        try await ProcoreConnectionRecord.scoped(to: organisation, on: db).first().map(StoredConnection.init)
    }

    public static func companyLinks(for organisation: Organisation.ID, on db: any Database) async throws
        -> [ProcoreCompanyLink]
    {
        try await ProcoreCompanyLinkRecord.scoped(to: organisation, on: db).sort(\.$name).all().map(\.domain)
    }

    public static func insert(_ link: ProcoreCompanyLink, on db: any Database) async throws {
        try await db.writeTransaction { db in
            try await ProcoreCompanyLinkRecord(link).create(on: db)
        }
    }

    /// A row of the company list with the version the editor saw.
    public struct Row: Sendable, Hashable {
        public var link: ProcoreCompanyLink
        public var version: Int
    }

    public static func rows(for organisation: Organisation.ID, on db: any Database) async throws -> [Row] {
        try await ProcoreCompanyLinkRecord.scoped(to: organisation, on: db).sort(\.$name).all()
            .map { Row(link: $0.domain, version: $0.version) }
    }

    public static func row(_ id: ProcoreCompanyLink.ID, in organisation: Organisation.ID, on db: any Database) async throws -> Row? {
        try await ProcoreCompanyLinkRecord.find(id.rawValue, in: organisation, on: db).map { Row(link: $0.domain, version: $0.version) }
    }

    public enum SaveError: Error, Equatable {
        /// Someone saved the row since `expected` was read: nothing was stored.
        case staleVersion(current: Int)
        case notFound
    }

    /// Saves one row if it is still at `expectedVersion` (optimistic concurrency), and writes its audit event in
    /// the same transaction. The version check and the write are one `UPDATE … WHERE version = ?`, so two
    /// administrators saving at once cannot both win.
    public static func save(
        _ link: ProcoreCompanyLink, expectedVersion: Int, actor: User, now: Date, on db: any Database
    ) async throws -> Row {
        try await db.writeTransaction { tx in
            guard let current = try await ProcoreCompanyLinkRecord.find(link.id.rawValue, in: link.organisationID, on: tx) else {
                throw SaveError.notFound
            }
            let before = current.domain
            let sql = tx as! any SQLDatabase
            let updated = try await sql.update(ProcoreCompanyLinkRecord.schema)
                .set("is_linked", to: link.isLinked)
                .set("purchase_order_source", to: link.purchaseOrderSource.rawValue)
                .set("project_stages", to: link.projectStages.joined(separator: "\n"))
                .set("rounding_tolerance_cents", to: try Scaled.money(link.roundingTolerance))
                .set("version", to: SQLBinaryExpression(SQLIdentifier("version"), .add, SQLLiteral.numeric("1")))
                .set("updated_at", to: now)
                .where("id", .equal, link.id.rawValue)
                .where("organisation_id", .equal, link.organisationID.rawValue)
                .where("version", .equal, expectedVersion)
                .returning("id")
                .all()
            guard !updated.isEmpty else { throw SaveError.staleVersion(current: current.version) }
            try await queueWork(SyncPlan.steps(before: before, after: link), for: link, now: now, on: tx)
            try await AuditLog.record(
                AuditEvent(
                    organisationID: link.organisationID, actorID: actor.id, actorEmail: actor.email, occurredAt: now,
                    action: "procore.company.updated", subject: "Procore company \(before.name) (#\(before.procoreCompanyID))",
                    before: describe(before), after: describe(link)),
                on: tx)
            return Row(link: link, version: expectedVersion + 1)
        }
    }

    /// Writes the jobs a saved row implies (inside the save's transaction, so the change and its work commit together).
    static func queueWork(_ steps: [SyncPlan.Step], for link: ProcoreCompanyLink, now: Date, on tx: any Database) async throws {
        for step in steps {
            switch step {
            case .queue(let kind):
                try await Outbox.enqueue(.companyWide(kind, of: link, now: now), on: tx)
            case .cancelPurchaseOrderWork(let reason):
                _ = try await Outbox.cancelPending(
                    kinds: SyncJob.Kind.allCases.filter(\.isPurchaseOrderWork), companyLink: link.id, reason: reason, now: now, on: tx)
            case .pushOpenPurchaseOrders:
                for po in try await openLentunePurchaseOrders(of: link, on: tx) {
                    try await Outbox.enqueue(.push(.init(po), organisation: link.organisationID, companyLink: link.id, now: now), on: tx)
                    try await SyncLedger.record(.pending(error: nil), .purchaseOrder, po, organisation: link.organisationID, now: now, on: tx)
                }
            }
        }
    }

    /// Lentune-created POs of the row's projects that a switch to Lentune purchase order sends: the approved ones (a
    /// draft is sent when it is approved), and the closed ones Procore has a commitment of (closed while the company
    /// was on neither, their commitments are still Approved in Procore; Lentune is their master again).
    static func openLentunePurchaseOrders(of link: ProcoreCompanyLink, on db: any Database) async throws -> [UUID] {
        let projects = try await ProjectRecord.scoped(to: link.organisationID, on: db)
            .filter(\.$procoreCompanyLinkID == link.id.rawValue).all().compactMap(\.id)
        guard !projects.isEmpty else { return [] }
        return try await PurchaseOrderRecord.scoped(to: link.organisationID, on: db)
            .filter(\.$projectID ~~ projects)
            .filter(\.$origin == PurchaseOrder.Origin.lentune.rawValue)
            .group(.or) { either in
                either.filter(\.$status == PurchaseOrder.Status.approved.rawValue)
                    .group(.and) { sent in sent.filter(\.$status == PurchaseOrder.Status.closed.rawValue).filter(\.$procoreCommitmentID != nil) }
            }
            .all().compactMap(\.id)
    }

    /// Lentune-created POs of the row's projects that should be in Procore and whose push is not done: approved ones,
    /// and closed ones that were sent or queued before (a PO closed while its company was on neither stays Lentune's
    /// alone, as a switch to Lentune purchase order sends open POs only), whose ledger says not sent, pending or
    /// skipped. A failed push waits for a person's Retry. The sweep queues a push for each that has none waiting.
    public static func unsentLentunePurchaseOrders(of link: ProcoreCompanyLink, on db: any Database) async throws -> [UUID] {
        let rows = try await (db as! any SQLDatabase).raw("""
            SELECT p.id, p.status, s.state, p.procore_commitment_id FROM purchase_orders p
            JOIN projects j ON j.id = p.project_id
            LEFT JOIN sync_records s ON s.entity_id = p.id AND s.entity_kind = 'purchase_order' AND s.direction = 'push'
            WHERE p.organisation_id = \(bind: link.organisationID.rawValue) AND j.procore_company_link_id = \(bind: link.id.rawValue)
                AND p.origin = 'lentune' AND p.status IN ('approved', 'closed')
            """).all()
        return try rows.compactMap { row in
            let state = try row.decode(column: "state", as: String?.self)
            let commitment = try row.decode(column: "procore_commitment_id", as: Int64?.self)
            let sentBefore = state != nil || commitment != nil
            guard [nil, "not_synced", "pending", "skipped"].contains(state) else { return nil }
            guard try row.decode(column: "status", as: String.self) == "approved" || sentBefore else { return nil }
            return try row.decode(column: "id", as: UUID.self)
        }
    }

    /// "Lentune purchase order: ticked, Procore purchase order: not ticked, linked, stages: …, tolerance 0.05"
    public static func describe(_ link: ProcoreCompanyLink) -> String {
        [
            "Lentune purchase order: \(link.purchaseOrderSource.lentuneTicked ? "ticked" : "not ticked")",
            "Procore purchase order: \(link.purchaseOrderSource.procoreTicked ? "ticked" : "not ticked")",
            link.isLinked ? "linked" : "not linked",
            "stages: \(link.projectStages.joined(separator: ", "))",
            "rounding tolerance: \(Money.format(link.roundingTolerance))",
        ].joined(separator: "; ")
    }

    /// The counts the confirmation page needs for one company.
    public static func facts(for link: ProcoreCompanyLink, on db: any Database) async throws -> SourceChange.Facts {
        let projects = try await ProjectRecord.scoped(to: link.organisationID, on: db)
            .filter(\.$procoreCompanyLinkID == link.id.rawValue).all()
        let projectIDs = projects.compactMap(\.id)
        let open = projectIDs.isEmpty ? 0 : try await PurchaseOrderRecord.scoped(to: link.organisationID, on: db)
            .filter(\.$projectID ~~ projectIDs)
            .filter(\.$origin == PurchaseOrder.Origin.lentune.rawValue)
            .filter(\.$status != PurchaseOrder.Status.closed.rawValue)
            .count()
        return SourceChange.Facts(openLentunePurchaseOrders: open, projects: projects.count)
    }
}

extension ProcoreSettings {
    /// The connection settings as a form submits them.
    public struct ConnectionInput: Sendable {
        public var environment: ProcoreEnvironment
        public var clientID: String
        /// `nil` keeps the stored secret (the field is write-only and left empty on the page).
        public var clientSecret: String?
        public var grantType: ProcoreGrantType
        public var redirectURI: URL?
        public var serviceCompanyID: Int64?

        public init(
            environment: ProcoreEnvironment, clientID: String, clientSecret: String?, grantType: ProcoreGrantType,
            redirectURI: URL?, serviceCompanyID: Int64?
        ) {
            self.environment = environment
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.grantType = grantType
            self.redirectURI = redirectURI
            self.serviceCompanyID = serviceCompanyID
        }
    }

    /// Creates or updates the organisation's connection. Changing the environment, client or secret forgets the
    /// tokens and marks the connection not connected until it is tested again. Audited without secrets.
    public static func saveConnection(
        _ input: ConnectionInput, organisation: Organisation.ID, actor: User, secrets: SecretBox, now: Date, on db: any Database
    ) async throws -> StoredConnection {
        try await db.writeTransaction { tx in
            let existing = try await ProcoreConnectionRecord.scoped(to: organisation, on: tx).first()
            let before = existing.map(describe)
            let record = try existing ?? ProcoreConnectionRecord(
                organisationID: organisation, environment: input.environment, clientID: input.clientID, sealedClientSecret: nil,
                grantType: input.grantType, redirectURI: input.redirectURI, sealedWebhookSecret: secrets.seal(randomSecret()))
            let credentialsChanged =
                existing == nil || record.clientID != input.clientID || input.clientSecret != nil
                || record.domain.environment != input.environment || record.grantType != input.grantType.rawValue
            record.set(environment: input.environment)
            record.clientID = input.clientID
            if let secret = input.clientSecret { record.sealedClientSecret = try secrets.seal(secret) }
            record.grantType = input.grantType.rawValue
            record.redirectURI = input.redirectURI?.absoluteString
            record.serviceCompanyID = input.serviceCompanyID
            if credentialsChanged {
                record.sealedAccessToken = nil
                record.sealedRefreshToken = nil
                record.tokenExpiresAt = nil
                record.status = ProcoreConnection.Status.notConnected.rawValue
                record.connectedAs = nil
            }
            try await record.save(on: tx)
            try await AuditLog.record(
                AuditEvent(
                    organisationID: organisation, actorID: actor.id, actorEmail: actor.email, occurredAt: now,
                    action: "procore.connection.updated", subject: "Procore connection",
                    before: before, after: describe(record) + (input.clientSecret != nil ? "; client secret changed" : "")),
                on: tx)
            return StoredConnection(record)
        }
    }

    /// Never includes a secret.
    static func describe(_ record: ProcoreConnectionRecord) -> String {
        let domain = record.domain
        var parts = ["environment: \(domain.environment.kind)", "client id: \(domain.clientID)", "grant: \(domain.grantType.rawValue)"]
        if case .custom(let auth, let api) = domain.environment { parts.append("URLs: \(auth.absoluteString), \(api.absoluteString)") }
        if let company = record.serviceCompanyID { parts.append("company id: \(company)") }
        return parts.joined(separator: "; ")
    }

    static func randomSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }
}

extension ProcoreSettings {
    /// Records Lentune's hook state on a company row (written by the hook jobs).
    public static func setHook(_ state: ProcoreCompanyLink.HookState, for link: ProcoreCompanyLink.ID, on db: any Database) async throws {
        try await db.writeTransaction { db in
            let (id, name, error): (String?, String?, String?) =
                switch state {
                case .notRegistered: (nil, nil, nil)
                case .registered(let hookID): (hookID, "registered", nil)
                case .partlyRegistered(let hookID, let refused): (hookID, "partly_registered", String(refused.prefix(2000)))
                case .failing(let reason): (nil, "failing", String(reason.prefix(2000)))
                }
            var query = ProcoreCompanyLinkRecord.query(on: db).filter(\.$id == link.rawValue)
                .set(\.$hookState, to: name).set(\.$hookError, to: error)
            // A failure keeps the id of a hook registered before, so it can still be removed.
            if case .failing = state {} else { query = query.set(\.$hookID, to: id) }
            try await query.update()
        }
    }

    /// A row by id, in any organisation (jobs carry the row's id and its organisation).
    public static func link(_ id: ProcoreCompanyLink.ID, on db: any Database) async throws -> ProcoreCompanyLink? {
        try await ProcoreCompanyLinkRecord.find(id.rawValue, on: db)?.domain
    }

    /// The hook id stored on a row, even while its state is failing.
    public static func storedHookID(_ id: ProcoreCompanyLink.ID, on db: any Database) async throws -> String? {
        try await ProcoreCompanyLinkRecord.find(id.rawValue, on: db)?.hookID
    }

    /// The connection a webhook names, with the Authorization value its deliveries must carry (decrypted here, only
    /// for the comparison).
    public static func webhookConnection(_ id: UUID, on db: any Database) async throws -> (connection: ProcoreConnection, sealedSecret: String)? {
        try await connection(id: id, on: db).map { ($0.domain, $0.sealedWebhookSecret) }
    }

    /// The linked row of a Procore company in an organisation.
    public static func linkedRow(procoreCompany: Int64, organisation: Organisation.ID, on db: any Database) async throws -> ProcoreCompanyLink? {
        try await ProcoreCompanyLinkRecord.scoped(to: organisation, on: db)
            .filter(\.$procoreCompanyID == procoreCompany).filter(\.$isLinked == true).first()?.domain
    }
}
