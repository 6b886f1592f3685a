import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import LentuneTestSupport
@testable import LentuneWeb
import Testing
import Vapor
import VaporTesting

/// Issue 29: administrators manage users in the browser: add one (who can then sign in), change a role and approval
/// limit, never leave the organisation without an administrator; bad input changes nothing; others are refused.
@Suite struct UserAdministrationTests {
    @Test(arguments: TestDatabase.kinds)
    func anAdministratorAddsAndChangesUsers_andTheLastAdministratorStays(kind: TestDatabase.Kind) async throws {
        try await WebHarness.with(kind) { h in
            let admin = h.client()
            try await admin.signIn("administrator@a.example")
            let page = try await admin.get("/administration/users")
            let csrf = try #require(admin.csrf(from: page))
            let before = try await UserRecord.query(on: h.app.db).count()

            // A short password is refused with its message, and nothing is stored.
            let short = try await admin.post("/administration/users", form: [
                "_csrf": csrf, "email": "new@a.example", "name": "New Person", "role": "ap_officer", "approval_limit": "500", "password": "short",
            ])
            #expect(short.status == .unprocessableEntity && short.body.string.contains("Give a first password of 8 to 200 characters."))
            #expect(try await UserRecord.query(on: h.app.db).count() == before)

            let added = try await admin.post("/administration/users", form: [
                "_csrf": csrf, "email": "New@A.example", "name": "New Person", "role": "ap_officer", "approval_limit": "$1,500.00",
                "password": "a long password",
            ])
            #expect(added.status == .seeOther)
            let user = try #require(try await Accounts.user(email: "new@a.example", on: h.app.db)).domain
            #expect(user.role == .apOfficer && user.approvalLimit == 1500 && user.organisationID == h.orgA.organisation.id)
            let newcomer = h.client()
            #expect(try await newcomer.signIn("new@a.example", password: "a long password").status == .seeOther)
            #expect(try await admin.post("/administration/users", form: [
                "_csrf": csrf, "email": "new@a.example", "name": "Again", "role": "approver", "password": "a long password",
            ]).body.string.contains("already exists"))

            // Made an approver with a higher limit; the change is in the audit log.
            #expect(try await admin.post("/administration/users/\(user.id.rawValue.lowercasedText)", form: [
                "_csrf": csrf, "role": "approver", "approval_limit": "25000",
            ]).status == .seeOther)
            let changed = try #require(try await Accounts.user(email: "new@a.example", on: h.app.db)).domain
            #expect(changed.role == .approver && changed.approvalLimit == 25000)
            #expect(try await AuditLog.history(of: user.id.rawValue, in: h.orgA.organisation.id, on: h.app.db).map(\.action) == ["user.created", "user.changed"])

            // The only administrator cannot be demoted (not even by themselves).
            let me = try #require(try await Accounts.user(email: "administrator@a.example", on: h.app.db)).domain
            let demote = try await admin.post("/administration/users/\(me.id.rawValue.lowercasedText)", form: ["_csrf": csrf, "role": "approver"])
            #expect(demote.status == .conflict && demote.body.string.contains("last administrator"))
            #expect(try await Accounts.user(email: "administrator@a.example", on: h.app.db)?.role == Role.administrator.rawValue)

            // Another organisation's user is not found; a non-administrator is refused.
            let other = try #require(try await Accounts.user(email: "administrator@b.example", on: h.app.db)).domain
            #expect(try await admin.post("/administration/users/\(other.id.rawValue.lowercasedText)", form: ["_csrf": csrf, "role": "auditor"]).status == .notFound)
            let officer = h.client()
            try await officer.signIn("ap_officer@a.example")
            let officerPage = try await officer.get("/invoices")
            #expect(try await officer.post("/administration/users", form: [
                "_csrf": officer.csrf(from: officerPage) ?? "", "email": "x@a.example", "name": "X", "role": "administrator", "password": "a long password",
            ]).status == .forbidden)
        }
    }
}

