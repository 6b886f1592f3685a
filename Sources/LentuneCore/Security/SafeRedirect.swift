import Foundation

/// Where the server may send a browser after a form (`next` after sign-in), and what it may write in a header.
/// Pure rules, so every edge applies the same ones (issue 30).
public enum SafeRedirect {
    /// `next` as a same-origin path, or `nil` when it is anything else. The text is percent-decoded before the check
    /// (a browser decodes it too), and then must: start with exactly one `/` (not `//` or `/\`, which browsers read as
    /// another host), hold no backslash and no control character (tab, CR and LF included: browsers strip tab and
    /// newlines from URLs, so `/\t/evil.example` becomes `//evil.example`), and be shorter than 512 characters. What is
    /// answered is the path as given (still percent-encoded), so nothing decoded is ever written into a header.
    public static func path(_ next: String?) -> String? {
        guard let next, !next.isEmpty, next.utf8.count < 512 else { return nil }
        // Decoded until stable: "%252F" is "%2F" after one round, "/" after two.
        var decoded = next
        for _ in 0..<3 {
            guard let once = decoded.removingPercentEncoding else { return nil }
            if once == decoded { break }
            decoded = once
        }
        for text in [next, decoded] {
            let scalars = Array(text.unicodeScalars)
            guard scalars.first == "/" else { return nil }
            if scalars.count > 1, scalars[1] == "/" || scalars[1] == "\\" { return nil }
            if scalars.contains(where: { $0 == "\\" || isControl($0) || $0.properties.isWhitespace && $0 != " " }) { return nil }
        }
        // Only characters a URL path may hold literally; anything else (a space, quotes, non-ASCII) must arrive encoded.
        guard next.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F && !"\"<>`{}|^".unicodeScalars.contains($0) })
        else { return nil }
        return next
    }

    /// Whether `value` may be written as an HTTP header value: no CR, LF or NUL (which would end the header and start
    /// another, or be cut by the peer). The check every answer passes (`HeaderGuard` in the web app).
    public static func isSafeHeaderValue(_ value: String) -> Bool {
        !value.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
