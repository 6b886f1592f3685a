import Foundation

extension Procore {
    /// Every page of a v1 list, following `Link: <…>; rel="next"` until there is none.
    public struct Pages<Item: Decodable & Sendable>: AsyncSequence, Sendable {
        public typealias Element = [Item]
        let session: Session
        let first: Endpoint

        public struct AsyncIterator: AsyncIteratorProtocol {
            let session: Session
            var next: Endpoint?

            public mutating func next() async throws -> [Item]? {
                guard let endpoint = next else { return nil }
                let (items, following) = try await Pages.fetch(endpoint, session: session)
                next = following
                return items
            }
        }

        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(session: session, next: first) }

        /// All items of all pages.
        public func all() async throws(Procore.Error) -> [Item] {
            var items: [Item] = []
            var next: Endpoint? = first
            while let endpoint = next {
                let (page, following) = try await Self.fetch(endpoint, session: session)
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
