import Foundation
import PropertyBased
import Testing

@testable import LentuneCore

/// Issue 30's pure rules: where a redirect may go, where the server may connect, what a number with a comma means.
@Suite struct SafeRedirectTests {
    @Test(arguments: [
        "/\r\nX-Probe-Injected: 1", "/%0d%0aX-Probe-Injected:%201", "/%09/evil.example/", "/\t/evil.example/", "//evil.example",
        "/\\evil.example", "/%5Cevil.example", "https://evil.example/", "/%2F/evil.example", "/%252F%252Fevil.example", "",
        "evil.example", "/\u{0}x", "/a b", "/\u{85}x", String(repeating: "/a", count: 300),
    ])
    func theReviewersNextValues_areRefused(next: String) {
        #expect(SafeRedirect.path(next) == nil)
    }

    @Test(arguments: ["/", "/purchase-orders", "/purchase-orders?status=draft&q=Steel", "/invoices/5f0e%20x", "/a%2Fb"])
    func sameSitePaths_areKept(next: String) {
        #expect(SafeRedirect.path(next) == next)
    }

    @Test func whatPasses_isAlwaysOneSlashThenPrintableASCII_decodedOrNot() async {
        let characters = Gen.character(in: "\u{0}"..."\u{7F}")
        await propertyCheck(count: 2000, input: characters.string(of: 0...12)) { tail in
            for candidate in ["/" + tail, tail, "/%" + tail] {
                guard let path = SafeRedirect.path(candidate) else { continue }
                let decoded = path.removingPercentEncoding ?? path
                for text in [path, decoded] {
                    #expect(text.hasPrefix("/") && !text.hasPrefix("//") && !text.hasPrefix("/\\"))
                    #expect(!text.unicodeScalars.contains { $0.value < 0x20 || $0 == "\\" })
                }
                #expect(SafeRedirect.isSafeHeaderValue(path))
            }
        }
    }

    @Test func headerValues_withCROrLFOrNUL_areUnsafe() {
        #expect(!SafeRedirect.isSafeHeaderValue("/\r\nX: 1"))
        #expect(!SafeRedirect.isSafeHeaderValue("a\nb"))
        #expect(!SafeRedirect.isSafeHeaderValue("a\u{0}b"))
        #expect(SafeRedirect.isSafeHeaderValue("text/html; charset=utf-8"))
    }
}

@Suite struct OutboundPolicyTests {
    static func url(_ text: String) -> URL { URL(string: text)! }

    @Test(arguments: [
        "http://127.1/", "http://[::1]:9/", "http://localhost:9/", "http://127.evil.invalid/", "https://10.0.0.1/",
        "https://169.254.169.254/", "https://[::ffff:127.0.0.1]/", "https://[::ffff:a9fe:a9fe]/", "https://2130706433/", "https://0x7f.1/",
        "https://017700000001/", "https://127.0.0.1/", "https://192.168.1.10/", "https://172.16.0.1/", "https://100.64.0.1/",
        "https://[fe80::1]/", "https://[fd00::1]/", "https://0.0.0.0/", "http://api.example.com/", "ftp://api.example.com/",
        "https://user:pw@api.example.com/", "https://app.localhost/", "https://224.0.0.1/",
    ])
    func theReviewersURLs_andTheirCousins_areRefusedInProduction(text: String) {
        #expect(OutboundPolicy.check(url: Self.url(text), allowLoopback: false) != nil, "\(text)")
    }

    @Test(arguments: ["https://api.procore.com", "https://login.procore.com/", "https://8.8.8.8/", "https://[2606:4700::1111]/",
                      "https://procore.example.com:8443/base"])
    func httpsToPublicHostsAndAddresses_isAllowed(text: String) {
        #expect(OutboundPolicy.check(url: Self.url(text), allowLoopback: false) == nil, "\(text)")
    }

    @Test func loopback_isAllowedOnlyWhenSaid_andNeverTheOtherInternalRanges() {
        for text in ["http://127.0.0.1:9/", "http://localhost:9/", "http://[::1]:9/", "https://127.0.0.1/"] {
            #expect(OutboundPolicy.check(url: Self.url(text), allowLoopback: true) == nil, "\(text)")
            #expect(OutboundPolicy.check(url: Self.url(text), allowLoopback: false) != nil, "\(text)")
        }
        for text in ["https://10.0.0.1/", "https://169.254.169.254/", "http://127.1/", "http://127.evil.invalid/"] {
            #expect(OutboundPolicy.check(url: Self.url(text), allowLoopback: true) != nil, "\(text)")
        }
    }

    static let octet = Gen.int(in: 0...255)

