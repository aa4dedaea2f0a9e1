@testable import Backup
import Foundation
import OpsCore
import PGClient
import Testing

/// What `restore` and `backup create` refuse before touching anything, through the binary: one line,
/// exit 2 (README's exit codes), the target still empty, the repository still without an archive.
@Suite("Restore preflight and pg_dump version", .serialized)
struct RestorePreflightTests {
    static let sourceSQL = """
        CREATE SCHEMA app;
        CREATE TABLE app.items (id int PRIMARY KEY, name text);
        INSERT INTO app.items VALUES (1, 'one'), (2, 'two');
        CREATE TABLE public.notes (n text);
        INSERT INTO public.notes VALUES ('a');
        """

    @Test func roleLoadsAsThatRoleAndItsPrivilegesAreCheckedFirst() async throws {
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(10).lowercased()
        let role = "restorer_\(suffix)", login = "login_\(suffix)", password = "pw-\(suffix)"
        let admin = try await PostgresConnection.connect(PostgresTestDatabase.serverConfiguration())
        defer { Task { await admin.close() } }
        try await admin.execute("CREATE ROLE \(role) NOLOGIN; CREATE ROLE \(login) LOGIN PASSWORD '\(password)'")
        let repository = try BackupTestSupport.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        do {
            try await PostgresTestDatabase.with(migrated: false) { source, db in
                try await db.execute(Self.sourceSQL)
                let result = try await BackupTestSupport.backup(database: source, repository: repository)
                try await PostgresTestDatabase.with(migrated: false) { target, connection in
                    let url = try BackupTestSupport.url(target)
                    let environment = ["DATABASE_URL": url, "BACKUP_REPO": repository]
                    let restore = ["restore", result.archivePath, "--target-url", url, "--role", role, "--no-owner", "--no-privileges"]
                    // The role may not create schemas in the database: refused, nothing touched.
                    let noDatabase = try await CLI.run(restore, environment: environment)
                    #expect(noDatabase.status == 2, "\(noDatabase.stderr)")
                    Self.expectOneLine(noDatabase.stderr, contains: "role \(role) may not create schemas in database \(target); GRANT CREATE ON DATABASE")
                    #expect(try await BackupTestSupport.objectCount(connection) == 0)
                    // It may create schemas, not in `public`, where the backup has a table.
                    try await connection.execute("GRANT CREATE ON DATABASE \(target) TO \(role)")
                    let noPublic = try await CLI.run(restore, environment: environment)
                    #expect(noPublic.status == 2, "\(noPublic.stderr)")
                    Self.expectOneLine(noPublic.stderr, contains: "role \(role) may not create in schema public of database \(target)")
                    #expect(try await BackupTestSupport.objectCount(connection) == 0)
                    // A connecting role that is not a member of --role cannot switch to it.
                    let asLogin = try Self.url(target, user: login, password: password)
                    let notMember = try await CLI.run(["restore", result.archivePath, "--target-url", asLogin, "--role", role, "--no-owner", "--no-privileges"],
                                                environment: environment)
                    #expect(notMember.status == 2, "\(notMember.stderr)")
                    Self.expectOneLine(notMember.stderr, contains: "role \(login) may not SET ROLE \(role); GRANT \(role) TO \(login)")
                    #expect(!notMember.stderr.contains(password))
                    // A --role that does not exist.
                    let missing = try await CLI.run(["restore", result.archivePath, "--target-url", url, "--role", "\(role)_nope", "--no-owner"], environment: environment)
                    #expect(missing.status == 2, "\(missing.stderr)")
                    Self.expectOneLine(missing.stderr, contains: "--role \(role)_nope does not exist on the target server")
                    #expect(try await BackupTestSupport.objectCount(connection) == 0)

                    // With the privileges: every object is created by, so owned by, the role.
                    try await connection.execute("GRANT CREATE ON SCHEMA public TO \(role)")
                    let done = try await CLI.run(restore, environment: environment)
                    #expect(done.status == 0, "\(done.stderr)")
                    let owners = try await connection.query("""
                        SELECT c.relname || ':' || c.relowner::regrole::text AS owned FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                        WHERE n.nspname IN ('app', 'public') AND c.relkind IN ('r', 'i') ORDER BY 1
                        """).rows.map { try $0.decode(String.self, "owned") }
                    #expect(owners == ["items:\(role)", "items_pkey:\(role)", "notes:\(role)"])
                    let schemaOwner = try await connection.query("SELECT nspowner::regrole::text AS o FROM pg_namespace WHERE nspname = 'app'").first?["o"]
                    #expect(schemaOwner == role)
                    for section in ["--schema-only --no-owner --no-privileges", "--data-only --no-owner"] {
                        #expect(try await BackupTestSupport.pgDump(source, section) == BackupTestSupport.pgDump(target, section), "\(section)")
                    }
                }
            }
        } catch {
            try? await admin.execute("DROP ROLE IF EXISTS \(role); DROP ROLE IF EXISTS \(login)")
            throw error
        }
        try await admin.execute("DROP ROLE IF EXISTS \(role); DROP ROLE IF EXISTS \(login)")
    }

