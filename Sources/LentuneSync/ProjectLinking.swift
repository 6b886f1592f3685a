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
        row: ProcoreCompanyLink, connection: ProcoreConnectionRecord, on db: any Database
    ) async throws -> Int {
        let session = try session(for: connection, company: row.procoreCompanyID, db: db)
        let procoreProjects = try await makeClient(session).projects(company: row.procoreCompanyID).all()
        let stages = Set(row.projectStages)
        let lentune = try await ProjectRecord.scoped(to: row.organisationID, on: db).all()
        var linked = 0
        for project in procoreProjects where stages.contains(project.projectStage?.name ?? project.stage ?? "") {
            guard let number = project.projectNumber,
                let match = lentune.first(where: { $0.code.caseInsensitiveCompare(number) == .orderedSame }),
                match.procoreProjectID == nil || match.procoreProjectID == project.id
            else { continue }
            match.procoreCompanyLinkID = row.id.rawValue
            match.procoreProjectID = project.id
            try await match.save(on: db)
            linked += 1
        }
        return linked
    }
}