    /// Every address of each internal IPv4 range is refused, as written and as an IPv4-mapped IPv6 address.
    @Test func everyAddressOfAnInternalRange_isRefused_inBothForms() async {
        await propertyCheck(count: 500, input: Self.octet, Self.octet, Self.octet, Gen.int(in: 0...6)) { b, c, d, range in
            let prefixes: [(Int, Int)] = [(10, b), (127, b), (169, 254), (172, 16 + b % 16), (192, 168), (100, 64 + b % 64), (0, b)]
            let (first, second) = prefixes[range]
            let text = "\(first).\(second).\(c).\(d)"
            let address = IPAddress(text)!
            #expect(OutboundPolicy.check(address: address, allowLoopback: false) != nil, "\(text)")
            let mapped = IPAddress("::ffff:\(text)")!
            #expect(OutboundPolicy.check(address: mapped, allowLoopback: false) != nil, "::ffff:\(text)")
            #expect((OutboundPolicy.check(address: mapped, allowLoopback: true) == nil) == (OutboundPolicy.check(address: address, allowLoopback: true) == nil))
        }
    }

    /// The verdict of an address never depends on how it is written: IPv4 and its mapped form always agree, and the
    /// address's own text parses back to it.
    @Test func anyIPv4_andItsMappedForm_agree_andRoundTrip() async {
        await propertyCheck(count: 1000, input: Self.octet, Self.octet, Self.octet, Self.octet) { a, b, c, d in
            let address = IPAddress("\(a).\(b).\(c).\(d)")!
            #expect(IPAddress(address.description) == address)
            let mapped = IPAddress("::ffff:\(a).\(b).\(c).\(d)")!
            #expect(mapped.embeddedIPv4 == address)
            for loopback in [true, false] {
                #expect((OutboundPolicy.check(address: mapped, allowLoopback: loopback) == nil) == (OutboundPolicy.check(address: address, allowLoopback: loopback) == nil))
            }
        }
    }

    /// Shorthand and non-decimal forms resolvers accept (`127.1`, `0x7f.0.0.1`, `017.0.0.1`, one big number) are never
    /// read as names: a URL holding one is refused whatever it would mean.
    @Test func numericShorthands_areRefused() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...Int(UInt32.max)), Gen.int(in: 0...2)) { value, form in
            let text = switch form {
            case 0: "\(value)"
            case 1: "\(value >> 24).\(value & 0xFFFFFF)"
            default: "0x" + String(value, radix: 16)
            }
            #expect(OutboundPolicy.check(url: URL(string: "https://\(text)/")!, allowLoopback: true) != nil, "\(text)")
        }
    }
}

@Suite struct NumbersAndTextTests {
    @Test func aDecimalComma_isRefused_andThousandsSeparatorsStillRead() {
        #expect(Money.parse("1,5") == nil)
        #expect(Money.parse("1,5", maxFractionDigits: 4) == nil)
        #expect(Money.parse("0,25") == nil)
        #expect(Money.parse("1,50.00") == nil)
        #expect(Money.parse("1.500,00") == nil)
        #expect(Money.parse(",5") == nil)
        #expect(Money.parse("1,500") == 1500)
        #expect(Money.parse("1,234.50") == Decimal(string: "1234.50"))
        #expect(Money.parse("-12,000,000.25") == Decimal(string: "-12000000.25"))
    }

    /// Whatever parses with a comma means what it says with the commas as thousands separators: a comma is never
    /// silently dropped from inside a group.
    @Test func aCommaIsNeverDropped_fromInsideAGroup() async {
        let characters = Gen.character(in: "0"..."9").string(of: 1...7)
        await propertyCheck(count: 1000, input: characters, Gen.int(in: 1...6)) { digits, at in
            guard at < digits.count else { return }
            let index = digits.index(digits.startIndex, offsetBy: at)
            let text = digits[..<index] + "," + digits[index...]
            if let parsed = Money.parse(String(text)) {
                // Accepted only when the comma sits where a thousands separator would.
                #expect(digits.count - at == 3 && at <= 3, "\(text) → \(parsed)")
                #expect(parsed == Decimal(string: digits))
            }
        }
    }

    @Test func anInvoiceNumberWithNUL_isAProblem() {
        let invoice = Invoice(
            organisationID: .init(), supplierID: .init(), number: "INV\u{0}-1", invoiceDate: Date(), lines: [],
            allocations: [], statedTotalExcludingTax: 10, statedTax: 1)
        #expect(InvoiceRules.problems(invoice, today: Date())["number"]?.contains("control character") == true)
    }

    @Test func urlsWithCredentials_areLoggedWithout() {
        let text = "database postgres://lentune:s3cret-pw@db.internal:5432/lentune is up"
        #expect(Redaction.url(text) == "database postgres://lentune:[REDACTED]@db.internal:5432/lentune is up")
        #expect(Redaction.redact("postgresql://u:p%40ss@h/db").contains("p%40ss") == false)
        #expect(Redaction.url("https://api.procore.com/rest/v1.0/me") == "https://api.procore.com/rest/v1.0/me")
    }
}
