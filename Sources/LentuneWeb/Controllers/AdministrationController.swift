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
        return try await usersPage(req, viewer, notice: req.query[String.self, at: "notice"].flatMap(UserNotice.init(rawValue:))?.text)
    }

    /// What the Users page says after a change (a fixed set: the address carries a word, never the text).
    enum UserNotice: String {
        case created, changed, password, deactivated, reactivated
        var text: String {
            switch self {
            case .deactivated: "User deactivated: they were signed out everywhere and can no longer sign in."
            case .reactivated: "User reactivated: they can sign in again."
            case .created: "User added. Give them their email and password; they can sign in now."
            case .changed: "User changed."
            case .password: "Password set. They were signed out everywhere and sign in with the new one."
            }
        }
    }

    /// **Deactivate** / **Reactivate** on a user's row (`active` = "false" or "true").
    @Sendable static func setActive(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let id = User.ID(try req.idParameter())
        guard let active = (try? req.content.get(String.self, at: "active")).flatMap({ ["true": true, "false": false][$0] }) else {
            throw Abort(.badRequest, reason: "Choose Deactivate or Reactivate.")
        }
        // Who approves the user's waiting invoices from now on (the row's "Their invoices go to" choice).
        let chosen = (try? req.content.get(String.self, at: "reassign_to")).flatMap { $0.isEmpty ? nil : UUID(uuidString: $0) }.map(User.ID.init)
        do {
            _ = try await Accounts.setActive(
                active, user: id, in: viewer.organisationID, actor: viewer.user, reassignTo: chosen, now: req.application.lentune.now(), on: req.db)
        } catch Accounts.Error.userNotFound {
            throw Abort(.notFound)
        } catch let failure as Accounts.Error {
            return try await usersPage(req, viewer, error: failure.description, status: .conflict)
        }
        return req.redirect(to: SiteURL.users.path + "?notice=" + (active ? UserNotice.reactivated : .deactivated).rawValue)
    }

    /// The Users page with the organisation's users as they are now.
    static func usersPage(
        _ req: Request, _ viewer: Viewer, notice: String? = nil, error: String? = nil, form: UserForm = .init(), errors: [String: String] = [:],
        status: HTTPResponseStatus = .ok
    ) async throws -> Response {
        let users = try await Accounts.users(in: viewer.organisationID, on: req.db)
        let deactivated = try await Accounts.deactivated(in: viewer.organisationID, on: req.db)
        let waiting = try await Accounts.invoicesAwaitingApproval(in: viewer.organisationID, on: req.db)
        let order = AdministrationView.UserOrder(sort: req.query["sort"], dir: req.query["dir"])
        return AdministrationView.users(
            viewer: viewer, users: users, order: order, deactivated: deactivated, waiting: waiting, notice: notice, error: error, form: form,
            errors: errors
        ).response(status: status)
    }

    /// **Set password** on a user's row: at least 8 characters; the user's sessions end.
    @Sendable static func setPassword(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let id = User.ID(try req.idParameter())
        let password = (try? req.content.decode(UserForm.self))?.password ?? ""
        guard (8...200).contains(password.count) else {
            return try await usersPage(req, viewer, error: "Give a new password of 8 to 200 characters.", status: .unprocessableEntity)
        }
        let cost = req.application.lentune.config.passwordCost
        let hash = try await req.application.threadPool.runIfActive { try Bcrypt.hash(password, cost: cost) }
        do {
            _ = try await Accounts.setPassword(
                of: id, in: viewer.organisationID, passwordHash: hash, actor: viewer.user, now: req.application.lentune.now(), on: req.db)
        } catch Accounts.Error.userNotFound {
            throw Abort(.notFound)
        }
        return req.redirect(to: SiteURL.users.path + "?notice=" + UserNotice.password.rawValue)
    }

    struct UserForm: Content {
        var email: String?
        var name: String?
        var role: String?
        var approval_limit: String?
        var password: String?
    }

    /// The approval limit typed, or the message: an amount of at least zero, at most a trillion.
    static func approvalLimit(_ text: String?) -> Result<Decimal, Refusal> {
        let text = (text ?? "").trimmingCharacters(in: .whitespaces)
        if text.isEmpty { return .success(0) }
        guard let value = Money.parse(text, maxFractionDigits: 2), value >= 0, value < 1_000_000_000_000 else {
            return .failure(Refusal(message: "The approval limit must be an amount of at least 0.00 (“\(text.prefix(20))” is not)."))
        }
        return .success(value)
    }

    struct Refusal: Error {
        var message: String
    }

    /// **Add user** (issue 29: users were added only with `lentune user create`): email, name, role, approval limit
    /// and a first password of at least 8 characters, which the administrator passes on.
    @Sendable static func createUser(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let form = (try? req.content.decode(UserForm.self)) ?? UserForm()
        var errors: [String: String] = [:]
        let role = form.role.flatMap(Role.init(rawValue:))
        if role == nil { errors["role"] = "Choose a role." }
        let name = (form.name ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty || name.count > 200 || InputRules.hasForbiddenControlCharacter(name) { errors["name"] = "Enter the person's name (at most 200 characters)." }
        let password = form.password ?? ""
        if password.count < 8 || password.count > 200 { errors["password"] = "Give a first password of 8 to 200 characters." }
        var limit: Decimal = 0
        switch approvalLimit(form.approval_limit) {
        case .success(let value): limit = value
        case .failure(let refusal): errors["approval_limit"] = refusal.message
        }
        let email = String((form.email ?? "").prefix(320))
        if errors.isEmpty, let role {
            do {
                let cost = req.application.lentune.config.passwordCost
                // bcrypt off the event loop (a quarter of a second at production cost).
                let hash = try await req.application.threadPool.runIfActive { try Bcrypt.hash(password, cost: cost) }
                let (organisation, actor, now, limit) = (viewer.organisationID, viewer.user, req.application.lentune.now(), limit)
                try await req.db.writeTransaction { tx in
                    let user = try await Accounts.createUser(
                        organisation: organisation, email: email, name: name, role: role, passwordHash: hash, approvalLimit: limit, on: tx)
                    try await AuditLog.record(
                        AuditEvent(
                            organisationID: organisation, actorID: actor.id, actorEmail: actor.email, occurredAt: now, action: "user.created",
                            subject: "User \(user.email)", after: "\(user.role.title); approval limit \(Money.format(user.approvalLimit))",
                            entityID: user.id.rawValue),
                        on: tx)
                }
                return req.redirect(to: SiteURL.users.path + "?notice=created")
            } catch let error as Accounts.Error {
                errors["email"] = error.description
            }
        }
        return try await usersPage(req, viewer, form: form, errors: errors, status: .unprocessableEntity)
    }

    /// A user's role and approval limit changed; the last administrator stays one.
    @Sendable static func updateUser(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let id = User.ID(try req.idParameter())
        let form = (try? req.content.decode(UserForm.self)) ?? UserForm()
        var error: String?
        if let role = form.role.flatMap(Role.init(rawValue:)) {
            switch approvalLimit(form.approval_limit) {
            case .success(let limit):
                do {
                    _ = try await Accounts.update(
                        user: id, in: viewer.organisationID, role: role, approvalLimit: limit, actor: viewer.user, now: req.application.lentune.now(),
                        on: req.db)
                    return req.redirect(to: SiteURL.users.path + "?notice=changed")
                } catch Accounts.Error.userNotFound {
                    throw Abort(.notFound)
                } catch let failure as Accounts.Error {
                    error = failure.description
                }
            case .failure(let refusal): error = refusal.message
            }
        } else {
            error = "Choose a role."
        }
        return try await usersPage(req, viewer, error: error, status: .conflict)
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

    /// The Users list's sortable columns, in the order of its headings.
    enum UserColumn: String, CaseIterable { case email, name, role, status }
    typealias UserOrder = ColumnOrder<UserColumn>

    static func users(
        viewer: Viewer, users: [User], order: UserOrder = .init(sort: nil, dir: nil), deactivated: [User.ID: Date] = [:],
        waiting: [User.ID: Int] = [:], notice: String? = nil, error: String? = nil, form: AdministrationController.UserForm = .init(),
        errors: [String: String] = [:]
    ) -> HTML {
        func roles(_ selected: String?) -> HTML {
            .fragment(Role.allCases.map { role in el("option", .value(role.rawValue), .selected(role.rawValue == selected)) { role.title } })
        }
        let shown = order.sorted(users) { user, column in
            switch column {
            case .email: user.email
            case .name: user.name
            case .role: user.role.title
            // Active ones first when ascending.
            case .status: deactivated[user.id] == nil ? "0" : "1"
            }
        }
        let base = SiteURL.users.path
        return Layout.page(title: "Users", viewer: viewer, section: .administration) {
            Layout.flash(notice, kind: "notice")
            Layout.flash(error)
            Layout.table(
                id: "users",
                headings: [
                    order.heading("Email", .email, base: base), order.heading("Name", .name, base: base),
                    order.heading("Role and approval limit", .role, base: base), Layout.Heading(label: "Password"),
                    order.heading("Status", .status, base: base),
                ],
                rows: shown.map { user in
                    [
                        .text(user.email), .text(user.name),
                        el("form", .method("post"), .action(SiteURL.user(user.id.rawValue).path), .class("inline-fields")) {
                            Layout.csrfField(viewer.csrfToken)
                            el("select", .name("role"), .aria("label", "Role of \(user.email)")) { roles(user.role.rawValue) }
                            el("input", .name("approval_limit"), .value(Money.format(user.approvalLimit)), .init("inputmode", "decimal"), .init("size", "10"),
                               .aria("label", "Approval limit of \(user.email)"))
                            el("button", .type("submit"), .class("secondary")) { "Save" }
                        },
                        el("form", .method("post"), .action(SiteURL.userPassword(user.id.rawValue).path), .class("inline-fields")) {
                            Layout.csrfField(viewer.csrfToken)
                            el("input", .name("password"), .type("password"), .init("autocomplete", "new-password"), .init("size", "14"),
                               .init("minlength", "8"), .aria("label", "New password for \(user.email)"))
                            el("button", .type("submit"), .class("secondary")) { "Set password" }
                        },
                        el("form", .method("post"), .action(SiteURL.userActive(user.id.rawValue).path), .class("inline-fields")) {
                            Layout.csrfField(viewer.csrfToken)
                            if let since = deactivated[user.id] {
                                el("span", .class("state-cancelled")) { "Deactivated \(since.formatted(Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day()))" }
                                el("input", .type("hidden"), .name("active"), .value("true"))
                                el("button", .type("submit"), .class("secondary")) { "Reactivate" }
                            } else {
                                el("span") { "Active" }
                                el("input", .type("hidden"), .name("active"), .value("false"))
                                // Invoices waiting for their approval go to someone who can approve them (issue 29).
                                if let count = waiting[user.id], count > 0 {
                                    let successors = users.filter { $0.id != user.id && $0.role.mayApprove && deactivated[$0.id] == nil }
                                    el("label", .for("reassign-\(user.id)")) { "Their \(count) invoice\(count == 1 ? "" : "s") to approve go to" }
                                    el("select", .id("reassign-\(user.id)"), .name("reassign_to")) {
                                        el("option", .value("")) { "Choose…" }
                                        for successor in successors { el("option", .value(successor.id.rawValue.uuidString)) { successor.email } }
                                    }
                                }
                                el("button", .type("submit"), .class("secondary"), .aria("label", "Deactivate \(user.email)")) { "Deactivate" }
                            }
                        },
                    ]
                })
            el("h2") { "Add user" }
            el("form", .method("post"), .action(SiteURL.users.path), .class("stack"), .id("add-user")) {
                Layout.csrfField(viewer.csrfToken)
                for (field, label, type) in [("email", "Email", "email"), ("name", "Name", "text"), ("approval_limit", "Approval limit (purchase orders up to it approve themselves)", "text"), ("password", "First password (at least 8 characters; give it to them)", "password")] {
                    el("label", .for("new-\(field)")) { label }
                    let value = field == "email" ? form.email : field == "name" ? form.name : field == "approval_limit" ? form.approval_limit : nil
                    el("input", .id("new-\(field)"), .name(field), .type(type), .value(value ?? ""), field == "password" ? .init("autocomplete", "new-password") : .none)
                    if let message = errors[field] { el("p", .class("field-error")) { message } }
                }
                el("label", .for("new-role")) { "Role" }
                el("select", .id("new-role"), .name("role")) { roles(form.role ?? Role.apOfficer.rawValue) }
                if let message = errors["role"] { el("p", .class("field-error")) { message } }
                el("button", .type("submit"), .id("add-user-button")) { "Add user" }
            }
            el("p", .class("hint")) {
                "Scripted: "
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
