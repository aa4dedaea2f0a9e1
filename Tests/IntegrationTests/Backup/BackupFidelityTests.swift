@testable import Backup
import Foundation
import OpsCore
import PGClient
import Testing

/// The oracle for the schema pg_dump writes into a backup and the rows we copy beside it: a database
/// with the application schema, an awkward schema and real-world shapes, backed up, then restored by the
/// three paths (`restore`, `restore --jobs 2`, plain psql from the tar members), gives the same
/// `pg_dump --schema-only` and `--data-only` as the source.
@Suite("Backup: pg_dump fidelity", .serialized)
struct BackupFidelityTests {
    @Test(arguments: [false, true])
    func realWorldSchemasRestoreIdenticallyByTheThreePaths(withoutOwnersAndPrivileges bare: Bool) async throws {
        let roles = AwkwardSchema.Roles()
        let admin = try await PostgresConnection.connect(PostgresTestDatabase.serverConfiguration())
        try await admin.execute("CREATE ROLE \(roles.ownerIdent) NOLOGIN; CREATE ROLE \(roles.readerIdent) NOLOGIN")
        defer { Task { await admin.close() } }
        do {
            try await roundTrip(roles: roles, bare: bare)
        } catch {
            try? await Self.dropRoles(roles, admin)
            throw error
        }
        try await Self.dropRoles(roles, admin)
    }

    static func dropRoles(_ roles: AwkwardSchema.Roles, _ admin: PostgresConnection) async throws {
        try await admin.execute("DROP ROLE IF EXISTS \(roles.ownerIdent); DROP ROLE IF EXISTS \(roles.readerIdent)")
    }

    private func roundTrip(roles: AwkwardSchema.Roles, bare: Bool) async throws {
        let repository = try BackupTestSupport.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        try await PostgresTestDatabase.with(migrated: true) { source, db in
            try await db.execute(AwkwardSchema.objects)
            try await db.execute(AwkwardSchema.privileges(roles, publicOwner: !bare))
            try await db.execute(RealWorldSchema.objects(roles))
            let options = BackupOptions(dump: DumpOptions(noOwner: bare, noPrivileges: bare), jobs: 2, chunkBytes: 64 * 1024)
            let result = try await BackupTestSupport.backup(database: source, repository: repository, options: options)
            let manifest = result.manifest
            #expect(manifest.members.first?.name == "0000-pre-data.sql")
            #expect(manifest.members.suffix(2).map(\.name) == ["7000-sequence-set.sql", "8000-post-data.sql"])
            // pg_dump's object headers locate the objects; only tables are copied by us.
            let pre = try #require(manifest.members.first { $0.kind == .preData })
            #expect(pre.items?.contains { $0.kind == "AGGREGATE" && $0.schema == "rw" } == true)
            #expect(pre.items?.contains { $0.kind == "FOREIGN TABLE" && $0.name == "imported" } == true)
            let post = try #require(manifest.members.first { $0.kind == .postData })
            #expect(post.items?.contains { $0.kind == "POLICY" } == true)
            #expect(post.items?.contains { $0.kind == "MATERIALIZED VIEW DATA" } == true)
            let sequences = try #require(manifest.members.first { $0.kind == .sequenceSet })
            #expect(sequences.items?.contains { $0.kind == "BLOBS" } == true)
            #expect(sequences.items?.contains { $0.kind == "SEQUENCE SET" && $0.name == "accounts_id_seq" } == true)
            let names = Set(manifest.tables.map(\.displayName))
            #expect(names.contains("rw.audit") && names.contains("rw.audit_2025") && names.contains("rw.cache") && names.contains("rw.points"))
            #expect(!names.contains("rw.by_range") && !names.contains("rw.imported"))

            let flags = bare ? " --no-owner --no-privileges" : ""
            func expectSame(_ target: String, _ label: String) async throws {
                for section in ["--schema-only", "--data-only"] {
                    let expected = try await BackupTestSupport.pgDump(source, section + flags)
                    let actual = try await BackupTestSupport.pgDump(target, section + flags)
                    #expect(!expected.isEmpty)
                    #expect(expected == actual, "\(label): pg_dump \(section)\(flags) differs at \(firstDifference(expected, actual))")
                }
            }
            try await PostgresTestDatabase.with(migrated: false) { target, _ in
                let summary = try await Restorer(target: try BackupTestSupport.target(target), options: RestoreOptions(),
                                                 logger: BackupTestSupport.logger).restore(archive: result.archivePath)
                #expect(summary.rows == manifest.totalRows)
                try await expectSame(target, "restore")
            }
            try await PostgresTestDatabase.with(migrated: false) { target, _ in
                _ = try await Restorer(target: try BackupTestSupport.target(target), options: RestoreOptions(jobs: 2, preserveRowOrder: true),
                                       logger: BackupTestSupport.logger).restore(archive: result.archivePath)
                try await expectSame(target, "restore --jobs 2")
            }
            try await PostgresTestDatabase.with(migrated: false) { target, _ in
                try await BackupTestSupport.shell("tar -xOf \"$ARCHIVE\" --wildcards '*.sql' | psql -X -q -v ON_ERROR_STOP=1 -d \"$TARGET\" > /dev/null",
                                            environment: ["ARCHIVE": result.archivePath, "TARGET": try BackupTestSupport.url(target)])
                try await expectSame(target, "tar | psql")
            }
        }
    }

