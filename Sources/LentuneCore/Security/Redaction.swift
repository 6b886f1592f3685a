import Foundation

/// What must never reach a log, and how it is blanked out. Used by the log handler every Lentune process installs
/// (`LentuneLogging`), so the framework's own logging (Vapor's request decoding at `trace`, Fluent's queries at
/// `debug`) is covered as well as ours.
///
/// Secrets: bearer tokens and API tokens (`lt_…`), cookies and session ids, CSRF tokens, OAuth tokens and client
/// secrets, sealed values (`v1:…`), token hashes (64 hex digits) and password hashes (bcrypt).
public enum Redaction {
    public static let mask = "[REDACTED]"

    /// Whether a field, column or header named `name` holds a secret (its value is blanked whatever it looks like).
    public static func isSecretName(_ name: String) -> Bool {
        let lower = name.lowercased()
        return ["secret", "token", "password", "hash", "csrf", "cookie", "authorization", "sealed", "session", "code_verifier"]
            .contains { lower.contains($0) }
    }

    private static let patterns: [(NSRegularExpression, String)] = [
        // Header lines and header tuples: Authorization: …, ("Cookie", "…"), set-cookie=…
        (#"(?i)((?:proxy-)?authorization|set-cookie|cookie|x-csrf-token)("?\s*[:=,]\s*"?)[^"\n\]]*"#, "$1$2\(mask)"),
        (#"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"#, "$1 \(mask)"),
        (#"\blt_[A-Za-z0-9_-]{6,}"#, "lt_\(mask)"),
        (#"(?i)\b(lentune_session|_csrf|csrf_token|client_secret|refresh_token|access_token|code|state)=[^&;,\s"]+"#, "$1=\(mask)"),
        (#"(?i)("(?:access_token|refresh_token|client_secret|token|password)"\s*:\s*")[^"]*"#, "$1\(mask)"),
        (#"\bv1:[A-Za-z0-9+/=]{16,}"#, "v1:\(mask)"),
        // Credentials inside a URL (postgres://user:password@host/db): the password goes, the rest stays readable.
        (#"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@"]*):[^@/\s"]*@"#, "$1:\(mask)@"),
        (#"\$2[aby]?\$\d{2}\$[./A-Za-z0-9]{53}"#, mask),
        (#"\b[0-9a-fA-F]{64}\b"#, mask),
        // Random tokens: 32 bytes as base64url are 43 characters.
        (#"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])"#, mask),
    ].map { (try! NSRegularExpression(pattern: $0.0), $0.1) }

    /// `text` with every secret it visibly holds blanked out.
    public static func redact(_ text: String) -> String {
        guard !text.isEmpty else { return text }
        var result = text
        for (regex, template) in patterns {
            let range = NSRange(result.startIndex..., in: result)
            guard regex.firstMatch(in: result, range: range) != nil else { continue }
            result = regex.stringByReplacingMatches(in: result, range: range, withTemplate: template)
        }
        return result
    }

    /// A URL as it may be logged: any password it holds is replaced (`postgres://lentune:[REDACTED]@db:5432/lentune`),
    /// and so are query values named like secrets.
    public static func url(_ text: String) -> String { redact(text) }

    /// An HTTP body as framework logging would show it: never its bytes (forms carry passwords and CSRF tokens).
    public static func describeBody(byteCount: Int) -> String { "<\(byteCount) bytes \(mask)>" }
}
