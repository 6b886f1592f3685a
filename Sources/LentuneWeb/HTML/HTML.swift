/// A small HTML tree with correct escaping, used by every page.
///
/// Why not Plot: Plot 0.14 writes attribute values unescaped and passes `&entity;` sequences in text through, so a
/// supplier named `x" onmouseover="…` would become markup. Here text and attribute values are always escaped, and
/// raw markup needs the explicit `.raw` case (used only for constant strings).
public indirect enum HTML: Sendable {
    case element(name: String, attributes: [Attribute], children: [HTML])
    case text(String)
    case raw(String)
    case fragment([HTML])

    public struct Attribute: Sendable {
        public var name: String
        /// `nil` renders a boolean attribute (`disabled`).
        public var value: String?

        public init(_ name: String, _ value: String?) {
            self.name = name
            self.value = value
        }
    }

    /// Elements with no content and no end tag.
    static func isVoid(_ name: String) -> Bool {
        switch name {
        case "input", "br", "hr", "meta", "link", "img": true
        default: false
        }
    }

    public func render() -> String {
        var out = ""
        out.reserveCapacity(16 * 1024)
        render(into: &out)
        return out
    }

    public func render(into out: inout String) {
        switch self {
        case .text(let text): HTML.appendEscaped(text, to: &out)
        case .raw(let markup): out += markup
        case .fragment(let children): for child in children { child.render(into: &out) }
        case .element(let name, let attributes, let children):
            out += "<"
            out += name
            for attribute in attributes where !attribute.name.isEmpty {
                out += " "
                out += attribute.name
                if let value = attribute.value {
                    out += "=\""
                    HTML.appendEscaped(value, to: &out)
                    out += "\""
                }
            }
            out += ">"
            guard !HTML.isVoid(name) else { return }
            for child in children { child.render(into: &out) }
            out += "</"
            out += name
            out += ">"
        }
    }

    /// Escapes for both text and double- or single-quoted attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        appendEscaped(text, to: &out)
        return out
    }

    /// Appends `text` escaped: runs without `& < > " '` are copied whole (every page renders thousands of strings).
    static func appendEscaped(_ text: String, to out: inout String) {
        let utf8 = text.utf8
        var runStart = utf8.startIndex
        var index = runStart
        while index != utf8.endIndex {
            let replacement: String? =
                switch utf8[index] {
                case UInt8(ascii: "&"): "&amp;"
                case UInt8(ascii: "<"): "&lt;"
                case UInt8(ascii: ">"): "&gt;"
                case UInt8(ascii: "\""): "&quot;"
                case UInt8(ascii: "'"): "&#39;"
                default: nil
                }
            if let replacement {
                // Decoding the bytes keeps a combining mark after `<` intact (a `String` slice rounds to characters).
                out += String(decoding: utf8[runStart..<index], as: UTF8.self)
                out += replacement
                runStart = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        if runStart == utf8.startIndex {
            out += text
        } else {
            out += String(decoding: utf8[runStart..<utf8.endIndex], as: UTF8.self)
        }
    }
}

@resultBuilder
public enum HTMLBuilder {
    public static func buildBlock(_ components: HTML...) -> HTML { .fragment(components) }
    public static func buildExpression(_ node: HTML) -> HTML { node }
    public static func buildExpression(_ text: String) -> HTML { .text(text) }
    public static func buildOptional(_ node: HTML?) -> HTML { node ?? .fragment([]) }
    public static func buildEither(first: HTML) -> HTML { first }
    public static func buildEither(second: HTML) -> HTML { second }
    public static func buildArray(_ nodes: [HTML]) -> HTML { .fragment(nodes) }
}

// MARK: - Element functions

/// Any element: `el("section", .class("card")) { … }`.
public func el(_ name: String, _ attributes: HTML.Attribute..., @HTMLBuilder content: () -> HTML = { .fragment([]) })
    -> HTML
{
    .element(name: name, attributes: attributes, children: HTML.children(content()))
}

public func el(_ name: String, attributes: [HTML.Attribute], @HTMLBuilder content: () -> HTML = { .fragment([]) })
    -> HTML
{
    .element(name: name, attributes: attributes, children: HTML.children(content()))
}

extension HTML {
    /// A fragment's nodes become the element's children directly (one array fewer per element on every page).
    static func children(_ content: HTML) -> [HTML] {
        if case .fragment(let nodes) = content { return nodes }
        return [content]
    }
}

extension HTML.Attribute {
    public static func `class`(_ value: String) -> Self { .init("class", value) }
    public static func id(_ value: String) -> Self { .init("id", value) }
    public static func href(_ value: String) -> Self { .init("href", value) }
    public static func name(_ value: String) -> Self { .init("name", value) }
    public static func value(_ value: String) -> Self { .init("value", value) }
    public static func type(_ value: String) -> Self { .init("type", value) }
    public static func action(_ value: String) -> Self { .init("action", value) }
    public static func method(_ value: String) -> Self { .init("method", value) }
    public static func `for`(_ value: String) -> Self { .init("for", value) }
    public static func role(_ value: String) -> Self { .init("role", value) }
    public static func title(_ value: String) -> Self { .init("title", value) }
    public static func aria(_ name: String, _ value: String) -> Self { .init("aria-" + name, value) }
    public static func data(_ name: String, _ value: String) -> Self { .init("data-" + name, value) }
    public static func autocomplete(_ value: String) -> Self { .init("autocomplete", value) }
    public static var required: Self { .init("required", nil) }
    public static var autofocus: Self { .init("autofocus", nil) }
    /// An attribute with no name renders nothing: how a boolean attribute is left out.
    public static let none = Self("", nil)
    public static func disabled(_ on: Bool) -> Self { on ? .init("disabled", nil) : .none }
    public static func checked(_ on: Bool) -> Self { on ? .init("checked", nil) : .none }
    public static func selected(_ on: Bool) -> Self { on ? .init("selected", nil) : .none }
}
