enum SignInView {
    static func page(csrfToken: String, email: String = "", error: String? = nil, next: String? = nil) -> HTML {
        Layout.page(title: "Sign in", viewer: nil) {
            Layout.flash(error)
            el("form", .method("post"), .action(SiteURL.signIn.path), .class("stack"), .id("sign-in")) {
                Layout.csrfField(csrfToken)
                if let next { el("input", .type("hidden"), .name("next"), .value(next)) }
                el("label", .for("email")) { "Email" }
                el("input", .id("email"), .name("email"), .type("email"), .value(email), .autocomplete("username"), .required, .autofocus)
                el("label", .for("password")) { "Password" }
                el("input", .id("password"), .name("password"), .type("password"), .autocomplete("current-password"), .required)
                el("button", .type("submit")) { "Sign in" }
            }
        }
    }
}
