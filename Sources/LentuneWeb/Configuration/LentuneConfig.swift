import Foundation
import LentuneCore
import LentunePersistence
import Logging

/// Everything Lentune reads from its environment, parsed once at start. `load` is pure and reports every missing or
/// invalid variable at once, each with its name.
public struct LentuneConfig: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public enum Mode: String, Sendable {
        case development, production, testing
    }

    public var mode: Mode
    public var database: DatabaseLocation
    /// `LENTUNE_SECRET_KEY`: 32 bytes as base64; encrypts Procore secrets and tokens at rest.
    public var secretKey: String
    public var publicURL: URL
    public var hostname: String
    public var port: Int
    /// `LENTUNE_WEBHOOK_PORT`: when set, Procore's deliveries are also taken on this port, by a listener of their own
    /// (`WebhookIntakeListener`; a proxy sends `/webhooks/` there). The web app's port keeps taking them too.
    public var webhookPort: Int?
    public var logLevel: Logger.Level
    public var sessionLifetime: TimeInterval
    /// bcrypt cost; tests lower it to keep the suite fast.
    public var passwordCost: Int
    /// `LENTUNE_METRICS_TOKEN`: when set, `/metrics` answers only `Authorization: Bearer <token>`; when not set, it
    /// answers only clients on this machine (loopback), so a public port never exposes it.
    public var metricsToken: String?
    /// Whether custom Procore URLs may point at this machine (loopback, plain http): always in development and
    /// testing; in production only with `LENTUNE_ALLOW_LOOPBACK_PROCORE=true` (a sandbox on the same host).
    public var allowLoopbackProcore: Bool

    /// A fixed key for development only, so a local SQLite file stays readable across restarts. Production refuses it.
    public static let developmentSecretKey = "bGVudHVuZS1kZXZlbG9wbWVudC1vbmx5LWtleS0wMDA="

    public struct Error: Swift.Error, CustomStringConvertible, Equatable {
        public var problems: [String]
        public var description: String {
            "Lentune cannot start; fix these settings:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
        }
    }

    public static func load(environment env: [String: String]) throws(Error) -> LentuneConfig {
        var problems: [String] = []
        func value(_ key: String) -> String? {
            guard let raw = env[key]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }

        let mode: Mode
        if let raw = value("LENTUNE_ENV") {
            if let parsed = Mode(rawValue: raw) {
                mode = parsed
            } else {
                problems.append("LENTUNE_ENV: “\(raw)” is not one of development, production, testing")
                mode = .development
            }
        } else {
            mode = .development
        }

        var database = DatabaseLocation.default
        if let raw = value("LENTUNE_DATABASE_URL") {
            if let parsed = DatabaseLocation(url: raw) {
                database = parsed
            } else {
                problems.append(
                    "LENTUNE_DATABASE_URL: expected sqlite://PATH, sqlite::memory: or postgres://USER:PASSWORD@HOST:PORT/DB")
            }
        }

        var secretKey = developmentSecretKey
        if let raw = value("LENTUNE_SECRET_KEY") {
            if (try? SecretBox(base64Key: raw)) == nil {
                problems.append("LENTUNE_SECRET_KEY: must be 32 bytes encoded as base64 (openssl rand -base64 32)")
            } else if mode == .production && raw == developmentSecretKey {
                problems.append("LENTUNE_SECRET_KEY: the development key must not be used in production")
            } else {
                secretKey = raw
            }
        } else if mode == .production {
            problems.append("LENTUNE_SECRET_KEY: required in production (openssl rand -base64 32)")
        }

        var port = 8080
        if let raw = value("PORT") {
            if let parsed = Int(raw), (0...65535).contains(parsed) {
                port = parsed
            } else {
                problems.append("PORT: “\(raw)” is not a port number (0–65535)")
            }
        }
        let hostname = value("LENTUNE_HOSTNAME") ?? "127.0.0.1"
        var webhookPort: Int?
        if let raw = value("LENTUNE_WEBHOOK_PORT") {
            if let parsed = Int(raw), (0...65535).contains(parsed), parsed == 0 || parsed != port {
                webhookPort = parsed
            } else {
                problems.append("LENTUNE_WEBHOOK_PORT: “\(raw)” is not a port number (0–65535) other than PORT")
            }
        }

        var publicURL = URL(string: "http://\(hostname):\(port)")!
        if let raw = value("LENTUNE_PUBLIC_URL") {
            if let parsed = URL(string: raw), let scheme = parsed.scheme, ["http", "https"].contains(scheme),
                parsed.host != nil
            {
                publicURL = parsed
            } else {
                problems.append("LENTUNE_PUBLIC_URL: “\(raw)” is not an http(s) URL")
            }
        } else if mode == .production {
            problems.append("LENTUNE_PUBLIC_URL: required in production (the https address users and Procore reach)")
        }

        var logLevel = Logger.Level.info
        if let raw = value("LOG_LEVEL") {
            if let parsed = Logger.Level(rawValue: raw.lowercased()) {
                logLevel = parsed
            } else {
                problems.append("LOG_LEVEL: “\(raw)” is not one of trace, debug, info, notice, warning, error, critical")
            }
        }

        var sessionHours = 12.0
        if let raw = value("LENTUNE_SESSION_HOURS") {
            if let parsed = Double(raw), parsed > 0, parsed <= 24 * 30 {
                sessionHours = parsed
            } else {
                problems.append("LENTUNE_SESSION_HOURS: “\(raw)” is not a number of hours between 0 and 720")
            }
        }

        let metricsToken = value("LENTUNE_METRICS_TOKEN")
        if let metricsToken, metricsToken.count < 16 || metricsToken.contains(where: { $0.isWhitespace || $0.asciiValue == nil }) {
            problems.append("LENTUNE_METRICS_TOKEN: use at least 16 printable ASCII characters without spaces (openssl rand -hex 24)")
        }

        var allowLoopbackProcore = mode != .production
        if let raw = value("LENTUNE_ALLOW_LOOPBACK_PROCORE") {
            switch raw.lowercased() {
            case "true", "1", "yes": allowLoopbackProcore = true
            case "false", "0", "no": allowLoopbackProcore = false
            default: problems.append("LENTUNE_ALLOW_LOOPBACK_PROCORE: “\(raw)” is not true or false")
            }
        }

        guard problems.isEmpty else { throw Error(problems: problems) }
        return LentuneConfig(
            mode: mode, database: database, secretKey: secretKey, publicURL: publicURL, hostname: hostname, port: port,
            webhookPort: webhookPort, logLevel: logLevel, sessionLifetime: sessionHours * 3600, passwordCost: mode == .testing ? 4 : 12,
            metricsToken: metricsToken, allowLoopbackProcore: allowLoopbackProcore)
    }

    /// Whether cookies get the `Secure` flag.
    public var usesHTTPS: Bool { publicURL.scheme == "https" }
}

// MARK: - Redacted description

extension LentuneConfig {
    /// The one form in which the configuration may be logged or printed (issue 30): the secret key, the metrics token
    /// and any password in a URL are never part of it. `debugDescription` and the mirror (what `dump`, string
    /// interpolation of a value holding the config, and swift-service-lifecycle's log of its services print) say the
    /// same, so no path prints the fields themselves.
    public var description: String {
        let fields: [(String, String)] = [
            ("mode", mode.rawValue), ("database", database.description), ("secret_key", Redaction.mask),
            ("public_url", Redaction.url(publicURL.absoluteString)), ("hostname", hostname), ("port", String(port)),
            ("webhook_port", webhookPort.map(String.init) ?? "none"), ("log_level", logLevel.rawValue),
            ("metrics_token", metricsToken == nil ? "not set" : Redaction.mask),
            ("allow_loopback_procore", String(allowLoopbackProcore)),
        ]
        return "LentuneConfig(" + fields.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + ")"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror { Mirror(self, children: ["redacted": description], displayStyle: .struct) }
}
