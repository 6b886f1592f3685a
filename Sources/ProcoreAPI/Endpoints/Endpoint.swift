import Foundation

extension Procore {
    public enum Host: String, Sendable {
        case auth
        case api
    }

    /// A request as a value: built by pure functions, snapshot-tested, sent by the transport.
    public struct Endpoint: Hashable, Sendable {
        public enum Method: String, Sendable {
            case GET, POST, PATCH, PUT, DELETE
        }

        public var host: Host = .api
        public var method: Method
        public var path: String
        public var query: [QueryItem] = []
        /// Whether `Procore-Company-Id` is sent.
        public var needsCompany = true
        /// The company sent as `Procore-Company-Id` for this request, instead of the session's (a call about one
        /// company of several the connection can see).
        public var company: Int64?
        public var body: Body?
        /// Whether a retry of this request may repeat a create (plain POSTs may not).
        public var isIdempotent: Bool

        public struct QueryItem: Hashable, Sendable {
            public var name: String
            public var value: String
            public init(_ name: String, _ value: String) {
                self.name = name
                self.value = value
            }
        }

        public enum Body: Hashable, Sendable {
            case json(Data)
            case form([QueryItem])
            /// `multipart/form-data`: text fields (`direct_cost[vendor_id]`, in order) then file parts (Procore's
            /// `attachments[]`), split by `boundary`.
            case multipart(boundary: String, fields: [QueryItem] = [], files: [File])

            public struct File: Hashable, Sendable {
                public var field: String
                public var filename: String
                public var contentType: String
                public var data: Data

                public init(field: String, filename: String, contentType: String, data: Data) {
                    self.field = field
                    self.filename = filename
                    self.contentType = contentType
                    self.data = data
                }
            }

            public var contentType: String {
                switch self {
                case .json: "application/json"
                case .form: "application/x-www-form-urlencoded"
                case .multipart(let boundary, _, _): "multipart/form-data; boundary=\(boundary)"
                }
            }

            public var data: Data {
                switch self {
                case .json(let data): return data
                case .form(let items): return Data(Endpoint.encode(items).utf8)
                case .multipart(let boundary, let fields, let files):
                    var body = Data()
                    func clean(_ text: String) -> String {
                        text.replacingOccurrences(of: "\"", with: "_").replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: "")
                    }
                    for field in fields {
                        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(clean(field.name))\"\r\n\r\n".utf8))
                        body.append(Data(field.value.utf8))
                        body.append(Data("\r\n".utf8))
                    }
                    for file in files {
                        let name = file.filename.replacingOccurrences(of: "\"", with: "_").replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: "")
                        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.field)\"; filename=\"\(name)\"\r\nContent-Type: \(file.contentType)\r\n\r\n".utf8))
                        body.append(file.data)
                        body.append(Data("\r\n".utf8))
                    }
                    body.append(Data("--\(boundary)--\r\n".utf8))
                    return body
                }
            }
        }

        public init(
            _ method: Method, _ path: String, query: [QueryItem] = [], body: Body? = nil, host: Host = .api,
            needsCompany: Bool = true
        ) {
            self.method = method
            self.path = path
            self.query = query
            self.body = body
            self.host = host
            self.needsCompany = needsCompany
            isIdempotent = method != .POST
        }

        /// The URL against a base, every reserved character of the query percent-encoded (brackets too).
        public func url(base: URL) -> URL {
            var text = base.absoluteString
            if text.hasSuffix("/") { text.removeLast() }
            text += path
            if !query.isEmpty { text += "?" + Endpoint.encode(query) }
            return URL(string: text)!
        }

        static func encode(_ items: [QueryItem]) -> String {
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            return items.map { item in
                (item.name.addingPercentEncoding(withAllowedCharacters: allowed) ?? item.name) + "="
                    + (item.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? item.value)
            }.joined(separator: "&")
        }

        /// A stable text form for snapshots and logs. Never contains secrets: form bodies show field names only
        /// for `client_secret`, `refresh_token` and `code`.
        public var snapshot: String {
            var lines = ["\(method.rawValue) \(host.rawValue):\(path)"]
            for item in query { lines.append("  ?\(item.name)=\(item.value)") }
            if needsCompany { lines.append("  Procore-Company-Id: <company>") }
            switch body {
            case .json(let data)?:
                lines.append("  Content-Type: application/json")
                lines.append(String(decoding: data, as: UTF8.self))
            case .form(let items)?:
                lines.append("  Content-Type: application/x-www-form-urlencoded")
                for item in items {
                    let secret = ["client_secret", "refresh_token", "code"].contains(item.name)
                    lines.append("  \(item.name)=\(secret ? "<redacted>" : item.value)")
                }
            case .multipart(_, let fields, let files)?:
                lines.append("  Content-Type: multipart/form-data")
                for field in fields { lines.append("  \(field.name)=\(field.value)") }
                for file in files { lines.append("  \(file.field): \(file.filename) (\(file.contentType), \(file.data.count) bytes)") }
            case nil: break
            }
            return lines.joined(separator: "\n") + "\n"
        }
    }
}
