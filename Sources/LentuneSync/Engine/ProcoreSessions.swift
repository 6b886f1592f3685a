import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import ProcoreAPI

/// One Procore session per connection and company per process (built once, by the composition root), shared by the
/// web app and the worker, so the rate-limit pacer and the token cache really are shared by every caller.
///
/// Each lookup reads the connection's credentials from the database and rebuilds the session when they changed (a
/// save in this process or another), so no process keeps using credentials an administrator replaced.
public actor ProcoreSessions {
    public let connector: ProcoreConnector
    /// Projects' billing periods, shared by this process's invoice postings (issue 26).
    public nonisolated let billingPeriods = BillingPeriodCache()
    private var sessions: [Key: Entry] = [:]

    struct Key: Hashable {
        var connection: UUID
        var company: Int64?
    }

    struct Entry {
        var fingerprint: String
        var session: Procore.Session
    }

    public init(connector: ProcoreConnector) {
        self.connector = connector
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case noConnection
        case connector(ProcoreConnector.Failure)

        public var description: String {
            switch self {
            case .noConnection: "The organisation has no Procore connection."
            case .connector(let failure): failure.description
            }
        }
    }

    /// The client for `company` over the organisation's connection.
    public func client(organisation: Organisation.ID, company: Int64?, on db: any Database) async throws -> Procore.Client {
        guard let connection = try await ProcoreSettings.connection(for: organisation, on: db) else { throw Failure.noConnection }
        return connector.makeClient(try session(for: connection, company: company, on: db))
    }

    func session(for connection: StoredConnection, company: Int64?, on db: any Database) throws -> Procore.Session {
        let key = Key(connection: connection.id, company: company)
        let fingerprint = Self.fingerprint(connection)
        if let entry = sessions[key], entry.fingerprint == fingerprint { return entry.session }
        let session: Procore.Session
        do {
            session = try connector.session(for: connection, company: company, db: db)
        } catch {
            throw Failure.connector(error)
        }
        sessions[key] = Entry(fingerprint: fingerprint, session: session)
        return session
    }

    /// Test connection through this process's shared session for the connection's service company (so its pacer and
    /// tokens are the ones every other caller uses).
    public func test(_ connection: StoredConnection, on db: any Database) async -> Result<ProcoreConnector.TestResult, ProcoreConnector.Failure> {
        let shared = try? session(for: connection, company: connection.serviceCompanyID, on: db)
        return await connector.test(connection, serviceCompany: connection.serviceCompanyID, using: shared, on: db)
    }

    /// Forgets every session of a connection (saving the connection calls it; other processes notice by fingerprint).
    public func invalidate(connection: UUID) {
        sessions = sessions.filter { $0.key.connection != connection }
    }

    /// How many sessions are held (tests).
    public var count: Int { sessions.count }

    static func fingerprint(_ connection: StoredConnection) -> String {
        [
            connection.clientID, connection.sealedClientSecret ?? "", connection.grantType, connection.environment,
            connection.authBaseURL ?? "", connection.apiBaseURL ?? "", connection.redirectURI ?? "", connection.serviceCompanyID.map(String.init) ?? "",
        ].joined(separator: "\u{1F}")
    }
}

/// A project's billing periods as last read, so consecutive requisitions of a project do not read them each time.
/// Only a list with an open period is kept, and it is forgotten after `lifetime` or when Procore refuses a
/// requisition for its period: a period opened or closed in Procore is seen at the next read.
public actor BillingPeriodCache {
    public static let lifetime: TimeInterval = 600
    private var periods: [Int64: (read: Date, list: [Procore.BillingPeriod])] = [:]

    public init() {}

    /// The project's periods: kept ones while fresh, else read (and kept when one is open).
    public func periods(project: Int64, now: Date, read: @Sendable () async throws -> [Procore.BillingPeriod]) async throws -> [Procore.BillingPeriod] {
        if let kept = periods[project], now.timeIntervalSince(kept.read) < Self.lifetime, now >= kept.read { return kept.list }
        let list = try await read()
        if Self.open(in: list) != nil { periods[project] = (now, list) } else { periods[project] = nil }
        return list
    }

    public func forget(project: Int64) { periods[project] = nil }

    /// The earliest open period.
    public static func open(in list: [Procore.BillingPeriod]) -> Procore.BillingPeriod? {
        list.filter { $0.status.lowercased() == "open" }.min { $0.startDate < $1.startDate }
    }
}
