/// The web server's services as swift-service-lifecycle logs them: by name only. Their default descriptions reflect
/// the application and the configuration (issue 30); `LentuneConfig`'s own description is redacted too, but a name
/// says all a log needs.
extension WebService: CustomStringConvertible {
    var description: String { "WebService" }
}

extension WebhookIntakeService: CustomStringConvertible {
    var description: String { "WebhookIntakeService" }
}
