import Foundation
import LentuneTestSupport
@testable import ProcoreAPI
import Testing

/// Every field a client DTO decodes must exist in the answer Procore describes for the operation it is decoded from
/// (issue 26). The fields are found by decoding each DTO from a decoder that answers every key and records which it
/// was asked for, so the list is the DTOs' own and cannot drift from them.
@Suite struct DTOContractTests {
    /// Where the client decodes each DTO from: the DTO, the operation and the status, as in the excerpt.
    static let decoded: [(dto: String, fields: [[String]], operation: String, status: String)] = [
        ("Me", fields(Procore.Me.self), "GET /rest/v1.0/me", "200"),
        ("Company", fields([Procore.Company].self), "GET /rest/v1.0/companies", "200"),
        ("Project", fields([Procore.Project].self), "GET /rest/v1.1/projects", "200"),
        ("ProjectStage", fields([Procore.ProjectStage].self), "GET /rest/v1.0/companies/{company_id}/project_stages", "200"),
        ("Vendor", fields([Procore.Vendor].self), "GET /rest/v1.0/vendors", "200"),
        ("SyncResult<Vendor>", fields(Procore.SyncResult<Procore.Vendor>.self), "PATCH /rest/v1.0/vendors/sync", "200"),
        ("CostCode", fields([Procore.CostCode].self), "GET /rest/v1.0/cost_codes", "200"),
        ("WBSCode", fields([Procore.WBSCode].self), "GET /rest/v1.0/projects/{project_id}/work_breakdown_structure/wbs_codes", "200"),
        ("WBSCode", fields(Procore.WBSCode.self), "POST /rest/v1.0/projects/{project_id}/work_breakdown_structure/wbs_codes", "201"),
        ("LineItemType", fields([Procore.LineItemType].self), "GET /rest/v1.0/line_item_types", "200"),
        ("SyncResult<LineItemType>", fields(Procore.SyncResult<Procore.LineItemType>.self), "PATCH /rest/v1.0/line_item_types/sync", "200"),
        ("TaxCode", fields([Procore.TaxCode].self), "GET /rest/v1.0/tax_codes", "200"),
        ("UnitOfMeasure", fields([Procore.UnitOfMeasure].self), "GET /rest/v1.0/companies/{company_id}/uoms", "200"),
        ("PurchaseOrderContract", fields([Procore.PurchaseOrderContract].self), "GET /rest/v1.0/purchase_order_contracts", "200"),
        ("PurchaseOrderContract", fields(Procore.PurchaseOrderContract.self), "GET /rest/v1.0/purchase_order_contracts/{id}", "200"),
        ("PurchaseOrderContract", fields(Procore.PurchaseOrderContract.self), "POST /rest/v1.0/purchase_order_contracts", "201"),
        ("SyncResult<PurchaseOrderContract>", fields(Procore.SyncResult<Procore.PurchaseOrderContract>.self), "PATCH /rest/v1.0/purchase_order_contracts/sync", "200"),
        ("LineItem", fields([Procore.LineItem].self), "GET /rest/v1.0/purchase_order_contracts/{purchase_order_contract_id}/line_items", "200"),
        ("SyncResult<LineItem>", fields(Procore.SyncResult<Procore.LineItem>.self), "PATCH /rest/v1.0/purchase_order_contracts/{purchase_order_contract_id}/line_items/sync", "200"),
        ("DirectCostSummary", fields([Procore.DirectCostSummary].self), "GET /rest/v1.1/projects/{project_id}/direct_costs", "200"),
        ("DirectCost", fields(Procore.DirectCost.self), "GET /rest/v1.1/projects/{project_id}/direct_costs/{id}", "200"),
        ("DirectCost", fields(Procore.DirectCost.self), "POST /rest/v1.1/projects/{project_id}/direct_costs", "201"),
        ("BillingPeriod", fields([Procore.BillingPeriod].self), "GET /rest/v1.0/projects/{project_id}/billing_periods", "200"),
        ("Requisition", fields([Procore.Requisition].self), "GET /rest/v1.1/requisitions", "200"),
        ("Requisition", fields(Procore.Requisition.self), "POST /rest/v1.1/requisitions", "201"),
        ("Hook", fields(Procore.DataEnvelope<[Procore.Hook]>.self), "GET /rest/v2.0/companies/{company_id}/webhooks/hooks", "200"),
        ("Hook", fields(Procore.DataEnvelope<Procore.Hook>.self), "POST /rest/v2.0/companies/{company_id}/webhooks/hooks", "201"),
        ("Trigger", fields(Procore.DataEnvelope<[Procore.Trigger]>.self), "GET /rest/v2.0/companies/{company_id}/webhooks/hooks/{hook_id}/triggers", "200"),
        ("Trigger", fields(Procore.DataEnvelope<Procore.Trigger>.self), "POST /rest/v2.0/companies/{company_id}/webhooks/hooks/{hook_id}/triggers", "201"),
    ]

