import Foundation
import LentunePersistence

enum Tokens {
    static func random() -> String { SecureTokens.random() }

    static func sha256(_ text: String) -> String { SecureTokens.sha256(text) }

    /// Compares in time independent of where the strings first differ.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
