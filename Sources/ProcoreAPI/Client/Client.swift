import Foundation

extension Procore {
    /// Lentune's calls to Procore, typed. Built once per connection in the composition root.
    public struct Client: Sendable {
        public let session: Session

        public init(session: Session) { self.session = session }

        public var companyID: ID? { session.configuration.companyID }

        // MARK: - Reads

        public func me() async throws(Procore.Error) -> Me { try await session.decode(Me.self, .me) }

        public func companies() -> Pages<Company> { Pages(session: session, first: .companies()) }

        public func projects(company: ID, filter: ListFilter = .none, perPage: Int = 300) -> Pages<Project> {
            Pages(session: session, first: .projects(company: company, filter: filter, perPage: perPage))
        }

        public func projectStages(company: ID) -> Pages<ProjectStage> {
            Pages(session: session, first: .projectStages(company: company))
        }

        public func vendors(company: ID, filter: ListFilter = .none, perPage: Int = 100) -> Pages<Vendor> {
            Pages(session: session, first: .vendors(company: company, filter: filter, perPage: perPage))
        }

        public func costCodes(project: ID, perPage: Int = 100) -> Pages<CostCode> {
            Pages(session: session, first: .costCodes(project: project, perPage: perPage))
        }

        public func lineItemTypes(company: ID) -> Pages<LineItemType> {
            Pages(session: session, first: .lineItemTypes(company: company))
        }

        public func taxCodes(company: ID) -> Pages<TaxCode> { Pages(session: session, first: .taxCodes(company: company)) }

        public func unitsOfMeasure(company: ID) -> Pages<UnitOfMeasure> {
            Pages(session: session, first: .unitsOfMeasure(company: company))
        }

        public func purchaseOrders(project: ID, filter: ListFilter = .none, perPage: Int = 100) -> Pages<PurchaseOrderContract> {
            Pages(session: session, first: .purchaseOrders(project: project, filter: filter, perPage: perPage))
        }

        /// POs changed since `cursor`, asking from `cursor - overlap` so a clock skew or a record committed late is not
        /// missed (the caller deduplicates by id and `updated_at`).
        public func purchaseOrders(
            project: ID, changedSince cursor: Date, overlap: Duration = .seconds(300), now: Date = Date(), includeDeleted: Bool = true
        ) -> Pages<PurchaseOrderContract> {
            let from = cursor.addingTimeInterval(-Double(overlap.components.seconds))
            let filter = ListFilter(updatedAt: from...now, includeDeleted: includeDeleted ? .with : nil)
            return purchaseOrders(project: project, filter: filter)
        }

        public func purchaseOrder(project: ID, id: ID) async throws(Procore.Error) -> PurchaseOrderContract {
            try await session.decode(PurchaseOrderContract.self, .purchaseOrder(project: project, id: id))
        }

        public func purchaseOrderLineItems(project: ID, purchaseOrder: ID) -> Pages<LineItem> {
            Pages(session: session, first: .purchaseOrderLineItems(project: project, purchaseOrder: purchaseOrder))
        }

        public func directCosts(project: ID, filter: ListFilter = .none) -> Pages<DirectCost> {
            Pages(session: session, first: .directCosts(project: project, filter: filter))
        }

        public func billingPeriods(project: ID) -> Pages<BillingPeriod> {
            Pages(session: session, first: .billingPeriods(project: project))
        }

        public func requisitions(project: ID, filter: ListFilter = .none, commitment: ID? = nil) -> Pages<Requisition> {
            Pages(session: session, first: .requisitions(project: project, filter: filter, commitment: commitment))
        }

        // MARK: - Webhooks (REST v2.0)

        public func hooks(company: ID, namespace: String) async throws(Procore.Error) -> [Hook] {
            try await session.decode(DataEnvelope<[Hook]>.self, .hooks(company: company, namespace: namespace)).data
        }

        public func createHook(company: ID, namespace: String, destinationURL: String, authorization: String) async throws(Procore.Error) -> Hook {
            try await session.decode(
                DataEnvelope<Hook>.self,
                .createHook(company: company, namespace: namespace, destinationURL: destinationURL, authorization: authorization)).data
        }

        public func createTrigger(company: ID, hook: ID, resourceName: String, eventType: String) async throws(Procore.Error) -> Trigger {
            try await session.decode(
                DataEnvelope<Trigger>.self, .createTrigger(company: company, hook: hook, resourceName: resourceName, eventType: eventType)).data
        }

        // MARK: - Writes that are safe to repeat (upserts keyed by origin_id)

