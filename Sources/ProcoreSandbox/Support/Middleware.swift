import Foundation
import NIOCore
import Vapor

/// Records every request (route pattern and status) for `/_sandbox/requests`.
struct RequestLogging: AsyncMiddleware {
    let store: SandboxStore

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response: Response
        do {
            response = try await next.respond(to: request)
        } catch let error as ProcoreError {
            response = error.response()
        }
        let route = request.route.map { "/" + $0.path.map(\.description).joined(separator: "/") } ?? request.url.path
        store.requestLog.append(
            .init(method: request.method.rawValue, route: route, path: request.url.path, status: Int(response.status.code), at: Date()))
        if store.exchanges.isListening, !request.url.path.hasPrefix("/_sandbox") {
            store.exchanges.send(SandboxExchange(
                method: request.method.rawValue, path: request.url.path, query: request.url.query,
                requestHeaders: request.headers.map { ($0.name, $0.value) }, requestBody: request.body.data.map { Data(buffer: $0) } ?? Data(),
                // A dropped answer never reached the client: status 0.
                status: response.headers.first(name: "X-Sandbox-Fault") == nil ? Int(response.status.code) : 0,
                responseBody: response.body.data ?? Data(),
                responseContentType: response.headers.first(name: .contentType)))
        }
        return response
    }
}

/// Procore's API front door for `/rest/…`: faults, bearer token, rate limits (headers on every answer), then the
/// route; a configured drop loses the response after the route has committed its write.
struct APIGate: AsyncMiddleware {
    let store: SandboxStore

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.url.path.hasPrefix("/rest/") else { return try await next.respond(to: request) }
        store.requestLog.count("requests")
        let faults = store.faults
        if faults.latencyMilliseconds > 0 {
            try await Task.sleep(for: .milliseconds(faults.latencyMilliseconds))
        }
        if let storm = store.updateFaults({ faults -> SandboxFaults.Storm? in
            guard var storm = faults.storm, storm.count > 0 else { return nil }
            storm.count -= 1
            faults.storm = storm.count > 0 ? storm : nil
            return storm
        }) {
            store.requestLog.count("storm")
            return stormResponse(status: storm.status, retryAfter: storm.retryAfter)
        }
        if faults.shedRate > 0, Double.random(in: 0..<1) < faults.shedRate {
            store.requestLog.count("shed_503")
            return stormResponse(status: 503, retryAfter: 1)
        }
        let routeKey = "\(request.method.rawValue) \(request.url.path)"
        if let rate = faults.errorRate(for: routeKey), Double.random(in: 0..<1) < rate {
            store.requestLog.count("error_500")
            return ProcoreError.message(.internalServerError, "Internal Server Error (injected)").response()
        }

