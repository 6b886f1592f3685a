import Foundation
import Vapor

/// A record that belongs to one company and carries Procore's `origin_id`/`origin_data`.
protocol CompanyRecord: Sendable {
    var id: Int64 { get set }
    var companyID: Int64 { get }
    var originID: String? { get set }
    var originData: String? { get set }
    var updatedAt: Date { get set }
}

extension Vendor: CompanyRecord {}
extension LineItemType: CompanyRecord {}
extension TaxCode: CompanyRecord {}

/// The show, create, update and sync routes of a company-level resource (vendors, line item types, tax codes),
/// which behave alike in Procore: the resource's own parts are its blank record, its fields and its JSON.
struct CompanyResource<R: CompanyRecord>: Sendable {
    /// e.g. `rest/v1.0/tax_codes`.
    var path: String
    /// The body's wrapper key of a single write, e.g. `tax_code`.
    var wrapper: String
    var records: any WritableKeyPath<SandboxData, [R]> & Sendable
    /// Webhook resource of its events (nil: Procore's resource lists have none, as for tax codes).
    var resource: Resource?
    /// The company a request is about (checked against the token's companies).
    var company: @Sendable (APIContext) throws(ProcoreError) -> Int64
    var blank: @Sendable (_ company: Int64, _ now: Date) -> R
    /// Reads the resource's own writable fields (not `origin_id`/`origin_data`, which are common) into the record.
    var fill: @Sendable (inout FieldReader, inout R) -> Void
    var render: @Sendable (R) -> JSON

    func register(_ api: any RoutesBuilder, store: SandboxStore) {
        api.api(.GET, path + "/:id") { req, ctx in
            let company = try company(ctx)
            let id = try req.int64Parameter("id")
            guard let record = store.read({ data in data[keyPath: records].first { $0.id == id && $0.companyID == company } }) else {
                throw ProcoreError.notFound
            }
            return jsonResponse(render(record))
        }
        api.api(.POST, path) { _, ctx in
            let company = try company(ctx)
            let fields = try ctx.requireObject(wrapper)
            let record = try store.write { (data: inout SandboxData) throws(ProcoreError) -> R in
                try validated { () throws(Sync.ItemError) in try upsert(&data, fields, company: company, existing: nil, ctx: ctx) }
            }
            return jsonResponse(render(record), status: .created)
        }
        api.api(.PATCH, path + "/:id") { req, ctx in
            let company = try company(ctx)
            let id = try req.int64Parameter("id")
            let fields = try ctx.requireObject(wrapper)
            let record = try store.write { (data: inout SandboxData) throws(ProcoreError) -> R in
                guard let index = data[keyPath: records].firstIndex(where: { $0.id == id && $0.companyID == company }) else {
                    throw ProcoreError.notFound
                }
                return try validated { () throws(Sync.ItemError) in try upsert(&data, fields, company: company, existing: index, ctx: ctx) }
            }
            return jsonResponse(render(record))
        }
        api.api(.PATCH, path + "/sync") { _, ctx in
            let company = try company(ctx)
            let items = try Sync.updates(ctx)
            return Sync.run(items, store: store) { (data: inout SandboxData, item: JSON.Object) throws(Sync.ItemError) -> JSON in
                let scoped = data[keyPath: records].enumerated().filter { $0.element.companyID == company }
                switch try Sync.match(item, in: scoped.map(\.element), id: \.id, originID: \.originID) {
                case .create: return render(try upsert(&data, item, company: company, existing: nil, ctx: ctx))
                case .update(let index): return render(try upsert(&data, item, company: company, existing: scoped[index].offset, ctx: ctx))
                }
            }
        }
    }

    /// Creates (`existing == nil`) or updates a record from writable fields, and emits its webhook event.
    func upsert(_ data: inout SandboxData, _ fields: JSON.Object, company: Int64, existing: Int?, ctx: APIContext) throws(Sync.ItemError) -> R {
        var reader = FieldReader(fields)
        var record = existing.map { data[keyPath: records][$0] } ?? blank(company, ctx.now)
        fill(&reader, &record)
        let origin = reader.string("origin_id")
        if originTaken(origin, in: data[keyPath: records], company: company, except: existing.map { data[keyPath: records][$0].id },
                       companyOf: \.companyID, idOf: \.id, originOf: \.originID) {
            reader.errors.add("origin_id", "has already been taken")
        }
        origin.apply(to: &record.originID)
        reader.string("origin_data").apply(to: &record.originData)
        try reader.checkItem()
        record.updatedAt = ctx.now
        if let existing {
            data[keyPath: records][existing] = record
            if let resource { data.emit(resource, "update", id: record.id, companyID: company, projectID: nil, source: ctx.source, now: ctx.now) }
        } else {
            record.id = data.newID()
            data[keyPath: records].append(record)
            if let resource { data.emit(resource, "create", id: record.id, companyID: company, projectID: nil, source: ctx.source, now: ctx.now) }
        }
        return record
    }
}
