import Foundation
import LentuneCore
import LentunePersistence
import Vapor

/// The sync engine by API (issue 25), for administrators: the organisation's outbox jobs with the Integration log's
/// filters, and a sweep of one company now.
enum SyncAPI {
    static func register(_ administrators: any RoutesBuilder) {
        administrators.get(SiteURL.components(.apiSyncJobs), use: jobs)
        administrators.post(SiteURL.components(.apiProcoreCompanySweep(UUID())), use: sweep)
    }

    struct JobDTO: Content {
        var id: UUID
        var company_id: UUID?
        var kind: String
        var state: String
        var attempts: Int
        var next_attempt_at: String
        var created_at: String
        var finished_at: String?
        var message: String?

        init(_ job: SyncJob) {
            (id, company_id, kind, state) = (job.id.rawValue, job.companyLinkID?.rawValue, job.kind.rawValue, job.state.rawValue)
            (attempts, message) = (job.attempts, job.lastError)
            (next_attempt_at, created_at, finished_at) = (timestamp(job.nextAttemptAt), timestamp(job.createdAt), job.finishedAt.map(timestamp))
        }
    }

    /// "2026-12-01T11:14:43Z".
    static func timestamp(_ date: Date) -> String { date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt)) }

    struct JobsQuery: Content {
        var company_id: String?
        var kind: String?
        var state: String?
        var since: String?
        var limit: String?
    }

    /// `GET /api/v1/sync/jobs?company_id=&kind=&state=&since=&limit=`: newest first, at most `limit` (1–500, 100).
    @Sendable static func jobs(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        let query = (try? req.query.decode(JobsQuery.self)) ?? JobsQuery()
        var errors: [String: String] = [:]
        // A parameter this list does not know is refused by name, not ignored (a misspelt filter would list everything).
        let known: Set<String> = ["company_id", "kind", "state", "since", "limit"]
        for item in (req.url.query ?? "").split(separator: "&") {
            let name = String(item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            let decoded = name.removingPercentEncoding ?? name
            if decoded.isEmpty {
                // `?=false`: a value without a name is no filter this list can apply.
                errors["query"] = "has a value without a parameter name"
            } else if !known.contains(decoded) {
                errors[String(decoded.prefix(100))] = "is not a parameter of this list"
            }
        }
        var filter = Outbox.Filter()
        if let raw = query.company_id {
            // The company row's id, or the Procore company id (as `lentune reconcile --company` takes it); a Procore
            // company not linked here lists no jobs.
            if let id = UUID(uuidString: raw) {
                filter.companyLink = .init(id)
            } else if let procoreID = Int64(raw), procoreID > 0 {
                let rows = try await ProcoreSettings.rows(for: viewer.organisationID, on: req.db)
                filter.companyLink = rows.first { $0.link.procoreCompanyID == procoreID }?.link.id ?? .init(UUID())
            } else {
                errors["company_id"] = "must be a company id (the company's id in Lentune, or the Procore company id)"
            }
        }
        if let raw = query.kind {
            if let kind = SyncJob.Kind(rawValue: raw) { filter.kind = kind } else {
                errors["kind"] = "must be one of " + SyncJob.Kind.allCases.map(\.rawValue).joined(separator: ", ")
            }
        }
        if let raw = query.state {
            if let state = SyncJob.State(rawValue: raw) { filter.state = state } else {
                errors["state"] = "must be one of " + SyncJob.State.allCases.map(\.rawValue).joined(separator: ", ")
            }
        }
        if let raw = query.since {
            if let date = InputRules.date(raw, years: 1...9999) { filter.since = date } else { errors["since"] = "must be a date (YYYY-MM-DD)" }
        }
        if let raw = query.limit {
            if let limit = Int(raw), (1...500).contains(limit) { filter.limit = limit } else { errors["limit"] = "must be a whole number from 1 to 500" }
        }
        guard errors.isEmpty else { return APIController.problem(.badRequest, "Some query parameters are not valid.", errors: errors) }
        let jobs = try await Outbox.jobs(in: viewer.organisationID, filter: filter, on: req.db)
        return try APIController.json(["data": jobs.map(JobDTO.init)])
    }

    /// `POST /api/v1/procore/companies/{id}/sweep`: queues a sweep of the linked company (202; a sweep already waiting
    /// is the one that runs).
    @Sendable static func sweep(req: Request) async throws -> Response {
        let viewer = try req.requireViewer()
        guard let row = try await ProcoreSettings.row(.init(try req.idParameter()), in: viewer.organisationID, on: req.db)?.link else {
            return APIController.problem(.notFound, "There is no such Procore company in this organisation.")
        }
        guard row.isLinked else { return APIController.problem(.conflict, "\(row.name) is not linked: link it in the Procore company list first.") }
        let queued = try await Outbox.enqueue(.companyWide(.sweep, of: row, now: req.application.lentune.now()), on: req.db)
        return try APIController.json(["queued": queued], status: .accepted)
    }
}
