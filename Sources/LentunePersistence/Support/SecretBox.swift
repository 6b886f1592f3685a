import Crypto
import Foundation

/// Encrypts secrets at rest (Procore client secrets and tokens) with AES-256-GCM. The key comes from
/// `LENTUNE_SECRET_KEY` (32 bytes, base64). The sealed form is `v1:` + base64(nonce ‖ ciphertext ‖ tag), so a future
/// key rotation can tell versions apart.
public struct SecretBox: Sendable {
    private let key: SymmetricKey

    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case invalidKey
        case malformed
        case authenticationFailed

        public var description: String {
            switch self {
            case .invalidKey: "LENTUNE_SECRET_KEY must be 32 bytes encoded as base64 (e.g. `openssl rand -base64 32`)"
            case .malformed: "the stored secret is not in the expected format"
            case .authenticationFailed: "the stored secret could not be decrypted with this LENTUNE_SECRET_KEY"
            }
        }
    }

    public init(base64Key: String) throws(Error) {
        guard let data = Data(base64Encoded: base64Key), data.count == 32 else { throw .invalidKey }
        key = SymmetricKey(data: data)
    }

    public static func generateKey() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    public func seal(_ plaintext: String) throws -> String {
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: key)
        guard let combined = box.combined else { throw Error.malformed }
        return "v1:" + combined.base64EncodedString()
    }

    public func open(_ sealed: String) throws(Error) -> String {
        guard sealed.hasPrefix("v1:"), let data = Data(base64Encoded: String(sealed.dropFirst(3))) else {
            throw .malformed
        }
        do {
            let box = try AES.GCM.SealedBox(combined: data)
            let plain = try AES.GCM.open(box, using: key)
            guard let text = String(data: plain, encoding: .utf8) else { throw Error.malformed }
            return text
        } catch {
            throw .authenticationFailed
        }
    }
}
