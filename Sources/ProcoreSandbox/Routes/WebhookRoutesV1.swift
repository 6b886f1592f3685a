import Foundation
import Vapor

/// The v1.0 webhook API (deprecated in Procore's reference, still used by many clients).
extension WebhookRoutes {
    static func registerV1(_ api: any RoutesBuilder, store: SandboxStore) {
        let base = "rest/v1.0/webhooks/hooks"
        api.api(.GET, base) { req, ctx in
            let (company, project) = try v1Scope(ctx)
            var hooks = store.read { data in data.hooks.filter { $0.companyID == company && $0.projectID == project } }
            if let namespace = ctx.query["namespace"], namespace != "*" { hooks = hooks.filter { $0.namespace == namespace } }
            if let version = ctx.query["api_version"] { hooks = hooks.filter { $0.payloadVersion == version } }
            return Lists.respond(req, hooks, render: hookV1JSON)
        }
        api.api(.POST, base) { _, ctx in
            let (company, project) = try v1Scope(ctx)
            let hook = try createHook(try ctx.requireObject("hook"), company: company, project: project, versionKey: "api_version", ctx: ctx, store: store, v2: false)
            return jsonResponse(hookV1JSON(hook), status: .created)
        }
        api.api(.GET, base + "/:hook_id") { req, ctx in
            jsonResponse(hookV1JSON(try findV1Hook(req, ctx, store: store)))
        }
        api.api(.PATCH, base + "/:hook_id") { req, ctx in
            let hook = try findV1Hook(req, ctx, store: store)
            let fields = try ctx.requireBody()["hook"]?.objectValue ?? ctx.requireBody()
            return jsonResponse(hookV1JSON(try updateHook(hook, fields: fields, versionKey: "api_version", store: store, ctx: ctx)))
        }
        api.api(.DELETE, base + "/:hook_id") { req, ctx in
            deleteHook(try findV1Hook(req, ctx, store: store), store: store)
            return Response(status: .noContent)
        }
        api.api(.GET, base + "/:hook_id/triggers") { req, ctx in
            let hook = try findV1Hook(req, ctx, store: store)
            let triggers = store.read { data in data.triggers.filter { $0.hookID == hook.id } }
            return Lists.respond(req, triggers, render: triggerV1JSON)
        }
        api.api(.POST, base + "/:hook_id/triggers") { req, ctx in
            let hook = try findV1Hook(req, ctx, store: store)
            let trigger = try createTrigger(try ctx.requireObject("trigger"), hook: hook, ctx: ctx, store: store, v2: false)
            return jsonResponse(triggerV1JSON(trigger), status: .created)
        }
        api.api(.DELETE, base + "/:hook_id/triggers/:id") { req, ctx in
            let hook = try findV1Hook(req, ctx, store: store)
            let id = try req.int64Parameter("id")
            try store.write { (data: inout SandboxData) throws(ProcoreError) in
                guard data.triggers.contains(where: { $0.id == id && $0.hookID == hook.id }) else { throw ProcoreError.notFound }
                data.triggers.removeAll { $0.id == id }
            }
            return Response(status: .noContent)
        }
        api.api(.GET, base + "/:hook_id/deliveries") { req, ctx in
            let hook = try findV1Hook(req, ctx, store: store)
            var deliveries = store.read { data in data.deliveries.filter { $0.hookID == hook.id } }
            switch ctx.query["filters[status]"] ?? "any" {
            case "any": break
            case "successful": deliveries = deliveries.filter { $0.status == "delivered" }
            case "failing": deliveries = deliveries.filter { ["retrying", "failed"].contains($0.status) }
            case "discarded": deliveries = deliveries.filter { $0.status == "discarded" }
            default: throw ProcoreError.field(.badRequest, "filters[status]", "must be any, successful, failing or discarded")
            }
            // Cursor paging: page_start is the last id of the previous page.
            if let start = try ctx.query.int64("page_start") { deliveries = deliveries.filter { $0.id > start } }
            let size = min(max(Int(ctx.query["page_size"] ?? "") ?? 100, 1), 100)
            return jsonResponse(.array(deliveries.prefix(size).map(deliveryV1JSON)))
        }
        api.api(.GET, "rest/v1.0/webhooks/resources") { _, ctx in
            _ = try v1Scope(ctx)
            return jsonResponse(.array(Resource.allCases.map { resource in
                [
                    "api_version": "v2", "product_category": .string(resource.category), "tools": .string(resource.rawValue),
                    // Procore's schema types create/update/delete as strings (nullable) and lists in `except` the
                    // event types the resource does not offer. The strings' values are not documented: the sandbox
                    // gives the event's name when offered and null when not (docs/SANDBOX.md).
                    "resource_name": .string(resource.rawValue),
                    "except": .array(["create", "update", "delete"].filter { !resource.events.contains($0) }.map(JSON.string)),
                    "create": resource.events.contains("create") ? "create" : .null,
                    "update": resource.events.contains("update") ? "update" : .null,
                    "delete": resource.events.contains("delete") ? "delete" : .null,
                ]
            }))
        }
    }

