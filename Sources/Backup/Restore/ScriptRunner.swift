import Foundation
import PGClient

/// Runs a restore's events on the target, stopping at the first error as `psql -v ON_ERROR_STOP=1`
/// does: statements and streamed COPY blocks in order on the first connection; whole data members
/// on whichever connection is free; post-data batches through `PostDataScheduler`.
///
/// Session settings the script makes (`SET …`, `set_config(…)`) are replayed on every other connection
/// before it runs anything, so all of them see the script's search_path, encoding and so on.
final class ScriptRunner {
    let connections: [PostgresConnection]
    private var sessionStatements: [String] = []
    private var applied: [Int]
    private var source = "script"
    /// Rows loaded by COPY.
    private(set) var rows: Int64 = 0
    private(set) var statements = 0

    private let preserveRowOrder: Bool
    private let filter: RestoreFilter
    /// Data members loaded with `COPY … WITH (FREEZE)`: outside `inTransaction`, each in its own
    /// transaction that first truncates the (new, empty) table.
    private let freezeMembers: Set<String>
    /// The whole restore runs in one transaction (`--single-transaction`): the script's own `BEGIN;`
    /// and `COMMIT;` (pg_dump's around large objects) are left out.
    private let inTransaction: Bool

    /// The head of post-data, run on spare connections while other tables still load.
    private let early: EarlyPostData?
    /// Statements of `early` already run, left out when the post-data member arrives.
    private var earlyDone: Set<EarlyPostData.Key> = []

    init(connections: [PostgresConnection], preserveRowOrder: Bool, filter: RestoreFilter = RestoreFilter(noOwner: false, noPrivileges: false),
         freezeMembers: Set<String> = [], inTransaction: Bool = false, early: EarlyPostData? = nil) {
        precondition(!connections.isEmpty)
        self.early = connections.count > 1 && !inTransaction ? early : nil
        self.connections = connections
        self.preserveRowOrder = preserveRowOrder
        self.filter = filter
        self.freezeMembers = freezeMembers
        self.inTransaction = inTransaction
        self.applied = Array(repeating: 0, count: connections.count)
    }

