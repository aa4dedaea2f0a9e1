import Crypto
import Foundation
import OpsCore
import OpsSupport
import PGClient
import Testing

@Suite("LegacyImport") struct LegacyImportTests {
    static func run(_ arguments: [String], database: String) async throws -> CLI.Result {
        try await CLI.run(["import", "legacy"] + arguments,
                    environment: ["DATABASE_URL": try #require(try PostgresTestDatabase.opsConfiguration(database: database).databaseURL)])
    }

    static func report(_ result: CLI.Result) throws -> JSONValue {
        let envelope = try JSONDecoder().decode(JSONValue.self, from: Data(result.stdout.utf8))
        return try #require(envelope["details"], "no details in \(result.stdout) / \(result.stderr)")
    }

    static func count(_ connection: PostgresConnection, _ table: String) async throws -> Int {
        try await connection.query("SELECT count(*) AS n FROM public.\(table)").first!.decode(Int.self, "n")
    }

    /// Every expected file, job, batch and request of `sessions` is in the database exactly.
    static func expectImported(_ sessions: [JSONValue], connection: PostgresConnection) async throws {
        for session in sessions {
            let sender = session["sender_id"]!.string
            let row = try #require(try await connection.query("SELECT id, session_type FROM sessions WHERE sender_id = $1", [sender]).first, "\(sender) missing")
            #expect(row["session_type"] == .some(session["session_type"]!.string))
            let id = try row.decode(Int64.self, "id")
            let files = LegacyTreeFixture.array(session["files"])
            let dbFiles = try await connection.query("""
                SELECT file_type, content_type, locale, relative_path, file_name, format, content_hash, size_bytes,
                       encode(sha256(convert_to(content, 'UTF8')), 'hex') AS content_sha
                FROM files WHERE session_id = $1
                """, [id])
            #expect(dbFiles.rows.count == files.count, "\(sender): \(dbFiles.rows.count) file rows, \(files.count) files")
            var byKey: [String: PostgresRow] = [:]
            for row in dbFiles.rows { byKey["\(row["file_type"]!)|\(row["locale"]!)|\(row["relative_path"]!)"] = row }
            for file in files {
                let key = "\(file["file_type"]!.string)|\(file["locale"]!.string)|\(file["relative_path"]!.string)"
                let row = try #require(byKey[key], "\(sender): no row for \(key)")
                #expect(row["content_hash"] == .some(file["sha256"]!.string))
                #expect(row["content_sha"] == .some(file["sha256"]!.string), "content of \(key) is not byte-identical")
                #expect(row["size_bytes"] == .some(String(file["size"]!.intValue!)))
                #expect(row["content_type"] == .some(file["content_type"]!.string))
                #expect(row["file_name"] == .some(file["file_name"]!.string))
                #expect(row["format"] == .some(file["format"]!.string))
            }
            for job in LegacyTreeFixture.array(session["jobs"]) {
                let status = try await connection.query("SELECT status FROM translation_jobs WHERE job_id = $1 AND session_id = $2", [job["job_id"]!.string, id]).first
                #expect(status?["status"] == .some(job["status"]!.string))
            }
            for batch in LegacyTreeFixture.array(session["batches"]) {
                let batchRow = try #require(try await connection.query("SELECT id, status FROM batches WHERE batch_id = $1 AND session_id = $2",
                                                                       [batch["batch_id"]!.string, id]).first)
                #expect(batchRow["status"] == .some(batch["status"]!.string))
                let requests = LegacyTreeFixture.array(batch["requests"])
                let rows = try await connection.query("SELECT custom_id, status FROM batch_requests WHERE batch_id = $1", [try batchRow.decode(Int64.self, "id")])
                #expect(rows.rows.count == requests.count)
                var statuses: [String: String] = [:]
                for row in rows.rows { statuses[row["custom_id"]!] = row["status"]! }
                for request in requests {
                    #expect(statuses[request["custom_id"]!.string] == request["status"]!.string, "\(request["custom_id"]!.string)")
                }
            }
        }
    }