extension UserAdministrationTests {
    /// Issue 29: an administrator sets a user's password (a forgotten one had no way back but the command line): the
    /// old one stops working, the user is signed out everywhere, the audit log says so; a short one changes nothing;
    /// another organisation's user is not found and a non-administrator is refused.
    @Test(arguments: TestDatabase.kinds)
    func anAdministratorSetsAPassword_andTheUserIsSignedOutEverywhere(kind: TestDatabase.Kind) async throws {
        try await WebHarness.with(kind) { h in
            let admin = h.client()
            try await admin.signIn("administrator@a.example")
            let page = try await admin.get("/administration/users")
            let csrf = try #require(admin.csrf(from: page))
            #expect(page.body.string.contains(">Set password</button>"))
            let officer = try #require(try await Accounts.user(email: "ap_officer@a.example", on: h.app.db)).domain
            let path = "/administration/users/\(officer.id.rawValue.lowercasedText)/password"
            let signedIn = h.client()
            try await signedIn.signIn("ap_officer@a.example")
            #expect(try await signedIn.get("/invoices").status == .ok)

            let short = try await admin.post(path, form: ["_csrf": csrf, "password": "short"])
            #expect(short.status == .unprocessableEntity && short.body.string.contains("Give a new password of 8 to 200 characters."))
            #expect(try await signedIn.get("/invoices").status == .ok, "a refused change signs nobody out")

            let set = try await admin.post(path, form: ["_csrf": csrf, "password": "a brand new password"])
            #expect(set.status == .seeOther && set.headers.first(name: .location) == "/administration/users?notice=password")
            #expect(try await admin.get("/administration/users?notice=password").body.string.contains("Password set."))
            #expect(try await signedIn.get("/invoices").status != .ok, "the user's session ended")
            #expect(try await h.client().signIn("ap_officer@a.example").status != .seeOther, "the old password no longer works")
            #expect(try await h.client().signIn("ap_officer@a.example", password: "a brand new password").status == .seeOther)
            let history = try await AuditLog.history(of: officer.id.rawValue, in: h.orgA.organisation.id, on: h.app.db)
            #expect(history.map(\.action) == ["user.password_set"])
            #expect(!history.contains { ($0.after ?? "").contains("brand new") })

            let other = try #require(try await Accounts.user(email: "administrator@b.example", on: h.app.db)).domain
            #expect(try await admin.post("/administration/users/\(other.id.rawValue.lowercasedText)/password", form: [
                "_csrf": csrf, "password": "another long one",
            ]).status == .notFound)
            let approver = h.client()
            try await approver.signIn("approver@a.example")
            #expect(try await approver.post(path, form: ["_csrf": approver.csrf(from: try await approver.get("/invoices")) ?? "", "password": "taken over!"]).status == .forbidden)
        }
    }
}

extension UserAdministrationTests {
    /// Issue 29: a deactivated user is signed out at once, cannot sign in (the answer is a wrong password's) or use an
    /// API token, and is not offered as an approver; reactivated, they can sign in again. Nobody deactivates
    /// themselves or the last active administrator; each change is audited.
    @Test(arguments: TestDatabase.kinds)
    func aDeactivatedUser_cannotSignInOrUseATokenUntilReactivated(kind: TestDatabase.Kind) async throws {
        try await WebHarness.with(kind) { h in
            let admin = h.client()
            try await admin.signIn("administrator@a.example")
            let csrf = try #require(admin.csrf(from: try await admin.get("/administration/users")))
            let approver = try #require(try await Accounts.user(email: "approver@a.example", on: h.app.db)).domain
            let path = "/administration/users/\(approver.id.rawValue.lowercasedText)/active"
            let session = h.client()
            try await session.signIn("approver@a.example")
            let token = try await h.apiToken("approver@a.example")
            #expect(try await session.get("/invoices").status == .ok)
            #expect(try await admin.get("/invoices/new").body.string.contains(">A Approver (Approver)<"))

            let off = try await admin.post(path, form: ["_csrf": csrf, "active": "false"])
            #expect(off.status == .seeOther && off.headers.first(name: .location) == "/administration/users?notice=deactivated")
            #expect(try await admin.get("/administration/users").body.string.contains(">Reactivate</button>"))
            #expect(try await session.get("/invoices").status != .ok, "the session ended")
            let refused = try await h.client().signIn("approver@a.example")
            #expect(refused.status == .unauthorized && refused.body.string.contains("The email or password is incorrect."))
            #expect(try await h.client().api(.GET, "/api/v1/invoices", token: token).status == .unauthorized)
            #expect(!(try await admin.get("/invoices/new").body.string.contains(">A Approver (Approver)<")), "no longer offered as an approver")

            let on = try await admin.post(path, form: ["_csrf": csrf, "active": "true"])
            #expect(on.status == .seeOther)
            #expect(try await h.client().signIn("approver@a.example").status == .seeOther)
            #expect(try await h.client().api(.GET, "/api/v1/invoices", token: token).status == .ok)
            #expect(try await AuditLog.history(of: approver.id.rawValue, in: h.orgA.organisation.id, on: h.app.db).map(\.action)
                == ["user.deactivated", "user.reactivated"])

            // Not yourself, and not the last active administrator; a bad value is a 400 and changes nothing.
            let me = try #require(try await Accounts.user(email: "administrator@a.example", on: h.app.db)).domain
            let myself = try await admin.post("/administration/users/\(me.id.rawValue.lowercasedText)/active", form: ["_csrf": csrf, "active": "false"])
            #expect(myself.status == .conflict && myself.body.string.contains("You cannot deactivate yourself"))
            #expect(try await admin.post(path, form: ["_csrf": csrf, "active": "maybe"]).status == .badRequest)
            #expect(try await Accounts.user(email: "approver@a.example", on: h.app.db)?.deactivatedAt == nil)
        }
    }
}

