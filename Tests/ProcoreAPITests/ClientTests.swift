import Foundation
import NIOConcurrencyHelpers
@testable import ProcoreAPI
@testable import ProcoreSandbox
import Testing

@Suite struct DecodingTests {
    @Test func everyDTO_decodesTheSandboxsAnswers() async throws {
        try await ClientHarness.with { h in
            let client = h.client
            let company = ClientHarness.company
            let me = try await client.me()
            #expect(me.login.contains("@"))
            #expect(try await client.companies().all().map(\.id) == [company])
            let projects = try await client.projects(company: company).all()
            #expect(projects.count == 5)
            #expect(projects.contains { $0.projectStage?.name == "Course of Construction" })
            #expect(try await client.projectStages(company: company).all().count == 6)
            #expect(try await client.vendors(company: company).all().count == 6)
            let codes = try await client.costCodes(project: projects[0].id).all()
            #expect(codes.contains { $0.fullCode == "03-300" })
            #expect(try await client.lineItemTypes(company: company).all().contains { $0.code == "M" })
            let gst = try #require(try await client.taxCodes(company: company).all().first { $0.code == "GST" })
            #expect(gst.rate1?.value == 15)
            #expect(try await client.unitsOfMeasure(company: company).all().contains { $0.name == "m3" })

            let orders = try await client.purchaseOrders(project: projects[0].id).all()
            #expect(orders.count == 2)
            let approved = try #require(orders.first { $0.status == .approved })
            let detail = try await client.purchaseOrder(project: projects[0].id, id: approved.id)
            #expect(detail.lineItems?.count == 3)
            #expect(detail.grandTotal?.value == Decimal(string: "11130"))  // (10+20+30) × 185.50
            let lines = try await client.purchaseOrderLineItems(project: projects[0].id, purchaseOrder: approved.id).all()
            #expect(lines.map(\.amount.value) == [Decimal(string: "1855")!, Decimal(string: "3710")!, Decimal(string: "5565")!])
            #expect(lines[0].costCode?.fullCode != nil)
            #expect(lines[0].wbsCode?.flatCode == "\(lines[0].costCode?.fullCode ?? "").M")

            let periods = try await client.billingPeriods(project: projects[0].id).all()
            #expect(periods.first?.status == "open")

            let requisition = try await client.createRequisition(project: projects[0].id, commitment: approved.id, .init(
                periodId: periods[0].id, invoiceNumber: "SI-77", billingDate: Procore.Day("2026-11-30"), originId: "lentune-inv-77"))
            #expect(requisition.items?.count == 3)
            #expect(try await client.requisitions(project: projects[0].id, commitment: approved.id).all().map(\.id) == [requisition.id])

            let vendor = try await client.vendors(company: company).all()[0]
            let budget = try #require(try await client.wbsCodes(project: projects[0].id).all().first)
            let cost = try await client.createDirectCost(project: projects[0].id, .init(
                vendorId: vendor.id, invoiceNumber: "INV-77", directCostDate: Procore.Day("2026-11-27"), originId: "lentune-inv-78",
                lineItems: [.init(description: "Sand", manualAmount: Decimal(string: "100.10")!, wbsCodeId: budget.id, taxCodeId: gst.id)]))
            #expect(cost.grandTotal?.value == Decimal(string: "100.1"))
            #expect(cost.taxBreakdown?.taxTotal?.value == Decimal(string: "15.02"))
            #expect(try await client.directCosts(project: projects[0].id).all().count == 1)

            // Webhooks v2.0: hooks and triggers have string ids.
            let hook = try await client.createHook(
                company: company, namespace: "lentune", destinationURL: "https://ap.example.com/hook", authorization: "Bearer x")
            // Procore answers `UPDATED`; the client reads it as the event it created.
            let trigger = try await client.createTrigger(company: company, hook: hook.id, resourceName: "Company Vendors", eventType: "update")
            #expect(trigger.eventType == "update")
            let listed = try await client.hooks(company: company, namespace: "lentune")
            #expect(listed.map(\.id) == [hook.id])
        }
    }

