import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import Logging

/// The engine as the composition root builds it once per process: the shared Procore sessions, the job handlers,
/// and the factories for workers and the sweep scheduler.
public struct SyncEngine: Sendable {
    public var sessions: ProcoreSessions
    public var handlers: JobHandlers
    public var now: @Sendable () -> Date

    public init(sessions: ProcoreSessions, hooks: HookRegistration, now: @escaping @Sendable () -> Date = { Date() }) {
        self.sessions = sessions
        self.now = now
        var handlers = JobHandlers()
        handlers[.registerHooks] = hooks.register
        handlers[.unregisterHooks] = hooks.unregister
        handlers[.processWebhook] = ChangeJobs.processWebhook
        handlers[.sweep] = ChangeJobs.sweep
        handlers[.syncReferenceData] = ReferenceJobs.sync
        handlers[.pushPurchaseOrder] = PurchaseOrderJobs.push
        handlers[.pullPurchaseOrder] = PurchaseOrderJobs.pull
        handlers[.importPurchaseOrders] = PurchaseOrderJobs.importAll
        handlers[.checkPurchaseOrder] = PurchaseOrderJobs.check
        handlers[.postInvoice] = InvoiceJobs.post
        handlers[.noop] = { _, _ in }
        self.handlers = handlers
    }

    public func worker(db: any Database, concurrency: Int = 4, logger: Logger = Logger(label: "lentune.worker")) -> SyncWorker {
        SyncWorker(db: db, handlers: handlers, sessions: sessions, concurrency: concurrency, now: now, logger: logger)
    }

    /// Runs a job's handler here and now, outside the outbox (a person's **Refresh**, which must answer with the
    /// result): the same code a worker runs, so the outcome is the same; the error, if any, is classified.
    public func perform(_ job: SyncJob, on db: any Database, logger: Logger = Logger(label: "lentune.sync")) async throws(SyncError) {
        guard let handler = handlers[job.kind] else { throw .permanent("No handler for \(job.kind.rawValue) jobs.") }
        do {
            try await handler(job, JobContext(db: db, now: now, sessions: sessions, logger: logger))
        } catch {
            throw SyncError(any: error, job: job)
        }
    }

    /// Queues a sweep of every linked company (deduplicated: one waiting sweep per company).
    public func scheduleSweeps(on db: any Database) async throws {
        let now = self.now()
        for row in try await ProcoreSettings.allLinkedRows(on: db) {
            try await Outbox.enqueue(.companyWide(.sweep, of: row, now: now), on: db)
        }
    }
}
