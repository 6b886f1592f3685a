import Foundation

extension Procore {
    /// Every page of a v1 list, following `Link: <…>; rel="next"` until there is none.
    public struct Pages<Item: Decodable & Sendable>: AsyncSequence, Sendable {
        public typealias Element = [Item]
        public typealias Fetch = @Sendable (Endpoint) async throws(Procore.Error) -> ([Item], Endpoint?)
        let first: Endpoint
        let fetchPage: Fetch

        /// Pages read from Procore through `session`, following `Link: rel="next"`.
        public init(session: Session, first: Endpoint) {
            self.first = first
            self.fetchPage = { endpoint throws(Procore.Error) in try await Self.fetch(endpoint, session: session) }
        }

        /// Pages from any source (tests: canned pages, or a failure).
        public init(first: Endpoint, fetch: @escaping Fetch) {
            self.first = first
            self.fetchPage = fetch
        }

        /// Pages that are exactly `pages` (a test value).
        public static func of(_ pages: [[Item]]) -> Self {
            Self(first: Endpoint(.GET, "/0")) { endpoint throws(Procore.Error) in
                let index = Int(endpoint.path.dropFirst()) ?? 0
                guard index < pages.count else { return ([], nil) }
                let next = index + 1 < pages.count ? Endpoint(.GET, "/\(index + 1)") : nil
                return (pages[index], next)
            }
        }

        /// Pages whose first read fails with `error`.
        public static func failing(_ error: Procore.Error) -> Self {
            Self(first: Endpoint(.GET, "/")) { _ throws(Procore.Error) in throw error }
        }

        public struct AsyncIterator: AsyncIteratorProtocol {
            let fetchPage: Fetch
            var next: Endpoint?

            public mutating func next() async throws -> [Item]? {
                guard let endpoint = next else { return nil }
                let (items, following) = try await fetchPage(endpoint)
                next = following
                return items
            }
        }

        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(fetchPage: fetchPage, next: first) }

        /// All items of all pages.
        public func all() async throws(Procore.Error) -> [Item] {
            var items: [Item] = []
            var next: Endpoint? = first
            while let endpoint = next {
                let (page, following) = try await fetchPage(endpoint)
                items += page
                next = following
            }
            return items
        }

        /// One page and the endpoint of the next, if any.
        static func fetch(_ endpoint: Endpoint, session: Session) async throws(Procore.Error) -> ([Item], Endpoint?) {
            let response = try await session.send(endpoint)
            let items = try Session.decode([Item].self, from: response.body)
            let next = response.header("Link").flatMap { nextLink($0) }.map { self.endpoint(for: $0, like: endpoint) }
            return (items, next)
        }

        /// The URL of `rel="next"` in a Link header.
        static func nextLink(_ header: String) -> URL? {
            for part in header.split(separator: ",") {
                let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                guard pieces.count >= 2, pieces.dropFirst().contains(where: { $0.replacingOccurrences(of: " ", with: "") == "rel=\"next\"" }),
                    pieces[0].hasPrefix("<"), pieces[0].hasSuffix(">")
                else { continue }
                return URL(string: String(pieces[0].dropFirst().dropLast()))
            }
            return nil
        }

        /// The next page as an endpoint on the same host (only the path and query of Procore's URL are used).
        static func endpoint(for url: URL, like previous: Endpoint) -> Endpoint {
            let components = URLComponents(url: url, resolvingAgainstBaseURL: false)
            let query = (components?.percentEncodedQueryItems ?? []).map {
                Endpoint.QueryItem($0.name.removingPercentEncoding ?? $0.name, ($0.value ?? "").removingPercentEncoding ?? "")
            }
            var next = previous
            next.path = components?.percentEncodedPath.removingPercentEncoding ?? url.path
            next.query = query
            return next
        }
    }
}
