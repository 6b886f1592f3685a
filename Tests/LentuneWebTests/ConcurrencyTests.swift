import Foundation
import LentuneCore
import LentunePersistence
import LentuneTestSupport
@testable import LentuneWeb
import Testing
import Vapor
import VaporTesting

/// Requests that race, on both databases (on PostgreSQL they really run at once; SQLite's single writer lines them
/// up): the same create sent ten times at once makes one PO.
@Suite struct ConcurrentRequestTests {
    static func body(_ h: WebHarness) -> String {
        #"{"supplier_id": "\#(h.orgA.supplier.id)", "project_id": "\#(h.orgA.project.id)", "title": "Bolts", "lines": [{"description": "M12", "quantity": "10", "unit_cost": "2"}]}"#
    }

    @Test(arguments: TestDatabase.kinds)
    func tenCreatesWithOneIdempotencyKeyAtOnce_makeOnePurchaseOrder(kind: TestDatabase.Kind) async throws {
        try await WebHarness.with(kind) { h in
            let token = try await h.apiToken("ap_officer@a.example")
            let headers: HTTPHeaders = [
                "Authorization": "Bearer \(token)", "Accept": "application/json", "Content-Type": "application/json",
                "Idempotency-Key": "double-click-4e2a",
            ]
            let body = Self.body(h)
            let answers = try await withThrowingTaskGroup(of: (HTTPStatus, String?).self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        let reply = try await h.client().send(.POST, "/api/v1/purchase-orders", headers: headers, body: ByteBuffer(string: body))
                        return (reply.status, reply.headers.first(name: .location))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.count(where: { $0.0 == .created }) == 1, "\(answers.map(\.0))")
            #expect(answers.allSatisfy { $0.0 == .created || $0.0 == .ok }, "\(answers.map(\.0))")
            #expect(Set(answers.map(\.1)).count == 1)
            #expect(try await PurchaseOrders.count(in: h.orgA.organisation.id, on: h.app.db) == 1)
        }
    }
}
