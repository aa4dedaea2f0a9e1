@testable import Backup
import Foundation
import OpsCore
import PGClient
import Testing

/// `restore --table` against its oracle, `pg_dump -t`: for every table of the real-world fixture (and
/// every partitioned table, which brings its partitions), the statements the selection keeps from the
/// backup's schema members are the ones `pg_dump -t` writes for the same tables, section by section,
/// but for the partition attachments of partitions restored without their parent, which are named in
/// the notes. Then through the binary: restored tables are what `pg_dump -t` says they were.
@Suite("Restore --table", .serialized)
struct RestoreTableTests {
    @Test func theStatementsKeptForEachTableAreThosePgDumpTWrites() async throws {
        try await withFixtureBackup { source, result, _ in
            let manifest = result.manifest
            let preData = try ArchiveChecker.member("0000-pre-data.sql", path: result.archivePath)
            let members = try ["0000-pre-data.sql", "7000-sequence-set.sql", "8000-post-data.sql"].map {
                ($0, try ArchiveChecker.member($0, path: result.archivePath))
            }
            let everyTable = Set(try #require(manifest.members.first { $0.kind == .preData }?.items)
                .filter { $0.kind == "TABLE" && $0.schema != nil }.map { "\($0.schema!).\($0.name)" })
            // Partitioned tables are in pg_dump's pre-data, not among the tables with rows.
            let parents = everyTable.subtracting(manifest.tables.map(\.displayName)).sorted()
            #expect(Set(parents).isSuperset(of: ["public.measurements", "public.measurements_2025", "Mixed Case.Events", "rw.by_range", "rw.by_hash", "rw.by_list", "rw.by_list_us"]), "\(parents)")
            var selections = manifest.tables.map { [$0.displayName] } + parents.map { [$0] }
            selections.append(["public.serials", "Mixed Case.Tab\"le"])
            selections.append(["rw.audit", "rw.audit_2025", "rw.audit_log"])
            var detachedSeen = 0
            for names in selections {
                var selection = try TableSelection(names: names, manifest: manifest, preData: preData)
                selection.targetTables = everyTable
                var filter = selection.filter()
                var ours: [[String]] = []
                for (name, body) in members {
                    ours.append(Self.comparable(filter.filter(try Self.statements(body, source: name), body: body)))
                }
                let flags = selection.selectedTables.flatMap { ["-t", Self.pattern($0)] }
                let detached = Set(filter.detached)
                for (index, section) in ["pre-data", "data", "post-data"].enumerated() {
                    let output = try await PostgresTools.run("pg_dump", ["--section=\(section)", "--encoding=UTF8"] + flags + ["--dbname", try BackupTestSupport.url(source)])
                    try #require(output.status == 0, "pg_dump failed: \(output.stderr)")
                    var theirs = Self.comparable(try Self.statements(Array(output.stdout.utf8), source: "pg_dump"))
                    if !detached.isEmpty {
                        // Left out, with a notice: a partition's attachment to a parent not restored.
                        let created = Set(theirs.compactMap(Self.createdTrigger))
                        theirs.removeAll { sql in
                            if let (table, trigger) = Self.alteredTrigger(sql) { return detached.contains(table) && !created.contains(trigger) }
                            guard let (isIndex, name) = Self.attached(sql) else { return false }
                            return isIndex ? filter.indexes[name].map(detached.contains) ?? false : detached.contains(name)
                        }
                    }
                    #expect(ours[index] == theirs, "--table \(names.joined(separator: ", ")): \(section) differs at \(firstDifference(theirs.joined(separator: "\n"), ours[index].joined(separator: "\n")))")
                }
                for partition in detached {
                    detachedSeen += 1
                    #expect(filter.notes.contains { $0.hasPrefix("partition \(partition) restored detached") && $0.contains("ATTACH PARTITION") }, "\(filter.notes)")
                }
                #expect(!ours[0].isEmpty, "--table \(names): a CREATE TABLE at least")
            }
            #expect(detachedSeen > 5)
        }
    }