    @Test(arguments: ["v2", "v3.0", "v4.0"])
    func webhookEvents_decodeInEveryPayloadVersion(version: String) throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000.25)
        let payload = SandboxData.payload(
            version: version, eventID: 5_982_324_300_946_918_154, ulid: "01EDPD2J6SBY1163N77H95GW09",
            resource: .purchaseOrderContractLineItems, eventType: "update", id: 9_000_000_001, companyID: 4242,
            projectID: 562_949_953_421_312, related: (77, .purchaseOrderContracts),
            source: EventSource(clientID: "lentune-app", userID: 12), now: now)
        let event = try Procore.decoder.decode(Procore.WebhookEvent.self, from: Data(payload.render().utf8))
        #expect(event.resourceName == "Purchase Order Contract Line Items")
        #expect(event.resourceID == 9_000_000_001)
        #expect(event.projectID == 562_949_953_421_312)
        #expect(event.eventType == "update")
        #expect(event.dedupeKey == "01EDPD2J6SBY1163N77H95GW09")
        if version == "v4.0" {
            #expect(event.sourceApplicationID == nil)
        } else {
            #expect(event.id == "5982324300946918154")
            #expect(event.sourceApplicationID == "lentune-app")
        }
        if version == "v3.0" { #expect(event.relatedResources.map(\.id) == [77]) }
    }
}

@Suite struct PagingTests {
    @Test func pagination_overHundredsOfRecords() async throws {
        try await ClientHarness.with { h in
            let project = h.project.id
            let writes = (1...350).map { Procore.PurchaseOrderContractWrite(number: "BULK-\($0)", originId: "bulk-\($0)") }
            let result = try await h.client.syncPurchaseOrders(project: project, writes)
            #expect(result.entities.count == 350 && result.errors.isEmpty)
            var pages = 0
            var ids = Set<Int64>()
            for try await page in h.client.purchaseOrders(project: project, perPage: 50) {
                pages += 1
                ids.formUnion(page.map(\.id))
            }
            #expect(pages == 8)  // 352 POs (2 seeded) at 50 a page
            #expect(ids.count == 352)
        }
    }

    @Test func changedSince_asksWithOverlap() async throws {
        try await ClientHarness.with { h in
            let project = h.project.id
            let cursor = Date()
            // The seeded POs were last changed two minutes before the cursor (filters have one-second resolution).
            h.store.write { data in
                for index in data.purchaseOrders.indices { data.purchaseOrders[index].updatedAt = cursor.addingTimeInterval(-120) }
            }
            _ = try await h.client.syncPurchaseOrders(project: project, [.init(number: "NEW-1", originId: "new-1")])
            let later = Date().addingTimeInterval(1)
            let exact = try await h.client.purchaseOrders(project: project, changedSince: cursor, overlap: .zero, now: later).all()
            #expect(exact.map(\.originId) == ["new-1"])
            // The default five-minute overlap also returns the seeded POs written just before the cursor.
            let overlapping = try await h.client.purchaseOrders(project: project, changedSince: cursor, now: later).all()
            #expect(overlapping.count == 3)
            let request = try #require(h.store.requestLog.all().last { $0.route == "/rest/v1.0/purchase_order_contracts" })
            #expect(request.path == "/rest/v1.0/purchase_order_contracts")
        }
    }

    @Test func syncChunks_batchesOver1000() async throws {
        try await ClientHarness.with { h in
            let project = h.project.id
            let po = try await h.client.createPurchaseOrder(project: project, .init(number: "BIG", originId: "big-1"))
            let budget = try #require(try await h.client.wbsCodes(project: project).all().first)
            let lines = (1...2100).map {
                Procore.LineItemWrite(description: "Line \($0)", amount: "1.00", wbsCodeId: budget.id, originId: "big-line-\($0)")
            }
            let result = try await h.client.syncPurchaseOrderLineItems(project: project, purchaseOrder: po.id, lines)
            #expect(result.entities.count == 2100)
            #expect(result.errors.isEmpty)
            #expect(h.count("PATCH /rest/v1.0/purchase_order_contracts/:po_id/line_items/sync") == 3)
        }
    }

    @Test func syncErrors_areSurfacedPerItem() async throws {
        try await ClientHarness.with { h in
            let result = try await h.client.syncVendors(company: ClientHarness.company, [
                .init(name: "Good Ltd", originId: "g"), .init(id: 1, name: "Ghost"),
            ])
            #expect(result.entities.map(\.name) == ["Good Ltd"])
            #expect(result.errors.count == 1)
            #expect(result.errors[0].errors["id"] == ["Entity with this ID not found"])
        }
    }
}

@Suite struct ResilienceTests {
    @Test func tokenExpiryMidRun_refreshesAndCarriesOn() async throws {
        try await ClientHarness.with { h in
            let project = h.project.id
            _ = try await h.client.syncPurchaseOrders(project: project, (1...60).map { .init(number: "T-\($0)", originId: "t-\($0)") })
            var seen = 0
            var expired = false
            for try await page in h.client.purchaseOrders(project: project, perPage: 10) {
                seen += page.count
                if !expired {
                    h.store.write { data in for key in data.tokens.keys { data.tokens[key]?.expiresAt = .distantPast } }
                    expired = true
                }
            }
            #expect(seen == 62)
            #expect(h.count("POST /oauth/token") == 2)
        }
    }

