import FluentKit
import Foundation
import LentuneCore
import LentunePersistence
import ProcoreAPI

extension ProcoreConnector {
    /// Links Lentune projects to a company row by DESIGN.md §1.1's rule: a Procore project in one of the row's
    /// stages whose project number equals a Lentune project code. (The full import, which also creates
    /// `PROCORE<id>` projects, comes with the sync engine.) Returns how many projects were linked.
    @discardableResult
    public func linkMatchingProjects(
        row: ProcoreCompanyLink, connection: StoredConnection, on db: any Database
    ) async throws -> Int {
        let session = try session(for: connection, company: row.procoreCompanyID, db: db)
        let procoreProjects = try await makeClient(session).projects(company: row.procoreCompanyID).all()
        let stages = Set(row.projectStages)
        let candidates = procoreProjects
            .filter { stages.contains($0.projectStage?.name ?? "") }
            .compactMap { project in project.projectNumber.map { (id: project.id, number: $0) } }
        return try await ProcoreSettings.linkProjects(of: row, matching: candidates, on: db)
    }
}
