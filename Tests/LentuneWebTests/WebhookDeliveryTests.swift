import Foundation
import LentuneTestSupport
@testable import LentuneWeb
import Testing
import Vapor

/// A delivery's body is read by `JSONFieldReader` (not `JSONDecoder`, for intake's CPU). It must read the same fields
/// as `JSONDecoder` did, accept every JSON body it accepted, and accept nothing it refused: thousands of generated
/// bodies, a quarter of them damaged, are read by both and compared.
@Suite struct WebhookDeliveryReaderTests {
    /// What intake read before, through `Codable`: the oracle.
    struct Oracle: Decodable {
        struct FlexibleID: Decodable {
            var value: Int64?
            var text: String?
            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let number = try? container.decode(Int64.self) {
                    value = number
                } else {
                    text = try? container.decode(String.self)
                    value = text.flatMap { Int64($0) }
                }
            }
        }
        struct Metadata: Decodable { var source_application_id: String? }
        var ulid: String?
        var id: FlexibleID?
        var resource_name: String?
        var resource_type: String?
        var event_type: String?
        var reason: String?
        var resource_id: FlexibleID?
        var company_id: FlexibleID?
        var project_id: FlexibleID?
        var metadata: Metadata?

        static func read(_ body: [UInt8]) -> WebhookController.Delivery.Raw? {
            guard let oracle = try? JSONDecoder().decode(Oracle.self, from: Data(body)) else { return nil }
            func id(_ id: FlexibleID?) -> WebhookController.Delivery.FlexibleID? { id.map { .init(value: $0.value, text: $0.text) } }
            return .init(
                ulid: oracle.ulid, id: id(oracle.id), resourceName: oracle.resource_name, resourceType: oracle.resource_type,
                eventType: oracle.event_type, reason: oracle.reason, resourceID: id(oracle.resource_id), companyID: id(oracle.company_id),
                projectID: id(oracle.project_id), sourceApplicationID: oracle.metadata?.source_application_id)
        }
    }

    static func read(_ body: [UInt8]) -> WebhookController.Delivery.Raw? {
        body.withUnsafeBytes { WebhookController.Delivery.Raw.read($0) }
    }

    /// Random JSON text: strings with every kind of escape and non-ASCII text, integers at and past Int64's ends,
    /// fractions and exponents (where `Codable`'s integer reading is not the contract, only in skipped members),
    /// literals, nested objects and arrays, and whitespace between everything.
    struct Documents {
        var random: SeededRandom

        mutating func pick<T>(_ choices: [T]) -> T { choices[Int.random(in: 0..<choices.count, using: &random)] }
        mutating func space() -> String { pick(["", "", " ", "\n", "\t ", "\r\n  "]) }

        mutating func string() -> String {
            let pieces = ["a", "Purchase Order Contracts", "01EDPD2J6SBY1163N77H95GW09", "é", "日本", "😀", "\\\"", "\\\\", "\\/", "\\n", "\\t",
                          "\\r", "\\b", "\\f", "\\u00e9", "\\u0041", "\\ud83d\\ude00", "\\u0000", "\\u001f", " ", "1234", "-5", "update"]
            return "\"" + (0..<Int.random(in: 0...4, using: &random)).map { _ in pick(pieces) }.joined() + "\""
        }

        mutating func integer() -> String {
            pick(["0", "-0", "1", "-1", "4294970001", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
                  "-9223372036854775809", "99999999999999999999", String(Int64.random(in: .min ... .max, using: &random))])
        }

        mutating func fraction() -> String { pick(["1.5", "-0.25", "1e3", "2E-2", "1.0e+2", "0.0"]) }

        /// Any value; `integersOnly` keeps fractions and exponents out (for the id members).
        mutating func value(depth: Int = 0, integersOnly: Bool = false) -> String {
            let kinds = depth > 3 ? 5 : 7
            switch Int.random(in: 0..<kinds, using: &random) {
            case 0: return string()
            case 1: return integersOnly ? integer() : pick([integer(), fraction()])
            case 2: return "null"
            case 3: return pick(["true", "false"])
            case 4: return integer()
            case 5:
                let members = (0..<Int.random(in: 0...3, using: &random)).map { _ in
                    space() + string() + space() + ":" + space() + value(depth: depth + 1)
                }
                return "{" + members.joined(separator: ",") + space() + "}"
            default:
                let items = (0..<Int.random(in: 0...3, using: &random)).map { _ in space() + value(depth: depth + 1, integersOnly: integersOnly) }
                return "[" + items.joined(separator: ",") + space() + "]"
            }
        }

        mutating func document() -> String {
            let textKeys = ["ulid", "resource_name", "resource_type", "event_type", "reason"]
            let idKeys = ["id", "resource_id", "company_id", "project_id"]
            var members: [String] = []
            for key in (textKeys + idKeys + ["metadata", "timestamp", "api_version", "user_id"]).shuffled(using: &random)
            where Bool.random(using: &random) {
                let value: String
                if textKeys.contains(key) {
                    // Mostly strings; now and then null or a misfit (which makes the body no delivery).
                    value = pick([string(), string(), string(), "null", self.value(integersOnly: true)])
                } else if idKeys.contains(key) {
                    value = pick([integer(), integer(), string(), "null", self.value(integersOnly: true)])
                } else if key == "metadata" {
                    let source = pick([string(), "null", integer()])
                    value = pick(["null", "{" + space() + "\"source_application_id\"" + space() + ":" + space() + source + ", \"x\": "
                        + self.value() + "}", "{}", self.value(integersOnly: true)])
                } else {
                    value = self.value()
                }
                members.append(space() + "\"" + key + "\"" + space() + ":" + space() + value)
            }
            return space() + "{" + members.joined(separator: ",") + space() + "}" + space()
        }
    }

    @Test func theReader_readsAsJSONDecoderDid_andAcceptsNothingItRefused() {
        var documents = Documents(random: SeededRandom(seed: 12))
        var accepted = 0
        for index in 0..<4000 {
            var body = Array(documents.document().utf8)
            // A quarter are damaged: cut short, or a byte put in somewhere (most are then not JSON).
            switch index % 8 {
            case 0: body = Array(body.prefix(Int.random(in: 0...body.count, using: &documents.random)))
            case 1:
                let byte = documents.pick(Array("{}[],:\"\\ 0-.eaxn\u{01}".utf8))
                body.insert(byte, at: Int.random(in: 0...body.count, using: &documents.random))
            default: break
            }
            let expected = Oracle.read(body)
            let read = Self.read(body)
            let text = "document \(index): \(String(decoding: body, as: UTF8.self))"
            if index % 8 < 2 {
                // Damaged: what JSONDecoder refused is refused, and what is read is read alike. The reader may also
                // refuse what JSONDecoder let through unread: a bad escape in a string it skipped, or a malformed
                // number (`1e`, `--5`) where it then found no integer.
                #expect(read == nil || read == expected, "\(text)")
            } else {
                #expect(read == expected, "\(text)")
            }
            if read != nil { accepted += 1 }
        }
        // Both outcomes are exercised, many times.
        #expect(accepted > 1000 && accepted < 3900, "\(accepted) accepted")
    }

    @Test func edgeCases() {
        func read(_ text: String) -> WebhookController.Delivery.Raw? { Self.read(Array(text.utf8)) }
        // Not an object, not JSON, or more than one value.
        for text in ["", " ", "[]", "\"x\"", "1", "null", "{", "{}}", "{} {}", "{\"a\" 1}", "{\"a\":}", "{,}", "{\"a\":1,}", "{'a':1}",
                     "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":+1}", "{\"a\":tru}", "{\"a\":\"\u{01}\"}", "{\"a\":\"\\x\"}",
                     "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}", "{\"a\":\"\\u12g4\"}"] {
            #expect(read(text) == nil, "\(text)")
        }
        #expect(read("{}") == .init())
        // Nesting: as deep as JSONDecoder goes is read; deeper is refused, never a crash (a 256 KB body can nest 262,144 deep).
        let deep = String(repeating: "[", count: 511) + String(repeating: "]", count: 511)
        #expect(read("{\"x\": \(deep)}") == .init())
        #expect(read("{\"x\": [\(deep)]}") == nil)
        #expect(read("{\"x\": " + String(repeating: "[", count: 262_144) + "}") == nil)
        // Ids: integers within Int64, or strings of digits; a fraction or an exponent is no id (a documented choice).
        #expect(read(#"{"resource_id": -9223372036854775808}"#)?.resourceID == .init(value: .min))
        #expect(read(#"{"resource_id": 9223372036854775808}"#)?.resourceID == .init(value: nil))
        #expect(read(#"{"resource_id": "379913"}"#)?.resourceID == .init(value: 379_913, text: "379913"))
        #expect(read(#"{"resource_id": 1.0}"#)?.resourceID == .init(value: nil))
        #expect(read(#"{"resource_id": 1e2}"#)?.resourceID == .init(value: nil))
        #expect(read(#"{"resource_id": null}"#)?.resourceID == nil)
        #expect(read(#"{"resource_id": [1]}"#)?.resourceID == .init(value: nil))
        // Text: escapes and surrogate pairs are decoded; a number for a text member makes the body no delivery.
        #expect(read(#"{"ulid": "a\"b\\c\/\u00e9\ud83d\ude00\n"}"#)?.ulid == "a\"b\\c/é😀\n")
        #expect(read(#"{"ulid": 5}"#) == nil)
        #expect(read(#"{"metadata": {"source_application_id": "cid", "other": [{}]}}"#)?.sourceApplicationID == "cid")
        #expect(read(#"{"metadata": "cid"}"#) == nil)
        #expect(read(#"{"metadata": null}"#) == .init())
        // Invalid UTF-8 in a member that is read is refused.
        #expect(Self.read(Array(#"{"ulid": ""#.utf8) + [0xFF] + Array(#""}"#.utf8)) == nil)
    }

    @Test func aDelivery_isBuiltFromTheMembersItNeeds() {
        let v2 = ByteBuffer(string: WebhookIntakeTests.event())
        let delivery = WebhookController.Delivery(v2)
        #expect(delivery?.key == "01EDPD2J6SBY1163N77H95GW09")
        #expect(delivery?.resourceName == "Purchase Order Contracts")
        #expect(delivery?.eventType == "update")
        #expect(delivery?.resourceID == 4_294_968_269)
        #expect(delivery?.companyID == 4242)
        #expect(delivery?.projectID == 4_294_968_007)
        #expect(delivery?.sourceApplicationID == "another-app")
    }
}