extension UserAdministrationTests {
    /// Issue 29: the invoices waiting for a user's approval do not wait for nobody when the user leaves. Deactivating
    /// them asks who approves those invoices instead (refused, changing nothing, until someone is chosen; refused
    /// for someone who cannot approve); the chosen approver gets them in the same change, each audited. Invoices
    /// already approved keep their approver (their history).
    @Test(arguments: TestDatabase.kinds)
    func deactivatingAnApprover_handsTheirWaitingInvoicesToTheApproverChosen(kind: TestDatabase.Kind) async throws {
        try await WebHarness.with(kind) { h in
            let org = h.orgA.organisation.id
            let leaving = try #require(try await Accounts.user(email: "approver@a.example", on: h.app.db)).domain
            let successor = try #require(try await Accounts.user(email: "administrator@a.example", on: h.app.db)).domain
            let auditor = try #require(try await Accounts.user(email: "auditor@a.example", on: h.app.db)).domain
            func invoice(_ number: String, _ status: Invoice.Status) -> Invoice {
                Invoice(
                    organisationID: org, supplierID: h.orgA.supplier.id, number: number, invoiceDate: Date(timeIntervalSince1970: 1_800_000_000),
                    status: status, projectID: h.orgA.project.id, lines: [.init(description: "Concrete", amount: 10, tax: 1.5)],
                    statedTotalExcludingTax: 10, statedTax: 1.5, approverID: leaving.id)
            }
            let waiting = [invoice("W-1", .awaitingApproval), invoice("W-2", .unchecked)]
            let approved = invoice("A-1", .approved)
            for each in waiting + [approved] { try await Invoices.insert(each, on: h.app.db) }

            let admin = h.client()
            try await admin.signIn("administrator@a.example")
            let users = try await admin.get("/administration/users")
            #expect(users.body.string.contains("Their 2 invoices to approve go to"))
            let csrf = try #require(admin.csrf(from: users))
            let path = "/administration/users/\(leaving.id.rawValue.lowercasedText)/active"
            func approvers() async throws -> [UUID?] {
                var found: [UUID?] = []
                for each in waiting { found.append(try await Invoices.find(each.id, in: org, on: h.app.db)?.approverID?.rawValue) }
                return found
            }

            let unsaid = try await admin.post(path, form: ["_csrf": csrf, "active": "false"])
            #expect(unsaid.status == .conflict && unsaid.body.string.contains("2 invoices wait for this user&#39;s approval: choose who approves them instead"))
            let toAuditor = try await admin.post(path, form: ["_csrf": csrf, "active": "false", "reassign_to": auditor.id.rawValue.uuidString])
            #expect(toAuditor.status == .conflict && toAuditor.body.string.contains("another active approver or administrator"))
            let toThemselves = try await admin.post(path, form: ["_csrf": csrf, "active": "false", "reassign_to": leaving.id.rawValue.uuidString])
            #expect(toThemselves.status == .conflict)
            #expect(try await Accounts.user(email: "approver@a.example", on: h.app.db)?.deactivatedAt == nil, "nothing changed")
            #expect(try await approvers() == [leaving.id.rawValue, leaving.id.rawValue])

            let handed = try await admin.post(path, form: ["_csrf": csrf, "active": "false", "reassign_to": successor.id.rawValue.uuidString])
            #expect(handed.status == .seeOther)
            #expect(try await Accounts.user(email: "approver@a.example", on: h.app.db)?.deactivatedAt != nil)
            #expect(try await approvers() == [successor.id.rawValue, successor.id.rawValue])
            #expect(try await Invoices.find(approved.id, in: org, on: h.app.db)?.approverID == leaving.id, "an approved invoice keeps its approver")
            for each in waiting {
                #expect(try await AuditLog.history(of: each.id.rawValue, in: org, on: h.app.db).map(\.action) == ["invoice.approver.reassigned"])
            }
            // The successor finds the one awaiting approval in their Approvals inbox.
            #expect(try await admin.get("/approvals").body.string.contains("W-1"))

            // The one already approved keeps its approver until its approval is reversed: it then waits for whoever
            // reversed it, not for someone who can no longer sign in.
            let reversed = try await admin.post("/invoices/\(approved.id.rawValue.lowercasedText)/reverse_approval", form: ["_csrf": csrf])
            #expect(reversed.status == .seeOther)
            let back = try #require(try await Invoices.find(approved.id, in: org, on: h.app.db))
            #expect(back.status == .awaitingApproval && back.approverID == successor.id)
            // Nor can anyone give an invoice to them from now on.
            var given = waiting[1]
            given.approverID = leaving.id
            #expect(try await Invoices.referenceProblems(given, on: h.app.db)["approver_id"]?.contains("has been deactivated") == true)
        }
    }
}