    /// A LATIN1 database with non-ASCII names and rows: pg_dump and our COPY streams both write UTF-8,
    /// and the restore into a LATIN1 database is identical.
    @Test func aLatin1DatabaseRoundTripsThroughUTF8Members() async throws {
        let server = try PostgresTestDatabase.serverConfiguration()
        let admin = try await PostgresConnection.connect(server)
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        let source = "t_latin1_src_\(suffix)", target = "t_latin1_dst_\(suffix)"
        let repository = try BackupTestSupport.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        for name in [source, target] {
            try await admin.execute("CREATE DATABASE \(name) TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'")
        }
        do {
            let db = try await PostgresConnection.connect(server.withDatabase(source))
            try await db.execute("""
                CREATE TABLE public."Café" ("naïve" text DEFAULT 'déjà vu', n int);
                COMMENT ON TABLE public."Café" IS 'crème brûlée';
                INSERT INTO public."Café" VALUES ('façade', 1);
                """)
            await db.close()
            let result = try await BackupTestSupport.backup(database: source, repository: repository)
            let pre = try await BackupTestSupport.shell("tar -xOf \"$A\" 0000-pre-data.sql", environment: ["A": result.archivePath])
            #expect(pre.contains("SET client_encoding = 'UTF8';") && pre.contains("crème brûlée"))
            _ = try await Restorer(target: server.withDatabase(target), options: RestoreOptions(), logger: BackupTestSupport.logger)
                .restore(archive: result.archivePath)
            for section in ["--schema-only", "--data-only"] {
                let expected = try await PostgresTools.dump(server.url(forDatabase: source), [section, "--encoding=UTF8"])
                let actual = try await PostgresTools.dump(server.url(forDatabase: target), [section, "--encoding=UTF8"])
                #expect(actual == expected, "pg_dump \(section) differs at \(firstDifference(expected, actual))")
                #expect(expected.contains("façade") || section == "--schema-only")
            }
        } catch {
            for name in [source, target] { try? await admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
            await admin.close()
            throw error
        }
        for name in [source, target] { try await admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
        await admin.close()
    }

    /// `--exclude-table-data` leaves out exactly the tables' COPY and sequences' setval that pg_dump's
    /// own `--exclude-table-data` leaves out, for the same patterns.
    @Test func excludedTableDataIsWhatPgDumpExcludes() async throws {
        let server = try PostgresTestDatabase.serverConfiguration()
        let repository = try BackupTestSupport.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        try await PostgresTestDatabase.with(migrated: false) { name, db in
            try await db.execute(#"""
                CREATE SCHEMA other; CREATE SCHEMA "Mixed Case";
                CREATE TABLE public.files (id int); CREATE TABLE public."Files" (id int); CREATE TABLE public.batches (id int);
                CREATE TABLE public.batch_requests (id serial); CREATE TABLE public."batch$x" (id int); CREATE TABLE public."a.b" (id int); CREATE TABLE public."t[]" (id int);
                CREATE TABLE other.files (id int); CREATE TABLE other.logs_2024 (id int); CREATE TABLE other.logs_20245 (id int);
                CREATE TABLE "Mixed Case"."Tab""le" (id int GENERATED ALWAYS AS IDENTITY); CREATE TABLE "Mixed Case".t1 (id int);
                CREATE SEQUENCE other.counter;
                """#)
            let patternSets: [[String]] = [
                [],
                ["files"],
                ["FILES", "\"Files\""],
                ["public.batch*", "other.logs_20??"],
                ["\"Mixed Case\".*", "other.counter"],
                ["\"Mixed Case\".\"Tab\"\"le\"", "batch$x", "\"a.b\""],
                ["*.files", "other.", "t[0-9]", "t[]"],
                [".t1", "other.*", "*"],
                ["\(name).public.batches"],
            ]
            for patterns in patternSets {
                let output = try await PostgresTools.run("pg_dump", ["--data-only", "--dbname", server.url(forDatabase: name)]
                                                   + patterns.map { "--exclude-table-data=\($0)" })
                try #require(output.status == 0, "pg_dump failed: \(output.stderr)")
                let lines = output.stdout.split(separator: "\n").map(String.init)
                let theirs = Set(lines.filter { $0.hasPrefix("COPY ") }.map { String($0.dropFirst(5).dropLast(" FROM stdin;".count)) })
                let theirSetvals = Set(lines.filter { $0.hasPrefix("SELECT pg_catalog.setval(") })

                let result = try await BackupTestSupport.backup(database: name, repository: repository,
                                                                options: BackupOptions(dump: DumpOptions(excludeTableData: patterns), jobs: 2))
                let tables = Set(result.manifest.tables.map(\.qualifiedName))
                var ours = Set<String>()
                for member in result.manifest.members where member.kind == .data {
                    let body = try await BackupTestSupport.shell("tar -xOf \"$A\" \"$M\" | head -1", environment: ["A": result.archivePath, "M": member.name])
                    ours.insert(String(body.dropFirst(5).dropLast(" FROM stdin;\n".count)))
                }
                let setvals = try await Set(BackupTestSupport.shell("tar -xOf \"$A\" 7000-sequence-set.sql", environment: ["A": result.archivePath])
                    .split(separator: "\n").map(String.init).filter { $0.hasPrefix("SELECT pg_catalog.setval(") })
                #expect(ours == theirs, "patterns \(patterns)")
                #expect(tables.count == theirs.count, "patterns \(patterns)")
                #expect(setvals == theirSetvals, "patterns \(patterns)")
                #expect(!theirs.isEmpty)
            }
        }
    }

    @Test func aPatternWithTooManyDotsOrAnotherDatabaseIsAUsageError() async throws {
        let repository = try BackupTestSupport.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        try await PostgresTestDatabase.with(migrated: false) { name, db in
            try await db.execute("CREATE TABLE public.files (id int)")
            for pattern in ["a.b.c.d", "elsewhere.public.files"] {
                let error = try await #require(throws: OpsError.self) {
                    try await BackupTestSupport.backup(database: name, repository: repository,
                                                       options: BackupOptions(dump: DumpOptions(excludeTableData: [pattern])))
                }
                #expect(error.code == .usage)
                #expect(error.message.contains(pattern))
            }
        }
    }

    /// A pg_dump older than the server cannot read its catalogs: refused before anything is written,
    /// naming the Debian package with the right one.
    @Test func aPgDumpOlderThanTheServerIsRefusedNamingThePackage() throws {
        let found = try PgDump.locate(serverVersionNumber: 150000)
        #expect(found.major >= 15)
        let error = try #require(throws: BackupError.self) { try PgDump.locate(serverVersionNumber: (found.major + 1) * 10000 + 2) }
        #expect(error.code == .usage)
        #expect(error.message.contains("install postgresql-client-\(found.major + 1)"), "\(error.message)")
        #expect(!error.message.contains("\n"))
    }

    /// The connection reaches pg_dump through libpq's environment and a passfile, never its arguments.
    @Test func pgDumpArgumentsHoldNeitherTheURLNorThePassword() throws {
        let target = try PostgresConfiguration("postgresql://someone:s3cret-pass@db.example:6543/app?sslmode=require")
        let environment = target.childEnvironment
        #expect(environment.password == "s3cret-pass")
        #expect(environment.variables["PGHOST"] == "db.example" && environment.variables["PGPORT"] == "6543")
        #expect(environment.variables["PGUSER"] == "someone" && environment.variables["PGDATABASE"] == "app")
        #expect(environment.variables["PGSSLMODE"] == "require")
        #expect(!environment.variables.values.contains { $0.contains("s3cret") })
        let sections = PgDumpSections(pgDump: PgDump(path: "/usr/bin/pg_dump", major: 15), target: target, snapshotID: "00000003-0000001B-1",
                                      options: BackupOptions(dump: DumpOptions(noOwner: true, excludeTableData: ["x"])))
        for section in [PgDumpSections.Section.preData, .postData, .data(excludingCopied: [])] {
            let arguments = sections.arguments(section)
            #expect(!arguments.contains { $0.contains("s3cret") || $0.contains("postgresql://") || $0.contains("db.example") })
            #expect(arguments.contains("--snapshot=00000003-0000001B-1") && arguments.contains("--no-owner"))
            #expect(arguments.contains("--lock-wait-timeout=5000"))
        }
    }
}
