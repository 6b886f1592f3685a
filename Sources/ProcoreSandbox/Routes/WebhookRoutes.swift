import Foundation
import Vapor

/// Webhook hooks, triggers and deliveries: REST v2.0 (company and project scope) and the deprecated v1.0 forms.
enum WebhookRoutes {
    static func isValidNamespace(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    static func register(_ api: any RoutesBuilder, store: SandboxStore) {
        for scoped in [false, true] {
            let base = "rest/v2.0/companies/:company_id" + (scoped ? "/projects/:project_id" : "") + "/webhooks"
            api.api(.GET, base + "/hooks") { req, ctx in
                let (company, project) = try scope(req, ctx, projectScoped: scoped)
                let namespace = ctx.query["namespace"]
                if !scoped && (namespace ?? "").isEmpty { throw v2Invalid("namespace", "is required") }
                var hooks = store.read { data in data.hooks.filter { $0.companyID == company && $0.projectID == project } }
                if let namespace, !namespace.isEmpty { hooks = hooks.filter { $0.namespace == namespace } }
                if let version = ctx.query["payload_version"] { hooks = hooks.filter { $0.payloadVersion == version } }
                let data = store.read { $0 }
                return v2List(req, hooks) { hookV2JSON($0, data: data) }
            }
            api.api(.POST, base + "/hooks") { req, ctx in
                let (company, project) = try scope(req, ctx, projectScoped: scoped)
                let body = try ctx.requireBody()
                let hook = try createHook(
                    body, company: company, project: project, versionKey: "payload_version", ctx: ctx, store: store, v2: true)
                return jsonResponse(["data": hookV2JSON(hook, data: store.read { $0 })], status: .created)
            }
            api.api(.GET, base + "/hooks/:hook_id") { req, ctx in
                let hook = try findHook(req, ctx, projectScoped: scoped, store: store)
                return jsonResponse(["data": hookV2JSON(hook, data: store.read { $0 })])
            }
            api.api(.PATCH, base + "/hooks/:hook_id") { req, ctx in
                let hook = try findHook(req, ctx, projectScoped: scoped, store: store)
                let updated = try updateHook(hook, fields: try ctx.requireBody(), versionKey: "payload_version", store: store, ctx: ctx)
                return jsonResponse(["data": hookV2JSON(updated, data: store.read { $0 })])
            }
            api.api(.DELETE, base + "/hooks/:hook_id") { req, ctx in
                let hook = try findHook(req, ctx, projectScoped: scoped, store: store)
                deleteHook(hook, store: store)
                return Response(status: .noContent)
            }
            api.api(.GET, base + "/hooks/:hook_id/triggers") { req, ctx in
                let hook = try findHook(req, ctx, projectScoped: scoped, store: store)
                let triggers = store.read { data in data.triggers.filter { $0.hookID == hook.id } }
                return v2List(req, triggers, render: triggerV2JSON)
            }
            api.api(.POST, base + "/hooks/:hook_id/triggers") { req, ctx in
                let hook = try findHook(req, ctx, projectScoped: scoped, store: store)
                let trigger = try createTrigger(try ctx.requireBody(), hook: hook, ctx: ctx, store: store, v2: true)
                return jsonResponse(["data": triggerV2JSON(trigger)], status: .created)
            }
            api.api(.POST, base + "/hooks/:hook_id/triggers/bulk") { req, ctx in
                let hook = try findHook(req, ctx, projectScoped: scoped, store: store)
                guard let list = ctx.body?["triggers"]?.arrayValue ?? ctx.body?.arrayValue else {
                    throw v2Invalid("triggers", "must be an array")
                }
                var created: [JSON] = []
                var failed: [JSON] = []
                for item in list {
                    do {
                        created.append(triggerV2JSON(try createTrigger(item.objectValue ?? [:], hook: hook, ctx: ctx, store: store, v2: true)))
                    } catch let error as ProcoreError {
                        failed.append(["trigger": item, "error": error.body["error"] ?? error.body])
                    }
                }
                let body: JSON.Object = failed.isEmpty ? ["data": .array(created)] : ["data": .array(created), "failed": .array(failed)]
                return jsonResponse(.object(body), status: failed.isEmpty ? .created : .multiStatus)
            }
            api.api(.DELETE, base + "/hooks/:hook_id/triggers/:id") { req, ctx in
                let hook = try findHook(req, ctx, projectScoped: scoped, store: store)
                let id = try req.int64Parameter("id")
                try store.write { (data: inout SandboxData) throws(ProcoreError) in
                    guard data.triggers.contains(where: { $0.id == id && $0.hookID == hook.id }) else { throw ProcoreError.notFound }
                    data.triggers.removeAll { $0.id == id }
                }
                return Response(status: .noContent)
            }
            api.api(.GET, base + "/hooks/:hook_id/deliveries") { req, ctx in
                let hook = try findHook(req, ctx, projectScoped: scoped, store: store)
                var deliveries = store.read { data in data.deliveries.filter { $0.hookID == hook.id } }
                if let status = ctx.query["filter[status]"] {
                    let wanted = status == "succeeded" ? "delivered" : status
                    deliveries = deliveries.filter { $0.status == wanted }
                }
                if let name = ctx.query["filter[resource_name]"] { deliveries = deliveries.filter { $0.resourceName == name } }
                if let type = ctx.query["filter[event_type]"] { deliveries = deliveries.filter { $0.eventType == type.lowercased() } }
                return v2List(req, deliveries.reversed(), render: deliveryV2JSON)
            }
            api.api(.GET, base + "/resources") { req, ctx in
                _ = try scope(req, ctx, projectScoped: scoped)
                guard let version = ctx.query["payload_version"], !version.isEmpty else {
                    throw v2Invalid("payload_version", "is required")
                }
                let resources = Resource.allCases.filter { $0.isCompanyLevel != scoped }
                return jsonResponse([
                    "data": .array(resources.map { resource in
                        [
                            "category": .string(resource.category), "tool": .string(resource.rawValue), "name": .string(resource.rawValue),
                            "payload_version": .string(version), "actions": .array(resource.events.map(JSON.string)),
                        ]
                    })
                ])
            }
        }
        registerV1(api, store: store)
    }

    // MARK: - Shared

    static func v2Invalid(_ source: String, _ message: String) -> ProcoreError {
        ProcoreError.v2(.badRequest, code: "BAD_REQUEST", message: "\(source) \(message)", details: [("INVALID_VALUE", message, source)])
    }

    static func scope(_ req: Request, _ ctx: APIContext, projectScoped: Bool) throws(ProcoreError) -> (Int64, Int64?) {
        let company = try ctx.company(try req.int64Parameter("company_id"))
        guard projectScoped else { return (company.id, nil) }
        let project = try ctx.project(try req.int64Parameter("project_id"))
        return (company.id, project.id)
    }

    static func findHook(_ req: Request, _ ctx: APIContext, projectScoped: Bool, store: SandboxStore) throws(ProcoreError) -> WebhookHook {
        let (company, project) = try scope(req, ctx, projectScoped: projectScoped)
        let id = try req.int64Parameter("hook_id")
        guard let hook = store.read({ data in data.hooks.first { $0.id == id && $0.companyID == company && $0.projectID == project } }) else {
            throw ProcoreError.notFound
        }
        return hook
    }

    static func v2List<T>(_ req: Request, _ items: [T], render: (T) -> JSON) -> Response {
        let page = Page(items, query: Query(uri: req.url), defaultPerPage: 10, maxPerPage: 100)
        return jsonResponse(["data": .array(page.items.map(render))], headers: page.headers(for: req.url, baseURL: req.baseURL))
    }

    /// Procore requires https; the sandbox also takes http to loopback so local listeners can receive deliveries.
    static func validDestination(_ raw: String) -> Bool {
        guard let url = URL(string: raw), let host = url.host, let scheme = url.scheme else { return false }
        if scheme == "https" { return true }
        return scheme == "http" && (host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]")
    }

    static func createHook(
        _ body: JSON.Object, company: Int64, project: Int64?, versionKey: String, ctx: APIContext, store: SandboxStore, v2: Bool
    ) throws(ProcoreError) -> WebhookHook {
        var reader = FieldReader(body)
        let version = reader.string(versionKey) ?? nil
        let namespace = reader.string("namespace") ?? nil
        let destination = reader.string("destination_url", maxLength: 2048) ?? nil
        var errors = reader.errors
        if version == nil || !["v2", "v3.0", "v4.0"].contains(version!) { errors.add(versionKey, "must be one of v2, v3.0, v4.0") }
        if let namespace, !namespace.isEmpty, !isValidNamespace(namespace) {
            errors.add("namespace", "may contain only lowercase letters, digits and dashes")
        }
        if project == nil && (namespace ?? "").isEmpty { errors.add("namespace", "can't be blank") }
        if destination == nil || !validDestination(destination!) { errors.add("destination_url", "must be an https URL") }
        let authorization = body["destination_headers"]?["Authorization"].flatMap { value -> String? in
            if case .string(let s) = value { s } else { nil }
        }
        if !errors.isEmpty {
            throw v2
                ? ProcoreError.v2(
                    .unprocessableEntity, code: "UNPROCESSABLE_ENTITY", message: "The hook is invalid",
                    details: errors.items.flatMap { field, messages in messages.map { ("INVALID_VALUE", $0, field) } })
                : ProcoreError.fields(.unprocessableEntity, errors.items)
        }
        return store.write { data in
            let hook = WebhookHook(
                id: data.newID(), companyID: company, projectID: project, namespace: namespace ?? "",
                destinationURL: destination!, authorization: authorization, payloadVersion: version!,
                ownerUserID: ctx.userID, createdAt: ctx.now, updatedAt: ctx.now)
            data.hooks.append(hook)
            return hook
        }
    }

    static func updateHook(
        _ hook: WebhookHook, fields: JSON.Object, versionKey: String, store: SandboxStore, ctx: APIContext
    ) throws(ProcoreError) -> WebhookHook {
        var reader = FieldReader(fields)
        var updated = hook
        if let destination = reader.string("destination_url", maxLength: 2048), let destination {
            if validDestination(destination) { updated.destinationURL = destination } else { reader.errors.add("destination_url", "must be an https URL") }
        }
        if let version = reader.oneOf(versionKey, ["v2", "v3.0", "v4.0"]), let version { updated.payloadVersion = version }
        if let status = reader.oneOf("status", ["active", "disabled"]), let status { updated.status = status }
        if case .object(let headers)? = fields["destination_headers"] {
            if case .string(let value)? = headers["Authorization"] { updated.authorization = value }
            if headers["Authorization"] == .null { updated.authorization = nil }
        }
        try reader.errors.check()
        updated.updatedAt = ctx.now
        return store.write { data in
            if let index = data.hooks.firstIndex(where: { $0.id == hook.id }) { data.hooks[index] = updated }
            return updated
        }
    }

    static func deleteHook(_ hook: WebhookHook, store: SandboxStore) {
        store.write { data in
            data.hooks.removeAll { $0.id == hook.id }
            data.triggers.removeAll { $0.hookID == hook.id }
            for index in data.deliveries.indices where data.deliveries[index].hookID == hook.id
                && ["enqueued", "retrying"].contains(data.deliveries[index].status)
            {
                data.deliveries[index].status = "discarded"
            }
        }
    }

    static func createTrigger(
        _ fields: JSON.Object, hook: WebhookHook, ctx: APIContext, store: SandboxStore, v2: Bool
    ) throws(ProcoreError) -> WebhookTrigger {
        var reader = FieldReader(fields)
        let resource = reader.string("resource_name") ?? nil
        let event = (reader.string("event_type") ?? nil).flatMap(eventName)
        var errors = reader.errors
        let known = resource.flatMap(Resource.init(rawValue:))
        if known == nil {
            errors.add("resource_name", "is not a webhook resource")
        } else if known!.isCompanyLevel != (hook.projectID == nil) {
            // Procore's lists offer each resource at one level (reference §11.6): a company hook takes company
            // resources, a project hook project resources.
            errors.add("resource_name", "\(known!.rawValue) is a \(known!.isCompanyLevel ? "company" : "project")-level resource: it is not offered on a \(hook.projectID == nil ? "company" : "project") hook")
        }
        if event == nil {
            errors.add("event_type", "must be create, update or delete")
        } else if let known, !known.events.contains(event!) {
            errors.add("event_type", "\(event!) is not offered for \(known.rawValue) (only \(known.events.joined(separator: ", ")))")
        }
        if let resource, ctx.store.faults.refusedTriggers.contains(resource) {
            errors.add("resource_name", "\(resource) triggers are not available to this application (injected)")
        }
        if !errors.isEmpty {
            throw v2
                ? ProcoreError.v2(
                    .unprocessableEntity, code: "UNPROCESSABLE_ENTITY", message: "The trigger is invalid",
                    details: errors.items.flatMap { field, messages in messages.map { ("INVALID_VALUE", $0, field) } })
                : ProcoreError.fields(.unprocessableEntity, errors.items)
        }
        return store.write { data in
            if let existing = data.triggers.first(where: { $0.hookID == hook.id && $0.resourceName == resource! && $0.eventType == event! }) {
                return existing
            }
            let trigger = WebhookTrigger(
                id: data.newID(), hookID: hook.id, resourceName: resource!, eventType: event!, companyID: hook.companyID,
                projectID: hook.projectID, userID: ctx.userID)
            data.triggers.append(trigger)
            return trigger
        }
    }

    /// The event a trigger names: `create`, `CREATE` or `CREATED` (Procore echoes the last) → `create`.
    static func eventName(_ raw: String) -> String? {
        switch raw.lowercased() {
        case "create", "created": "create"
        case "update", "updated": "update"
        case "delete", "deleted": "delete"
        default: nil
        }
    }

    /// As Procore's v2.0 answers spell a trigger's event (`CREATED`: the Webhooks reference's examples).
    static func echoedEvent(_ event: String) -> String { event.uppercased() + "D" }

    static func maskedAuthorization(_ value: String?) -> JSON {
        guard let value else { return .null }
        return .string("*****" + String(value.suffix(5)))
    }

    static func hookV2JSON(_ hook: WebhookHook, data: SandboxData) -> JSON {
        [
            "id": .string(String(hook.id)), "status": .string(hook.status), "payload_version": .string(hook.payloadVersion),
            "namespace": .string(hook.namespace), "destination_url": .string(hook.destinationURL),
            "destination_headers": ["Authorization": maskedAuthorization(hook.authorization)],
            "trigger_count": .int(Int64(data.triggers.filter { $0.hookID == hook.id }.count)),
            // "Null for project-level hooks" (the Webhooks reference).
            "company_id": hook.projectID == nil ? .string(String(hook.companyID)) : .null,
            "project_id": hook.projectID.map { .string(String($0)) } ?? .null,
            "created_at": .timestamp(hook.createdAt), "updated_at": .timestamp(hook.updatedAt), "hook_type": "classic",
        ]
    }

    static func triggerV2JSON(_ trigger: WebhookTrigger) -> JSON {
        [
            "id": .string(String(trigger.id)), "webhook_hook_id": .string(String(trigger.hookID)),
            "resource_name": .string(trigger.resourceName), "event_type": .string(echoedEvent(trigger.eventType)),
            "company_id": trigger.projectID == nil ? .string(String(trigger.companyID)) : .null,
            "project_id": trigger.projectID.map { .string(String($0)) } ?? .null,
        ]
    }

    static func deliveryV2JSON(_ delivery: WebhookDelivery) -> JSON {
        [
            "id": .string(String(delivery.id)), "status": .string(delivery.status),
            "payload": (try? JSON.parse(Data(delivery.payload.utf8))) ?? .null,
            "delivery_attempts": .array(delivery.attempts.map { attempt in
                [
                    "id": .string(String(attempt.id)), "success": .bool(attempt.success),
                    "response_status": attempt.responseStatus.map { .int(Int64($0)) } ?? .null,
                    "response_body": .string(attempt.responseBody ?? attempt.error), "response_headers": [:],
                    "started_at": .timestamp(attempt.startedAt), "completed_at": .timestamp(attempt.completedAt),
                ]
            }),
        ]
    }
}