        /// Upserts POs by `origin_id`, in chunks of at most 1000; per-item failures come back in `errors`.
        public func syncPurchaseOrders(project: ID, _ items: [PurchaseOrderContractWrite]) async throws(Procore.Error)
            -> SyncResult<PurchaseOrderContract>
        {
            try await chunked(items) { .syncPurchaseOrders(project: project, $0) }
        }

        public func syncPurchaseOrderLineItems(project: ID, purchaseOrder: ID, _ items: [LineItemWrite]) async throws(Procore.Error)
            -> SyncResult<LineItem>
        {
            try await chunked(items) { .syncPurchaseOrderLineItems(project: project, purchaseOrder: purchaseOrder, $0) }
        }

        public func syncVendors(company: ID, _ items: [VendorWrite]) async throws(Procore.Error) -> SyncResult<Vendor> {
            try await chunked(items) { .syncVendors(company: company, $0) }
        }

        public func syncLineItemTypes(company: ID, _ items: [LineItemTypeWrite]) async throws(Procore.Error) -> SyncResult<LineItemType> {
            try await chunked(items) { .syncLineItemTypes(company: company, $0) }
        }

        public static let syncChunk = 1000

        func chunked<W: Sendable, E: Decodable & Sendable>(
            _ items: [W], chunk: Int = Client.syncChunk, _ endpoint: ([W]) -> Endpoint
        ) async throws(Procore.Error) -> SyncResult<E> {
            var merged = SyncResult<E>(entities: [], errors: [])
            var start = 0
            while start < items.count {
                let slice = Array(items[start..<min(start + chunk, items.count)])
                let result = try await session.decode(SyncResult<E>.self, endpoint(slice))
                merged.entities += result.entities
                merged.errors += result.errors
                start += chunk
            }
            return merged
        }

        // MARK: - Creates (never blindly re-POSTed)

        /// Creates a PO. After an answer that may have been lost once the write committed (a dropped connection, a
        /// timeout, a 5xx), it looks the PO up by `origin_id` before trying again, so a retry never duplicates it.
        public func createPurchaseOrder(project: ID, _ po: PurchaseOrderContractWrite) async throws(Procore.Error) -> PurchaseOrderContract {
            guard let origin = po.originId else {
                throw .validation(code: 0, fields: ["origin_id": ["is required for a safe create"]], requestID: nil)
            }
            return try await createOnce(
                create: .createPurchaseOrder(project: project, po),
                lookup: { () throws(Procore.Error) in
                    try await purchaseOrders(project: project, filter: ListFilter(originID: origin)).all().first
                })
        }

        /// Creates a direct cost (an invoice), looking it up by `origin_id` before any retry.
        public func createDirectCost(project: ID, _ cost: DirectCostWrite) async throws(Procore.Error) -> DirectCost {
            guard let origin = cost.originId else {
                throw .validation(code: 0, fields: ["origin_id": ["is required for a safe create"]], requestID: nil)
            }
            return try await createOnce(
                create: .createDirectCost(project: project, cost),
                lookup: { () throws(Procore.Error) in
                    try await directCosts(project: project, filter: ListFilter(originID: origin)).all().first
                })
        }

        /// Creates a requisition (subcontractor invoice) against a commitment, looking it up by `origin_id` first on retry.
        public func createRequisition(project: ID, commitment: ID, _ requisition: RequisitionWrite) async throws(Procore.Error) -> Requisition {
            guard let origin = requisition.originId else {
                throw .validation(code: 0, fields: ["origin_id": ["is required for a safe create"]], requestID: nil)
            }
            return try await createOnce(
                create: .createRequisition(project: project, commitment: commitment, requisition),
                lookup: { () throws(Procore.Error) in
                    try await requisitions(project: project, filter: ListFilter(originID: origin)).all().first
                })
        }

        func createOnce<T: Decodable & Sendable>(
            create: Endpoint, attempts: Int = 3, lookup: () async throws(Procore.Error) -> T?
        ) async throws(Procore.Error) -> T {
            var lastError: Procore.Error = .transport("not attempted")
            for attempt in 1...attempts {
                if attempt > 1, let existing = try await lookup() { return existing }
                do {
                    return try await session.decode(T.self, create)
                } catch {
                    // Only an answer that might hide a committed write is worth a lookup and another try.
                    guard error.isTransient else { throw error }
                    lastError = error
                }
            }
            if let existing = try await lookup() { return existing }
            throw lastError
        }
    }
}