    static func v1Scope(_ ctx: APIContext) throws(ProcoreError) -> (Int64, Int64?) {
        let projectID: Int64? = if case .int(let id)? = ctx.body?["project_id"] { id } else { try ctx.query.int64("project_id") }
        if let projectID {
            let project = try ctx.project(projectID)
            return (project.companyID, project.id)
        }
        let companyID: Int64? = if case .int(let id)? = ctx.body?["company_id"] { id } else { try ctx.query.int64("company_id") }
        guard let companyID else { throw ProcoreError.field(.badRequest, "company_id", "or project_id is required") }
        return (try ctx.company(companyID).id, nil)
    }

    static func findV1Hook(_ req: Request, _ ctx: APIContext, store: SandboxStore) throws(ProcoreError) -> WebhookHook {
        let (company, project) = try v1Scope(ctx)
        let id = try req.int64Parameter("hook_id")
        guard let hook = store.read({ data in data.hooks.first { $0.id == id && $0.companyID == company && $0.projectID == project } }) else {
            throw ProcoreError.notFound
        }
        return hook
    }

    static func hookV1JSON(_ hook: WebhookHook) -> JSON {
        [
            "id": .int(hook.id), "api_version": .string(hook.payloadVersion), "destination_url": .string(hook.destinationURL),
            "destination_headers": ["Authorization": maskedAuthorization(hook.authorization)],
            "owned_by_company_id": hook.projectID == nil ? .int(hook.companyID) : .null,
            "owned_by_project_id": .int(hook.projectID), "owned_by_user_id": .int(hook.ownerUserID),
            "namespace": .string(hook.namespace),
        ]
    }

    static func triggerV1JSON(_ trigger: WebhookTrigger) -> JSON {
        [
            "id": .int(trigger.id), "webhook_hook_id": .int(trigger.hookID), "resource_name": .string(trigger.resourceName),
            "resource_id": .null, "event_type": .string(trigger.eventType.uppercased()), "company_id": .int(trigger.companyID),
            "project_id": .int(trigger.projectID), "user_id": .int(trigger.userID),
        ]
    }

    static func deliveryV1JSON(_ delivery: WebhookDelivery) -> JSON {
        let last = delivery.attempts.last
        let outcome =
            switch delivery.status {
            case "delivered": delivery.attempts.count > 1 ? "retried" : "ok"
            case "discarded": "discarded"
            case "enqueued": "enqueued"
            default: "failed"
            }
        return [
            "id": .int(delivery.id), "event": (try? JSON.parse(Data(delivery.payload.utf8))) ?? .null,
            "event_id": .int(delivery.eventID), "outcome": .string(outcome),
            "response_status": last?.responseStatus.map { .int(Int64($0)) } ?? .null, "response_headers": [:],
            "response_body": .string(last?.responseBody), "response_error": .string(last?.error),
            "started_at": .timestamp(last?.startedAt), "completed_at": .timestamp(last?.completedAt),
        ]
    }
}
