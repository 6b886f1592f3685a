import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync
import LentuneTestSupport
import ProcoreAPI
import Testing

/// The connector with a test client: `Procore.Client.failing` with only `projects` answered, so any other call to
/// Procore fails the test with the endpoint's name.
@Suite struct ProjectLinkingTests {
    static func procoreProject(id: Int64, number: String?, stage: String) throws -> Procore.Project {
        let json: [String: Any?] = ["id": id, "name": "Project \(id)", "project_number": number, "project_stage": ["id": 1, "name": stage]]
        return try Procore.decoder.decode(Procore.Project.self, from: JSONSerialization.data(withJSONObject: json.compactMapValues { $0 }))
    }

    @Test(arguments: TestDatabase.kinds)
    func linksLentuneProjectsByProjectNumber_onlyInTheRowsStages(kind: TestDatabase.Kind) async throws {
        try await TestDatabase.with(kind) { database in
            let db = database.db
            let fixture = try await Fixture.make(on: db)  // project P-100
            let bidding = Project(organisationID: fixture.organisation.id, code: "P-200", name: "Tender only")
            try await ReferenceData.insert(bidding, on: db)
            let box = try SecretBox(base64Key: SecretBox.generateKey())
            let connection = ProcoreConnectionRecord(
                organisationID: fixture.organisation.id, environment: .production, clientID: "cid",
                sealedClientSecret: try box.seal("s3cret"), grantType: .clientCredentials, redirectURI: nil,
                sealedWebhookSecret: try box.seal("hook"))
            try await connection.create(on: db)
            let row = ProcoreCompanyLink(
                organisationID: fixture.organisation.id, connectionID: .init(connection.id!), procoreCompanyID: 4_242,
                name: "Kauri Construction Ltd", isLinked: true, purchaseOrderSource: .lentune)
            try await ProcoreSettings.insert(row, on: db)

            let pages: [[Procore.Project]] = [
                [
                    try Self.procoreProject(id: 11, number: "p-100", stage: "Course of Construction"),  // case-insensitive match
                    try Self.procoreProject(id: 12, number: "P-200", stage: "Bidding"),  // not an imported stage
                ],
                [try Self.procoreProject(id: 13, number: nil, stage: "Course of Construction")],  // no number
            ]
            var client = Procore.Client.failing
            client.projects = { company, _, _ in
                company == 4_242 ? .of(pages) : .failing(.status(code: 404, message: "wrong company \(company)", requestID: nil))
            }
            let connector = ProcoreConnector(secrets: box, makeClient: { [client] _ in client })
            let stored = try #require(try await ProcoreSettings.connection(for: fixture.organisation.id, on: db))
            #expect(try await connector.linkMatchingProjects(row: row, connection: stored, on: db) == 1)

            let projects = try await ProjectRecord.scoped(to: fixture.organisation.id, on: db).sort(\.$code).all()
            #expect(projects.map(\.procoreProjectID) == [11, nil])
            #expect(projects.map(\.procoreCompanyLinkID) == [row.id.rawValue, nil])

            // Procore failing: its error comes back and nothing more is linked.
            let failing = ProcoreConnector(secrets: box, makeClient: { _ in .failing })
            await #expect(throws: Procore.Error.unimplemented("projects")) {
                try await failing.linkMatchingProjects(row: row, connection: stored, on: db)
            }
        }
    }

    @Test func failingClient_namesTheEndpointOfEveryCall() async throws {
        let client = Procore.Client.failing
        await #expect(throws: Procore.Error.unimplemented("me")) { try await client.me() }
        await #expect(throws: Procore.Error.unimplemented("companies")) { try await client.companies().all() }
        await #expect(throws: Procore.Error.unimplemented("createDirectCost")) {
            try await client.createDirectCost(project: 1, Procore.DirectCostWrite(vendorId: nil, invoiceNumber: "INV-1", directCostDate: nil, originId: "x", lineItems: []))
        }
        #expect(Procore.Error.unimplemented("me").description.contains("Procore.Client.me"))
    }

    @Test func pagesOf_yieldsEachPageThenEnds() async throws {
        let pages = Procore.Pages<Int>.of([[1, 2], [3], []])
        var seen: [[Int]] = []
        for try await page in pages { seen.append(page) }
        #expect(seen == [[1, 2], [3], []])
        #expect(try await pages.all() == [1, 2, 3])
    }
}
