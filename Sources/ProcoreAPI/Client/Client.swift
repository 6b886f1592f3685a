import Foundation

extension Procore {
    /// Lentune's calls to Procore as a struct of closures (STYLE §3). `.live(session:)` talks to Procore through a
    /// `Session`; `.failing` fails every call with its endpoint's name; a test starts from `.failing` and replaces only
    /// the closures its code under test may call. Built once per connection in the composition root.
    ///
    /// The labelled methods in the extension below are what callers use; they add the defaults.
    public struct Client: Sendable {
        public var companyID: ID?

        // Reads
        public var me: @Sendable () async throws(Procore.Error) -> Me
        public var companies: @Sendable () -> Pages<Company>
        public var projects: @Sendable (_ company: ID, _ filter: ListFilter, _ perPage: Int) -> Pages<Project>
        public var projectStages: @Sendable (_ company: ID) -> Pages<ProjectStage>
        public var vendors: @Sendable (_ company: ID, _ filter: ListFilter, _ perPage: Int) -> Pages<Vendor>
        public var costCodes: @Sendable (_ project: ID, _ perPage: Int) -> Pages<CostCode>
        public var wbsCodes: @Sendable (_ project: ID) -> Pages<WBSCode>
        public var lineItemTypes: @Sendable (_ company: ID) -> Pages<LineItemType>
        public var taxCodes: @Sendable (_ company: ID) -> Pages<TaxCode>
        public var unitsOfMeasure: @Sendable (_ company: ID) -> Pages<UnitOfMeasure>
        public var purchaseOrders: @Sendable (_ project: ID, _ filter: ListFilter, _ perPage: Int) -> Pages<PurchaseOrderContract>
        public var purchaseOrder: @Sendable (_ project: ID, _ id: ID) async throws(Procore.Error) -> PurchaseOrderContract
        public var purchaseOrderLineItems: @Sendable (_ project: ID, _ purchaseOrder: ID) -> Pages<LineItem>
        public var directCosts: @Sendable (_ project: ID, _ filter: ListFilter) -> Pages<DirectCostSummary>
        public var billingPeriods: @Sendable (_ project: ID) -> Pages<BillingPeriod>
        public var requisitions: @Sendable (_ project: ID, _ filter: ListFilter, _ commitment: ID?) -> Pages<Requisition>

        // Webhooks (REST v2.0): a company's hooks (`project` nil) or a project's.
        public var hooks: @Sendable (_ company: ID, _ project: ID?, _ namespace: String) async throws(Procore.Error) -> [Hook]
        public var createHook:
            @Sendable (_ company: ID, _ project: ID?, _ namespace: String, _ destinationURL: String, _ authorization: String) async throws(Procore.Error) -> Hook
        public var createTrigger:
            @Sendable (_ company: ID, _ project: ID?, _ hook: ID, _ resourceName: String, _ eventType: String) async throws(Procore.Error) -> Trigger
        /// Deletes a hook and its triggers; a hook that is already gone counts as deleted.
        public var deleteHook: @Sendable (_ company: ID, _ project: ID?, _ hook: ID) async throws(Procore.Error) -> Void
        public var triggers: @Sendable (_ company: ID, _ project: ID?, _ hook: ID) async throws(Procore.Error) -> [Trigger]

        // Writes that are safe to repeat (upserts keyed by origin_id)
        public var syncPurchaseOrders:
            @Sendable (_ project: ID, _ items: [PurchaseOrderContractWrite]) async throws(Procore.Error) -> SyncResult<PurchaseOrderContract>
        public var syncPurchaseOrderLineItems:
            @Sendable (_ project: ID, _ purchaseOrder: ID, _ items: [LineItemWrite]) async throws(Procore.Error) -> SyncResult<LineItem>
        public var syncVendors: @Sendable (_ company: ID, _ items: [VendorWrite]) async throws(Procore.Error) -> SyncResult<Vendor>
        public var syncLineItemTypes:
            @Sendable (_ company: ID, _ items: [LineItemTypeWrite]) async throws(Procore.Error) -> SyncResult<LineItemType>
        /// Creates a budget code, or updates the one with the same segment items (so it is safe to repeat).
        public var upsertWBSCode: @Sendable (_ project: ID, _ code: WBSCodeWrite) async throws(Procore.Error) -> WBSCode

