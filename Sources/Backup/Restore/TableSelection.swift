/// `restore --table T`: the tables to restore and the statements that belong to them.
///
/// Kept: the session settings (`SET …`), each selected table's `CREATE TABLE`, everything done to it by
/// name (`ALTER TABLE` — defaults, identity, ownership, CHECK/PK/UNIQUE constraints —, `COMMENT ON`,
/// `GRANT`/`REVOKE`, indexes, triggers, policies), the sequences it owns (`ALTER SEQUENCE … OWNED BY`)
/// with their `setval`, its rows, and foreign keys whose both ends are selected. Not kept: schemas,
/// types, functions and other tables it depends on — they must exist in the target already.
package struct TableSelection: Sendable {
    /// `schema.name` of each selected table, as the manifest names it.
    package let tables: Set<String>

    /// Resolves names (`schema.name`, or `name` when it is unique) against a backup's tables.
    package init(names: [String], manifest: BackupManifest) throws {
        var selected: Set<String> = []
        for name in names {
            let matches = manifest.tables.filter { $0.displayName == name || (!name.contains(".") && $0.name == name) }
            guard !matches.isEmpty else {
                throw BackupError(.usage, "--table \(name): backup \(manifest.id) has no table \(name) with data (give schema.name; 'backup verify' lists nothing else)")
            }
            guard matches.count == 1 else {
                throw BackupError(.usage, "--table \(name) is ambiguous: \(matches.map(\.displayName).joined(separator: ", ")); give schema.name")
            }
            selected.insert(matches[0].displayName)
        }
        tables = selected
    }

    init(tables: Set<String>) {
        self.tables = tables
    }

    func contains(table: String?) -> Bool {
        table.map(tables.contains) ?? false
    }

    /// The statements to run, in order.
    func filter(_ statements: [ScriptStatement]) -> [ScriptStatement] {
        let parsed = statements.map { SQLWords.tokens($0.sql.utf8) }
        // Sequences owned by a selected table.
        var sequences: Set<String> = []
        for tokens in parsed {
            let words = tokens.map { $0.keyword ?? "" }
            guard words.starts(with: ["ALTER", "SEQUENCE"]), let (sequence, next) = Self.name(tokens, 2),
                  next + 1 < words.count, words[next] == "OWNED", words[next + 1] == "BY",
                  let (column, _) = Self.name(tokens, next + 2) else { continue }
            let table = column.split(separator: ".").dropLast().joined(separator: ".")
            if tables.contains(table) { sequences.insert(sequence) }
        }
        let objects = tables.union(sequences)
        return zip(statements, parsed).filter { statement, tokens in
            if ScriptRunner.isSessionSetting(statement.sql) { return true }
            guard let refs = Self.references(tokens) else { return false }
            return !refs.isEmpty && refs.isSubset(of: objects)
        }.map(\.0)
    }

    /// The tables and sequences a statement is about, when it is one `--table` may keep.
    static func references(_ tokens: [SQLWords.Token]) -> Set<String>? {
        let words = tokens.map { $0.keyword ?? "" }
        func after(_ keyword: String, from start: Int = 0) -> String? {
            guard let index = words[start...].firstIndex(of: keyword) else { return nil }
            return name(tokens, index + 1)?.0
        }
        guard let first = words.first else { return nil }
        switch first {
        case "CREATE":
            let kind = words.dropFirst().first { !["UNIQUE", "UNLOGGED", "OR", "REPLACE", "CONSTRAINT"].contains($0) } ?? ""
            switch kind {
            case "TABLE": return after("TABLE").map { [$0] }
            case "SEQUENCE": return after("SEQUENCE").map { [$0] }
            case "INDEX", "TRIGGER", "POLICY", "RULE": return after("ON").map { [$0] }
            default: return nil
            }
        case "ALTER":
            guard words.count > 2 else { return nil }
            if words[1] == "SEQUENCE" { return name(tokens, 2).map { [$0.0] } }
            guard words[1] == "TABLE", let (table, _) = name(tokens, 2) else { return nil }
            if words.contains("ATTACH") { return nil }
            if let references = words.firstIndex(of: "REFERENCES"), let (target, _) = name(tokens, references + 1) {
                return [table, target]
            }
            return [table]
        case "COMMENT":
            guard words.count > 3, words[1] == "ON" else { return nil }
            switch words[2] {
            case "TABLE", "SEQUENCE": return name(tokens, 3).map { [$0.0] }
            case "COLUMN":
                return name(tokens, 3).map { [$0.0.split(separator: ".").dropLast().joined(separator: ".")] }
            case "INDEX", "TRIGGER", "CONSTRAINT": return after("ON", from: 3).map { [$0] }
            default: return nil
            }
        case "GRANT", "REVOKE":
            guard let on = words.firstIndex(of: "ON") else { return nil }
            var index = on + 1
            if index < words.count, words[index] == "TABLE" || words[index] == "SEQUENCE" { index += 1 }
            return name(tokens, index).map { [$0.0] }
        case "SELECT":
            // SELECT pg_catalog.setval('public.t_id_seq', 42, true);
            guard words.contains("SETVAL"), let literal = tokens.first(where: { if case .literal = $0 { return true } else { return false } }),
                  case .literal(let text?) = literal else { return nil }
            let parts = SQLWords.tokens(text.utf8)
            return SQLWords.qualifiedName(in: parts, at: 0).map { [$0.name] }
        default:
            return nil
        }
    }

    private static func name(_ tokens: [SQLWords.Token], _ start: Int) -> (String, Int)? {
        var index = start
        while index < tokens.count, ["ONLY", "IF", "EXISTS", "NOT"].contains(tokens[index].keyword ?? "") { index += 1 }
        return SQLWords.qualifiedName(in: tokens, at: index).map { ($0.name, $0.next) }
    }
}
