/// "Contains this text, any case" in SQL, the same on both databases: the `LIKE` pattern with `%` and `_` taken
/// literally (escaped with `\`, so conditions say `ESCAPE '\'`), and the operator (SQLite's `LIKE` ignores ASCII case
/// already; PostgreSQL needs `ILIKE` for the same behaviour). Used by the PO list, the invoice list and the audit log.
enum ContainsSearch {
    static func pattern(_ text: String) -> String {
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
        return "%" + escaped + "%"
    }

    static func likeOperator(dialect: String?) -> String { dialect == "postgresql" ? "ILIKE" : "LIKE" }
}
