import LentuneCore
import LentunePersistence
import Vapor

/// Sign-in and sign-out with email and password; sessions live server-side (`user_sessions`).
enum SessionController {
    struct SignInForm: Content {
        var email: String?
        var password: String?
        var next: String?
    }

    static let wrongCredentials = "The email or password is incorrect."
    static let throttle = SignInThrottle()

    static func tooManyFailures(until: Date, now: Date) -> String {
        let minutes = max(1, Int((until.timeIntervalSince(now) / 60).rounded(.up)))
        return "Too many failed sign-ins with this email. Try again in \(minutes) minute\(minutes == 1 ? "" : "s"), or ask an administrator to reset the password."
    }

    @Sendable static func show(req: Request) async throws -> Response {
        if req.viewer != nil { return req.redirect(to: SiteURL.home.path) }
        let token = req.cookies[Cookie.anonymousCSRF]?.string ?? Tokens.random()
        let response = SignInView.page(csrfToken: token, next: safeNext(req.query[String.self, at: "next"])).response()
        response.cookies[Cookie.anonymousCSRF] = Cookie.value(token, config: req.application.lentune.config, maxAge: 3600)
        return response
    }

    @Sendable static func signIn(req: Request) async throws -> Response {
        let form = (try? req.content.decode(SignInForm.self)) ?? SignInForm()
        let email = form.email?.trimmingCharacters(in: .whitespaces) ?? ""
        let password = form.password ?? ""
        let csrf = req.cookies[Cookie.anonymousCSRF]?.string ?? Tokens.random()

        let services = req.application.lentune
        let now = services.now()
        // Throttled before the password is even checked, for known and unknown emails alike. The attempt is recorded
        // first and the earlier ones counted after (insert-and-count), so of N concurrent attempts at most `limit`
        // see fewer than `limit` others: the rest are cut off without a password check (issue 30).
        let attempt = try await SignInFailures.begin(email: email, at: now, since: now.addingTimeInterval(-throttle.window), on: req.db)
        if let until = throttle.blockedUntil(failures: attempt.earlier, now: now) {
            try await SignInFailures.forget(attempt, on: req.db)
            req.logger.notice("sign-in throttled")
            let response = SignInView.page(csrfToken: csrf, email: email, error: tooManyFailures(until: until, now: now), next: safeNext(form.next))
                .response(status: .tooManyRequests)
            response.headers.replaceOrAdd(name: .retryAfter, value: String(max(1, Int(until.timeIntervalSince(now).rounded(.up)))))
            return response
        }

        let user = email.isEmpty ? nil : try await Accounts.user(email: email, on: req.db)
        // Verify against a dummy hash for unknown users so both answers take the same time.
        let hash = user?.passwordHash ?? services.dummyPasswordHash
        let matches = (try? await req.password.async.verify(password, created: hash)) ?? false
        // A deactivated user gets the same answer as a wrong password (nothing said about the account).
        guard let user, matches, !password.isEmpty, user.deactivatedAt == nil else {
            // The attempt's row stays: it is the failure counted from now on.
            req.logger.notice("sign-in refused", metadata: ["known_user": .stringConvertible(user != nil)])
            return SignInView.page(csrfToken: csrf, email: email, error: wrongCredentials, next: safeNext(form.next))
                .response(status: .unauthorized)
        }
        try await SignInFailures.clear(email: email, on: req.db)

        let token = Tokens.random()
        try await Accounts.createSession(
            user: user.domain.id, tokenHash: Tokens.sha256(token), csrfToken: Tokens.random(),
            expiresAt: now.addingTimeInterval(services.config.sessionLifetime), on: req.db)
        let response = req.redirect(to: safeNext(form.next) ?? SiteURL.home.path, redirectType: .normal)
        response.cookies[Cookie.session] = Cookie.value(
            token, config: services.config, maxAge: Int(services.config.sessionLifetime))
        response.cookies[Cookie.anonymousCSRF] = Cookie.value("", config: services.config, maxAge: 0)
        return response
    }

    @Sendable static func signOut(req: Request) async throws -> Response {
        if let viewer = req.viewer {
            try await Accounts.deleteSession(tokenHash: viewer.sessionTokenHash, on: req.db)
        }
        let response = req.redirect(to: SiteURL.signIn.path, redirectType: .normal)
        response.cookies[Cookie.session] = Cookie.value("", config: req.application.lentune.config, maxAge: 0)
        return response
    }

    /// Only same-origin relative paths: never an open redirect, never a header of the attacker's (`SafeRedirect`).
    static func safeNext(_ next: String?) -> String? { SafeRedirect.path(next) }
}
