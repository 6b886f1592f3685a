import Foundation

/// Where Lentune's server may connect on an administrator's word (a custom Procore auth or API URL), issue 30.
///
/// A custom URL is HTTPS to a public address. Loopback (`127.0.0.0/8`, `::1`, `localhost`) is allowed, over http too,
/// only when `allowLoopback` is set: in development and testing, or by `LENTUNE_ALLOW_LOOPBACK_PROCORE` in production
/// (a local sandbox). Private, link-local (cloud metadata at 169.254.169.254), shared, multicast and reserved
/// addresses are never allowed. The URL is checked when the connection is saved (`check(url:)`), and the addresses
/// its host resolves to are checked again each time the client connects (`check(address:)`), so a name that later
/// resolves to an internal address is refused too.
public enum OutboundPolicy {
    public struct Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
        public init(_ reason: String) { self.reason = reason }
    }

    /// Checks a URL as an administrator typed it (scheme, credentials, host). A host that is a name passes here and is
    /// checked once resolved.
    public static func check(url: URL, allowLoopback: Bool) -> Refusal? {
        guard let scheme = url.scheme?.lowercased(), let rawHost = url.host, !rawHost.isEmpty else {
            return Refusal("it is not a full URL (https://host/)")
        }
        if url.user != nil || url.password != nil { return Refusal("it must not hold a user name or password") }
        let host = rawHost.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let loopback: Bool
        switch hostKind(host) {
        case .ambiguousNumber:
            return Refusal("write the address as four decimal numbers (such as 203.0.113.10) or use a host name")
        case .address(let address):
            if let refusal = check(address: address, allowLoopback: allowLoopback) { return refusal }
            loopback = address.isLoopback
        case .name:
            if isLoopbackName(host) {
                guard allowLoopback else { return Refusal("this server does not connect to itself (localhost) in production") }
                loopback = true
            } else {
                loopback = false
            }
        }
        switch scheme {
        case "https": return nil
        case "http" where loopback: return nil
        case "http": return Refusal("it must use https (plain http is only for this machine in development)")
        default: return Refusal("it must be an https URL")
        }
    }

    /// Checks one address a host resolved to (or was written as).
    public static func check(address: IPAddress, allowLoopback: Bool) -> Refusal? {
        if address.isLoopback {
            return allowLoopback ? nil : Refusal("\(address) is this machine (loopback), which production does not connect to")
        }
        if let range = address.nonPublicRange { return Refusal("\(address) is not a public address (\(range))") }
        return nil
    }

    /// `localhost` and names under it resolve to this machine.
    public static func isLoopbackName(_ host: String) -> Bool {
        let host = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        return host == "localhost" || host.hasSuffix(".localhost")
    }

    enum HostKind: Equatable {
        case address(IPAddress)
        /// Digits, dots and hex that a resolver may read as an address (`127.1`, `0x7f.1`, `2130706433`, `017.0.0.1`).
        case ambiguousNumber
        case name
    }

    static func hostKind(_ host: String) -> HostKind {
        if let address = IPAddress(host) { return .address(address) }
        if host.contains(":") { return .ambiguousNumber }
        // The last label decides: a name's top-level label is never numeric, and resolvers read all-numeric ones (and
        // hex like 0x7f) as parts of an IPv4 address.
        let last = host.split(separator: ".", omittingEmptySubsequences: true).last.map(String.init) ?? host
        let hexOrDigits = last.allSatisfy { $0.isASCII && ($0.isNumber || $0.isHexDigit || $0 == "x") }
        if hexOrDigits, last.first?.isNumber == true { return .ambiguousNumber }
        return .name
    }
}

