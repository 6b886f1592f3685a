import FluentKit
import Foundation
import LentuneCore

public enum PurchaseOrders {
    public enum Error: Swift.Error, Equatable {
        case duplicateNumber(String)
    }

    /// Inserts a PO and its lines in one transaction.
    public static func insert(_ po: PurchaseOrder, on db: any Database) async throws {
        do {
            try await db.transaction { tx in
                try await PurchaseOrderRecord(po).create(on: tx)
                for line in po.lines {
                    try await PurchaseOrderLineRecord(line, purchaseOrderID: po.id.rawValue).create(on: tx)
                }
            }
        } catch where error.isConstraintFailure {
            let taken = try await PurchaseOrderRecord.scoped(to: po.organisationID, on: db)
                .filter(\.$number == po.number).count() > 0
            if taken { throw Error.duplicateNumber(po.number) }
            throw error
        }
    }

    /// The PO with its lines, or `nil` if it does not exist in this organisation.
    public static func find(_ id: PurchaseOrder.ID, in organisation: Organisation.ID, on db: any Database) async throws
        -> PurchaseOrder?
    {
        guard let record = try await PurchaseOrderRecord.find(id.rawValue, in: organisation, on: db) else { return nil }
        let lines = try await record.$lines.get(on: db)
        return record.domain(lines: lines)
    }

    public static func count(in organisation: Organisation.ID, on db: any Database) async throws -> Int {
        try await PurchaseOrderRecord.scoped(to: organisation, on: db).count()
    }
}

/// Inserting reference data (the Procore import of a later issue and the demo seed use these).
public enum ReferenceData {
    public static func insert(_ project: Project, on db: any Database) async throws {
        try await ProjectRecord(project).create(on: db)
    }

    public static func insert(_ supplier: Supplier, on db: any Database) async throws {
        try await SupplierRecord(supplier).create(on: db)
    }

    public static func insert(_ costCode: CostCode, on db: any Database) async throws {
        try await CostCodeRecord(costCode).create(on: db)
    }

    public static func insert(_ costType: CostType, on db: any Database) async throws {
        try await CostTypeRecord(costType).create(on: db)
    }

    public static func insert(_ taxCode: TaxCode, on db: any Database) async throws {
        try await TaxCodeRecord(taxCode).create(on: db)
    }

    public static func projects(in organisation: Organisation.ID, on db: any Database) async throws -> [Project] {
        try await ProjectRecord.scoped(to: organisation, on: db).sort(\.$code).all().map(\.domain)
    }

    public static func suppliers(in organisation: Organisation.ID, on db: any Database) async throws -> [Supplier] {
        try await SupplierRecord.scoped(to: organisation, on: db).sort(\.$name).all().map(\.domain)
    }
}

public enum Invoices {
    public enum Error: Swift.Error, Equatable {
        case duplicateNumber(String)
    }

    public static func insert(_ invoice: Invoice, on db: any Database) async throws {
        do {
            try await db.transaction { tx in
                try await InvoiceRecord(invoice).create(on: tx)
                for (position, line) in invoice.lines.enumerated() {
                    try await InvoiceLineRecord(line, position: position, invoiceID: invoice.id.rawValue).create(on: tx)
                }
                for allocation in invoice.allocations {
                    try await InvoiceAllocationRecord(allocation, invoiceID: invoice.id.rawValue).create(on: tx)
                }
            }
        } catch where error.isConstraintFailure {
            throw Error.duplicateNumber(invoice.number)
        }
    }

    public static func find(_ id: Invoice.ID, in organisation: Organisation.ID, on db: any Database) async throws
        -> Invoice?
    {
        guard let record = try await InvoiceRecord.find(id.rawValue, in: organisation, on: db) else { return nil }
        return record.domain(lines: try await record.$lines.get(on: db), allocations: try await record.$allocations.get(on: db))
    }
}