    @Test func importsEveryFileByteIdenticalAndLeavesOtherSessionsAlone() async throws {
        let tree = try await LegacyTreeFixture.make(seed: 11, sessions: 6)
        defer { tree.remove() }
        try await PostgresTestDatabase.with { name, connection in
            try await connection.execute("""
                INSERT INTO sessions (sender_id, session_type, status, source_locale, metadata) VALUES ('service-owned', 'upload', 'active', 'en', '{"k": 1}');
                INSERT INTO sessions (sender_id, session_type, status, source_locale) VALUES ('sender-00002', 'upload', 'active', 'fr');
                """)
            let before = try await connection.query("SELECT row_to_json(s)::text AS j FROM sessions s WHERE sender_id = 'service-owned'").first!["j"]!
            let result = try await Self.run([tree.root.path, "--json", "--jobs", "2"], database: name)
            // sender-00002 exists and was not imported from a tree: refused, left untouched (exit 10).
            #expect(result.status == 10, "\(result.stderr)")
            let report = try Self.report(result)
            let refused = LegacyTreeFixture.array(report["refused"])
            #expect(refused.count == 1)
            #expect(refused.first?["sender_id"] == "sender-00002")
            #expect(refused.first?["reason"]?.string.contains("did not come from a tree") == true)
            let importable = tree.importable.filter { $0["sender_id"] != "sender-00002" }
            try await Self.expectImported(importable, connection: connection)
            let after = try await connection.query("SELECT row_to_json(s)::text AS j FROM sessions s WHERE sender_id = 'service-owned'").first!["j"]!
            #expect(before == after)
            let fr = try await connection.query("SELECT source_locale, (SELECT count(*) FROM files f WHERE f.session_id = s.id) AS files FROM sessions s WHERE sender_id = 'sender-00002'").first!
            #expect(fr["source_locale"] == "fr")
            #expect(fr["files"] == "0")
            #expect(report["sessions"]?["inserted"]?.intValue == Int64(importable.count))
            let fileCount = importable.reduce(0) { $0 + LegacyTreeFixture.array($1["files"]).count }
            #expect(report["rows"]?["files"]?["inserted"]?.intValue == Int64(fileCount))
            #expect(report["stray_files_skipped"]?.intValue == tree.expect["stray_files"]?.intValue)
            // Unmapped keys: session keys in metadata, job keys under progress._legacy, changes keys in metadata.changes.
            let meta = try await connection.query("SELECT metadata->>'clientVersion' AS v, metadata ? 'legacy_import' AS marked FROM sessions WHERE sender_id = 'sender-00001'").first!
            #expect(meta["v"] != nil && meta["marked"] == "t")
            let retries = try await connection.query("SELECT count(*) AS n FROM translation_jobs WHERE progress->'_legacy' ? 'retries'").first!
            #expect(try retries.decode(Int.self, "n") > 0)
            if let changes = importable.first(where: { $0["session_type"] == "changes" }) {
                let row = try await connection.query("SELECT metadata->'changes'->>'repository' AS r FROM sessions WHERE sender_id = $1", [changes["sender_id"]!.string]).first!
                #expect(row["r"] == "acme/site")
            }
            let run = try await connection.query("SELECT status, details->'sessions'->>'inserted' AS n FROM ops.job_runs WHERE job = 'import'").first
            #expect(run?["status"] == "warning")
            #expect(run?["n"] == .some(String(importable.count)))
        }
    }

    @Test func secondRunImportsNothingAndAChangedFileIsUpdated() async throws {
        let tree = try await LegacyTreeFixture.make(seed: 12, sessions: 4)
        defer { tree.remove() }
        try await PostgresTestDatabase.with { name, connection in
            #expect(try await Self.run([tree.root.path, "--quiet"], database: name).status == 0)
            let again = try await Self.run([tree.root.path, "--json"], database: name)
            #expect(again.status == 0)
            let report = try Self.report(again)
            #expect(report["nothing_to_import"] == true)
            for table in ["sessions", "translation_jobs", "files", "batches", "batch_requests"] {
                #expect(report["rows"]?[table]?["inserted"] == 0)
                #expect(report["rows"]?[table]?["updated"] == 0)
            }
            #expect(report["sessions"]?["unchanged"]?.intValue == Int64(tree.importable.count))
            let text = try await Self.run([tree.root.path], database: name)
            #expect(text.stdout.contains("nothing to import"))

            let file = try #require(LegacyTreeFixture.array(tree.importable[0]["files"]).first)
            let path = tree.root.appendingPathComponent(tree.importable[0]["sender_id"]!.string)
                .appendingPathComponent(["upload": "uploads", "translation": "translations", "delta": "deltas", "original": "changes/original"][file["file_type"]!.string]!)
                .appendingPathComponent(file["locale"]!.string).appendingPathComponent(file["content_type"]!.string)
                .appendingPathComponent(file["relative_path"]!.string)
            let changed = Data("changed on disk — 変更\n".utf8)
            try changed.write(to: path)
            let third = try await Self.run([tree.root.path, "--json"], database: name)
            #expect(third.status == 0)
            let updated = try Self.report(third)
            #expect(updated["rows"]?["files"]?["updated"] == 1)
            #expect(updated["rows"]?["files"]?["inserted"] == 0)
            #expect(updated["sessions"]?["updated"] == 1)
            let hex = SHA256.hash(data: changed).map { String(format: "%02x", $0) }.joined()
            let row = try await connection.query("SELECT content, content_hash FROM files WHERE relative_path = $1 AND locale = $2", [file["relative_path"]!.string, file["locale"]!.string]).first!
            #expect(row["content"] == .some(String(decoding: changed, as: UTF8.self)))
            #expect(row["content_hash"] == .some(hex))
        }
    }