    func run(_ channel: HandoffChannel<RestoreEvent>) async throws {
        // (connection, rows loaded, the data member's table, the early post-data entry)
        try await withThrowingTaskGroup(of: (Int, Int64, String?, Int?).self) { group in
            var idle = Array(connections.indices.reversed())
            var busy = 0
            // The table each busy connection is loading.
            var loading: [Int: String] = [:]
            // Early post-data: data members not yet loaded per table; entries started and done.
            var remaining = early?.members ?? [:]
            var earlyStarted = Array(repeating: false, count: early?.entries.count ?? 0)
            var earlyFinished = earlyStarted
            var earlyRunning = 0
            var earlyOpen = early != nil
            // Connections that ran post-data's leading settings (its `SET default_tablespace = ''`
            // and so on: pre-data may have left another value in effect).
            var earlySettled: Set<Int> = []
            func reclaim() async throws {
                guard let (index, loaded, table, entry) = try await group.next() else { return }
                idle.append(index)
                loading[index] = nil
                busy -= 1
                rows += loaded
                if let table, remaining[table] != nil { remaining[table]! -= 1 }
                if let entry, let early {
                    earlyFinished[entry] = true
                    earlyRunning -= 1
                    earlyDone.insert(EarlyPostData.Key(line: early.entries[entry].statement.line, sql: early.entries[entry].statement.sql))
                    statements += 1
                }
            }
            // Starts what may run of the head of post-data on idle connections other than the first
            // (which runs the script's own statements), keeping at least one connection loading;
            // with `everywhere` (the data is all in), on every idle connection.
            func launchEarly(everywhere: Bool = false) {
                guard earlyOpen, let early else { return }
                guard early.settingsApplied(sessionStatements) else { earlyOpen = false; return }
                while everywhere || earlyRunning < connections.count - 1, let slot = idle.lastIndex(where: { everywhere || $0 != 0 }),
                      let entry = early.next(started: earlyStarted, done: earlyFinished, remaining: remaining) {
                    let index = idle.remove(at: slot)
                    earlyStarted[entry] = true
                    earlyRunning += 1
                    busy += 1
                    let connection = connections[index]
                    var pending = Array(sessionStatements[applied[index]...])
                    applied[index] = sessionStatements.count
                    if earlySettled.insert(index).inserted { pending += early.leadingSettings }
                    let statement = early.entries[entry].statement
                    group.addTask {
                        for setting in pending { try await connection.execute(setting) }
                        try await PostDataScheduler.execute(statement, on: connection)
                        return (index, 0, nil, entry)
                    }
                }
            }
            while let event = try await channel.receive() {
                switch event {
                case .source(let name):
                    source = name
                case .script(let scriptEvent):
                    // The script's statements run on the first connection once no data member loads;
                    // early post-data statements (never on the first connection here, on other
                    // tables than any the script touches: the data section's setval and large
                    // objects) go on beside them.
                    while busy > earlyRunning { try await reclaim() }
                    try await run(scriptEvent, channel: channel)
                case .data(let block):
                    launchEarly()
                    // With `preserveRowOrder`, one table's members load in archive order, one at a
                    // time, so the table keeps the source's physical row order; otherwise a large
                    // table loads on every connection at once.
                    while idle.isEmpty || (preserveRowOrder && block.table != nil && loading.values.contains(block.table!)) {
                        try await reclaim()
                        launchEarly()
                    }
                    let index = idle.removeLast()
                    loading[index] = block.table
                    let connection = connections[index]
                    let pending = Array(sessionStatements[applied[index]...])
                    applied[index] = sessionStatements.count
                    busy += 1
                    let freeze = freezeMembers.contains(block.source) ? (inTransaction ? Freeze.inTransaction : .truncating) : Freeze.none
                    let table = block.table
                    group.addTask {
                        for statement in pending { try await connection.execute(statement) }
                        return (index, try await Self.load(block, on: connection, freeze: freeze), table, nil)
                    }
                case .statements(var batch):
                    batch.removeAll { filter.skips($0.sql) }
                    // All data is in: the head of post-data may use every connection, then the rest
                    // of the batch runs as before.
                    launchEarly(everywhere: true)
                    while busy > 0 {
                        try await reclaim()
                        launchEarly(everywhere: true)
                    }
                    earlyOpen = false
                    if !earlyDone.isEmpty { batch.removeAll { earlyDone.contains(EarlyPostData.Key(line: $0.line, sql: $0.sql)) } }
                    try await applySessionEverywhere()
                    try await PostDataScheduler.run(batch, connections: connections)
                    statements += batch.count
                }
            }
            while busy > 0 { try await reclaim() }
        }
    }

    private func run(_ event: ScriptEvent, channel: HandoffChannel<RestoreEvent>) async throws {
        let main = connections[0]
        switch event {
        case .statement(let sql, let line):
            if filter.skips(sql) { return }
            if inTransaction, ["BEGIN", "COMMIT"].contains(sql.trimmingCharacters(in: .whitespacesAndNewlines).uppercased().replacingOccurrences(of: ";", with: "")) {
                return
            }
            if Self.isSessionSetting(sql) {
                sessionStatements.append(sql)
                applied[0] = sessionStatements.count
            }
            do { try await main.execute(sql) }
            catch { throw Self.failure(error, source: source, line: line, sql: sql) }
            statements += 1
        case .copy(let copySQL, let line):
            var sql = copySQL
            let freeze = freezeMembers.contains(source) ? (inTransaction ? Freeze.inTransaction : .truncating) : Freeze.none
            if freeze != .none, let frozen = Self.freezing(copySQL) { sql = frozen.copy; if freeze == .truncating {
                do { try await main.execute("BEGIN; TRUNCATE ONLY \(try await main.quoteQualifiedName(schema: frozen.schema, name: frozen.name))") }
                catch { throw Self.failure(error, source: source, line: line, sql: copySQL) }
            } }
            do {
                rows += try await main.copyIn(sql) {
                    guard let next = try channel.receiveBlocking() else { return nil }
                    switch next {
                    case .script(.copyData(let bytes)): return bytes
                    case .script(.copyEnd): return nil
                    default: throw BackupError(.restoreFailed, "internal error: COPY data expected")
                    }
                }
                if freeze == .truncating && sql != copySQL { try await main.execute("COMMIT") }
            } catch {
                if freeze == .truncating && sql != copySQL { try? await main.execute("ROLLBACK") }
                throw Self.failure(error, source: source, line: line, sql: sql)
            }
            statements += 1
        case .copyData, .copyEnd:
            throw BackupError(.restoreFailed, "\(source): COPY data outside a COPY block")
        }
    }

