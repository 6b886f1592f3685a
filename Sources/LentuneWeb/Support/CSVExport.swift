import Vapor

/// A list exported as CSV (issue 29): RFC 4180 quoting, UTF-8 with a byte-order mark so spreadsheet programs read
/// "Tōtara" as written, and cells that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a
/// carriage return) prefixed with an apostrophe, so an invoice number from a supplier cannot become a formula.
enum CSVExport {
    /// The most rows one export carries (a larger list is narrowed with the filters first).
    static let maximumRows = 10_000

    static func cell(_ value: String) -> String {
        var text = value
        // A negative amount ("-12.50") stays a number.
        if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), text.wholeMatch(of: /-\d+(\.\d+)?/) == nil {
            text = "'" + text
        }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func text(_ rows: [[String]]) -> String {
        rows.prefix(maximumRows + 1).map { $0.map(cell).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    static func response(_ rows: [[String]], filename: String) -> Response {
        let response = Response(status: .ok, body: .init(string: "\u{FEFF}" + text(rows)))
        response.headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(filename)\"")
        response.headers.cacheControl = .init(noStore: true)
        return response
    }
}
