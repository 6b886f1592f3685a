import Foundation
import NIOConcurrencyHelpers
import Vapor

/// A local stand-in for Procore's REST API. The auth surface (`/oauth/…`) and the API surface (`/rest/…`) share one
/// host; `/_sandbox/…` is the sandbox's own admin surface. See docs/SANDBOX.md.
public final class ProcoreSandboxServer: Sendable {
    public let store: SandboxStore
    public let dispatcher: WebhookDispatcher
    /// Registrations survive `/_sandbox/reset`, so a test's client keeps working across resets.
    /// Clients registered through `register`, kept across resets; `allCompanies` when registered without a company
    /// list (it then reaches every company of whatever state is loaded).
    private let registrations = NIOLockedValueBox<[(client: OAuthClient, allCompanies: Bool)]>([])

    public init(store: SandboxStore, client: any Client) {
        self.store = store
        dispatcher = WebhookDispatcher(store: store, client: client)
    }

    /// Registers routes and middleware on `app` and starts the webhook dispatcher with it.
    public func configure(_ app: Application) {
        app.routes.defaultMaxBodySize = "20mb"
        app.middleware = Middlewares()
        app.middleware.use(RequestLogging(store: store))
        app.middleware.use(SandboxErrors())
        // The gate wraps every /rest/ request, matched or not: an unknown path is a 404 that still needs a token
        // and spends quota, as on Procore.
        app.middleware.use(APIGate(store: store))
        OAuthRoutes.register(app, store: store)
        AdminRoutes.register(app, sandbox: self)
        ConsoleRoutes.register(app, store: store)
        WebAppRoutes.register(app, store: store)
        let api: any RoutesBuilder = app
        CompanyRoutes.register(api, store: store)
        VendorRoutes.register(api, store: store)
        CostRoutes.register(api, store: store)
        WBSRoutes.register(api, store: store)
        PurchaseOrderRoutes.register(api, store: store)
        DirectCostRoutes.register(api, store: store)
        RequisitionRoutes.register(api, store: store)
        WebhookRoutes.register(api, store: store)
        app.lifecycle.use(DispatcherLifecycle(dispatcher: dispatcher))
    }

    /// Adds an OAuth client: a service account that can reach `companyIDs` (all companies when nil).
    @discardableResult
    public func register(
        clientID: String, secret: String, name: String? = nil, redirectURIs: [String] = [], companyIDs: [Int64]? = nil
    ) -> OAuthClient {
        let client = store.write { data -> OAuthClient in
            let client = OAuthClient(
                clientID: clientID, clientSecret: secret, name: name ?? "Sandbox app \(clientID)", redirectURIs: redirectURIs,
                userID: data.users.first?.id ?? Seeds.defaultUserID, companyIDs: companyIDs ?? data.companies.map(\.id))
            data.clients.removeAll { $0.clientID == clientID }
            data.clients.append(client)
            return client
        }
        registrations.withLockedValue { list in
            list.removeAll { $0.client.clientID == clientID }
            list.append((client, companyIDs == nil))
        }
        return client
    }

    /// Replaces all state (a reset or a seed) and re-adds registered clients: one registered for every company reaches
    /// every company of the new state; one registered with a company list keeps exactly that list.
    public func replace(with data: SandboxData) {
        var fresh = data
        if fresh.users.isEmpty { fresh.users = Seeds.empty().users }
        fresh.settings = store.settings
        for (client, allCompanies) in registrations.withLockedValue({ $0 })
        where !fresh.clients.contains(where: { $0.clientID == client.clientID }) {
            var copy = client
            if allCompanies { copy.companyIDs = fresh.companies.map(\.id) }
            copy.userID = fresh.users[0].id
            fresh.clients.append(copy)
        }
        store.replace(with: fresh)
    }
}

/// Errors outside the API gate (admin surface, unknown routes) in Procore's v1 shape.
struct SandboxErrors: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch let error as ProcoreError {
            return error.response()
        } catch let abort as any AbortError {
            let message = abort.status == .notFound ? "404 Not Found" : abort.reason
            return ProcoreError.message(abort.status, message).response()
        } catch {
            request.logger.error("sandbox error: \(String(reflecting: error))")
            return ProcoreError.message(.internalServerError, "Internal Server Error").response()
        }
    }
}

struct DispatcherLifecycle: LifecycleHandler {
    let dispatcher: WebhookDispatcher
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(dispatcher: WebhookDispatcher) { self.dispatcher = dispatcher }

    func didBootAsync(_ application: Application) async throws {
        let dispatcher = self.dispatcher
        task.withLockedValue { $0 = Task { await dispatcher.run() } }
    }

    func shutdownAsync(_ application: Application) async {
        task.withLockedValue { $0?.cancel() }
    }
}
