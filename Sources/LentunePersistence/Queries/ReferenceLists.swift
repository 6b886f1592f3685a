import FluentKit
import Foundation
import LentuneCore

/// The reference lists of the JSON API, keyset-paged: ordered by a text key then id, a page continues after the last
/// row's (key, id), so every page costs the same and inserts between requests neither skip nor repeat a row.
public enum ReferenceLists {
    public struct Cursor: Sendable, Hashable {
        public var key: String
        public var id: UUID

        public init(key: String, id: UUID) {
            self.key = key
            self.id = id
        }

        /// An opaque base64url token.
        public var token: String {
            Data("\(key)\u{1F}\(id.uuidString)".utf8).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }

        public init?(token: String) {
            guard token.count <= 600 else { return nil }
            var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
            guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
                let separator = text.lastIndex(of: "\u{1F}"), let id = UUID(uuidString: String(text[text.index(after: separator)...]))
            else { return nil }
            self.init(key: String(text[..<separator]), id: id)
        }
    }

    public struct Page<Item: Sendable>: Sendable {
        public var items: [Item]
        /// Pass as `after` for the next page; nil on the last.
        public var next: Cursor?
        /// Pass as `before` for the previous page; nil on the first (lists that page backwards).
        public var previous: Cursor? = nil
    }

    static func page<R: TenantRecord, Item>(
        _ query: QueryBuilder<R>, key: KeyPath<R, FieldProperty<R, String>>, after: Cursor?, limit: Int, map: (R) -> Item
    ) async throws -> Page<Item> where R.IDValue == UUID {
        var query = query
        if let after {
            query = query.group(.or) { group in
                group.filter(key > after.key).group(.and) { same in same.filter(key == after.key).filter(\._$id > after.id) }
            }
        }
        let rows = try await query.sort(key).sort(\._$id).limit(limit + 1).all()
        let shown = Array(rows.prefix(limit))
        let next = rows.count > limit ? shown.last.map { Cursor(key: $0[keyPath: key].wrappedValue, id: $0.id!) } : nil
        return Page(items: shown.map(map), next: next)
    }

    public static func projects(in organisation: Organisation.ID, after: Cursor?, limit: Int, on db: any Database) async throws -> Page<Project> {
        try await page(ProjectRecord.scoped(to: organisation, on: db), key: \.$code, after: after, limit: limit) { $0.domain }
    }

    public static func suppliers(in organisation: Organisation.ID, after: Cursor?, limit: Int, on db: any Database) async throws -> Page<Supplier> {
        var page = try await page(SupplierRecord.scoped(to: organisation, on: db), key: \.$name, after: after, limit: limit) { $0.domain() }
        let links = try await ReferenceLinks.links(.supplier, in: organisation, entities: page.items.map(\.id.rawValue), on: db)
        for index in page.items.indices { page.items[index].procoreVendors = links[page.items[index].id.rawValue] ?? [:] }
        return page
    }

    public static func costCodes(
        in organisation: Organisation.ID, project: Project.ID, after: Cursor?, limit: Int, on db: any Database
    ) async throws -> Page<CostCode> {
        try await page(
            CostCodeRecord.scoped(to: organisation, on: db).filter(\.$projectID == project.rawValue), key: \.$code, after: after,
            limit: limit) { $0.domain }
    }

    public static func costTypes(in organisation: Organisation.ID, after: Cursor?, limit: Int, on db: any Database) async throws -> Page<CostType> {
        var page = try await page(CostTypeRecord.scoped(to: organisation, on: db), key: \.$code, after: after, limit: limit) { $0.domain() }
        let links = try await ReferenceLinks.links(.costType, in: organisation, entities: page.items.map(\.id.rawValue), on: db)
        for index in page.items.indices { page.items[index].procoreLineItemTypes = links[page.items[index].id.rawValue] ?? [:] }
        return page
    }

    public static func taxCodes(in organisation: Organisation.ID, after: Cursor?, limit: Int, on db: any Database) async throws -> Page<TaxCode> {
        try await page(TaxCodeRecord.scoped(to: organisation, on: db), key: \.$code, after: after, limit: limit) { $0.domain }
    }
}
