@testable import Backup
import Foundation
import OpsCore
import PGClient
import Testing

/// A restore onto a server without the source's roles: refused before anything is touched, naming the
/// roles and the options that fix it; then done with `--no-owner --no-privileges` and with
/// `--create-roles`, each identical to the source for pg_dump (with the matching flags).
@Suite("Restore: roles, preflight, --create", .serialized)
struct RestoreRolesTests {
    @Test func missingRolesAreNamedBeforeAnythingIsTouchedAndCreateRolesOrNoOwnerFixIt() async throws {
        let roles = AwkwardSchema.Roles()
        let admin = try await PostgresConnection.connect(PostgresTestDatabase.serverConfiguration())
        defer { Task { await admin.close() } }
        let repository = try BackupTestSupport.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        try await admin.execute("CREATE ROLE \(roles.ownerIdent) NOLOGIN; CREATE ROLE \(roles.readerIdent) NOLOGIN")
        do {
            try await PostgresTestDatabase.with(migrated: false) { source, db in
                try await db.execute("""
                    CREATE SCHEMA app AUTHORIZATION \(roles.ownerIdent);
                    CREATE TABLE app.items (id int PRIMARY KEY, name text);
                    ALTER TABLE app.items OWNER TO \(roles.ownerIdent);
                    INSERT INTO app.items VALUES (1, 'one'), (2, 'two');
                    GRANT USAGE ON SCHEMA app TO \(roles.readerIdent);
                    GRANT SELECT ON app.items TO \(roles.readerIdent);
                    """)
                let result = try await BackupTestSupport.backup(database: source, repository: repository)
                #expect(result.manifest.ownerRoles?.contains(roles.owner) == true)
                #expect(result.manifest.grantRoles?.contains(roles.reader) == true)
                let globals = try await BackupTestSupport.shell("tar -xOf \"$A\" 0500-globals.sql.optional", environment: ["A": result.archivePath])
                #expect(globals.contains("CREATE ROLE \(roles.ownerIdent);") && globals.contains("CREATE ROLE \(roles.readerIdent);"))
                #expect(!globals.contains("PASSWORD"))
                var expected: [String: String] = [:]
                for flags in ["--schema-only", "--data-only", "--schema-only --no-owner --no-privileges", "--data-only --no-owner"] {
                    expected[flags] = try await BackupTestSupport.pgDump(source, flags)
                }
                // The "new cluster": the roles are gone.
                try await db.execute("DROP SCHEMA app CASCADE")
                try await admin.execute("DROP ROLE \(roles.ownerIdent); DROP ROLE \(roles.readerIdent)")

                try await PostgresTestDatabase.with(migrated: false) { target, connection in
                    let error = try await #require(throws: BackupError.self) {
                        _ = try await Restorer(target: try BackupTestSupport.target(target), options: RestoreOptions(), logger: BackupTestSupport.logger)
                            .restore(archive: result.archivePath)
                    }
                    #expect(error.code == .usage && error.opsError.code == .usage, "\(error.message)")
                    #expect(error.message.contains(roles.owner) && error.message.contains(roles.reader), "\(error.message)")
                    #expect(error.message.contains("--create-roles") && error.message.contains("--no-owner"))
                    #expect(try await BackupTestSupport.objectCount(connection) == 0)
                    // The CLI: exit 2, one line.
                    let cli = try await CLI.run(["restore", result.archivePath, "--target-url", try BackupTestSupport.url(target)],
                                          environment: ["DATABASE_URL": try BackupTestSupport.url(target), "BACKUP_REPO": repository])
                    #expect(cli.status == 2, "\(cli.stderr)")

                    _ = try await Restorer(target: try BackupTestSupport.target(target), options: RestoreOptions(noOwner: true, noPrivileges: true),
                                           logger: BackupTestSupport.logger).restore(archive: result.archivePath)
                    #expect(try await BackupTestSupport.pgDump(target, "--schema-only --no-owner --no-privileges") == expected["--schema-only --no-owner --no-privileges"])
                    // (the data's `Owner:` headers name the restoring role)
                    #expect(try await BackupTestSupport.pgDump(target, "--data-only --no-owner") == expected["--data-only --no-owner"])
                    // Restore ends with the tables analyzed.
                    let analyzed = try await connection.query("SELECT last_analyze IS NOT NULL AS done FROM pg_stat_user_tables WHERE relname = 'items'").first
                    #expect(analyzed?["done"] == "t")
                    // Its one data member loaded with COPY FREEZE: every page all-frozen (after the dumps above).
                    try await connection.execute("CREATE EXTENSION pg_visibility")
                    let frozen = try await connection.query("SELECT all_frozen, all_visible FROM pg_visibility_map_summary('app.items')").first
                    #expect(frozen?["all_frozen"] == "1" && frozen?["all_visible"] == "1", "\(String(describing: frozen))")
                }
                try await PostgresTestDatabase.with(migrated: false) { target, _ in
                    _ = try await Restorer(target: try BackupTestSupport.target(target), options: RestoreOptions(jobs: 2, createRoles: true),
                                           logger: BackupTestSupport.logger).restore(archive: result.archivePath)
                    #expect(try await BackupTestSupport.pgDump(target, "--schema-only") == expected["--schema-only"])
                    #expect(try await BackupTestSupport.pgDump(target, "--data-only") == expected["--data-only"])
                }
            }
        } catch {
            try? await admin.execute("DROP ROLE IF EXISTS \(roles.ownerIdent); DROP ROLE IF EXISTS \(roles.readerIdent)")
            throw error
        }
        try await admin.execute("DROP ROLE IF EXISTS \(roles.ownerIdent); DROP ROLE IF EXISTS \(roles.readerIdent)")
    }

    @Test func createMakesTheDatabaseWithTheSourceEncodingAndALoneArchiveVerifies() async throws {
        let server = try PostgresTestDatabase.serverConfiguration()
        let admin = try await PostgresConnection.connect(server)
        defer { Task { await admin.close() } }
        let repository = try BackupTestSupport.temporaryRepository()
        defer { try? FileManager.default.removeItem(atPath: repository) }
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        let source = "t_create_src_\(suffix)", target = "t_create_dst_\(suffix)"
        try await admin.execute("CREATE DATABASE \(source) TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'")
        do {
            let db = try await PostgresConnection.connect(server.withDatabase(source))
            try await db.execute("CREATE TABLE public.t (x text); INSERT INTO public.t VALUES ('é')")
            await db.close()
            let result = try await BackupTestSupport.backup(database: source, repository: repository)
            // A lone copy of the archive: verify takes what restore takes.
            let lone = "\(repository)/copy/\(result.manifest.id).tar.zst"
            try FileManager.default.createDirectory(atPath: "\(repository)/copy", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: result.archivePath, toPath: lone)
            let verify = try await CLI.run(["backup", "verify", lone], environment: ["DATABASE_URL": server.url(forDatabase: source), "BACKUP_REPO": repository])
            #expect(verify.status == 0, "\(verify.stderr)")
            _ = try await Restorer(target: try server.withDatabase(target), options: RestoreOptions(create: true), logger: BackupTestSupport.logger)
                .restore(archive: lone)
            let row = try await admin.query("SELECT pg_encoding_to_char(encoding) AS e, datcollate FROM pg_database WHERE datname = $1", [target]).first
            #expect(row?["e"] == "LATIN1" && row?["datcollate"] == "C")
            for section in ["--schema-only", "--data-only"] {
                #expect(try await PostgresTools.dump(server.url(forDatabase: source), [section]) == PostgresTools.dump(server.url(forDatabase: target), [section]))
            }
            // --create into a database that exists is refused (exit 2) before anything.
            let again = try await #require(throws: BackupError.self) {
                _ = try await Restorer(target: try server.withDatabase(target), options: RestoreOptions(create: true), logger: BackupTestSupport.logger)
                    .restore(archive: lone)
            }
            #expect(again.message.contains("already exists"))
            // backup list on a repository path that does not exist: says so, exit 2.
            let list = try await CLI.run(["backup", "list"], environment: ["DATABASE_URL": server.url(forDatabase: source), "BACKUP_REPO": "\(repository)/nope"])
            #expect(list.status == 2 && list.stderr.contains("does not exist"), "\(list.stderr)")
        } catch {
            for name in [source, target] { try? await admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
            throw error
        }
        for name in [source, target] { try await admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
    }
}
