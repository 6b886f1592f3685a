import Foundation

/// The order of a list that shows every row at once (Suppliers, Projects: no pages), sorted in memory by the column
/// whose heading was clicked (issue 29). `?sort=<column>&dir=asc|desc` like the PO and invoice lists; an unknown
/// column is the list's first, a missing direction the column's own (`startsAscending`).
struct ColumnOrder<Column: RawRepresentable & CaseIterable & Equatable> where Column.RawValue == String {
    var column: Column
    var ascending: Bool

    init(sort: String?, dir: String?, startsAscending: (Column) -> Bool = { _ in true }) {
        column = sort.flatMap(Column.init(rawValue:)) ?? Column.allCases.first!
        switch dir {
        case "asc": ascending = true
        case "desc": ascending = false
        default: ascending = startsAscending(column)
        }
    }

    /// `rows` in this order: by the column's text (`keys`, compared as people read it: "A2" before "A10", any case),
    /// ties kept in the order given (callers give rows in a stable order, such as by id).
    func sorted<Row>(_ rows: [Row], by keys: (Row, Column) -> String) -> [Row] {
        let keyed = rows.enumerated().map { (offset: $0.offset, row: $0.element, key: keys($0.element, column)) }
        return keyed.sorted { a, b in
            switch a.key.localizedStandardCompare(b.key) {
            case .orderedSame: return a.offset < b.offset
            case .orderedAscending: return ascending
            case .orderedDescending: return !ascending
            }
        }.map(\.row)
    }

    /// The heading of `column`: a link that orders the list by it, or turns it round when it already does.
    func heading(_ label: String, _ column: Column, base: String) -> Layout.Heading {
        let current = column == self.column
        var query = "sort=\(column.rawValue)"
        if current { query += "&dir=\(ascending ? "desc" : "asc")" }
        return Layout.Heading(label: label, link: base + "?" + query, ascending: current ? ascending : nil)
    }
}
