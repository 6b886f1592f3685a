import Foundation
import Vapor

/// `/_sandbox`: not Procore's. Reset and seed, fault injection, settings, the request log, OAuth client registration
/// and token expiry, for tests and demos.
enum AdminRoutes {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    struct ClientRegistration: Codable {
        var clientId: String
        var clientSecret: String
        var name: String?
        var redirectUris: [String]?
        var companyIds: [Int64]?
    }

    struct ResetRequest: Codable {
        var seed: String?
    }

    static func register(_ app: any RoutesBuilder, sandbox: ProcoreSandboxServer) {
        let store = sandbox.store
        let admin = app.grouped("_sandbox")

        admin.post("reset") { req async throws -> Response in
            let request = (try? decode(ResetRequest.self, req)) ?? ResetRequest()
            guard let data = Seeds.named(request.seed ?? "empty", now: store.clock()) else {
                throw Abort(.badRequest, reason: "Unknown seed “\(request.seed ?? "")”: use demo, multi or empty")
            }
            sandbox.replace(with: data)
            return status("reset", seed: request.seed ?? "empty", store: store)
        }
        admin.post("seed") { req async throws -> Response in
            // Either {"name": "demo"} or a whole state document as exported by GET /_sandbox/state.
            guard let body = req.body.data else { throw Abort(.badRequest, reason: "Send {\"name\": \"demo\"} or a state document") }
            if let named = try? JSONDecoder().decode([String: String].self, from: Data(buffer: body)), let name = named["name"] {
                guard let data = Seeds.named(name, now: store.clock()) else { throw Abort(.badRequest, reason: "Unknown seed “\(name)”") }
                sandbox.replace(with: data)
                return status("seeded", seed: name, store: store)
            }
            do {
                let data = try JSONDecoder().decode(SandboxData.self, from: Data(buffer: body))
                sandbox.replace(with: data)
                return status("seeded", seed: "document", store: store)
            } catch {
                throw Abort(.badRequest, reason: "The seed document could not be read: \(error)")
            }
        }
        admin.get("state") { _ async throws -> Response in
            let data = try JSONEncoder().encode(store.read { $0 })
            return Response(status: .ok, headers: ["Content-Type": "application/json"], body: .init(data: data))
        }
        admin.get("faults") { _ async throws -> Response in try encode(store.faults) }
        admin.put("faults") { req async throws -> Response in
            let faults = try decode(SandboxFaults.self, req)
            store.faults = faults
            return try encode(faults)
        }
        admin.delete("faults") { _ async throws -> Response in
            store.faults = SandboxFaults()
            return try encode(store.faults)
        }
        admin.get("settings") { _ async throws -> Response in try encode(store.settings) }
        admin.put("settings") { req async throws -> Response in
            let settings = try decode(SandboxSettings.self, req)
            guard settings.tokenLifetime > 0, settings.hourlyLimit > 0, settings.spikeLimit > 0, settings.spikeWindow > 0,
                settings.webhookTimeScale >= 1, settings.webhookTimeout > 0
            else { throw Abort(.badRequest, reason: "Every setting must be positive (webhook_time_scale ≥ 1)") }
            store.write { $0.settings = settings }
            store.limiter.reset()
            return try encode(settings)
        }
        // Which direct costs a write holds right now (tests wait on this instead of on the clock).
        admin.get("busy") { _ async throws -> Response in
            jsonResponse(["direct_costs": .array(store.busyDirectCosts.claimed.map { .int($0) })])
        }
        admin.get("requests") { _ async throws -> Response in
            let entries = store.requestLog.all()
            var counts: [String: Int] = [:]
            var statuses: [String: Int] = [:]
            for entry in entries {
                counts["\(entry.method) \(entry.route)", default: 0] += 1
                statuses[String(entry.status), default: 0] += 1
            }
            let recent = entries.suffix(500).map { entry -> JSON in
                [
                    "method": .string(entry.method), "route": .string(entry.route), "path": .string(entry.path),
                    "status": .int(Int64(entry.status)), "at": .string(ProcoreFormat.preciseTimestamp(entry.at)),
                ]
            }
            return jsonResponse([
                "total": .int(Int64(entries.count)),
                "counts": .object(.init(counts.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
                "statuses": .object(.init(statuses.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
                "recent": .array(recent),
                // Since the last clear: every API request, and the faults injected (shed 503s, storms, injected
                // 500s, answers dropped after commit).
                "injected": .object(.init(store.requestLog.counted().sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
            ])
        }
        admin.delete("requests") { _ async throws -> Response in
            store.requestLog.clear()
            return Response(status: .noContent)
        }
        admin.post("oauth", "clients") { req async throws -> Response in
            let registration = try decode(ClientRegistration.self, req)
            guard !registration.clientId.isEmpty, !registration.clientSecret.isEmpty else {
                throw Abort(.badRequest, reason: "client_id and client_secret are required")
            }
            let client = sandbox.register(
                clientID: registration.clientId, secret: registration.clientSecret, name: registration.name,
                redirectURIs: registration.redirectUris ?? [], companyIDs: registration.companyIds)
            return jsonResponse(
                ["client_id": .string(client.clientID), "company_ids": .array(client.companyIDs.map(JSON.int)), "user_id": .int(client.userID)],
                status: .created)
        }
        admin.post("tokens", "expire") { _ async throws -> Response in
            let now = store.clock()
            let count = store.write { data -> Int in
                for key in data.tokens.keys { data.tokens[key]?.expiresAt = now.addingTimeInterval(-1) }
                return data.tokens.count
            }
            return jsonResponse(["expired": .int(Int64(count))])
        }
        admin.post("webhooks", "flush") { _ async throws -> Response in
            let attempted = await sandbox.dispatcher.tick()
            return jsonResponse(["attempted": .int(Int64(attempted))])
        }
    }

    static func status(_ action: String, seed: String, store: SandboxStore) -> Response {
        let companies = store.read { $0.companies.map(\.id) }
        return jsonResponse(["status": .string(action), "seed": .string(seed), "company_ids": .array(companies.map(JSON.int))])
    }

    static func decode<T: Decodable>(_ type: T.Type, _ req: Request) throws -> T {
        guard let body = req.body.data else { throw Abort(.badRequest, reason: "A JSON body is required") }
        do {
            return try decoder.decode(T.self, from: Data(buffer: body))
        } catch {
            throw Abort(.badRequest, reason: "The JSON body could not be read: \(error)")
        }
    }

    static func encode<T: Encodable>(_ value: T) throws -> Response {
        Response(status: .ok, headers: ["Content-Type": "application/json"], body: .init(data: try encoder.encode(value)))
    }
}
