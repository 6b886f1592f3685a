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
        let events = try await AuditLog.recent(organisation: viewer.organisationID, on: req.db)
        return AdministrationView.auditLog(viewer: viewer, events: events).response()
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

    static func auditLog(viewer: Viewer, events: [AuditEvent]) -> HTML {
        Layout.page(title: "Audit log", viewer: viewer, section: .administration) {
            if events.isEmpty {
                Layout.emptyState("Nothing has been changed yet.")
            } else {
                Layout.table(
                    id: "audit-log", headers: ["When (UTC)", "Who", "What", "Subject", "Before", "After"],
                    rows: events.map { event in
                        [
                            .text(event.occurredAt.formatted(.iso8601)), .text(event.actorEmail), .text(event.action),
                            .text(event.subject), .text(event.before ?? ""), .text(event.after ?? ""),
                        ]
                    })
            }
        }
    }
}