/// An IPv4 or IPv6 address as bytes, parsed from its one canonical text form only (four decimal parts without
/// leading zeros; IPv6 as `inet_pton` reads it).
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    public var bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    public init?(_ text: String) {
        let text = text.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if text.contains(":") {
            // A zone (`fe80::1%eth0`) is refused outright: it names an interface of this machine.
            guard !text.contains("%"), let parsed = Self.parseIPv6(text) else { return nil }
            bytes = parsed
        } else {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            var parsed: [UInt8] = []
            for part in parts {
                guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                    part == "0" || part.first != "0", let value = UInt8(part)
                else { return nil }
                parsed.append(value)
            }
            bytes = parsed
        }
    }

    public var isIPv4: Bool { bytes.count == 4 }

    /// The IPv4 address an IPv6 one carries (`::ffff:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`), which is what is reached.
    public var embeddedIPv4: IPAddress? {
        guard bytes.count == 16 else { return nil }
        let mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF
        let nat64 = bytes[0..<12] == [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0]
        return mapped || nat64 ? IPAddress(bytes: Array(bytes[12..<16])) : nil
    }

    public var isLoopback: Bool {
        if let v4 = embeddedIPv4 { return v4.isLoopback }
        return isIPv4 ? bytes[0] == 127 : bytes == Array(repeating: 0, count: 15) + [1]
    }

    /// The name of the non-public range this address is in, or `nil` for a public address. Loopback is handled apart.
    public var nonPublicRange: String? {
        if let v4 = embeddedIPv4 { return v4.nonPublicRange }
        if isIPv4 {
            let (a, b) = (bytes[0], bytes[1])
            switch (a, b) {
            case (0, _): return "this network, 0.0.0.0/8"
            case (10, _): return "private, 10.0.0.0/8"
            case (100, 64...127): return "shared address space, 100.64.0.0/10"
            case (169, 254): return "link-local, 169.254.0.0/16"
            case (172, 16...31): return "private, 172.16.0.0/12"
            case (192, 0) where bytes[2] == 0: return "IETF protocol assignments, 192.0.0.0/24"
            case (192, 0) where bytes[2] == 2: return "documentation, 192.0.2.0/24"
            case (192, 168): return "private, 192.168.0.0/16"
            case (198, 18...19): return "benchmarking, 198.18.0.0/15"
            case (198, 51) where bytes[2] == 100: return "documentation, 198.51.100.0/24"
            case (203, 0) where bytes[2] == 113: return "documentation, 203.0.113.0/24"
            case (224...239, _): return "multicast, 224.0.0.0/4"
            case (240...255, _): return "reserved, 240.0.0.0/4"
            default: return nil
            }
        }
        if bytes.allSatisfy({ $0 == 0 }) { return "unspecified, ::" }
        switch bytes[0] {
        case 0xFC, 0xFD: return "unique local, fc00::/7"
        case 0xFE where bytes[1] & 0xC0 == 0x80: return "link-local, fe80::/10"
        case 0xFE where bytes[1] & 0xC0 == 0xC0: return "site-local, fec0::/10"
        case 0xFF: return "multicast, ff00::/8"
        default: break
        }
        if bytes[0] == 0x20, bytes[1] == 0x01, bytes[2] == 0x0D, bytes[3] == 0xB8 { return "documentation, 2001:db8::/32" }
        // Other IPv6 with a zero first 96 bits (deprecated IPv4-compatible) are not routable.
        if bytes[0..<12].allSatisfy({ $0 == 0 }) { return "IPv4-compatible, ::/96" }
        return nil
    }

    public var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        var groups: [String] = []
        for index in stride(from: 0, to: 16, by: 2) {
            groups.append(String(UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]), radix: 16))
        }
        return groups.joined(separator: ":")
    }

    static func parseIPv6(_ text: String) -> [UInt8]? {
        var text = Substring(text)
        var tail: [UInt8] = []
        // A trailing dotted IPv4 part (`::ffff:127.0.0.1`).
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            guard let v4 = IPAddress(String(text[text.index(after: lastColon)...])), v4.isIPv4 else { return nil }
            tail = v4.bytes
            text = text[...lastColon]
            if text.hasSuffix("::") == false { text = text.dropLast() }
        }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            guard !part.isEmpty else { return [] }
            var values: [UInt16] = []
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(group.count), let value = UInt16(group, radix: 16) else { return nil }
                values.append(value)
            }
            return values
        }
        guard let head = groups(halves[0]) else { return nil }
        let rest = halves.count == 2 ? groups(halves[1]) : []
        guard let rest else { return nil }
        let total = head.count + rest.count + tail.count / 2
        if halves.count == 2 {
            guard total < 8 else { return nil }
        } else {
            guard total == 8 else { return nil }
        }
        let zeros = Array(repeating: UInt16(0), count: 8 - total)
        var bytes: [UInt8] = []
        for value in head + zeros + rest { bytes += [UInt8(value >> 8), UInt8(value & 0xFF)] }
        return bytes + tail
    }
}