    @Test func concurrentCallers_shareOneRefresh_andRotatedTokensArePersistedFirst() async throws {
        let persisted = NIOLockedValueBox<[Procore.Tokens]>([])
        // Start from a user authorization (authorization code grant) obtained out of band.
        let seedSandbox = try await RunningSandbox.start(port: 0, seed: "demo")
        await seedSandbox.shutdown()
        try await ClientHarness.with(
            grant: .authorizationCode(redirectURI: "http://127.0.0.1:9/callback"),
            persist: { tokens in persisted.withLockedValue { $0.append(tokens) } }
        ) { h in
            // Obtain an authorization code as the consent page would, and exchange it.
            let code = "test-code"
            h.store.write { data in
                data.codes[code] = AuthorizationCode(
                    code: code, clientID: ClientHarness.clientID, redirectURI: "http://127.0.0.1:9/callback",
                    userID: Seeds.defaultUserID, expiresAt: Date().addingTimeInterval(600))
            }
            let first = try await h.session.exchange(code: code)
            #expect(first.refreshToken != nil)
            // Expire it, then ten callers at once: exactly one refresh.
            h.store.write { data in for key in data.tokens.keys { data.tokens[key]?.expiresAt = .distantPast } }
            await h.session.expireForTesting()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<10 { group.addTask { _ = try await h.client.me() } }
                try await group.waitForAll()
            }
            #expect(h.count("POST /oauth/token") == 2)  // the exchange and one refresh
            let saved = persisted.withLockedValue { $0 }
            #expect(saved.count == 2)
            #expect(saved[1].refreshToken != first.refreshToken)
            #expect(await h.session.currentTokens() == saved[1])
        }
    }

    @Test func stormOf429And503_isRiddenOut() async throws {
        // Enough attempts that six calls at a 50% error rate fail with odds of about one in ten thousand.
        try await ClientHarness.with(retry: .init(maxAttempts: 18, base: .milliseconds(20), cap: .milliseconds(200))) { h in
            h.faults { $0.storm = .init(status: 429, count: 3, retryAfter: 1) }
            #expect(try await h.client.me().login.contains("@"))
            h.faults { $0.storm = .init(status: 503, count: 2, retryAfter: 1) }
            #expect(try await h.client.companies().all().count == 1)
            h.faults { $0.errorRates = ["GET /rest/v1.0/me": 0.5] }
            for _ in 0..<6 { _ = try await h.client.me() }
            #expect(h.statuses().contains(429) && h.statuses().contains(503))
        }
    }

    /// Four callers sharing a token at a spike limit of 8 requests in 2 s: the pacer spreads them so Procore never answers
    /// 429. The pacer, the retries and the sandbox's rate limits all run on one virtual clock, so the result is the
    /// pacer's arithmetic and not the machine's speed.
    @Test func steadyLoad_causesNo429() async throws {
        var settings = SandboxSettings()
        settings.spikeLimit = 8
        settings.spikeWindow = 2
        let clock = VirtualClock()
        let start = clock.now
        try await ClientHarness.with(settings: settings, clock: clock) { h in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        for _ in 0..<8 { _ = try await h.client.me() }
                        _ = worker
                    }
                }
                try await group.waitForAll()
            }
            #expect(h.count("GET /rest/v1.0/me") == 32)
            #expect(!h.statuses().contains(429))
            // The pacer did wait: 32 requests at 8 per 2 s take at least 6 s of the clock.
            #expect(clock.now.timeIntervalSince(start) >= 6, "\(clock.now.timeIntervalSince(start)) s")
        }
    }

    @Test func droppedResponseAfterCommittedCreate_makesNoDuplicate() async throws {
        try await ClientHarness.with { h in
            let project = h.project.id
            h.faults { $0.dropAfterCommit = ["POST /rest/v1.0/purchase_order_contracts": 1] }
            let po = try await h.client.createPurchaseOrder(project: project, .init(number: "PO-D", title: "Dropped", originId: "lentune-drop"))
            #expect(po.originId == "lentune-drop")
            #expect(h.store.read { data in data.purchaseOrders.filter { $0.originID == "lentune-drop" }.count } == 1)
            #expect(h.count("POST /rest/v1.0/purchase_order_contracts") == 1)
            // The answer was lost (the fault fired), and the client found the commitment by origin_id instead.
            #expect(h.store.faults.dropAfterCommit.isEmpty)
            #expect(h.count("GET /rest/v1.0/purchase_order_contracts") >= 1)

            // (the fault's key is the concrete path, not the route pattern)
            h.faults { $0.dropAfterCommit = ["POST /rest/v1.1/projects/\(project)/direct_costs": 1] }
            let vendor = h.store.read { $0.vendors[0].id }
            let cost = try await h.client.createDirectCost(project: project, .init(
                vendorId: vendor, invoiceNumber: "INV-D", directCostDate: nil, originId: "lentune-inv-drop", lineItems: []))
            #expect(cost.originId == "lentune-inv-drop")
            #expect(h.store.read { data in data.directCosts.filter { $0.originID == "lentune-inv-drop" }.count } == 1)
            #expect(h.store.faults.dropAfterCommit.isEmpty)
            #expect(h.count("POST /rest/v1.1/projects/:project_id/direct_costs") == 1)
        }
    }

    @Test func errors_areTypedAndReadable() async throws {
        try await ClientHarness.with { h in
            let project = h.project.id
            await #expect(throws: Procore.Error.self) { _ = try await h.client.purchaseOrder(project: project, id: 1) }
            do throws(Procore.Error) {
                _ = try await h.client.purchaseOrder(project: project, id: 1)
            } catch {
                guard case .status(404, _, _) = error else { Issue.record("expected a 404, got \(error)"); return }
            }
            do throws(Procore.Error) {
                _ = try await h.client.createPurchaseOrder(project: project, .init(number: "X", vendorId: 1, originId: "x"))
                Issue.record("expected a validation error")
            } catch {
                guard case .validation(422, let fields, _) = error else { Issue.record("got \(error)"); return }
                #expect(fields["vendor_id"] == ["is invalid"])
                #expect(error.description.contains("vendor_id is invalid"))
            }
        }
    }

    @Test func wrongSecret_isUnauthorizedWithAClearMessage() async throws {
        let sandbox = try await RunningSandbox.start(port: 0, seed: "demo", clientID: "a", clientSecret: "right")
        let session = Procore.Session(configuration: .init(
            environment: .custom(authBaseURL: sandbox.authBaseURL, apiBaseURL: sandbox.apiBaseURL), clientID: "a",
            clientSecret: "wrong", companyID: 4242))
        do throws(Procore.Error) {
            _ = try await Procore.Client.live(session: session).me()
            Issue.record("expected unauthorized")
        } catch {
            #expect(error == .unauthorized("the client id or secret is wrong (invalid_client)"))
        }
        await sandbox.shutdown()
    }
}

