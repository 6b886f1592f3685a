import ArgumentParser
import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import LentuneWeb
import ProcoreSandbox
import Vapor

/// The benchmarks' organisation: linked to the sandbox's demo company with `source` ticked, its reference data
/// imported, GST mapped, and the first Procore project's cost codes, a cost type and a vendor-linked supplier at hand.
struct BenchCompany {
    var organisation: LentuneCore.Organisation.ID
    var admin: LentuneCore.User
    var row: ProcoreCompanyLink
    var project: LentuneCore.Project
    var codes: [LentuneCore.CostCode]
    var type: LentuneCore.CostType
    var supplier: LentuneCore.Supplier
    var taxCodes: [LentuneCore.TaxCode]

    static let name = "Bench Construction Ltd"

    static func prepare(app: Application, sandbox: SandboxProcess, source: PurchaseOrderSource, worker: SyncWorker) async throws -> BenchCompany {
        let company = Seeds.demoCompanyID
        let db = app.db
        let organisation = try await Accounts.organisation(named: name, on: db).domain.id
        let admin = try await Accounts.createUser(
            organisation: organisation, email: "bench@bench.example", name: "Bench", role: .administrator, passwordHash: "-",
            approvalLimit: 1_000_000_000, on: db)
        let connection = try await ProcoreSettings.saveConnection(
            .init(environment: .custom(authBaseURL: sandbox.baseURL, apiBaseURL: sandbox.baseURL), clientID: "bench",
                  clientSecret: "bench-secret", grantType: .clientCredentials, redirectURI: nil, serviceCompanyID: company),
            organisation: organisation, actor: admin, secrets: app.lentune.secrets, now: Date(), on: db)
        let row = ProcoreCompanyLink(
            organisationID: organisation, connectionID: .init(connection.id), procoreCompanyID: company, name: "Bench", isLinked: true,
            purchaseOrderSource: source, projectStages: ["Course of Construction"])
        try await ProcoreSettings.insert(row, on: db)
        try await Outbox.enqueue(.companyWide(.syncReferenceData, of: row, now: Date()), on: db)
        try await Outbox.enqueue(.companyWide(.registerHooks, of: row, now: Date()), on: db)
        try await drain(worker, on: db)
        let taxCodes = try await ReferenceData.taxCodes(in: organisation, on: db)
        if let procoreGST = try await TaxMappings.mapping(of: row, on: db).procoreCodes.values.first(where: { $0.code == "GST" }) {
            _ = try await TaxMappings.save(
                Dictionary(uniqueKeysWithValues: taxCodes.map { ($0.id, procoreGST.procoreID) }), default: procoreGST.procoreID, row: row,
                actor: admin, now: Date(), on: db)
        }
        let projects = try await ReferenceData.projects(in: organisation, on: db).filter { $0.procoreCompanyLinkID == row.id && $0.isActive }
        guard let project = projects.first else { throw ValidationError("No Procore project was imported.") }
        let codes = try await ReferenceData.costCodes(in: organisation, project: project.id, on: db).filter { $0.procoreCostCodeID != nil }
        guard let type = try await ReferenceData.costTypes(in: organisation, on: db).first(where: { $0.procoreLineItemTypes[row.id] != nil }),
            let supplier = try await ReferenceData.suppliers(in: organisation, on: db).first(where: { $0.procoreVendors[row.id] != nil }),
            !codes.isEmpty
        else { throw ValidationError("The reference import brought no cost codes, cost types or vendors.") }
        return BenchCompany(
            organisation: organisation, admin: admin, row: row, project: project, codes: codes, type: type, supplier: supplier, taxCodes: taxCodes)
    }

    /// Runs the worker until no job is pending or running.
    static func drain(_ worker: SyncWorker, on db: any Database) async throws {
        while true {
            let waiting = try await Outbox.depth(on: db)
            if (waiting[.pending] ?? 0) + (waiting[.running] ?? 0) == 0 { return }
            if try await worker.runOnce(limit: 400).claimed == 0 { try await Task.sleep(for: .milliseconds(50)) }
        }
    }
}