    static func fields<T: Decodable>(_ type: T.Type) -> [[String]] { KeyRecordingDecoder.fields(of: type) }

    @Test func everyFieldADTODecodes_isInTheAnswerProcoreDescribes() throws {
        let excerpt = ProcoreExcerpt.shared
        let validator = SchemaValidator(excerpt: excerpt)
        var missing: [String] = []
        for entry in Self.decoded {
            let operation = try #require(excerpt.operation(entry.operation), "\(entry.operation) is not in the excerpt")
            let described = try #require(operation.responses[entry.status] ?? nil, "\(entry.operation) describes no \(entry.status) body")
            #expect(!entry.fields.isEmpty, "\(entry.dto) decodes nothing?")
            for field in entry.fields where !validator.hasPath(field, model: described) {
                missing.append("\(entry.dto) ← \(entry.operation) \(entry.status): \(field.joined(separator: "."))")
            }
        }
        #expect(missing.isEmpty, "fields a DTO decodes that Procore's answer does not have:\n\(missing.joined(separator: "\n"))")
    }

    @Test func theRecordingDecoder_findsNestedFields() {
        let found = Set(Self.fields(Procore.DirectCost.self).map { $0.joined(separator: ".") })
        #expect(found.contains("line_items.[].cost_code.full_code"))
        #expect(found.contains("tax_breakdown.grand_total"))
        #expect(found.contains("id"))
    }
}

/// A `Decoder` that answers every key with a plausible value and records the key paths asked for (snake_case, as
/// Procore names them; `[]` for an array's items).
final class KeyRecordingDecoder: Decoder, @unchecked Sendable {
    final class Log { var paths: Set<[String]> = [] }

    let log: Log
    let path: [String]
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(log: Log, path: [String]) {
        self.log = log
        self.path = path
    }

    static func fields<T: Decodable>(of type: T.Type) -> [[String]] {
        let log = Log()
        _ = try? value(T.self, log: log, path: [])
        return log.paths.sorted { $0.joined(separator: ".") < $1.joined(separator: ".") }
    }

    static func snake(_ key: String) -> String {
        var out = ""
        for character in key {
            if character.isUppercase {
                out += "_" + character.lowercased()
            } else {
                out.append(character)
            }
        }
        return out
    }

