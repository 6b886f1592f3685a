import Foundation

/// UUID text without `sscanf`/`sprintf`: Foundation's `UUID(uuidString:)` and `uuidString` go through them on Linux,
/// and the PO list parses and prints a few hundred ids per page.
extension UUID {
    /// Lower-case canonical text (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`), as in Lentune's URLs.
    public var lowercasedText: String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes = [UInt8]()
        bytes.reserveCapacity(36)
        withUnsafeBytes(of: uuid) { raw in
            for (index, byte) in raw.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 { bytes.append(UInt8(ascii: "-")) }
                bytes.append(digits[Int(byte >> 4)])
                bytes.append(digits[Int(byte & 0x0f)])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses canonical UUID text in either case; `nil` for anything else. (Stricter than `UUID(uuidString:)`, whose
    /// `sscanf` skips a leading space and then reads a shifted id.)
    public init?(text: String) {
        let utf8 = text.utf8
        guard utf8.count == 36 else { return nil }
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let parsed = withUnsafeMutableBytes(of: &bytes) { out -> Bool in
            var high: UInt8? = nil
            var count = 0
            for (position, character) in utf8.enumerated() {
                if position == 8 || position == 13 || position == 18 || position == 23 {
                    guard character == UInt8(ascii: "-") else { return false }
                    continue
                }
                let value: UInt8
                switch character {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): value = character - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): value = character - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): value = character - UInt8(ascii: "A") + 10
                default: return false
                }
                if let first = high {
                    out[count] = first << 4 | value
                    count += 1
                    high = nil
                } else {
                    high = value
                }
            }
            return count == 16
        }
        guard parsed else { return nil }
        self.init(uuid: bytes)
    }
}