    @Test func aBadSessionIsRolledBackWithFileLineAndReasonAndTheOthersAreImported() async throws {
        let faults = ["invalid_json", "invalid_jsonl", "non_utf8", "nul", "too_large", "unknown_content_type", "duplicate_key"]
        let tree = try await LegacyTreeFixture.make(seed: 13, sessions: 3, faults: faults)
        defer { tree.remove() }
        try await PostgresTestDatabase.with { name, connection in
            let result = try await Self.run([tree.root.path, "--json"], database: name)
            #expect(result.status == 10, "\(result.stderr)")
            let report = try Self.report(result)
            let refused = LegacyTreeFixture.array(report["refused"])
            #expect(refused.count == faults.count)
            for session in tree.sessions where session["fault"] != .null {
                let fault = session["fault"]!
                let sender = session["sender_id"]!.string
                let entry = try #require(refused.first { $0["sender_id"]?.string == sender }, "\(fault["kind"]!.string) not refused")
                #expect(entry["file"] == fault["file"], "\(fault["kind"]!.string): \(entry)")
                if fault["line"] != .null { #expect(entry["line"] == fault["line"], "\(fault["kind"]!.string): \(entry)") }
                #expect(!(entry["reason"]?.string.isEmpty ?? true))
                let rows = try await connection.query("SELECT count(*) AS n FROM sessions WHERE sender_id = $1", [sender]).first!
                #expect(rows["n"] == "0", "\(sender) was not rolled back")
            }
            let reasons = refused.map { $0["reason"]!.string }.joined(separator: "\n")
            for word in ["invalid JSON", "NUL", "UTF-8", "10 MiB", "content-type", "duplicate natural key"] {
                #expect(reasons.contains(word), "no refusal mentions \(word): \(reasons)")
            }
            try await Self.expectImported(tree.importable, connection: connection)
            let text = try await Self.run([tree.root.path], database: name)
            #expect(text.status == 10)
            #expect(text.stdout.contains("refused"))
        }
    }

    @Test func dryRunWritesNothingAndReportsWhatAnImportWould() async throws {
        let tree = try await LegacyTreeFixture.make(seed: 14, sessions: 3, faults: ["nul"])
        defer { tree.remove() }
        try await PostgresTestDatabase.with { name, connection in
            let dry = try await Self.run([tree.root.path, "--dry-run", "--json"], database: name)
            #expect(dry.status == 10)
            for table in ["sessions", "translation_jobs", "files", "batches", "batch_requests"] {
                #expect(try await Self.count(connection, table) == 0, "\(table) written by --dry-run")
            }
            let real = try await Self.run([tree.root.path, "--json"], database: name)
            var dryReport = try Self.report(dry), realReport = try Self.report(real)
            #expect(dryReport["mode"] == "dry-run")
            #expect(dryReport["rows"] == realReport["rows"])
            #expect(dryReport["refused"] == realReport["refused"])
            dryReport = dryReport["sessions"]!; realReport = realReport["sessions"]!
            #expect(dryReport == realReport)
        }
    }

    @Test func verifyFindsAChangedFileAndExits1() async throws {
        let tree = try await LegacyTreeFixture.make(seed: 15, sessions: 3)
        defer { tree.remove() }
        try await PostgresTestDatabase.with { name, connection in
            #expect(try await Self.run([tree.root.path, "--quiet"], database: name).status == 0)
            let clean = try await Self.run([tree.root.path, "--verify"], database: name)
            #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
            #expect(clean.stdout.contains("matches the tree"))
            // Change a file's row in the database (not the tree) and a request's status.
            let file = LegacyTreeFixture.array(tree.importable[1]["files"])[0]
            try await connection.query("UPDATE files SET content = content || 'x' WHERE relative_path = $1 AND locale = $2 AND file_type = $3",
                                       [file["relative_path"]!.string, file["locale"]!.string, file["file_type"]!.string])
            try await connection.execute("UPDATE batch_requests SET status = 'failed' WHERE id = (SELECT min(id) FROM batch_requests WHERE status = 'completed')")
            let dirty = try await Self.run([tree.root.path, "--verify"], database: name)
            #expect(dirty.status == 1)
            #expect(dirty.stdout.contains(file["relative_path"]!.string))
            #expect(dirty.stdout.contains("content differs"))
            #expect(dirty.stdout.contains("status is failed, tree says completed"))
            #expect(dirty.stdout.contains("2 difference(s)"))
            // --verify writes nothing.
            #expect(try await connection.query("SELECT count(*) AS n FROM batch_requests WHERE status = 'failed'").first != nil)
        }
    }

    @Test func expiredSessionsAreSkippedUnlessIncludeExpiredAndSenderLimitsTheRun() async throws {
        let tree = try await LegacyTreeFixture.make(seed: 16, sessions: 3, expired: 1)
        defer { tree.remove() }
        let expired = try #require(tree.sessions.first { $0["expired"] == true })["sender_id"]!.string
        let other = tree.importable[0]["sender_id"]!.string
        try await PostgresTestDatabase.with { name, connection in
            let only = try await Self.run([tree.root.path, "--sender", other, "--json"], database: name)
            #expect(only.status == 0)
            #expect(try await Self.count(connection, "sessions") == 1)
            let first = try await Self.run([tree.root.path, "--json"], database: name)
            #expect(first.status == 0)
            let report = try Self.report(first)
            #expect(report["skipped_expired"] == .array([.string(expired)]))
            #expect(try await connection.query("SELECT 1 FROM sessions WHERE sender_id = $1", [expired]).rows.isEmpty)
            let text = try await Self.run([tree.root.path], database: name)
            #expect(text.stdout.contains("--include-expired"))
            #expect(try await Self.run([tree.root.path, "--include-expired", "--sender", expired], database: name).status == 0)
            let row = try #require(try await connection.query("SELECT expires_at < now() AS past, expires_at - created_at AS span FROM sessions WHERE sender_id = $1", [expired]).first)
            #expect(row["past"] == "t")
            #expect(row["span"] == "30 days")
            #expect(try await Self.run([tree.root.path, "--sender", "nobody"], database: name).status == 2)
        }
    }

    @Test func aSecondConcurrentImportExits75() async throws {
        let tree = try await LegacyTreeFixture.make(seed: 17, sessions: 1)
        defer { tree.remove() }
        try await PostgresTestDatabase.with { name, connection in
            let key = AdvisoryLockKey.forName("job:import").value
            #expect(try await connection.tryAdvisoryLock(key))
            let result = try await Self.run([tree.root.path], database: name)
            #expect(result.status == 75, "\(result.stderr)")
            #expect(result.stderr.contains("already running"))
            #expect(try await Self.count(connection, "sessions") == 0)
            try await connection.advisoryUnlock(key)
        }
    }

    @Test func aFolderThatIsNotATreeExits2() async throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-tree-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty.appendingPathComponent("something"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        try await PostgresTestDatabase.with { name, connection in
            let result = try await Self.run([empty.path], database: name)
            #expect(result.status == 2)
            #expect(result.stderr.contains("is not a legacy tree"))
            #expect(try await Self.run([empty.appendingPathComponent("missing").path], database: name).status == 2)
            #expect(try await Self.run([empty.path, "--jobs", "0"], database: name).status == 2)
            #expect(try await Self.run([empty.path, "--dry-run", "--verify"], database: name).status == 2)
            #expect(try await connection.query("SELECT 1 FROM ops.job_runs").rows.isEmpty)
        }
    }
}