        // Authentication.
        let now = store.clock()
        guard let bearer = request.headers.bearerAuthorization?.token,
            let (token, client) = store.read({ data -> (OAuthToken, OAuthClient)? in
                guard let token = data.tokens[bearer], !token.revoked, token.expiresAt > now,
                    let client = data.clients.first(where: { $0.clientID == token.clientID })
                else { return nil }
                return (token, client)
            })
        else {
            let response = ProcoreError.invalidToken.response()
            response.headers.replaceOrAdd(name: .wwwAuthenticate, value: #"Bearer realm="Procore", error="invalid_token""#)
            return response
        }

        // Rate limits: one bucket per client, user and company.
        let companyHeader = request.headers.first(name: "Procore-Company-Id")
        let settings = store.settings
        let decision = store.limiter.take(
            key: "\(client.clientID)|\(token.userID)|\(companyHeader ?? "-")", now: now, hourly: settings.hourlyLimit,
            spike: settings.spikeLimit, window: settings.spikeWindow)
        let rateHeaders = [
            ("X-Rate-Limit-Limit", String(decision.limit)), ("X-Rate-Limit-Remaining", String(decision.remaining)),
            ("X-Rate-Limit-Reset", String(Int(decision.reset.timeIntervalSince1970.rounded(.up)))),
        ]
        guard decision.allowed else {
            var error = ProcoreError(
                status: .tooManyRequests,
                body: .string("You have surpassed the max number of requests for an hour. Please wait until your limit resets."))
            error.contentType = "text/plain; charset=utf-8"
            error.headers = rateHeaders + [("Retry-After", String(max(1, Int(decision.reset.timeIntervalSince(now).rounded(.up)))))]
            return error.response()
        }

        var companyID: Int64?
        if let companyHeader {
            guard let parsed = Int64(companyHeader.trimmingCharacters(in: .whitespaces)) else {
                return withHeaders(ProcoreError.message(.badRequest, "Invalid Procore-Company-Id header").response(), rateHeaders)
            }
            companyID = parsed
        }

        var body: JSON?
        // Large bodies stream in; collect them here (bounded) so every route sees the parsed JSON.
        let collected: ByteBuffer?
        do {
            collected = request.method == .GET ? nil : try await request.body.collect(max: 20 * 1024 * 1024).get()
        } catch {
            return withHeaders(ProcoreError.message(.payloadTooLarge, "The request body is too large").response(), rateHeaders)
        }
        // Uploads (`attachments[]`) are multipart: their route reads the parts itself.
        if let buffer = collected, buffer.readableBytes > 0, request.headers.contentType?.type != "multipart" {
            do {
                body = try JSON.parse(Data(buffer: buffer))
            } catch {
                return withHeaders(
                    ProcoreError.message(.badRequest, "Malformed JSON in request body: \(error)").response(), rateHeaders)
            }
        }
        let query = Query(uri: request.url)
        // Procore's filters take one value per field (`filters[x][]` is the list form): a filter given twice is refused.
        var seen = Set<String>()
        for (name, _) in query.pairs where name.hasPrefix("filters[") && !name.hasSuffix("[]") {
            guard seen.insert(name).inserted else {
                return withHeaders(
                    ProcoreError.field(.badRequest, name, "is given more than once; several filters on one field are not supported").response(),
                    rateHeaders)
            }
        }
        request.apiContext = APIContext(
            token: token, client: client, headerCompanyID: companyID, query: query, body: body,
            store: store, now: now)

        let response: Response
        do {
            response = try await next.respond(to: request)
        } catch let error as ProcoreError {
            response = error.response()
        } catch let abort as any AbortError {
            response = ProcoreError.message(abort.status, abort.reason).response()
        }
        withHeaders(response, rateHeaders)

        if response.status.code < 300, request.method != .GET, faults.dropAfterCommitRate > 0,
            Double.random(in: 0..<1) < faults.dropAfterCommitRate
        {
            store.requestLog.count("dropped_after_commit")
            return Self.droppedResponse()
        }
        if response.status.code < 300, store.updateFaults({ faults -> Bool in
            guard let remaining = faults.dropAfterCommit[routeKey] ?? faults.dropAfterCommit["*"], remaining > 0 else {
                return false
            }
            let key = faults.dropAfterCommit[routeKey] != nil ? routeKey : "*"
            faults.dropAfterCommit[key] = remaining - 1 > 0 ? remaining - 1 : nil
            return true
        }) {
            store.requestLog.count("dropped_after_commit")
            return Self.droppedResponse()
        }
        return response
    }

    @discardableResult
    func withHeaders(_ response: Response, _ headers: [(String, String)]) -> Response {
        for (name, value) in headers { response.headers.replaceOrAdd(name: name, value: value) }
        return response
    }

    func stormResponse(status: Int, retryAfter: Int) -> Response {
        let message =
            status == 429
            ? "You have surpassed the max number of requests for an hour. Please wait until your limit resets."
            : "Service Unavailable"
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: "text/plain; charset=utf-8")
        headers.replaceOrAdd(name: "Retry-After", value: String(retryAfter))
        if status == 429 {
            headers.replaceOrAdd(name: "X-Rate-Limit-Limit", value: "0")
            headers.replaceOrAdd(name: "X-Rate-Limit-Remaining", value: "0")
            headers.replaceOrAdd(
                name: "X-Rate-Limit-Reset", value: String(Int(Date().timeIntervalSince1970) + retryAfter))
        }
        return Response(status: HTTPResponseStatus(statusCode: status), headers: headers, body: .init(string: message))
    }

    /// The write has happened; the client sees the connection close before a complete answer.
    static func droppedResponse() -> Response {
        struct Dropped: Error {}
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: "application/json; charset=utf-8")
        headers.replaceOrAdd(name: .contentLength, value: "4096")
        headers.replaceOrAdd(name: "X-Sandbox-Fault", value: "dropped")
        return Response(
            status: .ok, headers: headers,
            body: .init(managedAsyncStream: { writer in
                try await writer.write(.buffer(ByteBuffer(string: "{\"id\":")))
                throw Dropped()
            }))
    }
}
