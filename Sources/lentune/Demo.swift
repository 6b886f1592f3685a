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
    try await seedDemoInvoices(app: app, organisation: organisation.domain.id, admin: admin.domain)
    // The approved one posts (a direct cost: the company starts with neither box ticked).
    _ = try await services.engine.worker(db: app.db).runOnce()
}

enum Tokens {
    /// 16 characters from an unambiguous alphabet.
    static func randomPassword() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        return String((0..<16).map { _ in alphabet.randomElement()! })
    }
}

/// A few invoices in different stages on a Procore-linked demo project, so the invoice flow can be tried at once:
/// one Unchecked with its PDF, one Awaiting approval, and one Approved (posted to the sandbox by the worker).
/// Seeded once (a restarted demo keeps what it has).
func seedDemoInvoices(app: Application, organisation: Organisation.ID, admin: LentuneCore.User) async throws {
    let db = app.db
    guard try await Invoices.recent(in: organisation, limit: 1, on: db).isEmpty else { return }
    let projects = try await ReferenceData.projects(in: organisation, on: db).filter { $0.procoreProjectID != nil && $0.isActive }
    let suppliers = try await ReferenceData.suppliers(in: organisation, on: db)
    guard let project = projects.first, let supplier = suppliers.first(where: { !$0.procoreVendors.isEmpty }) ?? suppliers.first else { return }
    let codes = try await ReferenceData.costCodes(in: organisation, project: project.id, on: db).filter { $0.procoreCostCodeID != nil }
    let types = try await ReferenceData.costTypes(in: organisation, on: db)
    let gst = try await ReferenceData.taxCodes(in: organisation, on: db).first { $0.code == "GST" }
    guard codes.count >= 2, let type = types.first else { return }
    let now = app.lentune.now()
    let stages: [(String, Decimal, [InvoiceWorkflow.Action])] = [
        ("DEMO-1001", Decimal(string: "1250.00")!, []),
        ("DEMO-1002", Decimal(string: "860.40")!, [.check]),
        ("DEMO-1003", Decimal(string: "2399.90")!, [.check, .approve(acceptingOverAllocation: false)]),
    ]
    for (index, (number, amount, actions)) in stages.enumerated() {
        let first = (amount * Decimal(string: "0.6")!).roundedToCents()
        let lines = [(first, codes[0]), (amount - first, codes[1])].map { value, code in
            Invoice.Line(description: "\(code.name) – \(number)", costCodeID: code.id, costTypeID: type.id, taxCodeID: gst?.id,
                         amount: value, tax: gst == nil ? 0 : (value * Decimal(string: "0.15")!).roundedToCents())
        }
        let invoice = Invoice(
            organisationID: organisation, supplierID: supplier.id, number: number, invoiceDate: now.addingTimeInterval(Double(-index - 1) * 86_400),
            dueDate: now.addingTimeInterval(20 * 86_400), projectID: project.id, lines: lines,
            statedTotalExcludingTax: lines.reduce(0) { $0 + $1.amount }, statedTax: lines.reduce(0) { $0 + $1.tax }, approverID: admin.id)
        let document = Invoices.Document(filename: "\(number).pdf", bytes: demoPDF(title: "Invoice \(number) from \(supplier.name)"))
        let stored = try await InvoiceCommands.capture(invoice, document: document, actor: admin, now: now, on: db)
        for action in actions {
            _ = try await InvoiceCommands.act(action, on: stored.id, organisation: organisation, actor: admin, now: now, on: db)
        }
    }
}

/// A one-page PDF showing `title` (a valid file: header, objects, cross-reference table and trailer).
func demoPDF(title: String) -> Data {
    let text = title.replacingOccurrences(of: "\\", with: "").replacingOccurrences(of: "(", with: "").replacingOccurrences(of: ")", with: "")
        .unicodeScalars.filter(\.isASCII).map(String.init).joined()
    let stream = "BT /F1 18 Tf 72 720 Td (\(text)) Tj ET"
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        "<< /Length \(stream.utf8.count) >>\nstream\n\(stream)\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    var pdf = "%PDF-1.4\n"
    var offsets: [Int] = []
    for (index, object) in objects.enumerated() {
        offsets.append(pdf.utf8.count)
        pdf += "\(index + 1) 0 obj\n\(object)\nendobj\n"
    }
    let xref = pdf.utf8.count
    pdf += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
    for offset in offsets { pdf += String(format: "%010d 00000 n \n", offset) }
    pdf += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
    return Data(pdf.utf8)
}
