import Foundation
import LentuneCore
import LentunePersistence
import ProcoreAPI

/// How a job ended badly, which decides what the worker records (STYLE §8): a transient failure is retried with
/// backoff, a permanent one stops the job at `failed` with the message a person will read, a cancelled one was no
/// longer wanted.
public enum SyncError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Network trouble, throttling, Procore's own trouble: worth trying again (not sooner than `retryAfter`).
    case transient(String, retryAfter: Duration? = nil)
    /// Procore (or Lentune's rules) refused the data: trying again changes nothing until someone changes it.
    case permanent(String)
    /// The job no longer applies (the setting changed since it was queued).
    case cancelled(String)
    /// The job's record waits for something in Procore (an invoice held), with the reason a person reads.
    case held(String)

    public var description: String {
        switch self {
        case .transient(let message, _), .permanent(let message), .cancelled(let message), .held(let message): message
        }
    }

    /// Classifies a Procore error (STYLE §8: errors are mapped at the boundary).
    public init(_ error: Procore.Error) {
        switch error {
        case .rateLimited(let wait): self = .transient(error.description, retryAfter: wait)
        case _ where error.isTransient: self = .transient(error.description)
        default: self = .permanent(error.description)
        }
    }

    /// Any error a handler let through: Procore's are classified; a database's is named by its SQLSTATE and
    /// constraint (never its values), permanent when a constraint refused the write (the same write is refused
    /// again), transient otherwise (a connection dropped); anything else is transient. With `job`, a database failure
    /// names the record the job is about.
    public init(any error: any Error, job: SyncJob? = nil) {
        switch error {
        case let sync as SyncError: self = sync
        case let procore as Procore.Error: self.init(procore)
        case let sessions as ProcoreSessions.Failure: self = .permanent(sessions.description)
        case let connector as ProcoreConnector.Failure: self = .permanent(connector.description)
        default:
            guard let database = DatabaseFailure(error) else {
                self = .transient(String(describing: error))
                return
            }
            let subject = job.map { "\($0.kind.title) (\($0.payload.prefix(200))): " } ?? ""
            self = database.isConstraintViolation
                ? .permanent("\(subject)Lentune could not store it, \(database)")
                : .transient("\(subject)\(database)")
        }
    }
}

extension SyncError {
    /// What a job's failure leaves on its record's ledger row: failed with Procore's message, pending while it will be
    /// retried (failed once the last attempt is spent), skipped with the reason when the job no longer applies.
    func ledgerUpdate(_ job: SyncJob, _ ctx: JobContext) -> SyncLedger.Update {
        switch self {
        case .permanent(let message): .failed(message)
        case .transient(let message, _) where ctx.isLastAttempt(job): .failed("Gave up after \(job.attempts) attempts: \(message)")
        case .transient(let message, _): .pending(error: message)
        case .cancelled(let reason): .skipped(reason)
        case .held(let reason): .failed("Held: \(reason)")
        }
    }
}
