import Foundation
import Vapor

/// `multipart/form-data` bodies read the way Procore's Rails reads them: `direct_cost[line_items][0][wbs_code_id]`
/// fields nest into objects and arrays (leaves stay text, which the field readers accept as Procore does), and file
/// parts come apart with their bytes.
enum Multipart {
    struct Part: Sendable {
        var name: String
        var filename: String?
        var contentType: String?
        var data: Data
    }

    struct Form {
        var fields: JSON.Object
        var files: [Part]
    }

    static func form(_ req: Request) throws(ProcoreError) -> Form {
        guard let boundary = req.headers.contentType?.parameters["boundary"], !boundary.isEmpty else {
            throw ProcoreError.message(.badRequest, "A multipart/form-data body needs a boundary")
        }
        let body = req.body.data.map { Data(buffer: $0) } ?? Data()
        guard let parts = parse(body, boundary: boundary) else { throw ProcoreError.message(.badRequest, "Malformed multipart/form-data body") }
        var fields = JSON.Object()
        var files: [Part] = []
        for part in parts {
            if part.filename != nil {
                files.append(part)
                continue
            }
            guard let keys = keys(part.name) else { throw ProcoreError.field(.badRequest, part.name, "is not a form field name") }
            let value = JSON.string(String(decoding: part.data, as: UTF8.self))
            guard case .object(let object) = insert(value, at: keys[...], into: .object(fields)) else {
                throw ProcoreError.field(.badRequest, part.name, "does not fit the other fields")
            }
            fields = object
        }
        return Form(fields: fields, files: files)
    }

    /// The parts of a body, or nil when it is not multipart at all.
    static func parse(_ body: Data, boundary: String) -> [Part]? {
        let delimiter = Data("--\(boundary)".utf8)
        let separator = Data("\r\n\r\n".utf8)
        var parts: [Part] = []
        guard var cursor = body.range(of: delimiter)?.upperBound else { return nil }
        while cursor < body.endIndex {
            // "--" after a delimiter ends the body.
            if body[cursor...].starts(with: Data("--".utf8)) { return parts }
            guard let next = body.range(of: delimiter, in: cursor..<body.endIndex),
                let split = body.range(of: separator, in: cursor..<next.lowerBound)
            else { return nil }
            let head = String(decoding: body[cursor..<split.lowerBound], as: UTF8.self)
            var end = next.lowerBound
            if end - split.upperBound >= 2, body[end - 2] == 13, body[end - 1] == 10 { end -= 2 }
            let content = Data(body[split.upperBound..<end])
            var name: String?
            var filename: String?
            var type: String?
            for line in head.components(separatedBy: "\r\n") {
                let lower = line.lowercased()
                if lower.hasPrefix("content-disposition:") {
                    name = attribute("name", in: line)
                    filename = attribute("filename", in: line)
                } else if lower.hasPrefix("content-type:") {
                    type = line.dropFirst("content-type:".count).trimmingCharacters(in: .whitespaces)
                }
            }
            guard let name else { return nil }
            parts.append(Part(name: name, filename: filename, contentType: type, data: content))
            cursor = next.upperBound
        }
        return parts
    }

    static func attribute(_ name: String, in header: String) -> String? {
        guard let range = header.range(of: "; \(name)=\"") ?? header.range(of: ";\(name)=\"") else { return nil }
        let rest = header[range.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }

    /// `a[b][0][c]` → a, b, 0, c; `a[]` → a, "".
    static func keys(_ name: String) -> [String]? {
        guard let open = name.firstIndex(of: "[") else { return name.isEmpty ? nil : [name] }
        var keys = [String(name[..<open])]
        var rest = name[open...]
        while !rest.isEmpty {
            guard rest.first == "[", let close = rest.firstIndex(of: "]") else { return nil }
            keys.append(String(rest[rest.index(after: rest.startIndex)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return keys
    }

    static func insert(_ value: JSON, at keys: ArraySlice<String>, into node: JSON) -> JSON {
        guard let key = keys.first else { return value }
        let rest = keys.dropFirst()
        let nextIsList = rest.first.map { $0.isEmpty || Int($0) != nil } ?? false
        let empty: JSON = nextIsList ? .array([]) : .object(JSON.Object())
        if key.isEmpty || (Int(key).map { $0 >= 0 && $0 < 1000 } ?? false) {
            var list = node.arrayValue ?? []
            if key.isEmpty {
                list.append(insert(value, at: rest, into: empty))
            } else {
                let index = Int(key)!
                while list.count <= index { list.append(empty) }
                list[index] = insert(value, at: rest, into: list[index])
            }
            return .array(list)
        }
        var object = node.objectValue ?? JSON.Object()
        object[key] = insert(value, at: rest, into: object[key] ?? empty)
        return .object(object)
    }
}
