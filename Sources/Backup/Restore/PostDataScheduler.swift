import PGClient

/// Runs post-data statements on several connections, as `pg_restore -j` does: statements that touch
/// different tables run at once (indexes and PK/UNIQUE constraints per table, then foreign keys
/// once both of their tables are done), and everything this cannot classify is a barrier that runs
/// alone, after all that came before it. A statement never starts before an earlier one it conflicts
/// with has finished, so the script's order is respected wherever it matters.
enum PostDataScheduler {
    static func run(_ statements: [ScriptStatement], connections: [PostgresConnection]) async throws {
        guard !statements.isEmpty else { return }
        let locks = statements.map { lockSet(of: $0.sql) }
        if connections.count == 1 || locks.allSatisfy({ $0 == nil }) {
            for statement in statements { try await execute(statement, on: connections[0]) }
            return
        }
        var started = Array(repeating: false, count: statements.count)
        var done = Array(repeating: false, count: statements.count)
        var firstOpen = 0
        func conflicts(_ a: Set<String>?, _ b: Set<String>?) -> Bool {
            guard let a, let b else { return true }
            return !a.isDisjoint(with: b)
        }
        func nextRunnable() -> Int? {
            var index = firstOpen
            while index < statements.count {
                if !started[index] {
                    var blocked = false
                    for earlier in firstOpen..<index where !done[earlier] && conflicts(locks[earlier], locks[index]) {
                        blocked = true
                        break
                    }
                    if !blocked { return index }
                    // Nothing can pass an unstarted barrier.
                    if locks[index] == nil { return nil }
                }
                index += 1
            }
            return nil
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
                    let connection = connections[slot]
                    group.addTask {
                        try await execute(statement, on: connection)
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

    private static func execute(_ statement: ScriptStatement, on connection: PostgresConnection) async throws {
        do { try await connection.execute(statement.sql) }
        catch { throw ScriptRunner.failure(error, source: statement.source, line: statement.line, sql: statement.sql) }
    }

    /// The tables a statement locks, when it is one this scheduler knows to be independent of
    /// statements on other tables; nil for anything else (a barrier).
    static func lockSet(of sql: String) -> Set<String>? {
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