        // Creates (never blindly re-POSTed)
        public var createPurchaseOrder:
            @Sendable (_ project: ID, _ po: PurchaseOrderContractWrite) async throws(Procore.Error) -> PurchaseOrderContract
        /// Creates a direct cost with its attachments in one request. `mayExist`: an earlier attempt may have created
        /// it (its answer lost), so it is looked up by `origin_id` first.
        public var createDirectCost:
            @Sendable (_ project: ID, _ cost: DirectCostWrite, _ attachments: [Upload], _ mayExist: Bool) async throws(Procore.Error) -> DirectCost
        public var createRequisition:
            @Sendable (_ project: ID, _ commitment: ID, _ requisition: RequisitionWrite) async throws(Procore.Error) -> Requisition
        /// One direct cost with its lines and attachments.
        public var directCost: @Sendable (_ project: ID, _ id: ID) async throws(Procore.Error) -> DirectCost
        /// Attaches a PDF to a direct cost (a PATCH: repeating it attaches the file again, so callers look first).
        public var attachToDirectCost: @Sendable (_ project: ID, _ id: ID, _ filename: String, _ data: Data) async throws(Procore.Error) -> Void
        /// Deletes a commitment's line item; one that is already gone counts as deleted (so it is safe to repeat).
        public var deletePurchaseOrderLineItem: @Sendable (_ project: ID, _ purchaseOrder: ID, _ id: ID) async throws(Procore.Error) -> Void

        public init(
            companyID: ID?,
            me: @escaping @Sendable () async throws(Procore.Error) -> Me,
            companies: @escaping @Sendable () -> Pages<Company>,
            projects: @escaping @Sendable (ID, ListFilter, Int) -> Pages<Project>,
            projectStages: @escaping @Sendable (ID) -> Pages<ProjectStage>,
            vendors: @escaping @Sendable (ID, ListFilter, Int) -> Pages<Vendor>,
            costCodes: @escaping @Sendable (ID, Int) -> Pages<CostCode>,
            wbsCodes: @escaping @Sendable (ID) -> Pages<WBSCode>,
            lineItemTypes: @escaping @Sendable (ID) -> Pages<LineItemType>,
            taxCodes: @escaping @Sendable (ID) -> Pages<TaxCode>,
            unitsOfMeasure: @escaping @Sendable (ID) -> Pages<UnitOfMeasure>,
            purchaseOrders: @escaping @Sendable (ID, ListFilter, Int) -> Pages<PurchaseOrderContract>,
            purchaseOrder: @escaping @Sendable (ID, ID) async throws(Procore.Error) -> PurchaseOrderContract,
            purchaseOrderLineItems: @escaping @Sendable (ID, ID) -> Pages<LineItem>,
            directCosts: @escaping @Sendable (ID, ListFilter) -> Pages<DirectCostSummary>,
            billingPeriods: @escaping @Sendable (ID) -> Pages<BillingPeriod>,
            requisitions: @escaping @Sendable (ID, ListFilter, ID?) -> Pages<Requisition>,
            hooks: @escaping @Sendable (ID, ID?, String) async throws(Procore.Error) -> [Hook],
            createHook: @escaping @Sendable (ID, ID?, String, String, String) async throws(Procore.Error) -> Hook,
            createTrigger: @escaping @Sendable (ID, ID?, ID, String, String) async throws(Procore.Error) -> Trigger,
            deleteHook: @escaping @Sendable (ID, ID?, ID) async throws(Procore.Error) -> Void,
            triggers: @escaping @Sendable (ID, ID?, ID) async throws(Procore.Error) -> [Trigger],
            syncPurchaseOrders: @escaping @Sendable (ID, [PurchaseOrderContractWrite]) async throws(Procore.Error) -> SyncResult<PurchaseOrderContract>,
            syncPurchaseOrderLineItems: @escaping @Sendable (ID, ID, [LineItemWrite]) async throws(Procore.Error) -> SyncResult<LineItem>,
            syncVendors: @escaping @Sendable (ID, [VendorWrite]) async throws(Procore.Error) -> SyncResult<Vendor>,
            syncLineItemTypes: @escaping @Sendable (ID, [LineItemTypeWrite]) async throws(Procore.Error) -> SyncResult<LineItemType>,
            upsertWBSCode: @escaping @Sendable (ID, WBSCodeWrite) async throws(Procore.Error) -> WBSCode,
            createPurchaseOrder: @escaping @Sendable (ID, PurchaseOrderContractWrite) async throws(Procore.Error) -> PurchaseOrderContract,
            createDirectCost: @escaping @Sendable (ID, DirectCostWrite, [Upload], Bool) async throws(Procore.Error) -> DirectCost,
            createRequisition: @escaping @Sendable (ID, ID, RequisitionWrite) async throws(Procore.Error) -> Requisition,
            directCost: @escaping @Sendable (ID, ID) async throws(Procore.Error) -> DirectCost = { _, _ throws(Procore.Error) in throw .unimplemented("directCost") },
            attachToDirectCost: @escaping @Sendable (ID, ID, String, Data) async throws(Procore.Error) -> Void = { _, _, _, _ throws(Procore.Error) in
                throw .unimplemented("attachToDirectCost")
            },
            deletePurchaseOrderLineItem: @escaping @Sendable (ID, ID, ID) async throws(Procore.Error) -> Void = { _, _, _ throws(Procore.Error) in
                throw .unimplemented("deletePurchaseOrderLineItem")
            }
        ) {
            self.directCost = directCost
            self.deletePurchaseOrderLineItem = deletePurchaseOrderLineItem
            self.attachToDirectCost = attachToDirectCost
            self.companyID = companyID
            self.me = me
            self.companies = companies
            self.projects = projects
            self.projectStages = projectStages
            self.vendors = vendors
            self.costCodes = costCodes
            self.wbsCodes = wbsCodes
            self.lineItemTypes = lineItemTypes
            self.taxCodes = taxCodes
            self.unitsOfMeasure = unitsOfMeasure
            self.purchaseOrders = purchaseOrders
            self.purchaseOrder = purchaseOrder
            self.purchaseOrderLineItems = purchaseOrderLineItems
            self.directCosts = directCosts
            self.billingPeriods = billingPeriods
            self.requisitions = requisitions
            self.hooks = hooks
            self.createHook = createHook
            self.createTrigger = createTrigger
            self.deleteHook = deleteHook
            self.triggers = triggers
            self.syncPurchaseOrders = syncPurchaseOrders
            self.syncPurchaseOrderLineItems = syncPurchaseOrderLineItems
            self.syncVendors = syncVendors
            self.syncLineItemTypes = syncLineItemTypes
            self.upsertWBSCode = upsertWBSCode
            self.createPurchaseOrder = createPurchaseOrder
            self.createDirectCost = createDirectCost
            self.createRequisition = createRequisition
        }