    static func value<T: Decodable>(_ type: T.Type, log: Log, path: [String]) throws -> T {
        if T.self == Date.self { return Date(timeIntervalSince1970: 0) as! T }
        if T.self == Decimal.self { return Decimal(1) as! T }
        if T.self == Procore.Amount.self { return Procore.Amount(1) as! T }
        if T.self == Procore.Day.self { return Procore.Day("2026-01-01")! as! T }
        if let cases = T.self as? any CaseIterable.Type, let first = (cases.allCases as any Collection).first as? T { return first }
        return try T(from: KeyRecordingDecoder(log: log, path: path))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Keyed<Key>(decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { Unkeyed(decoder: self) }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { Single(decoder: self) }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let decoder: KeyRecordingDecoder
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { [] }

        func record(_ key: Key) -> [String] {
            let path = decoder.path + [KeyRecordingDecoder.snake(key.stringValue)]
            decoder.log.paths.insert(path)
            return path
        }

        func contains(_ key: Key) -> Bool { true }
        func decodeNil(forKey key: Key) throws -> Bool {
            _ = record(key)
            return false
        }
        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { _ = record(key); return false }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { _ = record(key); return "1" }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { _ = record(key); return 1 }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { _ = record(key); return 1 }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { _ = record(key); return 1 }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { _ = record(key); return 1 }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { _ = record(key); return 1 }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { _ = record(key); return 1 }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { _ = record(key); return 1 }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { _ = record(key); return 1 }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { _ = record(key); return 1 }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { _ = record(key); return 1 }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { _ = record(key); return 1 }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { _ = record(key); return 1 }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try KeyRecordingDecoder.value(T.self, log: decoder.log, path: record(key))
        }
        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            KeyedDecodingContainer(Keyed<NestedKey>(decoder: KeyRecordingDecoder(log: decoder.log, path: record(key))))
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            Unkeyed(decoder: KeyRecordingDecoder(log: decoder.log, path: record(key)))
        }
        func superDecoder() throws -> any Decoder { decoder }
        func superDecoder(forKey key: Key) throws -> any Decoder { KeyRecordingDecoder(log: decoder.log, path: record(key)) }
    }

    /// One element, then the end.
    struct Unkeyed: UnkeyedDecodingContainer {
        let decoder: KeyRecordingDecoder
        var codingPath: [any CodingKey] { [] }
        var count: Int? { 1 }
        var currentIndex = 0
        var isAtEnd: Bool { currentIndex >= 1 }
        var item: KeyRecordingDecoder { KeyRecordingDecoder(log: decoder.log, path: decoder.path + ["[]"]) }

        mutating func decodeNil() throws -> Bool { false }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            currentIndex += 1
            return try KeyRecordingDecoder.value(T.self, log: decoder.log, path: decoder.path + ["[]"])
        }
        mutating func decode(_ type: Bool.Type) throws -> Bool { currentIndex += 1; return false }
        mutating func decode(_ type: String.Type) throws -> String { currentIndex += 1; return "1" }
        mutating func decode(_ type: Double.Type) throws -> Double { currentIndex += 1; return 1 }
        mutating func decode(_ type: Int64.Type) throws -> Int64 { currentIndex += 1; return 1 }
        mutating func decode(_ type: Int.Type) throws -> Int { currentIndex += 1; return 1 }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            currentIndex += 1
            return KeyedDecodingContainer(Keyed<NestedKey>(decoder: item))
        }
        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            currentIndex += 1
            return Unkeyed(decoder: item)
        }
        mutating func superDecoder() throws -> any Decoder { item }
    }

    struct Single: SingleValueDecodingContainer {
        let decoder: KeyRecordingDecoder
        var codingPath: [any CodingKey] { [] }
        func decodeNil() -> Bool { false }
        func decode(_ type: Bool.Type) throws -> Bool { false }
        func decode(_ type: String.Type) throws -> String { "1" }
        func decode(_ type: Double.Type) throws -> Double { 1 }
        func decode(_ type: Float.Type) throws -> Float { 1 }
        func decode(_ type: Int.Type) throws -> Int { 1 }
        func decode(_ type: Int8.Type) throws -> Int8 { 1 }
        func decode(_ type: Int16.Type) throws -> Int16 { 1 }
        func decode(_ type: Int32.Type) throws -> Int32 { 1 }
        func decode(_ type: Int64.Type) throws -> Int64 { 1 }
        func decode(_ type: UInt.Type) throws -> UInt { 1 }
        func decode(_ type: UInt8.Type) throws -> UInt8 { 1 }
        func decode(_ type: UInt16.Type) throws -> UInt16 { 1 }
        func decode(_ type: UInt32.Type) throws -> UInt32 { 1 }
        func decode(_ type: UInt64.Type) throws -> UInt64 { 1 }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try KeyRecordingDecoder.value(T.self, log: decoder.log, path: decoder.path) }
    }
}