@Suite struct BudgetCodeTests {
    /// The Lentune client lists, creates and codes lines with budget codes against the sandbox (issue 11).
    @Test func budgetCodes_roundTrip_throughTheClient() async throws {
        try await ClientHarness.with { h in
            let project = h.project.id
            let codes = try await h.client.wbsCodes(project: project).all()
            let concrete = try #require(codes.first { $0.flatCode == "03-300.M" })
            #expect(concrete.item(ofType: "cost_code")?.code == "03-300")
            #expect(concrete.item(ofType: "line_item_type")?.code == "M")
            // The sub job's code is its own budget code, labelled with the sub job.
            #expect(codes.contains { $0.flatCode == "SJ1-03-300.M" && $0.item(ofType: "sub_job")?.name == "Basement Carpark" })

            // A new combination: created once; posting it again updates it (no second budget code).
            let costCode = try #require(concrete.item(ofType: "cost_code")).id
            let types = try await h.client.lineItemTypes(company: ClientHarness.company).all()
            let other = try #require(types.first { $0.code == "O" })
            let write = Procore.WBSCodeWrite(description: "Concrete – other", segmentItems: [
                .init(segmentId: 2, segmentItemId: costCode), .init(segmentId: 3, segmentItemId: other.id),
            ])
            let first = try await h.client.upsertWBSCode(project: project, write)
            let again = try await h.client.upsertWBSCode(project: project, write)
            #expect(first.id == again.id)
            #expect(try await h.client.wbsCodes(project: project).all().filter { $0.flatCode == first.flatCode }.count == 1)

            // A PO line coded by wbs_code_id alone echoes all three objects.
            let po = try await h.client.createPurchaseOrder(project: project, .init(number: "WBS-1", originId: "wbs-1"))
            let result = try await h.client.syncPurchaseOrderLineItems(
                project: project, purchaseOrder: po.id, [.init(description: "Slab", amount: "10.00", wbsCodeId: concrete.id, originId: "wbs-1-1")])
            #expect(result.errors.isEmpty)
            let line = try #require(result.entities.first)
            #expect(line.wbsCode?.id == concrete.id)
            #expect(line.costCode?.id == costCode)
            #expect(line.lineItemType?.code == "M")
        }
    }
}