        public static let syncChunk = 1000
    }
}

// MARK: - Live

extension Procore.Client {
    /// The client that talks to Procore through `session` (tokens, pacing, retries).
    public static func live(session: Procore.Session) -> Self {
        typealias ID = Procore.ID
        return Self(
            companyID: session.configuration.companyID,
            me: { () throws(Procore.Error) in try await session.decode(Procore.Me.self, .me) },
            companies: { Procore.Pages(session: session, first: .companies()) },
            projects: { Procore.Pages(session: session, first: .projects(company: $0, filter: $1, perPage: $2)) },
            projectStages: { Procore.Pages(session: session, first: .projectStages(company: $0)) },
            vendors: { Procore.Pages(session: session, first: .vendors(company: $0, filter: $1, perPage: $2)) },
            costCodes: { Procore.Pages(session: session, first: .costCodes(project: $0, perPage: $1)) },
            wbsCodes: { Procore.Pages(session: session, first: .wbsCodes(project: $0)) },
            lineItemTypes: { Procore.Pages(session: session, first: .lineItemTypes(company: $0)) },
            taxCodes: { Procore.Pages(session: session, first: .taxCodes(company: $0)) },
            unitsOfMeasure: { Procore.Pages(session: session, first: .unitsOfMeasure(company: $0)) },
            purchaseOrders: { Procore.Pages(session: session, first: .purchaseOrders(project: $0, filter: $1, perPage: $2)) },
            purchaseOrder: { (project: ID, id: ID) throws(Procore.Error) in
                try await session.decode(Procore.PurchaseOrderContract.self, .purchaseOrder(project: project, id: id))
            },
            purchaseOrderLineItems: { Procore.Pages(session: session, first: .purchaseOrderLineItems(project: $0, purchaseOrder: $1)) },
            directCosts: { Procore.Pages(session: session, first: .directCosts(project: $0, filter: $1)) },
            billingPeriods: { Procore.Pages(session: session, first: .billingPeriods(project: $0)) },
            requisitions: { Procore.Pages(session: session, first: .requisitions(project: $0, filter: $1, commitment: $2)) },
            hooks: { (company: ID, project: ID?, namespace: String) throws(Procore.Error) in
                try await session.decode(
                    Procore.DataEnvelope<[Procore.Hook]>.self, .hooks(company: company, project: project, namespace: namespace)).data
            },
            createHook: { (company: ID, project: ID?, namespace: String, destinationURL: String, authorization: String) throws(Procore.Error) in
                try await session.decode(
                    Procore.DataEnvelope<Procore.Hook>.self,
                    .createHook(
                        company: company, project: project, namespace: namespace, destinationURL: destinationURL, authorization: authorization,
                        // v3.0 names a line item's parent commitment (related_resources).
                        payloadVersion: "v3.0")).data
            },
            createTrigger: { (company: ID, project: ID?, hook: ID, resourceName: String, eventType: String) throws(Procore.Error) in
                try await session.decode(
                    Procore.DataEnvelope<Procore.Trigger>.self,
                    .createTrigger(company: company, project: project, hook: hook, resourceName: resourceName, eventType: eventType)).data
            },
            deleteHook: { (company: ID, project: ID?, hook: ID) throws(Procore.Error) in
                do throws(Procore.Error) {
                    _ = try await session.send(.deleteHook(company: company, project: project, hook: hook))
                } catch {
                    switch error {
                    case .status(let code, _, _) where code == 404: return  // already gone
                    default: throw error
                    }
                }
            },
            triggers: { (company: ID, project: ID?, hook: ID) throws(Procore.Error) in
                try await session.decode(Procore.DataEnvelope<[Procore.Trigger]>.self, .triggers(company: company, project: project, hook: hook)).data
            },
            syncPurchaseOrders: { (project: ID, items: [Procore.PurchaseOrderContractWrite]) throws(Procore.Error) in
                try await chunked(items, session: session) { .syncPurchaseOrders(project: project, $0) }
            },
            syncPurchaseOrderLineItems: { (project: ID, purchaseOrder: ID, items: [Procore.LineItemWrite]) throws(Procore.Error) in
                try await chunked(items, session: session) { .syncPurchaseOrderLineItems(project: project, purchaseOrder: purchaseOrder, $0) }
            },
            syncVendors: { (company: ID, items: [Procore.VendorWrite]) throws(Procore.Error) in
                try await chunked(items, session: session) { .syncVendors(company: company, $0) }
            },
            syncLineItemTypes: { (company: ID, items: [Procore.LineItemTypeWrite]) throws(Procore.Error) in
                try await chunked(items, session: session) { .syncLineItemTypes(company: company, $0) }
            },
            upsertWBSCode: { (project: ID, code: Procore.WBSCodeWrite) throws(Procore.Error) in
                try await session.decode(Procore.WBSCode.self, .upsertWBSCode(project: project, code))
            },
            createPurchaseOrder: { (project: ID, po: Procore.PurchaseOrderContractWrite) throws(Procore.Error) in
                try await createOnce(
                    session: session, create: .createPurchaseOrder(project: project, po), originID: po.originId,
                    lookup: { (origin: String) throws(Procore.Error) in
                        try await Procore.Pages<Procore.PurchaseOrderContract>(
                            session: session, first: .purchaseOrders(project: project, filter: .init(originID: origin), perPage: 100)).all().first
                    })
            },
            createDirectCost: { (project: ID, cost: Procore.DirectCostWrite, attachments: [Procore.Upload], mayExist: Bool) throws(Procore.Error) in
                try await createOnce(
                    session: session, create: .createDirectCost(project: project, cost, attachments: attachments), originID: cost.originId,
                    lookFirst: mayExist,
                    // Procore's list leaves lines and attachments out: a direct cost found there is read whole.
                    lookup: { (origin: String) throws(Procore.Error) in
                        guard let found = try await Procore.Pages<Procore.DirectCostSummary>(
                            session: session, first: .directCosts(project: project, filter: .init(originID: origin))).all().first
                        else { return nil }
                        return try await session.decode(Procore.DirectCost.self, .directCost(project: project, id: found.id))
                    })
            },
            createRequisition: { (project: ID, commitment: ID, requisition: Procore.RequisitionWrite) throws(Procore.Error) in
                try await createOnce(
                    session: session, create: .createRequisition(project: project, commitment: commitment, requisition),
                    originID: requisition.originId,
                    lookup: { (origin: String) throws(Procore.Error) in
                        try await Procore.Pages<Procore.Requisition>(
                            session: session, first: .requisitions(project: project, filter: .init(originID: origin), commitment: nil)).all().first
                    })
            },
            directCost: { (project: ID, id: ID) throws(Procore.Error) in
                try await session.decode(Procore.DirectCost.self, .directCost(project: project, id: id))
            },
            attachToDirectCost: { (project: ID, id: ID, filename: String, data: Data) throws(Procore.Error) in
                _ = try await session.send(.attachToDirectCost(project: project, directCost: id, filename: filename, data: data))
            },
            deletePurchaseOrderLineItem: { (project: ID, purchaseOrder: ID, id: ID) throws(Procore.Error) in
                do throws(Procore.Error) {
                    _ = try await session.send(.deletePurchaseOrderLineItem(project: project, purchaseOrder: purchaseOrder, id: id))
                } catch {
                    switch error {
                    case .status(let code, _, _) where code == 404: return  // already gone
                    default: throw error
                    }
                }
            })
    }

