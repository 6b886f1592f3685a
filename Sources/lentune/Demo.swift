import ArgumentParser
import Foundation
import LentuneCore
import LentunePersistence
import FluentKit
import LentuneSync
import LentuneWeb
import ProcoreSandbox
import Vapor

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run Lentune on embedded defaults with a seeded demo organisation and administrator.",
        discussion: """
            Uses ./lentune-demo.sqlite unless LENTUNE_DATABASE_URL is set. Prints the URL and the demo administrator's
            email and password; LENTUNE_DEMO_PASSWORD sets the password (otherwise a random one is made each start).

            Example:
              lentune demo --port 8080
            """)

    @ArgumentParser.OptionGroup var server: ServerOptions
    @ArgumentParser.OptionGroup var worker: WorkerFlags

    func run() async throws {
        _ = bootstrapLogging
        var overrides = server.overrides
        if ProcessInfo.processInfo.environment["LENTUNE_DATABASE_URL"] == nil {
            overrides["LENTUNE_DATABASE_URL"] = "sqlite://lentune-demo.sqlite"
        }
        let config = loadConfig(overrides: overrides)
        let password = ProcessInfo.processInfo.environment["LENTUNE_DEMO_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
            ?? String(Tokens.randomPassword())
        guard password.count >= 8 else {
            throw ValidationError("LENTUNE_DEMO_PASSWORD must have at least 8 characters.")
        }
        // The Procore sandbox runs in this process; Lentune is connected to it as a service account.
        let sandboxSecret = String(Tokens.randomPassword())
        let sandbox = try await RunningSandbox.start(
            port: 0, seed: "demo", clientID: "lentune-demo", clientSecret: sandboxSecret,
            redirectURIs: [config.publicURL.absoluteString + "/administration/settings/procore/callback"])
        // A second service account for a person (curl, Postman) to act as another Procore app.
        let personSecret = String(Tokens.randomPassword())
        sandbox.server.register(clientID: "demo-person", secret: personSecret, name: "A person trying the sandbox")
        do {
            try await LentuneServer.run(
                config: config, worker: worker.options,
                prepare: { app in
                    let hash = try await app.password.async.hash(password)
                    try await DemoData.seed(passwordHash: hash, on: app.db)
                    try await connectDemo(app: app, sandbox: sandbox, secret: sandboxSecret)
                },
                onStart: { _, url in
                    printNow(
                        """
                        Lentune demo is running at \(url)
                          administrator: \(DemoData.administratorEmail)
                          AP officer:    \(DemoData.apOfficerEmail)
                          password:      \(password)
                        Procore sandbox: \(sandbox.baseURL.absoluteString) (company id \(Seeds.demoCompanyID))
                          console:       \(sandbox.baseURL.absoluteString)/_sandbox
                          API client:    demo-person / \(personSecret) (client credentials at \(sandbox.baseURL.absoluteString)/oauth/token)
                        Press Ctrl-C to stop.
                        """)
                })
        } catch {
            await sandbox.shutdown()
            throw error
        }
        await sandbox.shutdown()
    }
}

/// Points the demo organisation's Procore connection at the in-process sandbox and loads the Procore company list.
func connectDemo(app: Application, sandbox: RunningSandbox, secret: String) async throws {
    guard let organisation = try await OrganisationRecord.query(on: app.db).filter(\.$name == DemoData.organisationName).first(),
        let admin = try await Accounts.user(email: DemoData.administratorEmail, on: app.db)
    else { return }
    let services = app.lentune
    let record = try await ProcoreSettings.saveConnection(
        .init(
            environment: .custom(authBaseURL: sandbox.authBaseURL, apiBaseURL: sandbox.apiBaseURL), clientID: "lentune-demo",
            clientSecret: secret, grantType: .clientCredentials, redirectURI: nil, serviceCompanyID: Seeds.demoCompanyID),
        organisation: organisation.domain.id, actor: admin.domain, secrets: services.secrets, now: services.now(), on: app.db)
    if case .failure(let failure) = await services.connector.test(record, serviceCompany: Seeds.demoCompanyID, on: app.db) {
        app.logger.error("the demo could not connect to its Procore sandbox: \(failure.description)")
        return
    }
    // Link the company row through the same save as the company list's (which queues its webhook registration and
    // reference import), then run that work now, so the demo opens with Procore's projects, vendors and cost codes
    // already imported (demo projects whose codes equal Procore project numbers are linked, not duplicated).
    guard let row = try await ProcoreCompanyLinkRecord.scoped(to: organisation.domain.id, on: app.db)
        .filter(\.$procoreCompanyID == Seeds.demoCompanyID).first()
    else { return }
    let now = services.now()
    if !row.isLinked {
        var linked = row.domain
        linked.isLinked = true
        _ = try await ProcoreSettings.save(linked, expectedVersion: row.version, actor: admin.domain, now: now, on: app.db)
    } else {
        // A restarted demo has a fresh sandbox: register the hook and import again.
        for kind in [SyncJob.Kind.registerHooks, .syncReferenceData] {
            try await Outbox.enqueue(.companyWide(kind, of: row.domain, now: now), on: app.db)
        }
    }
    let summary = try await services.engine.worker(db: app.db).runOnce()
    if summary.done < summary.claimed {
        app.logger.error("the demo's first Procore import did not complete: see Administration › Integration log")
    }
    // The demo's tax codes mapped to the sandbox's (an administrator does this on the Tax mapping page), so its POs
    // can be sent to Procore as soon as the company is switched to Lentune purchase order.
    if let linked = try await ProcoreSettings.link(.init(row.id!), on: app.db) {
        let procore = try await TaxMappings.mapping(of: linked, on: app.db).procoreCodes.values
        var mappings: [LentuneCore.TaxCode.ID: ProcoreID] = [:]
        for code in try await ReferenceData.taxCodes(in: organisation.domain.id, on: app.db) {
            let wanted = code.code == "E" ? "EXEMPT" : code.code.uppercased()
            if let match = procore.first(where: { $0.code.uppercased() == wanted && !$0.archived }) { mappings[code.id] = match.procoreID }
        }
        _ = try await TaxMappings.save(mappings, default: nil, row: linked, actor: admin.domain, now: services.now(), on: app.db)
    }
}

enum Tokens {
    /// 16 characters from an unambiguous alphabet.
    static func randomPassword() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        return String((0..<16).map { _ in alphabet.randomElement()! })
    }
}
