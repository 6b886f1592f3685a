import LentunePersistence

/// API tokens as `lentune user token` prints them; only their SHA-256 is stored (as the web app checks them).
enum APITokens {
    static func make() -> String { "lt_" + SecureTokens.random() }

    static func hash(_ token: String) -> String { SecureTokens.sha256(token) }
}