    /// Sends `items` in chunks of at most `chunk` and merges the answers (per-item failures come back in `errors`).
    static func chunked<W: Sendable, E: Decodable & Sendable>(
        _ items: [W], chunk: Int = syncChunk, session: Procore.Session, _ endpoint: ([W]) -> Procore.Endpoint
    ) async throws(Procore.Error) -> Procore.SyncResult<E> {
        var merged = Procore.SyncResult<E>(entities: [], errors: [])
        var start = 0
        while start < items.count {
            let slice = Array(items[start..<min(start + chunk, items.count)])
            let result = try await session.decode(Procore.SyncResult<E>.self, endpoint(slice))
            merged.entities += result.entities
            merged.errors += result.errors
            start += chunk
        }
        return merged
    }

    /// Creates a record. After an answer that may have been lost once the write committed (a dropped connection, a
    /// timeout, a 5xx), it looks the record up by `origin_id` before trying again, so a retry never duplicates it;
    /// with `lookFirst` (the caller knows an earlier run may have created it) it looks before the first try too.
    static func createOnce<T: Decodable & Sendable>(
        session: Procore.Session, create: Procore.Endpoint, originID: String?, attempts: Int = 3, lookFirst: Bool = false,
        lookup: (String) async throws(Procore.Error) -> T?
    ) async throws(Procore.Error) -> T {
        guard let originID else {
            throw .validation(code: 0, fields: ["origin_id": ["is required for a safe create"]], requestID: nil)
        }
        var lastError: Procore.Error = .transport("not attempted")
        for attempt in 1...attempts {
            if attempt > 1 || lookFirst, let existing = try await lookup(originID) { return existing }
            do {
                return try await session.decode(T.self, create)
            } catch {
                // "origin_id has already been taken": an earlier run's create committed (its answer was lost).
                if case .validation(_, let fields, _) = error, fields["origin_id"] != nil,
                    let existing = try await lookup(originID)
                {
                    return existing
                }
                // Only an answer that might hide a committed write is worth a lookup and another try.
                guard error.isTransient else { throw error }
                lastError = error
            }
        }
        if let existing = try await lookup(originID) { return existing }
        throw lastError
    }
}

