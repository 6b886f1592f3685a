import FluentKit
import LentuneCore
import LentunePersistence
import Vapor

/// Administration: administrators only (enforced by `RequireRole` on the route group).
enum AdministrationController {
    @Sendable static func index(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        return AdministrationView.index(viewer: viewer).response()
    }

    @Sendable static func users(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let users = try await Accounts.users(in: viewer.organisationID, on: req.db)
        return AdministrationView.users(viewer: viewer, users: users).response()
    }

    @Sendable static func auditLog(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let search = req.query[String.self, at: "q"].map { String($0.prefix(100)) }
        let events = try await AuditLog.recent(organisation: viewer.organisationID, search: search, on: req.db)
        return AdministrationView.auditLog(viewer: viewer, events: events, search: search).response()
    }
}

enum AdministrationView {
    static func index(viewer: Viewer) -> HTML {
        Layout.page(title: "Administration", viewer: viewer, section: .administration) {
            el("ul", .class("links")) {
                el("li") { el("a", .href(SiteURL.settings.path)) { "Settings" } }
                el("li") { el("a", .href(SiteURL.users.path)) { "Users" } }
                el("li") { el("a", .href(SiteURL.auditLog.path)) { "Audit log" } }
                el("li") { el("a", .href(SiteURL.integrationLog.path)) { "Integration log" } }
            }
        }
    }

    static func users(viewer: Viewer, users: [User]) -> HTML {
        Layout.page(title: "Users", viewer: viewer, section: .administration) {
            Layout.table(
                id: "users", headers: ["Email", "Name", "Role"],
                rows: users.map { [.text($0.email), .text($0.name), .text($0.role.title)] })
            el("p", .class("hint")) {
                "Add users with "
                el("code") { "lentune user create --org NAME --email EMAIL --role ROLE" }
                "."
            }
        }
    }

    static func auditLog(viewer: Viewer, events: [AuditEvent], search: String? = nil) -> HTML {
        Layout.page(title: "Audit log", viewer: viewer, section: .administration) {
            // Filterable (issue 29): part of what was done, the subject ("PO-00004") or who did it.
            el("form", .method("get"), .action(SiteURL.auditLog.path), .class("filters"), .id("audit-filters")) {
                el("label", .for("q")) { "Search" }
                el("input", .id("q"), .name("q"), .type("search"), .value(search ?? ""), .init("placeholder", "Action, subject or email"))
                el("button", .type("submit"), .class("secondary")) { "Filter" }
            }
            if events.isEmpty {
                Layout.emptyState((search ?? "").isEmpty ? "Nothing has been changed yet." : "No events match.")
            } else {
                table(events, id: "audit-log")
            }
        }
    }

    static func table(_ events: [AuditEvent], id: String) -> HTML {
        Layout.table(
            id: id, headers: ["When (UTC)", "Who", "What", "Subject", "Before", "After"],
            rows: events.map { event in
                [
                    .text(event.occurredAt.formatted(.iso8601)), .text(event.actorEmail), .text(event.action),
                    .text(event.subject), .text(event.before ?? ""), .text(event.after ?? ""),
                ]
            })
    }

    /// A PO's or invoice's own history, oldest first, on its page (issue 29).
    static func history(_ events: [AuditEvent]) -> HTML {
        el("section", .id("history")) {
            el("h2") { "History" }
            if events.isEmpty {
                Layout.emptyState("No changes recorded yet.")
            } else {
                table(events, id: "history-events")
            }
        }
    }
}
