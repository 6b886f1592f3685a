import Fluent
import LentuneCore
import LentunePersistence
import Vapor

/// The composition root of the web app: databases, services, middleware and routes, built once.
public func configure(_ app: Application, config: LentuneConfig, now: @escaping @Sendable () -> Date = { Date() })
    async throws
{
    _ = LentuneMetrics.bootstrap
    app.lentune = try LentuneServices(config: config, now: now)
    app.logger.logLevel = config.logLevel
    app.http.server.configuration.hostname = config.hostname
    app.http.server.configuration.port = config.port
    // Vapor's own per-request metrics would build a counter and a timer through the metrics factory on every request
    // (a lock and a label lookup each); `RequestMetrics` records the same figures once per route, as `lentune_http_*`.
    app.http.server.configuration.reportMetrics = false
    // Forms and JSON bodies are small; anything larger is refused with 413 before a handler sees it.
    app.routes.defaultMaxBodySize = "1mb"
    app.passwords.use(.bcrypt(cost: config.passwordCost))

    app.databases.use(try config.database.configurationFactory(), as: config.database.databaseID, isDefault: true)
    app.lentune.webhookWriter = WebhookEvents.Writer(db: try WebhookWriterDatabase.database(app, config: config))
    app.migrations.add(LentuneMigrations.all)
    // One summary line at info (LentuneServer.run); each migration's own lines only at debug.
    app.fluent.migrationLogLevel = .debug

    app.middleware = Middlewares()
    app.middleware.use(HeaderGuard())
    app.middleware.use(RequestMetrics())
    app.middleware.use(ErrorPages())
    app.middleware.use(MethodNotAllowed())
    app.middleware.use(SecurityHeaders())
    app.middleware.use(BodyLimit())
    app.middleware.use(SessionAuthenticator())
    app.middleware.use(CSRFProtection())

    routes(app)
    let route = webhookRoute(in: app)
    app.responder.use { app in WebhookLane(route: route, next: app.responder.default) }
}

