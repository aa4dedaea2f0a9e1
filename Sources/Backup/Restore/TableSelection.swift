import Foundation

/// `restore --table T`: the tables to restore and the statements that belong to them.
///
/// What a table brings is what `pg_dump -t T` writes for it: its `CREATE TABLE` (and owner), column
/// defaults, the sequences it owns (serial and identity) with their values, CHECK/PRIMARY KEY/UNIQUE/
/// EXCLUDE and foreign-key constraints, indexes, triggers, rules, row-level security and policies,
/// comments, security labels and grants on all of these, its partition attachment and its rows.
/// pg_dump's `-- Name: …; Type: …; Schema: …` header before each object says what kind of object a
/// group of statements is; the statements themselves say which table it belongs to (a header's
/// name is ambiguous: `t a b` may be table `t a`'s trigger `b`).
///
/// Not kept: schemas, types, functions, extended statistics, publications, views and other tables
/// the selected ones depend on — they must exist in the target already. Where pg_dump's `-t` output
/// could not load, the statement is left out with a notice instead: a foreign key to a table that is
/// neither selected nor in the target, and a partition's `ATTACH PARTITION` (with its index
/// attachments and its inherited triggers' settings) when its parent is not selected — attaching
/// to a parent that already has indexes would create the partition's indexes a second time.
package struct TableSelection: Sendable {
    /// `schema.name` of each selected table, as the manifest names it.
    package let tables: Set<String>
    /// Tables (`schema.name`) the target already holds: foreign keys to them are kept.
    package var targetTables: Set<String> = []
    /// Reset each restored table's and sequence's privileges to its owner's default before the dump's
    /// grants apply (see `resetPrivilegesSQL`); not with `--no-privileges`.
    package var resetsPrivileges = false

    /// Resolves names (`schema.name`, or `name` when it is unique) against a backup's tables: those
    /// with rows, and the others pg_dump's pre-data names (partitioned tables, tables whose data was
    /// excluded). A partitioned table brings its partitions, at every level (as pg_dump 16's
    /// `--table-and-children` does): its rows are theirs.
    /// - Parameter preData: the archive's pre-data member, where the partitions are found; nil
    ///   only to check the names early.
    package init(names: [String], manifest: BackupManifest, preData: [UInt8]? = nil) throws {
        var known = manifest.tables.map { (schema: $0.schema, name: $0.name) }
        var seen = Set(manifest.tables.map(\.displayName))
        for item in manifest.members.first(where: { $0.kind == .preData })?.items ?? [] where item.kind == "TABLE" {
            guard let schema = item.schema, seen.insert("\(schema).\(item.name)").inserted else { continue }
            known.append((schema, item.name))
        }
        var selected: Set<String> = []
        for name in names {
            let matches = known.filter { "\($0.schema).\($0.name)" == name || (!name.contains(".") && $0.name == name) }
            guard !matches.isEmpty else {
                throw BackupError(.usage, "--table \(name): backup \(manifest.id) has no table \(name) (give schema.name; the manifest's tables list those with rows)")
            }
            guard matches.count == 1 else {
                throw BackupError(.usage, "--table \(name) is ambiguous: \(matches.map { "\($0.schema).\($0.name)" }.joined(separator: ", ")); give schema.name")
            }
            selected.insert("\(matches[0].schema).\(matches[0].name)")
        }
        if let preData {
            let partitions = Self.partitions(in: preData)
            var pending = Array(selected)
            while let table = pending.popLast() {
                for child in partitions[table] ?? [] where selected.insert(child).inserted { pending.append(child) }
            }
        }
        tables = selected
        let byName = Dictionary(known.map { ("\($0.schema).\($0.name)", $0) }, uniquingKeysWith: { first, _ in first })
        let withRows = Dictionary(manifest.tables.map { ($0.displayName, $0) }, uniquingKeysWith: { first, _ in first })
        // Tables with rows in the manifest's order, then the others.
        selectedTables = manifest.tables.filter { selected.contains($0.displayName) }
            + selected.filter { withRows[$0] == nil }.sorted().compactMap { byName[$0] }.map {
                BackupManifest.Table(schema: $0.schema, name: $0.name, qualifiedName: "", rows: 0, bytes: 0, members: [])
            }
    }

    /// The selected tables: the manifest's entries, and rowless entries for the others (partitioned tables).
    package private(set) var selectedTables: [BackupManifest.Table] = []

    /// Partitioned table → its partitions (`schema.name`), from pg_dump's `TABLE ATTACH` objects
    /// (`ALTER TABLE ONLY parent ATTACH PARTITION child …`).
    static func partitions(in preData: [UInt8]) -> [String: [String]] {
        var partitions: [String: [String]] = [:]
        for item in PgDumpScript.items(in: preData) where item.kind == "TABLE ATTACH" {
            let start = Int(item.offset), end = min(preData.count, start + Int(item.length))
            let tokens = SQLWords.tokens(preData[start..<end], limit: 8192)
            let words = tokens.map { $0.keyword ?? "" }
            guard let alter = words.firstIndex(of: "ALTER"), alter + 1 < words.count, words[alter + 1] == "TABLE",
                  let (parent, _) = name(tokens, alter + 2), let index = words.firstIndex(of: "PARTITION"),
                  let (child, _) = name(tokens, index + 1) else { continue }
            partitions[parent, default: []].append(child)
        }
        return partitions
    }

    init(tables: Set<String>, targetTables: Set<String> = []) {
        self.tables = tables
        self.targetTables = targetTables
    }

    func contains(table: String?) -> Bool {
        table.map(tables.contains) ?? false
    }

    /// The filter over a restore's schema members, in archive order (it learns which sequences and
    /// indexes belong to which table as it goes).
    func filter() -> Filter { Filter(selection: self) }

    /// The statements of schema members that belong to the selected tables.
    struct Filter {
        let selection: TableSelection
        /// Sequence (`schema.name`) → the table owning it (`OWNED BY`, identity).
        private(set) var sequences: [String: String] = [:]
        /// Index (`schema.name`, also constraints' indexes) → its table.
        private(set) var indexes: [String: String] = [:]
        /// Selected partitions restored without their `ATTACH PARTITION`.
        private(set) var detached: Set<String> = []
        /// What was left out and why, one line each.
        private(set) var notes: [String] = []

        init(selection: TableSelection) {
            self.selection = selection
        }

        /// The statements of one schema member to run.
        /// - Parameters:
        ///   - statements: the member's statements, as split, with their lines.
        ///   - body: the member's text, whose pg_dump headers group the statements into objects;
        ///     without headers (not pg_dump's output) each statement is judged on its own.
        mutating func filter(_ statements: [ScriptStatement], body: [UInt8]) -> [ScriptStatement] {
            let items = PgDumpScript.items(in: body)
            guard !items.isEmpty else { return selection.filterStatements(statements) }
            // Line of each item's first byte; a statement belongs to the last item starting at or before it.
            var starts: [Int] = []
            var line = 1
            var position = 0
            for item in items {
                let offset = Int(item.offset)
                while position < offset { if body[position] == 0x0A { line += 1 }; position += 1 }
                starts.append(line)
            }
            var groups: [[ScriptStatement]] = Array(repeating: [], count: items.count)
            var preamble: [ScriptStatement] = []
            var index = -1
            for statement in statements {
                while index + 1 < starts.count && starts[index + 1] <= statement.line { index += 1 }
                if index < 0 { preamble.append(statement) } else { groups[index].append(statement) }
            }
            let objects = zip(items, groups).map { Object(item: $0, statements: $1) }
            for object in objects { learn(object) }
            var kept = preamble.filter { ScriptRunner.isSessionSetting($0.sql) }
            for object in objects {
                if keeps(object) {
                    kept += object.statements
                    if selection.resetsPrivileges, ["TABLE", "SEQUENCE"].contains(object.item.kind), let schema = object.item.schema, let last = object.statements.last {
                        let relation = Self.quoted(schema) + "." + Self.quoted(object.item.name)
                        kept.append(ScriptStatement(sql: TableSelection.resetPrivilegesSQL(relation: relation, kind: object.item.kind),
                                                    line: last.line, source: last.source))
                    }
                } else {
                    // pg_dump's SET default_tablespace / default_table_access_method sit between objects.
                    kept += object.statements.filter { ScriptRunner.isSessionSetting($0.sql) && !Self.isAuthorization($0.sql) }
                }
            }
            return kept
        }

        struct Object {
            let item: BackupManifest.Item
            let statements: [ScriptStatement]
            /// Tokens of the object's first statement that is not a session setting.
            let tokens: [SQLWords.Token]
            let words: [String]

            init(item: BackupManifest.Item, statements: [ScriptStatement]) {
                self.item = item
                self.statements = statements
                let first = statements.first { !ScriptRunner.isSessionSetting($0.sql) }
                tokens = first.map { SQLWords.tokens($0.sql.utf8, limit: 8192) } ?? []
                words = tokens.map { $0.keyword ?? "" }
            }

            var headerName: String { "\(item.schema ?? "").\(item.name)" }

            /// The qualified name after the first `keyword` (skipping ONLY, IF EXISTS, …).
            func name(after keyword: String, from start: Int = 0) -> String? {
                guard start < words.count, let index = words[start...].firstIndex(of: keyword) else { return nil }
                return TableSelection.name(tokens, index + 1)?.0
            }

            /// `ALTER TABLE [ONLY] t …` → t.
            var alteredTable: String? {
                guard words.starts(with: ["ALTER", "TABLE"]) else { return nil }
                return TableSelection.name(tokens, 2)?.0
            }

            var objectDescription: String {
                "\(item.kind) \(item.schema.map { "\($0)." } ?? "")\(item.name)"
            }
        }

        /// Records the sequences and indexes that belong to tables.
        private mutating func learn(_ object: Object) {
            switch object.item.kind {
            case "SEQUENCE":
                // Identity: ALTER TABLE t ALTER COLUMN c ADD GENERATED … AS IDENTITY (SEQUENCE NAME s …)
                if let table = object.alteredTable { sequences[object.headerName] = table }
            case "SEQUENCE OWNED BY":
                // ALTER SEQUENCE s OWNED BY t.c
                let words = object.words
                guard words.starts(with: ["ALTER", "SEQUENCE"]), let (sequence, next) = TableSelection.name(object.tokens, 2),
                      next + 1 < words.count, words[next] == "OWNED", words[next + 1] == "BY",
                      let (column, _) = TableSelection.name(object.tokens, next + 2) else { return }
                sequences[sequence] = Self.dropLastPart(column)
            case "INDEX":
                // CREATE [UNIQUE] INDEX name ON [ONLY] t …: the index lives in its table's schema.
                if let table = object.name(after: "ON"), let index = object.words.firstIndex(of: "INDEX"),
                   index + 1 < object.tokens.count, let name = object.tokens[index + 1].identifier {
                    indexes["\(Self.schema(of: table)).\(name)"] = table
                }
            case "CONSTRAINT":
                // PRIMARY KEY, UNIQUE and EXCLUDE constraints have an index of their name.
                if let table = object.alteredTable, let index = object.words.firstIndex(of: "CONSTRAINT"),
                   let (name, _) = SQLWords.qualifiedName(in: object.tokens, at: index + 1) {
                    indexes["\(Self.schema(of: table)).\(name)"] = table
                }
            default:
                break
            }
        }

        /// Whether the object is one of a selected table's, and can load.
        private mutating func keeps(_ object: Object) -> Bool {
            let tables = selection.tables
            switch object.item.kind {
            case "TABLE":
                return tables.contains(object.headerName)
            case "DEFAULT", "CONSTRAINT", "CHECK CONSTRAINT", "ROW SECURITY":
                return object.alteredTable.map(tables.contains) ?? false
            case "FK CONSTRAINT":
                guard let table = object.alteredTable, tables.contains(table) else { return false }
                guard let referenced = object.name(after: "REFERENCES"),
                      tables.contains(referenced) || selection.targetTables.contains(referenced) else {
                    notes.append("\(object.objectDescription) left out: it references a table that is neither restored nor in the target")
                    return false
                }
                return true
            case "TABLE ATTACH":
                // ALTER TABLE ONLY parent ATTACH PARTITION child FOR VALUES …
                guard let child = object.name(after: "PARTITION"), tables.contains(child) else { return false }
                if let parent = object.alteredTable, tables.contains(parent) { return true }
                detached.insert(child)
                let statement = object.statements.first { !ScriptRunner.isSessionSetting($0.sql) }?.sql ?? ""
                notes.append("partition \(child) restored detached (its parent is not restored); to attach it: \(statement.replacingOccurrences(of: "\n", with: " "))")
                return false
            case "INDEX":
                guard let table = object.name(after: "ON") else { return false }
                return tables.contains(table)
            case "INDEX ATTACH":
                // ALTER INDEX parent_index ATTACH PARTITION child_index
                guard let index = object.name(after: "PARTITION"), let table = indexes[index] else { return false }
                return tables.contains(table) && !detached.contains(table)
            case "TRIGGER":
                // CREATE [CONSTRAINT] TRIGGER x … ON t, or for a trigger inherited from a partitioned
                // parent only ALTER TABLE t ENABLE|DISABLE TRIGGER x.
                if object.words.first == "CREATE" { return object.name(after: "ON").map(tables.contains) ?? false }
                guard let table = object.alteredTable, tables.contains(table) else { return false }
                return !detached.contains(table)
            case "POLICY":
                return object.name(after: "ON").map(tables.contains) ?? false
            case "RULE":
                // CREATE RULE r AS ON INSERT TO t DO …
                return object.name(after: "TO").map(tables.contains) ?? false
            case "SEQUENCE", "SEQUENCE OWNED BY", "SEQUENCE SET":
                return sequences[object.headerName].map(tables.contains) ?? false
            case "COMMENT", "SECURITY LABEL":
                return describedTable(object).map(tables.contains) ?? false
            case "ACL":
                return grantedTable(object).map(tables.contains) ?? false
            default:
                return false
            }
        }

        /// The table a `COMMENT ON …` / `SECURITY LABEL … ON …` is about, if any.
        private func describedTable(_ object: Object) -> String? {
            let words = object.words
            guard let on = words.firstIndex(of: "ON"), on + 1 < words.count else { return nil }
            switch words[on + 1] {
            case "TABLE": return TableSelection.name(object.tokens, on + 2)?.0
            case "COLUMN": return TableSelection.name(object.tokens, on + 2).map { Self.dropLastPart($0.0) }
            case "SEQUENCE": return TableSelection.name(object.tokens, on + 2).flatMap { sequences[$0.0] }
            case "INDEX": return TableSelection.name(object.tokens, on + 2).flatMap { indexes[$0.0] }
            case "CONSTRAINT":
                // COMMENT ON CONSTRAINT c ON t (not ON DOMAIN d)
                guard let second = words[(on + 2)...].firstIndex(of: "ON"), second + 1 < words.count, words[second + 1] != "DOMAIN" else { return nil }
                return TableSelection.name(object.tokens, second + 1)?.0
            case "TRIGGER", "POLICY", "RULE":
                return object.name(after: "ON", from: on + 2)
            default:
                return nil
            }
        }

        /// The table (or table-owned sequence) an ACL object's `GRANT`/`REVOKE`s are on.
        private func grantedTable(_ object: Object) -> String? {
            for statement in object.statements where !ScriptRunner.isSessionSetting(statement.sql) {
                let tokens = SQLWords.tokens(statement.sql.utf8, limit: 8192)
                let words = tokens.map { $0.keyword ?? "" }
                guard words.first == "GRANT" || words.first == "REVOKE", let on = words.firstIndex(of: "ON"), on + 1 < words.count else { continue }
                switch words[on + 1] {
                case "TABLE": return TableSelection.name(tokens, on + 2)?.0
                case "SEQUENCE": return TableSelection.name(tokens, on + 2).flatMap { sequences[$0.0] }
                default: return nil
                }
            }
            return nil
        }

        /// `SET SESSION AUTHORIZATION` / `RESET SESSION AUTHORIZATION` (around another grantor's grants).
        static func isAuthorization(_ sql: String) -> Bool {
            let words = SQLWords.words(sql.utf8.prefix(200))
            return (words.first == "SET" || words.first == "RESET") && words.dropFirst().starts(with: ["SESSION", "AUTHORIZATION"])
        }

        /// `"name"` with inner quotes doubled.
        static func quoted(_ identifier: String) -> String {
            "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }

        static func dropLastPart(_ name: String) -> String {
            name.split(separator: ".", omittingEmptySubsequences: false).dropLast().joined(separator: ".")
        }

        static func schema(of table: String) -> String {
            String(table.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        }
    }

    /// For scripts without pg_dump's headers: the statements to run, in order, each judged on its own.
    func filterStatements(_ statements: [ScriptStatement]) -> [ScriptStatement] {
        let parsed = statements.map { SQLWords.tokens($0.sql.utf8) }
        // Sequences owned by a selected table.
        var sequences: Set<String> = []
        for tokens in parsed {
            let words = tokens.map { $0.keyword ?? "" }
            guard words.starts(with: ["ALTER", "SEQUENCE"]), let (sequence, next) = Self.name(tokens, 2),
                  next + 1 < words.count, words[next] == "OWNED", words[next + 1] == "BY",
                  let (column, _) = Self.name(tokens, next + 2) else { continue }
            let table = Filter.dropLastPart(column)
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
            case "INDEX", "TRIGGER", "POLICY": return after("ON").map { [$0] }
            case "RULE": return after("TO").map { [$0] }
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
                return name(tokens, 3).map { [Filter.dropLastPart($0.0)] }
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

    static func name(_ tokens: [SQLWords.Token], _ start: Int) -> (String, Int)? {
        var index = start
        while index < tokens.count, ["ONLY", "IF", "EXISTS", "NOT"].contains(tokens[index].keyword ?? "") { index += 1 }
        return SQLWords.qualifiedName(in: tokens, at: index).map { ($0.name, $0.next) }
    }
}
