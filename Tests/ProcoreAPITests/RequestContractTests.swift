import Foundation
import LentuneTestSupport
@testable import ProcoreAPI
import Testing

/// The client's request snapshots (`__Snapshots__/*.txt`, what `Procore.Endpoint` builds) held against Procore's
/// published description (issue 26): each names an operation of the excerpt, and its query and body are ones that
/// operation takes (no field its body model lacks).
@Suite struct RequestContractTests {
    static var snapshots: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("__Snapshots__")
    }

    /// A snapshot's text back as a request: method, path, query, headers and body.
    static func request(_ text: String) -> (method: String, path: String, query: [(name: String, value: String)], headers: [String: String], body: Data)? {
        var lines = text.components(separatedBy: "\n")
        guard let first = lines.first?.split(separator: " ", maxSplits: 1), first.count == 2 else { return nil }
        lines.removeFirst()
        let method = String(first[0])
        let path = String(first[1].drop { $0 != ":" }.dropFirst())
        var query: [(name: String, value: String)] = []
        var headers: [String: String] = [:]
        var formFields: [String] = []
        var files: [(String, String)] = []
        var body = Data()
        for line in lines where !line.isEmpty {
            if line.hasPrefix("  ?") {
                let pair = line.dropFirst(3).split(separator: "=", maxSplits: 1).map(String.init)
                query.append((pair[0], pair.count > 1 ? pair[1] : ""))
            } else if line.hasPrefix("  Procore-Company-Id:") {
                headers["procore-company-id"] = "4242"
            } else if line.hasPrefix("  Content-Type: ") {
                headers["content-type"] = String(line.dropFirst("  Content-Type: ".count))
            } else if line.hasPrefix("  "), headers["content-type"]?.hasPrefix("multipart") == true, let colon = line.range(of: ": ") {
                let field = String(line[line.index(line.startIndex, offsetBy: 2)..<colon.lowerBound])
                files.append((field, String(line[colon.upperBound...]).components(separatedBy: " (").first ?? ""))
            } else if line.hasPrefix("  ") {
                formFields.append(String(line.dropFirst(2)))
            } else {
                body.append(Data(line.utf8))
            }
        }
        if headers["content-type"]?.hasPrefix("application/x-www-form-urlencoded") == true {
            body = Data(formFields.joined(separator: "&").utf8)
        } else if headers["content-type"]?.hasPrefix("multipart") == true {
            // Rebuilt as a real multipart body, so the check reads it as it reads one off the wire.
            let boundary = "snapshot"
            var text = ""
            for field in formFields {
                let pair = field.split(separator: "=", maxSplits: 1).map(String.init)
                text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(pair[0])\"\r\n\r\n\(pair.count > 1 ? pair[1] : "")\r\n"
            }
            for (field, filename) in files {
                text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field)\"; filename=\"\(filename)\"\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n"
            }
            text += "--\(boundary)--\r\n"
            body = Data(text.utf8)
            headers["content-type"] = "multipart/form-data; boundary=\(boundary)"
        }
        return (method, path, query, headers, body)
    }

    @Test func everySnapshotRequest_isOneProcoresDescriptionTakes() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.snapshots.path).filter { $0.hasSuffix(".txt") }.sorted()
        #expect(files.count >= 14)
        let check = ContractCheck()
        var problems: [String] = []
        for file in files {
            let text = try String(contentsOf: Self.snapshots.appendingPathComponent(file), encoding: .utf8)
            guard let request = Self.request(text) else {
                problems.append("\(file): not a request snapshot")
                continue
            }
            guard let findings = check.requestFindings(
                method: request.method, path: request.path, query: request.query, headers: request.headers, body: request.body)
            else {
                problems.append("\(file): \(request.method) \(request.path) is not an operation of Procore's excerpt")
                continue
            }
            problems += findings.map { "\(file): \($0)" }
        }
        #expect(problems.isEmpty, "\n\(problems.joined(separator: "\n"))")
    }

    /// The check itself: a field the body model lacks, a repeated single filter and a missing required field are
    /// each found.
    @Test func theCheck_refusesUnknownFields_repeatedFilters_andMissingRequiredFields() {
        let check = ContractCheck()
        let body = Data(#"{"direct_cost":{"direct_cost_type":"invoice","vendor_id":1,"invoice_number":"A","line_items":[{"cost_code_id":3,"manual_amount":1}]}}"#.utf8)
        let found = check.requestFindings(
            method: "POST", path: "/rest/v1.1/projects/1/direct_costs", query: [],
            headers: ["content-type": "application/json", "procore-company-id": "1"], body: body) ?? []
        #expect(found.contains { $0.problem.unknownField && $0.problem.path == "$.direct_cost.line_items[0].cost_code_id" })
        #expect(found.contains { $0.problem.path == "$.direct_cost.line_items[0].wbs_code_id" })
        let repeated = check.requestFindings(
            method: "GET", path: "/rest/v1.0/purchase_order_contracts",
            query: [("project_id", "1"), ("filters[status]", "Approved"), ("filters[status]", "Draft")],
            headers: ["procore-company-id": "1"], body: Data()) ?? []
        #expect(repeated.contains { $0.problem.path == "?filters[status]" })
        #expect(check.requestFindings(method: "GET", path: "/rest/v1.0/nothing", query: [], headers: [:], body: Data()) == nil)
    }

    /// The copy the tests judge by is Procore's excerpt unchanged (when the shared reference is on this machine).
    @Test func theExcerptCopy_isTheSharedReference() throws {
        let shared = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/reference/procore-openapi-excerpt.json")
        guard let reference = try? Data(contentsOf: shared) else { return }
        #expect(try Data(contentsOf: ProcoreExcerpt.fileURL) == reference, "Tests/Fixtures/ProcoreOpenAPI differs from \(shared.path)")
    }
}
