import LentuneCore
import Vapor

/// The main navigation's sections, in the order they appear.
public enum Section: String, CaseIterable, Sendable {
    case approvals = "Approvals"
    case invoices = "Invoices"
    case purchaseOrders = "Purchase Orders"
    case suppliers = "Suppliers"
    case projects = "Projects"
    case administration = "Administration"

    var url: SiteURL {
        switch self {
        case .approvals: .approvals
        case .invoices: .invoices
        case .purchaseOrders: .purchaseOrders
        case .suppliers: .suppliers
        case .projects: .projects
        case .administration: .administration
        }
    }

    func isVisible(to role: Role) -> Bool {
        switch self {
        case .administration: role.mayAdminister
        case .approvals: role.mayApprove
        default: true
        }
    }
}

enum Layout {
    /// A full page: header with the main navigation for signed-in users, then `content`.
    static func page(
        title: String, viewer: Viewer?, section: Section? = nil, @HTMLBuilder content: () -> HTML
    ) -> HTML {
        .fragment([
            .raw("<!DOCTYPE html>"),
            el("html", .init("lang", "en")) {
                el("head") {
                    el("meta", .init("charset", "utf-8"))
                    el("meta", .name("viewport"), .init("content", "width=device-width, initial-scale=1"))
                    el("title") { "\(title) · Lentune" }
                    el("link", .init("rel", "stylesheet"), .href(SiteURL.stylesheet.path))
                    el("script", .init("src", SiteURL.script.path), .init("defer", nil))
                }
                el("body") {
                    header(viewer: viewer, section: section)
                    el("main", .id("main")) {
                        el("h1") { title }
                        content()
                    }
                }
            },
        ])
    }

    static func header(viewer: Viewer?, section: Section?) -> HTML {
        el("header", .class("top")) {
            el("a", .class("brand"), .href(SiteURL.home.path)) { "Lentune" }
            if let viewer {
                el("nav", .aria("label", "Main")) {
                    el("ul") {
                        for item in Section.allCases where item.isVisible(to: viewer.user.role) {
                            el("li") {
                                el(
                                    "a", .href(item.url.path), .id("nav-\(item.url.path.dropFirst())"),
                                    item == section ? .aria("current", "page") : .none
                                ) {
                                    item.rawValue
                                    // How many invoices wait for this user's approval (issue 29), in the navigation.
                                    if item == .approvals, viewer.awaitingMyApproval > 0 {
                                        " "
                                        el("span", .class("count"), .id("approvals-count"), .aria("label", "\(viewer.awaitingMyApproval) waiting")) {
                                            "\(viewer.awaitingMyApproval)"
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                el("div", .class("who")) {
                    el("span", .class("org")) { viewer.organisation.name }
                    el("span", .class("user")) { "\(viewer.user.name) (\(viewer.user.role.title))" }
                    el("form", .method("post"), .action(SiteURL.signOut.path), .class("inline")) {
                        csrfField(viewer.csrfToken)
                        el("button", .type("submit"), .id("sign-out")) { "Sign out" }
                    }
                }
            }
        }
    }

    static func csrfField(_ token: String) -> HTML {
        el("input", .type("hidden"), .name(CSRFProtection.field), .value(token))
    }

    static func emptyState(_ message: String) -> HTML {
        el("p", .class("empty")) { message }
    }

    static func flash(_ message: String?, kind: String = "error") -> HTML {
        guard let message else { return .fragment([]) }
        return el("p", .class("flash \(kind)"), .role(kind == "error" ? "alert" : "status")) { message }
    }

    /// A simple table: header labels, then rows of cells.
    /// A table scrolls inside itself when the page is narrower than it (issue 29: at 390 px every page scrolled
    /// sideways); the page never does.
    static func table(id: String, headers: [String], rows: [[HTML]]) -> HTML {
        scroll {
            el("table", .id(id)) {
                el("thead") { el("tr") { for label in headers { el("th", .init("scope", "col")) { label } } } }
                el("tbody") {
                    for row in rows { el("tr") { for cell in row { el("td") { cell } } } }
                }
            }
        }
    }

    /// A column heading of a sortable list: a link that orders the list by it (issue 29), marked for assistive
    /// technology (`aria-sort`) and by an arrow when the list is in its order.
    struct Heading {
        var label: String
        /// The address that orders the list by this column (nil: not sortable).
        var link: String? = nil
        /// The list's direction when it is ordered by this column; nil otherwise.
        var ascending: Bool? = nil
    }

    /// `table` with headings that sort.
    static func table(id: String, headings: [Heading], rows: [[HTML]]) -> HTML {
        scroll {
            el("table", .id(id)) {
                el("thead") {
                    el("tr") {
                        for heading in headings {
                            el("th", attributes: [
                                .init("scope", "col"),
                                heading.ascending.map { .aria("sort", $0 ? "ascending" : "descending") } ?? .none,
                            ]) {
                                if let link = heading.link {
                                    el("a", .href(link), .class("sort"), .data("sort", heading.label)) {
                                        heading.label
                                        if let ascending = heading.ascending { el("span", .aria("hidden", "true")) { ascending ? " ▲" : " ▼" } }
                                    }
                                } else {
                                    heading.label
                                }
                            }
                        }
                    }
                }
                el("tbody") {
                    for row in rows { el("tr") { for cell in row { el("td") { cell } } } }
                }
            }
        }
    }

    /// `content` in a box that scrolls sideways by itself when it is wider than the page.
    static func scroll(@HTMLBuilder _ content: () -> HTML) -> HTML {
        el("div", .class("scroll")) { content() }
    }
}

extension HTML {
    func response(status: HTTPResponseStatus = .ok) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .html
        return Response(status: status, headers: headers, body: .init(string: render()))
    }
}

enum ErrorView {
    static func page(status: HTTPResponseStatus, detail: String, viewer: Viewer?) -> HTML {
        let title =
            switch status.code {
            case 403: "Access denied"
            case 404: "Not found"
            case 400..<500: status.reasonPhrase
            default: "Something went wrong"
            }
        return Layout.page(title: title, viewer: viewer) {
            el("p", .class("error-detail"), .data("status", String(status.code))) { detail }
            el("p") { el("a", .href(SiteURL.home.path)) { "Back to Lentune" } }
        }
    }
}