// MARK: - Failing

extension Procore.Client {
    /// Every call fails with `Procore.Error.unimplemented` naming its endpoint: the start of a test double.
    public static let failing = Self(
        companyID: nil,
        me: { () throws(Procore.Error) in throw .unimplemented("me") },
        companies: { .failing(.unimplemented("companies")) },
        projects: { _, _, _ in .failing(.unimplemented("projects")) },
        projectStages: { _ in .failing(.unimplemented("projectStages")) },
        vendors: { _, _, _ in .failing(.unimplemented("vendors")) },
        costCodes: { _, _ in .failing(.unimplemented("costCodes")) },
        wbsCodes: { _ in .failing(.unimplemented("wbsCodes")) },
        lineItemTypes: { _ in .failing(.unimplemented("lineItemTypes")) },
        taxCodes: { _ in .failing(.unimplemented("taxCodes")) },
        unitsOfMeasure: { _ in .failing(.unimplemented("unitsOfMeasure")) },
        purchaseOrders: { _, _, _ in .failing(.unimplemented("purchaseOrders")) },
        purchaseOrder: { _, _ throws(Procore.Error) in throw .unimplemented("purchaseOrder") },
        purchaseOrderLineItems: { _, _ in .failing(.unimplemented("purchaseOrderLineItems")) },
        directCosts: { _, _ in .failing(.unimplemented("directCosts")) },
        billingPeriods: { _ in .failing(.unimplemented("billingPeriods")) },
        requisitions: { _, _, _ in .failing(.unimplemented("requisitions")) },
        hooks: { _, _, _ throws(Procore.Error) in throw .unimplemented("hooks") },
        createHook: { _, _, _, _, _ throws(Procore.Error) in throw .unimplemented("createHook") },
        createTrigger: { _, _, _, _, _ throws(Procore.Error) in throw .unimplemented("createTrigger") },
        deleteHook: { _, _, _ throws(Procore.Error) in throw .unimplemented("deleteHook") },
        triggers: { _, _, _ throws(Procore.Error) in throw .unimplemented("triggers") },
        syncPurchaseOrders: { _, _ throws(Procore.Error) in throw .unimplemented("syncPurchaseOrders") },
        syncPurchaseOrderLineItems: { _, _, _ throws(Procore.Error) in throw .unimplemented("syncPurchaseOrderLineItems") },
        syncVendors: { _, _ throws(Procore.Error) in throw .unimplemented("syncVendors") },
        syncLineItemTypes: { _, _ throws(Procore.Error) in throw .unimplemented("syncLineItemTypes") },
        upsertWBSCode: { _, _ throws(Procore.Error) in throw .unimplemented("upsertWBSCode") },
        createPurchaseOrder: { _, _ throws(Procore.Error) in throw .unimplemented("createPurchaseOrder") },
        createDirectCost: { _, _, _, _ throws(Procore.Error) in throw .unimplemented("createDirectCost") },
        createRequisition: { _, _, _ throws(Procore.Error) in throw .unimplemented("createRequisition") })
}