    @Test func aConnectingRoleThatMayNotCreateIsRefusedBeforeAnythingIsTouched() async throws {
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(10).lowercased()
        let login = "login_\(suffix)", password = "pw-\(suffix)"
        let admin = try await PostgresConnection.connect(PostgresTestDatabase.serverConfiguration())
        defer { Task { await admin.close() } }
        try await admin.execute("CREATE ROLE \(login) LOGIN PASSWORD '\(password)'")
        let repository = try BackupTestSupport.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        do {
            try await PostgresTestDatabase.with(migrated: false) { source, db in
                try await db.execute(Self.sourceSQL)
                let result = try await BackupTestSupport.backup(database: source, repository: repository)
                try await PostgresTestDatabase.with(migrated: false) { target, connection in
                    let environment = ["DATABASE_URL": try BackupTestSupport.url(target), "BACKUP_REPO": repository]
                    let restore = ["restore", result.archivePath, "--target-url", try Self.url(target, user: login, password: password), "--no-owner", "--no-privileges"]
                    let refused = try await CLI.run(restore, environment: environment)
                    #expect(refused.status == 2, "\(refused.stderr)")
                    Self.expectOneLine(refused.stderr, contains: "role \(login) may not create schemas in database \(target); GRANT CREATE ON DATABASE \(target) TO \(login)")
                    #expect(!refused.stderr.contains(password))
                    #expect(try await BackupTestSupport.objectCount(connection) == 0)
                    // The same role as the database's owner restores (public belongs to pg_database_owner).
                    try await connection.execute("ALTER DATABASE \(target) OWNER TO \(login)")
                    let done = try await CLI.run(restore, environment: environment)
                    #expect(done.status == 0, "\(done.stderr)")
                    #expect(try await BackupTestSupport.pgDump(source, "--data-only --no-owner") == BackupTestSupport.pgDump(target, "--data-only --no-owner"))
                    try await connection.execute("DROP SCHEMA app CASCADE; DROP TABLE public.notes; ALTER DATABASE \(target) OWNER TO CURRENT_USER")
                }
            }
        } catch {
            try? await admin.execute("DROP ROLE IF EXISTS \(login)")
            throw error
        }
        try await admin.execute("DROP ROLE IF EXISTS \(login)")
    }

