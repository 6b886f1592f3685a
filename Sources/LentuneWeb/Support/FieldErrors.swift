/// Messages for the fields of a form or JSON body, by field name.
struct FieldErrors: Error, Sendable {
    var messages: [String: String]
    init(_ messages: [String: String]) { self.messages = messages }
}