// MARK: - What callers use

extension Procore.Client {
    public func projects(company: Procore.ID, filter: Procore.ListFilter = .none, perPage: Int = 300) -> Procore.Pages<Procore.Project> {
        projects(company, filter, perPage)
    }

    public func projectStages(company: Procore.ID) -> Procore.Pages<Procore.ProjectStage> { projectStages(company) }

    public func vendors(company: Procore.ID, filter: Procore.ListFilter = .none, perPage: Int = 100) -> Procore.Pages<Procore.Vendor> {
        vendors(company, filter, perPage)
    }

    public func costCodes(project: Procore.ID, perPage: Int = 100) -> Procore.Pages<Procore.CostCode> { costCodes(project, perPage) }

    public func wbsCodes(project: Procore.ID) -> Procore.Pages<Procore.WBSCode> { wbsCodes(project) }

    public func upsertWBSCode(project: Procore.ID, _ code: Procore.WBSCodeWrite) async throws(Procore.Error) -> Procore.WBSCode {
        try await upsertWBSCode(project, code)
    }

    public func lineItemTypes(company: Procore.ID) -> Procore.Pages<Procore.LineItemType> { lineItemTypes(company) }

    public func taxCodes(company: Procore.ID) -> Procore.Pages<Procore.TaxCode> { taxCodes(company) }

    public func unitsOfMeasure(company: Procore.ID) -> Procore.Pages<Procore.UnitOfMeasure> { unitsOfMeasure(company) }

    public func purchaseOrders(
        project: Procore.ID, filter: Procore.ListFilter = .none, perPage: Int = 100
    ) -> Procore.Pages<Procore.PurchaseOrderContract> {
        purchaseOrders(project, filter, perPage)
    }

    /// POs changed since `cursor`, asking from `cursor - overlap` so a clock skew or a record committed late is not
    /// missed (the caller deduplicates by id and `updated_at`).
    public func purchaseOrders(
        project: Procore.ID, changedSince cursor: Date, overlap: Duration = .seconds(300), now: Date = Date(), includeDeleted: Bool = true
    ) -> Procore.Pages<Procore.PurchaseOrderContract> {
        let from = cursor.addingTimeInterval(-Double(overlap.components.seconds))
        let filter = Procore.ListFilter(updatedAt: from...now, includeDeleted: includeDeleted ? .with : nil)
        return purchaseOrders(project, filter, 100)
    }

