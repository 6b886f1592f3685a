import Foundation
import LentuneCore
import LentunePersistence
import LentuneSync

enum SettingsView {
    enum Tab: String, CaseIterable {
        case general = "General"
        case integrations = "Integrations"
        case procore = "Procore"

        var url: SiteURL {
            switch self {
            case .general: .settings
            case .integrations: .settingsIntegrations
            case .procore: .settingsProcore
            }
        }
    }

    static func page(_ title: String, viewer: Viewer, tab: Tab, @HTMLBuilder content: () -> HTML) -> HTML {
        Layout.page(title: title, viewer: viewer, section: .administration) {
            el("p", .class("breadcrumbs")) {
                el("a", .href(SiteURL.administration.path)) { "Administration" }
                " › "
                el("a", .href(SiteURL.settings.path)) { "Settings" }
            }
            el("nav", .class("tabs"), .aria("label", "Settings")) {
                el("ul") {
                    for item in Tab.allCases {
                        el("li") { el("a", .href(item.url.path), item == tab ? .aria("current", "page") : .none) { item.rawValue } }
                    }
                }
            }
            content()
        }
    }

    static func general(viewer: Viewer) -> HTML {
        page("Settings", viewer: viewer, tab: .general) {
            el("dl", .class("facts")) {
                el("dt") { "Organisation" }
                el("dd") { viewer.organisation.name }
                el("dt") { "Currency" }
                el("dd") { "NZD" }
            }
        }
    }

    static func integrations(viewer: Viewer, connection: StoredConnection?) -> HTML {
        page("Settings", viewer: viewer, tab: .integrations) {
            el("h2") { "Configurations" }
            el("section", .id("invoices-interface")) {
                el("h3") { "Invoices interface" }
                Layout.scroll {
                    el("table", .id("interfaces")) {
                        el("tbody") {
                            el("tr") {
                                el("td") { "Procore" }
                                el("td") {
                                    connection?.status == ProcoreConnection.Status.connected.rawValue
                                        ? "Connected" + (connection?.connectedAs.map { " as \($0)" } ?? "") : "Not connected"
                                }
                                el("td") {
                                    el("a", .href(SiteURL.settingsProcore.path), .class("cog"), .id("procore-settings"), .title("Settings"),
                                       .aria("label", "Procore settings")) { .raw("&#9881;") }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
