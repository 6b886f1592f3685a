import Foundation
import Vapor

/// v1 pagination: `page` (1-based) and `per_page`, answered with `Total`, `Per-Page` and `Link`
/// (page 1: next, last; page 2: first, next, last; page ≥ 3: first, prev, next, last; the last page has no next).
struct Page<Item> {
    var items: [Item]
    var page: Int
    var perPage: Int
    var total: Int

    init(_ all: [Item], query: Query, defaultPerPage: Int, maxPerPage: Int) {
        total = all.count
        perPage = min(max(Int(query["per_page"] ?? "") ?? defaultPerPage, 1), maxPerPage)
        page = max(Int(query["page"] ?? "") ?? 1, 1)
        let start = (page - 1) * perPage
        items = start < all.count ? Array(all[start..<min(start + perPage, all.count)]) : []
    }

    var lastPage: Int { max(1, (total + perPage - 1) / perPage) }

    func headers(for url: URI, baseURL: String) -> [(String, String)] {
        var headers = [("Total", String(total)), ("Per-Page", String(perPage))]
        guard total > 0 else { return headers }
        func link(_ page: Int, _ rel: String) -> String {
            var query = Query(uri: url).pairs.filter { $0.0 != "page" && $0.0 != "per_page" }
            query.append(("page", String(page)))
            query.append(("per_page", String(perPage)))
            let encoded = query.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
            return "<\(baseURL)\(url.path)?\(encoded)>; rel=\"\(rel)\""
        }
        var links: [String] = []
        if page >= 2 { links.append(link(1, "first")) }
        if page >= 3 { links.append(link(page - 1, "prev")) }
        if page < lastPage { links.append(link(page + 1, "next")) }
        links.append(link(lastPage, "last"))
        headers.append(("Link", links.joined(separator: ", ")))
        return headers
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~[]")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