    @Test func restoreTableThroughTheBinaryLeavesTheTablesAsPgDumpTHadThem() async throws {
        try await withFixtureBackup { source, result, repository in
            try await PostgresTestDatabase.with(migrated: false) { target, connection in
                let url = try BackupTestSupport.url(target)
                let environment = ["DATABASE_URL": url, "BACKUP_REPO": repository]
                let full = try await CLI.run(["restore", result.archivePath, "--target-url", url], environment: environment)
                try #require(full.status == 0, "\(full.stderr)")
                let patterns: (TableSelection) -> String = { $0.selectedTables.map { "-t '\(Self.pattern($0).replacingOccurrences(of: "'", with: "'\\''"))'" }.joined(separator: " ") }
                for (names, jobs) in [(["rw.accounts"], "1"), (["public.measurements"], "2"), (["public.serials", "Mixed Case.Tab\"le", "select.kinds"], "2"), (["rw.audit"], "1")] {
                    let selection = try TableSelection(names: names, manifest: result.manifest,
                                                       preData: try ArchiveChecker.member("0000-pre-data.sql", path: result.archivePath))
                    let restore = try await CLI.run(["restore", result.archivePath, "--target-url", url, "--clean", "--jobs", jobs] + names.flatMap { ["--table", $0] },
                                              environment: environment)
                    #expect(restore.status == 0, "--table \(names): \(restore.stderr)")
                    if names == ["rw.audit"] {
                        // --clean's CASCADE takes the view on it and the table inheriting from it: said so.
                        #expect(restore.stderr.contains("dropping rw.audit also drops table rw.audit_2025 (inherits), view rw.recent"), "\(restore.stderr)")
                    }
                    for section in ["--schema-only", "--data-only"] {
                        // pg_dump orders objects that do not depend on each other by OID among others:
                        // compared as a set of objects.
                        let expected = Self.objects(try await BackupTestSupport.pgDump(source, "\(section) \(patterns(selection))"))
                        let actual = Self.objects(try await BackupTestSupport.pgDump(target, "\(section) \(patterns(selection))"))
                        #expect(expected.contains { $0.contains("CREATE TABLE") } || section == "--data-only")
                        #expect(expected == actual, "--table \(names) \(section) differs at \(firstDifference(expected.joined(separator: "\n"), actual.joined(separator: "\n")))")
                    }
                }
                // A partition without its parent restores detached, and says how to attach it; a
                // foreign key to a table the target lacks is left out, and said so.
                try await connection.execute("DROP TABLE public.readings; DROP TABLE public.measurements CASCADE")
                let restore = try await CLI.run(["restore", result.archivePath, "--target-url", url, "--table", "public.measurements_2024", "--table", "public.readings"],
                                          environment: environment)
                #expect(restore.status == 0, "\(restore.stderr)")
                #expect(restore.stderr.contains("partition public.measurements_2024 restored detached") && restore.stderr.contains("ATTACH PARTITION"), "\(restore.stderr)")
                #expect(restore.stderr.contains("FK CONSTRAINT public.readings readings_m_id_m_taken_fkey left out"), "\(restore.stderr)")
                let counts = try await connection.query("SELECT (SELECT count(*) FROM public.measurements_2024) AS m, (SELECT count(*) FROM public.readings) AS r, (SELECT relispartition FROM pg_class WHERE oid = 'public.measurements_2024'::regclass) AS p").first
                #expect(counts?["m"] == "\(result.manifest.tables.first { $0.displayName == "public.measurements_2024" }!.rows)")
                #expect(counts?["r"] == "1" && counts?["p"] == "f", "\(String(describing: counts))")
            }
        }
    }

