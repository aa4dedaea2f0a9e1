import Foundation
import PGClient

/// Runs post-data statements on several connections, as `pg_restore -j` does: statements that touch
/// different tables run at once (indexes and PK/UNIQUE constraints per table, then foreign keys
/// once both of their tables are done), and everything this cannot classify is a barrier that runs
/// alone, after all that came before it. A statement never starts before an earlier one it conflicts
/// with has finished, so the script's order is respected wherever it matters.
enum PostDataScheduler {
    /// How a statement locks a table: `CREATE INDEX` takes SHARE, which other index builds on the same
    /// table do not conflict with; everything else here is treated as exclusive. Unique index builds
    /// of one table still run one at a time, in script order: a foreign key binds to the referenced
    /// table's matching unique index with the lowest OID, so their creation order must stay the
    /// dump's.
    enum LockMode: Equatable {
        case shared, sharedUnique, exclusive
    }

    static func run(_ statements: [ScriptStatement], connections: [PostgresConnection]) async throws {
        guard !statements.isEmpty else { return }
        if connections.count == 1 || statements.allSatisfy({ locks(of: $0.sql) == nil }) {
            for statement in statements { try await execute(statement, on: connections[0]) }
            return
        }
        // Partitioned tables and partitions keep their constraints as dumped (USING INDEX does not
        // apply to them, and their indexes are attached to each other).
        let partitioned = Set(try await connections[0].query(Self.partitionedTablesSQL).rows.map { try $0.decode(String.self, "name") })
        let statements = splitConstraints(statements, skipping: partitioned)
        let lockSets = statements.map { locks(of: $0.sql) }
        var started = Array(repeating: false, count: statements.count)
        var done = Array(repeating: false, count: statements.count)
        var firstOpen = 0
        // Of the statements that may start, the slow index kinds first (a GIN build is usually the
        // longest single step of a restore), then script order.
        let slow = statements.map { isSlowIndexBuild($0.sql) }
        func nextRunnable() -> Int? {
            var best: Int?
            var index = firstOpen
            while index < statements.count {
                if !started[index] {
                    var blocked = false
                    for earlier in firstOpen..<index where !done[earlier] && conflicts(lockSets[earlier], lockSets[index]) {
                        blocked = true
                        break
                    }
                    if !blocked {
                        if slow[index] { return index }
                        if best == nil { best = index }
                    }
                    // Nothing can pass an unstarted barrier.
                    if lockSets[index] == nil { return best }
                }
                index += 1
            }
            return best
        }
        try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            var idle = Array(connections.indices.reversed())
            var running = 0
            while true {
                while !idle.isEmpty, let index = nextRunnable() {
                    let slot = idle.removeLast()
                    started[index] = true
                    running += 1
                    let statement = statements[index]
                    // A session setting (pg_dump's `SET default_tablespace = …` before an index in
                    // another tablespace) is a barrier, so it runs alone: on every connection, since
                    // the statements after it may run on any of them.
                    let targets = lockSets[index] == nil && ScriptRunner.isSessionSetting(statement.sql) ? connections : [connections[slot]]
                    group.addTask {
                        for connection in targets { try await execute(statement, on: connection) }
                        return (index, slot)
                    }
                }
                if running == 0 { break }
                let (index, slot) = try await group.next()!
                running -= 1
                done[index] = true
                idle.append(slot)
                while firstOpen < statements.count && done[firstOpen] { firstOpen += 1 }
            }
        }
    }

    /// Whether two statements' locks conflict (a barrier, nil, conflicts with everything).
    static func conflicts(_ a: [String: LockMode]?, _ b: [String: LockMode]?) -> Bool {
        guard let a, let b else { return true }
        return a.contains { table, mode in
            guard let other = b[table] else { return false }
            return mode == .exclusive || other == .exclusive || (mode == .sharedUnique && other == .sharedUnique)
        }
    }

    static func execute(_ statement: ScriptStatement, on connection: PostgresConnection) async throws {
        do { try await connection.execute(statement.sql) }
        catch { throw ScriptRunner.failure(error, source: statement.source, line: statement.line, sql: statement.sql) }
    }

    /// A GIN, GiST or SP-GiST index build: far slower per row than a B-tree.
    static func isSlowIndexBuild(_ sql: String) -> Bool {
        let words = SQLWords.tokens(sql.utf8).map { $0.keyword ?? "" }
        guard words.first == "CREATE", words.dropFirst().prefix(2).contains("INDEX"), let using = words.firstIndex(of: "USING"),
              using + 1 < words.count else { return false }
        return ["GIN", "GIST", "SPGIST"].contains(words[using + 1])
    }

    /// The tables a statement locks (`schema.name` as the server folds them), when it is one this
    /// scheduler knows to be independent of statements on other tables; nil for anything else (a barrier).
    static func lockSet(of sql: String) -> Set<String>? {
        locks(of: sql).map { Set($0.keys) }
    }

    /// `lockSet` with the lock modes.
    static func locks(of sql: String) -> [String: LockMode]? {
        guard let tables = exclusiveLockSet(of: sql) else { return nil }
        let words = SQLWords.tokens(sql.utf8).map { $0.keyword ?? "" }
        let head = words.prefix(3)
        let isIndexBuild = head.first == "CREATE" && head.dropFirst().contains("INDEX") && !words.contains("CONCURRENTLY")
        let mode: LockMode = !isIndexBuild ? .exclusive : head.contains("UNIQUE") ? .sharedUnique : .shared
        return Dictionary(uniqueKeysWithValues: tables.map { ($0, mode) })
    }

    private static let identifier = #"(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)"#
    private static let plainKeyConstraint = try! NSRegularExpression(pattern:
        #"^ALTER TABLE (ONLY )?(\S+)\s+ADD CONSTRAINT ("# + identifier + #") (PRIMARY KEY|UNIQUE) \(("#
        + identifier + "(?:, " + identifier + #")*)\);\s*$"#)

    /// Splits plain PRIMARY KEY / UNIQUE constraints (`ALTER TABLE [ONLY] t ADD CONSTRAINT c PRIMARY
    /// KEY|UNIQUE (columns);`, nothing more) into `CREATE UNIQUE INDEX c ON t USING btree (columns)`,
    /// which takes a SHARE lock and so builds at the same time as the table's other indexes, and
    /// `ALTER TABLE … ADD CONSTRAINT c … USING INDEX c`, instant, moved after the table's later index
    /// builds (before the next statement that needs the table exclusively, or any barrier). The
    /// constraint, its index and their names end up exactly as the dumped statement makes them;
    /// only the order of work changes. Constraints with options (INCLUDE, WITH, DEFERRABLE, NULLS NOT
    /// DISTINCT, a tablespace) and those on `skipping` tables are kept as they are.
    static func splitConstraints(_ statements: [ScriptStatement], skipping: Set<String>) -> [ScriptStatement] {
        var result: [ScriptStatement] = []
        var deferred: [(table: String, statement: ScriptStatement)] = []
        func flush(_ tables: Set<String>?) {
            let (now, later) = deferred.reduce(into: ([ScriptStatement](), [(table: String, statement: ScriptStatement)]())) { parts, item in
                if tables == nil || tables!.contains(item.table) { parts.0.append(item.statement) } else { parts.1.append(item) }
            }
            result += now
            deferred = later
        }
        for statement in statements {
            let sql = statement.sql.trimmingCharacters(in: .whitespacesAndNewlines)
            let range = NSRange(sql.startIndex..., in: sql)
            if let match = plainKeyConstraint.firstMatch(in: sql, range: range),
               let tables = lockSet(of: sql), tables.count == 1, let table = tables.first, !skipping.contains(table),
               table.contains("."),  // schema-qualified, as dumped: the skip set holds qualified names
               let tableText = Range(match.range(at: 2), in: sql).map({ String(sql[$0]) }),
               let name = Range(match.range(at: 3), in: sql).map({ String(sql[$0]) }),
               let kind = Range(match.range(at: 4), in: sql).map({ String(sql[$0]) }),
               let columns = Range(match.range(at: 5), in: sql).map({ String(sql[$0]) }) {
                result.append(ScriptStatement(sql: "CREATE UNIQUE INDEX \(name) ON \(tableText) USING btree (\(columns));",
                                              line: statement.line, source: statement.source))
                let only = Range(match.range(at: 1), in: sql).map { String(sql[$0]) } ?? ""
                deferred.append((table, ScriptStatement(sql: "ALTER TABLE \(only)\(tableText)\n    ADD CONSTRAINT \(name) \(kind) USING INDEX \(name);",
                                                        line: statement.line, source: statement.source)))
                continue
            }
            if let locks = locks(of: statement.sql) {
                flush(Set(locks.filter { $0.value == .exclusive }.keys))
            } else {
                flush(nil)
            }
            result.append(statement)
        }
        flush(nil)
        return result
    }

    /// The tables a statement locks, ignoring lock modes; nil for a barrier.
    private static func exclusiveLockSet(of sql: String) -> Set<String>? {
        let tokens = SQLWords.tokens(sql.utf8)
        let words = tokens.map { $0.keyword ?? "" }
        func name(after index: Int) -> (String, Int)? {
            var index = index
            while index < words.count, ["ONLY", "IF", "EXISTS", "NOT"].contains(words[index]) { index += 1 }
            return SQLWords.qualifiedName(in: tokens, at: index).map { ($0.name, $0.next) }
        }
        guard let first = words.first else { return nil }
        if first == "CREATE", let on = words.firstIndex(of: "ON"), words.dropFirst().prefix(2).contains("INDEX") {
            guard let (table, _) = name(after: on + 1) else { return nil }
            return [table]
        }
        if first == "ALTER", words.count > 2, words[1] == "TABLE", let (table, next) = name(after: 2) {
            guard next + 1 < words.count, words[next] == "ADD", words[next + 1] == "CONSTRAINT" else { return nil }
            let rest = words[(next + 2)...]
            if rest.contains("FOREIGN"), let references = words.firstIndex(of: "REFERENCES"),
               let (target, _) = name(after: references + 1) {
                return [table, target]
            }
            if rest.contains("PRIMARY") || rest.contains("UNIQUE") || rest.contains("EXCLUDE") || rest.contains("CHECK") {
                return [table]
            }
        }
        return nil
    }
}
