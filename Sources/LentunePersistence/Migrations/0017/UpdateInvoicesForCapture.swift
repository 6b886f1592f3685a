import FluentKit
import SQLKit

/// Issue 15: what capture, Check and Approve need on an invoice, and its PDF kept beside it in the database (so a
/// backup holds both). The bytes live in their own table so lists never read them.
struct UpdateInvoicesForCapture: AsyncMigration {
    func prepare(on db: any Database) async throws {
        // One column per statement: SQLite adds a single column per ALTER TABLE.
        let columns: [(String, DatabaseSchema.DataType, [DatabaseSchema.FieldConstraint])] = [
            ("due_date", .datetime, []),
            ("approver_id", .uuid, [.references("users", "id", onDelete: .setNull)]),
            ("send_back_reason", .string, []),
            ("over_allocation_accepted", .bool, [.required, .sql(.default(false))]),
            ("attachment_filename", .string, []),
            ("attachment_size", .int, []),
            ("updated_at", .datetime, []),
        ]
        for (name, type, constraints) in columns {
            try await db.schema("invoices").field(.definition(name: .key(.string(name)), dataType: type, constraints: constraints)).update()
        }
        try await db.createIndex("ix_invoices_org_date", on: "invoices", columns: ["organisation_id", "invoice_date"])
        try await db.schema("invoice_documents")
            .field("invoice_id", .uuid, .identifier(auto: false), .references("invoices", "id", onDelete: .cascade))
            .field("filename", .string, .required)
            .field("bytes", .data, .required)
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema("invoice_documents").delete()
        for name in ["due_date", "approver_id", "send_back_reason", "over_allocation_accepted", "attachment_filename", "attachment_size", "updated_at"] {
            try await db.schema("invoices").deleteField(.key(.string(name))).update()
        }
    }
}
