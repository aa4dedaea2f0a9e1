import Foundation

/// `restore --jobs`: the index and key builds at the head of the post-data member, started on a spare
/// connection as soon as every data member of their tables has loaded, while other tables still load
/// (as `pg_restore -j` starts a table's indexes once its data is in). A large table's GIN build then
/// overlaps the loading of the others instead of running after all of it.
///
/// Only the head of post-data qualifies: the statements before the first one `PostDataScheduler`
/// cannot classify (a barrier: a trigger, a comment, an unknown statement), each touching only
/// tables whose rows the manifest lists. A statement waits for every earlier one it conflicts with
/// (the scheduler's rule); one on a table outside the manifest (a materialized view, a partitioned
/// parent) never runs early and holds back the later ones that conflict with it. The rest of post-data
/// runs as before, when the member arrives, without the statements already done. Off when the
/// member's leading session settings differ from those already in effect (they are pg_dump's
/// standard header in every member).
struct EarlyPostData: Sendable {
    struct Entry: Sendable {
        var statement: ScriptStatement
        var locks: [String: PostDataScheduler.LockMode]
        /// False for a statement on a table outside the manifest: it only blocks conflicting later ones.
        var eligible: Bool
        var slow: Bool
    }

    /// The post-data member's leading `SET …` statements.
    let leadingSettings: [String]
    let entries: [Entry]
    /// Data members per table (`schema.name`), from the manifest's tables.
    let members: [String: Int]

    /// Key of a statement of the post-data member, to leave it out when the member arrives.
    struct Key: Hashable, Sendable {
        var line: Int
        var sql: String
    }

    /// - Returns: nil when nothing at the head of `body` can run early.
    init?(postData body: [UInt8], source: String, tables: [BackupManifest.Table], filter: RestoreFilter) throws {
        let statements = try SQLScriptSplitter.statements(in: body, source: source)
        var members: [String: Int] = [:]
        for table in tables { members["\(table.schema).\(table.name)"] = table.members.count }
        var settings: [String] = []
        var entries: [Entry] = []
        for statement in statements {
            if entries.isEmpty && ScriptRunner.isSessionSetting(statement.sql) {
                settings.append(statement.sql)
                continue
            }
            if filter.skips(statement.sql) { continue }
            guard !ScriptRunner.isSessionSetting(statement.sql), let locks = PostDataScheduler.locks(of: statement.sql) else { break }
            entries.append(Entry(statement: statement, locks: locks, eligible: locks.keys.allSatisfy { members[$0] != nil },
                                 slow: PostDataScheduler.isSlowIndexBuild(statement.sql)))
        }
        guard entries.contains(where: \.eligible) else { return nil }
        self.leadingSettings = settings
        self.entries = entries
        self.members = members
    }

    /// Whether the member's leading settings are all in effect already (the same statements ran
    /// earlier in the restore).
    func settingsApplied(_ applied: [String]) -> Bool {
        let have = Set(applied.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        return leadingSettings.allSatisfy { have.contains($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// The entry to start next: eligible, not started, every table fully loaded (`remaining` 0), no
    /// earlier unfinished entry conflicting with it; slow index builds first, then script order.
    func next(started: [Bool], done: [Bool], remaining: [String: Int]) -> Int? {
        var best: Int?
        // Entries before the first unfinished one block nothing.
        let firstOpen = done.firstIndex(of: false) ?? entries.count
        for index in entries.indices where !started[index] && entries[index].eligible {
            guard entries[index].locks.keys.allSatisfy({ remaining[$0] == 0 }) else { continue }
            let blocked = (firstOpen..<index).contains { !done[$0] && PostDataScheduler.conflicts(entries[$0].locks, entries[index].locks) }
            if blocked { continue }
            if entries[index].slow { return index }
            if best == nil { best = index }
        }
        return best
    }
}
