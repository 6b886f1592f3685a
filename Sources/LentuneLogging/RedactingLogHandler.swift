import Foundation
import LentuneCore
import Logging

/// Wraps the process's log handler so that no secret reaches the log at any level (DESIGN.md §3): messages and
/// metadata pass through `Redaction`; metadata fields named like secrets (`sealed_access_token`, `token_hash`,
/// `Authorization` …) are blanked whole, as are Fluent's query filters on such columns; request bodies that Vapor
/// prints at `trace` are reduced to their size.
public struct RedactingLogHandler: LogHandler {
    private var inner: any LogHandler
    /// The handler's own metadata (Vapor sets `request-id` on every request). Kept here unredacted and redacted only
    /// when a line is actually written: redacting on every set cost 10% of the CPU of a busy webhook endpoint.
    public var metadata: Logger.Metadata = [:]

    public init(wrapping inner: any LogHandler) {
        self.inner = inner
    }

    /// The handler `LoggingSystem.bootstrap` installs in every Lentune process: standard error, redacted.
    public static func standardError(label: String, level: Logger.Level) -> RedactingLogHandler {
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return RedactingLogHandler(wrapping: handler)
    }

    public var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(
        level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
        function: String, line: UInt
    ) {
        let merged = self.metadata.merging(metadata ?? [:]) { _, call in call }
        inner.log(
            level: level, message: Self.redact(message), metadata: merged.isEmpty ? nil : Self.redact(merged), source: source,
            file: file, function: function, line: line)
    }

    // MARK: - Redaction

    static func redact(_ message: Logger.Message) -> Logger.Message {
        let text = message.description
        // Vapor at trace: "Decoded HTTP part: body(…)" holds the raw body (a sign-in form holds the password).
        if text.hasPrefix("Decoded HTTP part: body") || text.hasPrefix("Decoded HTTP part: end(") && text.count > 40 {
            return "Decoded HTTP part: body \(Redaction.mask)"
        }
        return "\(Redaction.redact(text))"
    }

    static func redact(_ metadata: Logger.Metadata) -> Logger.Metadata {
        metadata.reduce(into: [:]) { result, entry in result[entry.key] = redact(entry.value, key: entry.key) }
    }

    static func redact(_ value: Logger.Metadata.Value, key: String?) -> Logger.Metadata.Value {
        if let key, Redaction.isSecretName(key) { return blank(value) }
        switch value {
        case .string(let text): return .string(Redaction.redact(text))
        case .stringConvertible(let convertible): return .string(Redaction.redact(convertible.description))
        case .array(let values):
            // SQL binds: positional, so nothing names them; long strings are blanked unless they look like an id.
            if key == "binds" { return .array(values.map(redactBind)) }
            return .array(values.map { redact($0, key: nil) })
        case .dictionary(let fields):
            // Fluent's filters: ["field": "sessions.token_hash", "value": "…"].
            if case .string(let field)? = fields["field"], Redaction.isSecretName(field), let filtered = fields["value"] {
                var copy = redact(fields)
                copy["value"] = blank(filtered)
                return .dictionary(copy)
            }
            return .dictionary(redact(fields))
        }
    }

    static func redactBind(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        guard case .string(let text) = value else { return redact(value, key: nil) }
        let quoted = text.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        // A long run of base64 or hex characters is a token, a hash or a ciphertext (names, titles and dates have
        // spaces, dots or colons; ids are uuids).
        let base64 = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-")
        if quoted.count >= 24, UUID(uuidString: quoted) == nil, quoted.unicodeScalars.allSatisfy(base64.contains) {
            return .string(Redaction.mask)
        }
        return .string(Redaction.redact(text))
    }

    static func blank(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        if case .string(let text) = value, ["nil", "<default>", ""].contains(text) { return value }
        return .string(Redaction.mask)
    }
}