    /// The fixture of the fidelity tests (awkward and real-world schema, owners and grants), backed up.
    private func withFixtureBackup(_ body: (_ source: String, _ result: BackupCreator.Result, _ repository: String) async throws -> Void) async throws {
        let roles = AwkwardSchema.Roles()
        let admin = try await PostgresConnection.connect(PostgresTestDatabase.serverConfiguration())
        defer { Task { await admin.close() } }
        try await admin.execute("CREATE ROLE \(roles.ownerIdent) NOLOGIN; CREATE ROLE \(roles.readerIdent) NOLOGIN")
        let repository = try BackupTestSupport.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        do {
            try await PostgresTestDatabase.with(migrated: false) { source, db in
                try await db.execute(AwkwardSchema.objects)
                try await db.execute(AwkwardSchema.privileges(roles, publicOwner: true))
                try await db.execute(RealWorldSchema.objects(roles))
                let result = try await BackupTestSupport.backup(database: source, repository: repository,
                                                                options: BackupOptions(jobs: 2, chunkBytes: 64 * 1024))
                try await body(source, result, repository)
            }
        } catch {
            try? await BackupFidelityTests.dropRoles(roles, admin)
            throw error
        }
        try await BackupFidelityTests.dropRoles(roles, admin)
    }

    /// A pg_dump script's objects, each from its `-- Name:` header to the next, sorted.
    static func objects(_ dump: String) -> [String] {
        var objects: [String] = []
        for line in dump.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("-- Name: ") || line.hasPrefix("-- Data for Name: ") || objects.isEmpty { objects.append("") }
            // Separator lines and the trailer end up with whichever object is last.
            if line == "--" || line.isEmpty || line == "-- PostgreSQL database dump complete" { continue }
            objects[objects.count - 1] += line + "\n"
        }
        return objects.sorted()
    }

    /// A pg_dump `-t` pattern matching exactly this table.
    static func pattern(_ table: BackupManifest.Table) -> String {
        func quoted(_ part: String) -> String { "\"" + part.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        return quoted(table.schema) + "." + quoted(table.name)
    }

    /// A script's statements, COPY blocks skipped.
    static func statements(_ body: [UInt8], source: String) throws -> [ScriptStatement] {
        var splitter = SQLScriptSplitter(source: source)
        body.withUnsafeBytes { splitter.feed($0) }
        splitter.finishInput()
        var statements: [ScriptStatement] = []
        while let event = try splitter.next() {
            if case .statement(let sql, let line) = event { statements.append(ScriptStatement(sql: sql, line: line, source: source)) }
        }
        return statements
    }

    /// The statements that make objects (not session settings), trimmed.
    static func comparable(_ statements: [ScriptStatement]) -> [String] {
        statements.filter { !ScriptRunner.isSessionSetting($0.sql) }.map { $0.sql.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// `CREATE [CONSTRAINT] TRIGGER name …` → name.
    static func createdTrigger(_ sql: String) -> String? {
        let tokens = SQLWords.tokens(sql.utf8, limit: 400)
        let words = tokens.map { $0.keyword ?? "" }
        guard words.first == "CREATE", let index = words.prefix(3).firstIndex(of: "TRIGGER"), index + 1 < tokens.count else { return nil }
        return tokens[index + 1].identifier
    }

    /// `ALTER TABLE t ENABLE|DISABLE [ALWAYS|REPLICA] TRIGGER name` → (t, name).
    static func alteredTrigger(_ sql: String) -> (String, String)? {
        let tokens = SQLWords.tokens(sql.utf8, limit: 400)
        let words = tokens.map { $0.keyword ?? "" }
        guard words.starts(with: ["ALTER", "TABLE"]), words.contains("ENABLE") || words.contains("DISABLE"),
              let (table, _) = TableSelection.name(tokens, 2),
              let index = words.firstIndex(of: "TRIGGER"), index + 1 < tokens.count, let name = tokens[index + 1].identifier else { return nil }
        return (table, name)
    }

    /// `ALTER TABLE p ATTACH PARTITION t …` → (false, t); `ALTER INDEX p ATTACH PARTITION i` → (true, i).
    static func attached(_ sql: String) -> (Bool, String)? {
        let tokens = SQLWords.tokens(sql.utf8, limit: 400)
        let words = tokens.map { $0.keyword ?? "" }
        guard words.first == "ALTER", words.count > 1, words[1] == "TABLE" || words[1] == "INDEX",
              let index = words.firstIndex(of: "PARTITION"), index > 0, words[index - 1] == "ATTACH",
              let (name, _) = TableSelection.name(tokens, index + 1) else { return nil }
        return (words[1] == "INDEX", name)
    }
}