func routes(_ app: Application) {
    app.get(SiteURL.components(.healthz), use: HealthController.healthz)
    app.get(SiteURL.components(.metrics), use: HealthController.metrics)
    app.get(SiteURL.components(.stylesheet), use: HealthController.stylesheet)
    app.get(SiteURL.components(.script), use: HealthController.script)
    app.get(SiteURL.components(.signIn), use: SessionController.show)
    app.post(SiteURL.components(.signIn), use: SessionController.signIn)
    app.post(SiteURL.components(.signOut), use: SessionController.signOut)

    let signedIn = app.grouped(RequireSignIn())
    signedIn.get(use: DocumentsController.home)
    signedIn.get(SiteURL.components(.invoices), use: InvoiceController.list)
    signedIn.get(SiteURL.components(.approvals), use: InvoiceController.approvals)
    signedIn.post(SiteURL.components(.approveSelected), use: InvoiceController.approveSelected)
    signedIn.on(.POST, SiteURL.components(.invoices), body: .collect(maxSize: "28mb"), use: InvoiceController.create)
    signedIn.get(SiteURL.components(.newInvoice), use: InvoiceController.new)
    signedIn.get(SiteURL.components(.invoice(UUID())), use: InvoiceController.show)
    signedIn.on(.POST, SiteURL.components(.invoice(UUID())), body: .collect(maxSize: "28mb"), use: InvoiceController.update)
    signedIn.get(["invoices", ":id", "edit"], use: InvoiceController.edit)
    signedIn.get(SiteURL.components(.invoiceDocument(UUID())), use: InvoiceController.document)
    signedIn.post(SiteURL.components(.invoiceAction(UUID(), "")), use: InvoiceController.action)
    signedIn.get(SiteURL.components(.purchaseOrders), use: PurchaseOrderController.list)
    signedIn.post(SiteURL.components(.purchaseOrders), use: PurchaseOrderController.create)
    signedIn.get(SiteURL.components(.newPurchaseOrder), use: PurchaseOrderController.new)
    signedIn.get(SiteURL.components(.purchaseOrder(UUID())), use: PurchaseOrderController.show)
    signedIn.post(SiteURL.components(.purchaseOrder(UUID())), use: PurchaseOrderController.update)
    signedIn.get(SiteURL.components(.editPurchaseOrder(UUID())), use: PurchaseOrderController.edit)
    signedIn.post(SiteURL.components(.purchaseOrderAction(UUID(), "")), use: PurchaseOrderController.action)
    signedIn.post(SiteURL.components(.purchaseOrderSync(UUID())), use: PurchaseOrderController.sync)
    signedIn.get(SiteURL.components(.suppliers), use: DocumentsController.suppliers)
    signedIn.get(SiteURL.components(.projects), use: DocumentsController.projects)
    signedIn.get(SiteURL.components(.project(UUID())), use: DocumentsController.project)
    signedIn.get(SiteURL.components(.supplier(UUID())), use: DocumentsController.supplier)

    let administrators = signedIn.grouped(RequireRole(allowed: \.mayAdminister))
    administrators.get(SiteURL.components(.administration), use: AdministrationController.index)
    administrators.get(SiteURL.components(.users), use: AdministrationController.users)
    administrators.post(SiteURL.components(.users), use: AdministrationController.createUser)
    administrators.post(SiteURL.components(.user(UUID())), use: AdministrationController.updateUser)
    administrators.post(SiteURL.components(.userPassword(UUID())), use: AdministrationController.setPassword)
    administrators.post(SiteURL.components(.userActive(UUID())), use: AdministrationController.setActive)
    administrators.get(SiteURL.components(.auditLog), use: AdministrationController.auditLog)
    signedIn.get(SiteURL.components(.integrationLog), use: IntegrationLogController.show)
    administrators.post(SiteURL.components(.integrationLogRetry(UUID())), use: IntegrationLogController.retry)
    administrators.post(SiteURL.components(.integrationLogRetryAll), use: IntegrationLogController.retryAll)
    administrators.post(SiteURL.components(.integrationLogRetrySelected), use: IntegrationLogController.retrySelected)
    administrators.post(SiteURL.components(.integrationLogSweep), use: IntegrationLogController.sweep)
    administrators.post(SiteURL.components(.integrationLogReconcile), use: ReconcileController.reconcile)
    administrators.post(SiteURL.components(.integrationLogReconcileRepair), use: ReconcileController.repair)
    administrators.get(SiteURL.components(.settings), use: SettingsController.general)
    administrators.get(SiteURL.components(.settingsIntegrations), use: SettingsController.integrations)
    administrators.get(SiteURL.components(.settingsProcore), use: SettingsController.procore)
    administrators.post(SiteURL.components(.procoreConnection), use: SettingsController.saveConnection)
    administrators.post(SiteURL.components(.procoreTest), use: SettingsController.testConnection)
    administrators.post(SiteURL.components(.procoreConnect), use: SettingsController.connect)
    administrators.get(SiteURL.components(.procoreCallback), use: SettingsController.callback)
    administrators.post(SiteURL.components(.procoreCompanies), use: SettingsController.saveCompanies)
    administrators.post(SiteURL.components(.procoreRefresh), use: SettingsController.refreshCompanies)
    administrators.post(SiteURL.components(.procoreReregister(UUID())), use: SettingsController.reregister)
    administrators.get(SiteURL.components(.referenceData(UUID())), use: ReferenceDataController.show)
    administrators.post(SiteURL.components(.referenceDataSync(UUID())), use: ReferenceDataController.syncNow)
    administrators.get(SiteURL.components(.supplierMapping(UUID())), use: SupplierMappingController.show)
    administrators.post(SiteURL.components(.supplierMapping(UUID())), use: SupplierMappingController.decide)
    administrators.get(SiteURL.components(.taxMapping(UUID())), use: TaxMappingController.show)
    administrators.post(SiteURL.components(.taxMapping(UUID())), use: TaxMappingController.save)

    app.on(.POST, SiteURL.components(.procoreWebhook(UUID())), body: .collect(maxSize: WebhookController.collectLimit),
           use: WebhookController.receive)

    APIController.register(app)
}

/// The database the webhook group commit writes with. On PostgreSQL its connections live on an event loop of their
/// own: on the web app's loops, a flush's query would be sent only once the loop had read and answered every request
/// it had ready (a burst of deliveries), and its answer read after the next such round, so deliveries waited on the
/// loop, not on the database. SQLite (one file, or one in-memory database per process) keeps the app's database.
enum WebhookWriterDatabase {
    static func database(_ app: Application, config: LentuneConfig) throws -> any Database {
        guard config.database.isPostgres else { return app.db }
        let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let databases = Databases(threadPool: app.threadPool, on: loop)
        databases.use(try config.database.configurationFactory(), as: config.database.databaseID, isDefault: true)
        app.lifecycle.use(Shutdown(databases: databases, loop: loop))
        guard let database = databases.database(logger: app.logger, on: loop.next()) else { throw Unavailable() }
        return database
    }

    struct Unavailable: Error, CustomStringConvertible {
        var description: String { "The webhook writer's database could not be opened." }
    }

    struct Shutdown: LifecycleHandler {
        let databases: Databases
        let loop: MultiThreadedEventLoopGroup

        func shutdownAsync(_ application: Application) async {
            await databases.shutdownAsync()
            try? await loop.shutdownGracefully()
        }
    }
}
