import FluentKit
import Foundation
import LentuneCore

/// Every Lentune record of one Procore company row, for a reconciliation (issue 25): the POs and invoices of the
/// row's linked projects.
public enum CompanyRecords {
    static func projectIDs(of row: ProcoreCompanyLink, on db: any Database) async throws -> [UUID] {
        try await ProjectRecord.scoped(to: row.organisationID, on: db).filter(\.$procoreCompanyLinkID == row.id.rawValue).all().compactMap(\.id)
    }

    /// The row's POs, with their lines.
    public static func purchaseOrders(of row: ProcoreCompanyLink, on db: any Database) async throws -> [PurchaseOrder] {
        let projects = try await projectIDs(of: row, on: db)
        guard !projects.isEmpty else { return [] }
        var result: [PurchaseOrder] = []
        for record in try await PurchaseOrderRecord.scoped(to: row.organisationID, on: db).filter(\.$projectID ~~ projects).with(\.$lines).all() {
            result.append(record.domain(lines: record.lines))
        }
        return result
    }

    /// The row's invoices that Lentune posts or has posted (approved, held, posted), with lines and allocations.
    public static func postableInvoices(of row: ProcoreCompanyLink, on db: any Database) async throws -> [Invoice] {
        let projects = try await projectIDs(of: row, on: db)
        guard !projects.isEmpty else { return [] }
        let statuses = [Invoice.Status.approved, .held, .posted].map(\.rawValue)
        var result: [Invoice] = []
        for id in try await InvoiceRecord.scoped(to: row.organisationID, on: db).filter(\.$projectID ~~ projects).filter(\.$status ~~ statuses).all(\.$id) {
            if let invoice = try await Invoices.find(.init(id), in: row.organisationID, on: db) { result.append(invoice) }
        }
        return result
    }
}
