import Foundation
import LentuneLogging
import Logging
import Testing

@testable import LentuneCore

@Suite struct RedactionTests {
    static let sessionToken = "2miN0cYa7nG-J9rUzA8CPWa4CLiwKhK_WWWLPFRkrik"
    static let apiToken = "lt_7FkajDBy3WzJiKhYpJl4Wb9TdVKB6mfxKmydjy8Ydio"
    static let hash = "3f788c4a24309059dc0843e81abf824ed82d3415763f75d5f4132f82ca794685"

    @Test func vaporsRequestHead_atTrace_losesItsSecrets() {
        let head = #"Decoded HTTP part: head(HTTPRequestHead { method: GET, uri: "/api/v1/purchase-orders", version: HTTP/1.1, headers: [("Authorization", "Bearer \#(Self.apiToken)"), ("Cookie", "lentune_session=\#(Self.sessionToken); theme=dark"), ("Accept", "application/json")] })"#
        let redacted = Redaction.redact(head)
        #expect(!redacted.contains(Self.apiToken))
        #expect(!redacted.contains(Self.sessionToken))
        #expect(redacted.contains(#"("Accept", "application/json")"#))
        #expect(redacted.contains("/api/v1/purchase-orders"))
    }

    @Test func formsQueriesAndJSON_loseTheirSecrets() {
        let cases = [
            "_csrf=\(Self.sessionToken)&email=a%40b.example",
            "/callback?code=abc123&state=\(Self.sessionToken)",
            #"{"access_token":"eyJabc.def","refresh_token":"r-1","token_type":"bearer"}"#,
            "sealed=v1:Xi6sjx5TgCsLn5egdxbPbjBl6A9n+ruSiKo2toQekczX+j7lHm7Icso0vgL6+8vN",
            "token_hash = \(Self.hash)",
            "password_hash $2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
            "Authorization: Basic dXNlcjpwYXNz",
        ]
        for text in cases {
            let redacted = Redaction.redact(text)
            for secret in [Self.sessionToken, "abc123", "eyJabc.def", "r-1", "Xi6sjx5T", Self.hash, "$2b$12$abc", "dXNlcjpwYXNz"] {
                #expect(!redacted.contains(secret), "\(text) → \(redacted)")
            }
        }
        #expect(Redaction.redact("email=a%40b.example") == "email=a%40b.example")
    }

    @Test func logHandler_redactsMessagesAndFluentsQueryMetadata() {
        let captured = Captured()
        var logger = Logger(label: "test") { _ in RedactingLogHandler(wrapping: CapturingHandler(store: captured)) }
        logger.logLevel = .trace
        logger.debug("Running query", metadata: [
            "input": .array([.dictionary([
                "sealed_access_token": .string("v1:abcdefghijklmnop"), "status": .string("connected"),
                "token_hash": .string(Self.hash),
            ])]),
            "filters": .array([.dictionary(["field": .string("sessions.token_hash"), "value": .string("deadbeef"), "method": .string("=")])]),
            "binds": .array([.string(Self.sessionToken), .string("PO-00001"), .string("A495895C-07BD-4F6E-B1C4-6D26BCE0FB9F")]),
        ])
        logger.trace("Decoded HTTP part: body(ByteBuffer { readableBytes: 30, [ 70 61 73 73 ] })")
        let text = captured.lines.joined(separator: "\n")
        for secret in ["abcdefghijklmnop", Self.hash, "deadbeef", Self.sessionToken, "70 61 73 73"] {
            #expect(!text.contains(secret), "\(secret) in \(text)")
        }
        for kept in ["connected", "PO-00001", "A495895C-07BD-4F6E-B1C4-6D26BCE0FB9F", "sessions.token_hash"] {
            #expect(text.contains(kept), "\(kept) missing from \(text)")
        }
    }
}

final class Captured: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    var lines: [String] { lock.withLock { stored } }
    func append(_ line: String) { lock.withLock { stored.append(line) } }
}

struct CapturingHandler: LogHandler {
    let store: Captured
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(
        level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
        function: String, line: UInt
    ) {
        store.append("\(message) \(metadata.map { "\($0)" } ?? "")")
    }
}