    public func purchaseOrder(project: Procore.ID, id: Procore.ID) async throws(Procore.Error) -> Procore.PurchaseOrderContract {
        try await purchaseOrder(project, id)
    }

    public func purchaseOrderLineItems(project: Procore.ID, purchaseOrder: Procore.ID) -> Procore.Pages<Procore.LineItem> {
        purchaseOrderLineItems(project, purchaseOrder)
    }

    public func directCosts(project: Procore.ID, filter: Procore.ListFilter = .none) -> Procore.Pages<Procore.DirectCostSummary> {
        directCosts(project, filter)
    }

    public func billingPeriods(project: Procore.ID) -> Procore.Pages<Procore.BillingPeriod> { billingPeriods(project) }

    public func requisitions(
        project: Procore.ID, filter: Procore.ListFilter = .none, commitment: Procore.ID? = nil
    ) -> Procore.Pages<Procore.Requisition> {
        requisitions(project, filter, commitment)
    }

    public func hooks(company: Procore.ID, project: Procore.ID? = nil, namespace: String) async throws(Procore.Error) -> [Procore.Hook] {
        try await hooks(company, project, namespace)
    }

    public func createHook(
        company: Procore.ID, project: Procore.ID? = nil, namespace: String, destinationURL: String, authorization: String
    ) async throws(Procore.Error) -> Procore.Hook {
        try await createHook(company, project, namespace, destinationURL, authorization)
    }

    public func createTrigger(
        company: Procore.ID, project: Procore.ID? = nil, hook: Procore.ID, resourceName: String, eventType: String
    ) async throws(Procore.Error) -> Procore.Trigger {
        try await createTrigger(company, project, hook, resourceName, eventType)
    }

    /// Upserts POs by `origin_id`, in chunks of at most 1000; per-item failures come back in `errors`.
    public func syncPurchaseOrders(
        project: Procore.ID, _ items: [Procore.PurchaseOrderContractWrite]
    ) async throws(Procore.Error) -> Procore.SyncResult<Procore.PurchaseOrderContract> {
        try await syncPurchaseOrders(project, items)
    }

    public func syncPurchaseOrderLineItems(
        project: Procore.ID, purchaseOrder: Procore.ID, _ items: [Procore.LineItemWrite]
    ) async throws(Procore.Error) -> Procore.SyncResult<Procore.LineItem> {
        try await syncPurchaseOrderLineItems(project, purchaseOrder, items)
    }

    public func syncVendors(company: Procore.ID, _ items: [Procore.VendorWrite]) async throws(Procore.Error) -> Procore.SyncResult<Procore.Vendor> {
        try await syncVendors(company, items)
    }

    public func syncLineItemTypes(
        company: Procore.ID, _ items: [Procore.LineItemTypeWrite]
    ) async throws(Procore.Error) -> Procore.SyncResult<Procore.LineItemType> {
        try await syncLineItemTypes(company, items)
    }

    /// Creates a PO, looking it up by `origin_id` before any retry (`origin_id` is required).
    public func createPurchaseOrder(
        project: Procore.ID, _ po: Procore.PurchaseOrderContractWrite
    ) async throws(Procore.Error) -> Procore.PurchaseOrderContract {
        try await createPurchaseOrder(project, po)
    }

    /// Creates a direct cost (an invoice) with its attachments in one request, looking it up by `origin_id` before
    /// any retry (and before the first try when it `mayExist`).
    public func createDirectCost(
        project: Procore.ID, _ cost: Procore.DirectCostWrite, attachments: [Procore.Upload] = [], mayExist: Bool = false
    ) async throws(Procore.Error) -> Procore.DirectCost {
        try await createDirectCost(project, cost, attachments, mayExist)
    }

    /// Creates a requisition (subcontractor invoice) against a commitment, looking it up by `origin_id` first on retry.
    public func createRequisition(
        project: Procore.ID, commitment: Procore.ID, _ requisition: Procore.RequisitionWrite
    ) async throws(Procore.Error) -> Procore.Requisition {
        try await createRequisition(project, commitment, requisition)
    }
}