    /// The target's major version is compared with the source's from the manifest, before the checksum
    /// pass: a backup of a PostgreSQL newer than the target (its manifest says so) is refused.
    @Test func aTargetServerOlderThanTheSourceIsRefused() async throws {
        let repository = try BackupTestSupport.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        try await PostgresTestDatabase.with(migrated: false) { source, db in
            try await db.execute(Self.sourceSQL)
            let result = try await BackupTestSupport.backup(database: source, repository: repository)
            let serverMajor = try await db.serverVersion() / 10000
            // The same backup, as made on the next major version.
            var newer = result.manifest
            newer.serverVersionNumber = (serverMajor + 1) * 10000 + 2
            newer.serverVersion = "\(serverMajor + 1).2"
            try newer.encoded().write(to: URL(fileURLWithPath: result.manifestPath))
            try await PostgresTestDatabase.with(migrated: false) { target, connection in
                let url = try BackupTestSupport.url(target)
                let refused = try await CLI.run(["restore", result.manifest.id, "--database", source, "--target-url", url],
                                          environment: ["DATABASE_URL": url, "BACKUP_REPO": repository])
                #expect(refused.status == 2, "\(refused.stderr)")
                Self.expectOneLine(refused.stderr, contains: "the target server runs PostgreSQL \(serverMajor), older than the backup's source (\(serverMajor + 1)); restore onto PostgreSQL \(serverMajor + 1) or newer")
                #expect(try await BackupTestSupport.objectCount(connection) == 0)
            }
        }
    }

    /// `PG_DUMP` names the pg_dump to run: one whose `--version` is older than the server is refused
    /// before anything is written, naming the package with the right one.
    @Test func aPgDumpOlderThanTheServerIsRefusedNamingThePackage() async throws {
        let repository = try BackupTestSupport.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        let real = try await BackupTestSupport.shell("command -v pg_dump").trimmingCharacters(in: .whitespacesAndNewlines)
        let realVersion = try await BackupTestSupport.shell("\"$P\" --version", environment: ["P": real])
        // Real `pg_dump --version` lines parse to their major version.
        #expect(PgDump.major(ofVersionLine: realVersion) != nil)
        #expect(PgDump.major(ofVersionLine: "pg_dump (PostgreSQL) 14.11 (Debian 14.11-1.pgdg120+2)") == 14)
        #expect(PgDump.major(ofVersionLine: "pg_dump (PostgreSQL) 9.6.24") == 9)
        #expect(PgDump.major(ofVersionLine: "pg_dump (PostgreSQL) 17beta1") == 17)
        let wrapper = "\(repository)/old-pg_dump"
        try """
            #!/bin/sh
            if [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) 14.11 (Debian 14.11-1.pgdg120+2)"; exit 0; fi
            exec "\(real)" "$@"
            """.write(toFile: wrapper, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: wrapper)
        try await PostgresTestDatabase.with(migrated: true) { source, db in
            try await db.execute(Self.sourceSQL)
            let serverMajor = try await db.serverVersion() / 10000
            let backupRepository = "\(repository)/repo"
            try FileManager.default.createDirectory(atPath: backupRepository, withIntermediateDirectories: true)
            let environment = ["DATABASE_URL": try BackupTestSupport.url(source), "BACKUP_REPO": backupRepository]
            let refused = try await CLI.run(["backup", "create"], environment: environment.merging(["PG_DUMP": wrapper]) { $1 })
            #expect(refused.status == 2, "\(refused.stderr)")
            Self.expectOneLine(refused.stderr, contains: "\(wrapper) is pg_dump 14, older than the server (PostgreSQL \(serverMajor)); install postgresql-client-\(serverMajor)")
            let written = FileManager.default.enumerator(atPath: backupRepository)?.allObjects as? [String] ?? []
            #expect(!written.contains { $0.hasSuffix(".tar.zst") || $0.hasSuffix(".json") || $0.contains(".partial") }, "\(written)")
            // The same command with the real pg_dump works.
            let made = try await CLI.run(["backup", "create"], environment: environment.merging(["PG_DUMP": real]) { $1 })
            #expect(made.status == 0, "\(made.stderr)")
        }
    }

    static func expectOneLine(_ stderr: String, contains text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let lines = stderr.split(separator: "\n").filter { $0.hasPrefix("auto-i18n-ops: ") }
        #expect(lines.count == 1 && lines[0].contains(text), "expected one line with «\(text)», got: \(stderr)", sourceLocation: sourceLocation)
    }

    /// `database`'s URL with another user and password.
    static func url(_ database: String, user: String, password: String) throws -> String {
        var components = try #require(URLComponents(string: try BackupTestSupport.url(database)))
        components.user = user
        components.password = password
        return try #require(components.string)
    }
}
