import Foundation
import LentuneCore
import LentunePersistence

extension PurchaseOrderViews {
    struct FormModel {
        var viewer: Viewer
        var reference: PurchaseOrderReference
        var input: PurchaseOrderInput
        var existing: PurchaseOrder?
        var errors: [String: String] = [:]
    }

    /// New Purchase Order and Edit: one form. Works without JavaScript: it always offers a few blank lines (blank
    /// lines are ignored), and cost codes are grouped by project (the server checks they match the chosen project).
    static func form(_ model: FormModel) -> HTML {
        let input = model.input
        let editing = model.existing != nil
        let title = editing ? "Edit purchase order \(model.existing!.number)" : "New Purchase Order"
        let projects = editing ? model.reference.projects : model.reference.eligibleProjects
        let lines = input.lines + Array(repeating: PurchaseOrderInput.Line(
            id: nil, description: "", costCode: "", costType: "", taxCode: "", quantity: "", unitCost: "", amount: ""),
            count: max(3, 5 - input.lines.count))
        let action = model.existing.map { SiteURL.purchaseOrder($0.id.rawValue).path } ?? SiteURL.purchaseOrders.path
        return Layout.page(title: title, viewer: model.viewer, section: .purchaseOrders) {
            if !model.errors.isEmpty {
                el("div", .class("flash error"), .role("alert"), .id("form-errors")) {
                    el("p") { "The purchase order was not saved:" }
                    el("ul") { for message in model.errors.sorted(by: { $0.key < $1.key }).map(\.value) { el("li") { message } } }
                }
            }
            el("form", .method("post"), .action(action), .id("po-form"), .class("po-form")) {
                Layout.csrfField(model.viewer.csrfToken)
                if model.existing == nil, !input.requestKey.isEmpty {
                    el("input", .type("hidden"), .name("request_key"), .value(input.requestKey))
                }
                el("div", .class("grid")) {
                    field("number", "Number", error: model.errors["number"]) {
                        el("input", .id("number"), .name("number"), .value(input.number), .init("maxlength", "50"))
                    }
                    field("supplier", "Supplier", error: model.errors["supplier"]) {
                        el("select", .id("supplier"), .name("supplier"), .required) {
                            el("option", .value("")) { "Choose a supplier" }
                            for supplier in model.reference.suppliers {
                                el("option", .value(supplier.id.description), .selected(supplier.id.description == input.supplier)) { supplier.name }
                            }
                        }
                    }
                    field("project", "Project", error: model.errors["project"]) {
                        el("select", .id("project"), .name("project"), .required) {
                            el("option", .value("")) { "Choose a project" }
                            for project in projects {
                                el("option", .value(project.id.description), .selected(project.id.description == input.project)) { "\(project.code) \(project.name)" }
                            }
                        }
                    }
                    field("title", "Title", error: model.errors["title"]) {
                        el("input", .id("title"), .name("title"), .value(input.title), .required, .init("maxlength", "200"))
                    }
                    field("delivery_date", "Delivery date", error: model.errors["delivery_date"]) {
                        el("input", .id("delivery_date"), .name("delivery_date"), .type("date"), .value(input.deliveryDate))
                    }
                }
                field("description", "Description", error: model.errors["description"]) {
                    // Never echo more than the limit back.
                    el("textarea", .id("description"), .name("description"), .init("rows", "3")) {
                        String(input.description.prefix(PurchaseOrderInput.maxDescription))
                    }
                }
                Layout.scroll {
                    el("table", .id("line-items")) {
                        el("thead") {
                            el("tr") {
                                for label in ["Description", "Cost code", "Cost type", "Tax code", "Quantity", "Unit cost", "Amount excl. GST"] {
                                    el("th", .init("scope", "col")) { label }
                                }
                            }
                        }
                        el("tbody") {
                            for (index, line) in lines.enumerated() { lineRow(index, line, model: model) }
                        }
                    }
                }
                el("button", .type("submit"), .id("save-po")) { editing ? "Save" : "Create purchase order" }
                " "
                el("a", .href(model.existing.map { SiteURL.purchaseOrder($0.id.rawValue).path } ?? SiteURL.purchaseOrders.path)) { "Cancel" }
            }
        }
    }

    static func field(_ id: String, _ label: String, error: String?, @HTMLBuilder control: () -> HTML) -> HTML {
        el("div", .class("field")) {
            el("label", .for(id)) { label }
            control()
            if let error { el("p", .class("field-error")) { error } }
        }
    }

    static func lineRow(_ index: Int, _ line: PurchaseOrderInput.Line, model: FormModel) -> HTML {
        let key = "lines[\(index)]"
        let invalid = model.errors.keys.contains { $0.hasPrefix(key) }
        return el("tr", .class(invalid ? "invalid" : "line"), .data("line", String(index))) {
            el("td") {
                if let id = line.id { el("input", .type("hidden"), .name(key + "[id]"), .value(id)) }
                el("input", .name(key + "[description]"), .value(line.description), .aria("label", "Line \(index + 1) description"))
            }
            el("td") {
                el("select", .name(key + "[cost_code]"), .aria("label", "Line \(index + 1) cost code")) {
                    el("option", .value("")) { "—" }
                    for project in model.reference.projects {
                        let codes = model.reference.costCodes.filter { $0.projectID == project.id }
                        if !codes.isEmpty {
                            el("optgroup", .init("label", project.code), .data("project", project.id.description)) {
                                for code in codes {
                                    el("option", .value(code.id.description), .selected(code.id.description == line.costCode)) { "\(code.code) \(code.name)" }
                                }
                            }
                        }
                    }
                }
            }
            el("td") {
                el("select", .name(key + "[cost_type]"), .aria("label", "Line \(index + 1) cost type")) {
                    el("option", .value("")) { "—" }
                    for type in model.reference.costTypes {
                        el("option", .value(type.id.description), .selected(type.id.description == line.costType)) { "\(type.code) \(type.name)" }
                    }
                }
            }
            el("td") {
                el("select", .name(key + "[tax_code]"), .aria("label", "Line \(index + 1) tax code")) {
                    el("option", .value("")) { "—" }
                    for tax in model.reference.taxCodes {
                        el("option", .value(tax.id.description), .data("rate", "\(tax.rate)"), .selected(tax.id.description == line.taxCode)) { tax.name }
                    }
                }
            }
            el("td") { el("input", .name(key + "[quantity]"), .value(line.quantity), .init("inputmode", "decimal"), .init("size", "6"), .aria("label", "Line \(index + 1) quantity")) }
            el("td") { el("input", .name(key + "[unit_cost]"), .value(line.unitCost), .init("inputmode", "decimal"), .init("size", "8"), .aria("label", "Line \(index + 1) unit cost")) }
            el("td") { el("input", .name(key + "[amount]"), .value(line.amount), .init("inputmode", "decimal"), .init("size", "8"), .aria("label", "Line \(index + 1) amount")) }
        }
    }
}
