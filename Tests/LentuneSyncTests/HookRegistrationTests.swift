import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import LentuneTestSupport
import ProcoreAPI
import ProcoreSandbox
import Testing

/// `hooks.register` against the sandbox, held to Procore's description (issue 26): triggers echo `CREATED`, company
/// resources go on the company's hook and project resources on a hook per linked project, a second registration
/// changes nothing, and a trigger Procore refuses is shown on the company row while the sweep covers its resource.
@Suite struct HookRegistrationTests {
    typealias World = PurchaseOrderPushTests.World

    static func register(_ w: World) async throws {
        try await Outbox.enqueue(.companyWide(.registerHooks, of: w.row, now: Date()), on: w.db)
        let summary = try await w.worker.runOnce()
        let error = try await Outbox.jobs(in: w.org, on: w.db).first { $0.kind == .registerHooks }?.lastError ?? ""
        #expect(summary.done == 1, "\(error)")
    }

    static func writes(_ w: World, since mark: Int) -> [String] {
        w.sandbox.server.store.requestLog.all().dropFirst(mark).filter { $0.method == "POST" && $0.route.contains("/webhooks/") }.map(\.route)
    }

    @Test(arguments: TestDatabase.kinds)
    func registeringTwice_createsNothingTheSecondTime(kind: TestDatabase.Kind) async throws {
        try await PurchaseOrderPushTests.world(kind) { w in
            let store = w.sandbox.server.store
            try await Self.register(w)
            #expect(store.read { $0.triggers.count } > 0)
            let mark = store.requestLog.all().count
            try await Self.register(w)
            #expect(Self.writes(w, since: mark).isEmpty, "the second registration wrote \(Self.writes(w, since: mark))")
            guard case .registered = try #require(try await ProcoreSettings.link(w.row.id, on: w.db)).hook else {
                Issue.record("the row's hook is not registered")
                return
            }
        }
    }

    @Test(arguments: TestDatabase.kinds)
    func companyResources_goOnTheCompanyHook_andProjectResources_onAHookPerLinkedProject(kind: TestDatabase.Kind) async throws {
        try await PurchaseOrderPushTests.world(kind) { w in
            try await InvoicePostingTests.setSource(w, .procore)
            try await Self.register(w)
            let store = w.sandbox.server.store
            let hooks = store.read { $0.hooks.filter { $0.companyID == Seeds.demoCompanyID && $0.namespace == HookRegistration.namespace } }
            let companyHook = try #require(hooks.first { $0.projectID == nil })
            let companyTriggers = Set(store.read { $0.triggers.filter { $0.hookID == companyHook.id }.map(\.resourceName) })
            #expect(companyTriggers == ["Projects", "Company Vendors"])
            let linked = try await ReferenceData.projects(in: w.org, on: w.db).filter { $0.procoreCompanyLinkID == w.row.id && $0.isActive }
                .compactMap(\.procoreProjectID)
            #expect(!linked.isEmpty)
            for project in linked {
                let hook = try #require(hooks.first { $0.projectID == project }, "no hook in project \(project)")
                let triggers = store.read { $0.triggers.filter { $0.hookID == hook.id }.map { "\($0.resourceName) \($0.eventType)" } }
                #expect(Set(triggers) == [
                    "Purchase Order Contracts create", "Purchase Order Contracts update", "Purchase Order Contracts delete",
                    "Purchase Order Contract Line Items create", "Purchase Order Contract Line Items update", "Purchase Order Contract Line Items delete",
                ])
            }
            // Unlinking removes them all.
            try await Outbox.enqueue(.companyWide(.unregisterHooks, of: w.row, now: Date()), on: w.db)
            #expect(try await w.worker.runOnce().done == 1)
            #expect(store.read { $0.hooks.filter { $0.namespace == HookRegistration.namespace } }.isEmpty)
        }
    }
}