    private func applySessionEverywhere() async throws {
        for index in connections.indices where applied[index] < sessionStatements.count {
            for statement in sessionStatements[applied[index]...] { try await connections[index].execute(statement) }
            applied[index] = sessionStatements.count
        }
    }

    enum Freeze: Equatable { case none, truncating, inTransaction }

    /// `COPY t (…) FROM stdin;` → `COPY t (…) FROM stdin WITH (FREEZE);` and `t` as written (the
    /// member's own, checksummed, text), for pg_dump's COPY lines only.
    static func freezing(_ copySQL: String) -> (copy: String, schema: String, name: String)? {
        let trimmed = copySQL.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("COPY "), trimmed.hasSuffix(" FROM stdin;") else { return nil }
        let tokens = SQLWords.tokens(trimmed.utf8)
        guard tokens.count >= 4, tokens[2] == .symbol("."), let schema = tokens[1].identifier, let name = tokens[3].identifier else { return nil }
        return (String(trimmed.dropLast(1)) + " WITH (FREEZE);", schema, name)
    }

    /// Loads one whole data member; with `freeze`, as `COPY … WITH (FREEZE)`.
    static func load(_ block: DataBlock, on connection: PostgresConnection, freeze: Freeze = .none) async throws -> Int64 {
        var offset = block.rows.lowerBound
        let end = block.rows.upperBound
        var sql = block.copySQL
        var truncating = false
        if freeze != .none, let frozen = freezing(block.copySQL) {
            sql = frozen.copy
            if freeze == .truncating {
                truncating = true
                do { try await connection.execute("BEGIN; TRUNCATE ONLY \(try await connection.quoteQualifiedName(schema: frozen.schema, name: frozen.name))") }
                catch { throw failure(error, source: block.source, line: 1, sql: block.copySQL) }
            }
        }
        do {
            let rows = try await connection.copyIn(sql) {
                guard offset < end else { return nil }
                let next = min(end, offset + 256 * 1024)
                defer { offset = next }
                return Array(block.body[offset..<next])
            }
            if truncating { try await connection.execute("COMMIT") }
            return rows
        } catch {
            if truncating { try? await connection.execute("ROLLBACK") }
            throw failure(error, source: block.source, line: 1, sql: block.copySQL)
        }
    }

    static func failure(_ error: any Error, source: String, line: Int, sql: String) -> any Error {
        if error is BackupError || error is CancellationError { return error }
        let preview = Self.redactedPreview(sql)
        return BackupError(.scriptError, "restore failed at \(source) line \(line) (\(preview)): \(error)")
    }

    /// `SET …` (not `SET LOCAL`, `SET CONSTRAINTS`, `SET TRANSACTION`), `RESET …` and
    /// `SELECT pg_catalog.set_config(…)`. pg_dump writes `SET SESSION AUTHORIZATION grantor; GRANT …;
    /// RESET SESSION AUTHORIZATION;` for grants made by another role: the RESET is replayed too.
    static func isSessionSetting(_ sql: String) -> Bool {
        let words = SQLWords.words(sql.utf8.prefix(200))
        guard let first = words.first else { return false }
        if first == "RESET" { return true }
        if first == "SET" { return !["LOCAL", "CONSTRAINTS", "TRANSACTION"].contains(words.dropFirst().first ?? "") }
        return first == "SELECT" && words.dropFirst().starts(with: ["PG_CATALOG", "SET_CONFIG"])
    }

    /// The statement's first line, at most 100 characters, with string literals blanked (`'…'`): a failing
    /// `ALTER ROLE … PASSWORD '…'` or `CREATE SUBSCRIPTION … CONNECTION '…password=…'` must not put its
    /// secret on stderr or into the run history.
    static func redactedPreview(_ sql: String) -> String {
        let line = sql.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        var out = ""
        var inString = false
        for character in line {
            if character == "'" {
                if !inString { out += "'…'" }
                inString.toggle()
                continue
            }
            // Never echo control characters or undecodable bytes of a file to the terminal.
            if !inString { out.append(character.isASCII && !(character.isLetter || character.isNumber || character.isPunctuation || character.isSymbol || character == " ") || character == "\u{FFFD}" ? "?" : character) }
        }
        return String(out.prefix(100))
    }
}
