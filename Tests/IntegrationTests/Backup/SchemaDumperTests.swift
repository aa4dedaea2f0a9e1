import Backup
import Foundation
import OpsCore
import PGClient
import Testing

@Suite("Backup: schema dumper")
struct SchemaDumperTests {
    /// The oracle: the application schema plus an awkward one, dumped by the dumper, restored by psql into
    /// an empty database, gives the same `pg_dump --schema-only` (and `--data-only`) as the source.
    @Test(arguments: [false, true])
    func restoringThePlanWithPsqlReproducesThePgDumpOfTheSource(withoutOwnersAndPrivileges bare: Bool) async throws {
        let roles = AwkwardSchema.Roles()
        let admin = try await PostgresConnection.connect(PostgresTestDatabase.serverConfiguration())
        try await admin.execute("CREATE ROLE \(roles.ownerIdent) NOLOGIN; CREATE ROLE \(roles.readerIdent) NOLOGIN")
        do {
            try await roundTrip(roles: roles, bare: bare)
        } catch {
            try? await admin.execute("DROP ROLE IF EXISTS \(roles.ownerIdent); DROP ROLE IF EXISTS \(roles.readerIdent)")
            await admin.close()
            throw error
        }
        try await admin.execute("DROP ROLE IF EXISTS \(roles.ownerIdent); DROP ROLE IF EXISTS \(roles.readerIdent)")
        await admin.close()
    }

    private func roundTrip(roles: AwkwardSchema.Roles, bare: Bool) async throws {
        let server = try PostgresTestDatabase.serverConfiguration()
        try await PostgresTestDatabase.with(migrated: true) { source, db in
            try await db.execute(AwkwardSchema.objects)
            try await db.execute(AwkwardSchema.privileges(roles, publicOwner: !bare))
            let options = DumpOptions(noOwner: bare, noPrivileges: bare)
            let plan = try await db.transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY") {
                try await SchemaDumper(connection: db, options: options).plan()
            }
            // In plan order, and with post-data in the most different order its dependencies allow.
            for adversarial in [false, true] {
                let script = try await plan.script(copyingFrom: db, adversarialPostData: adversarial)
                try await PostgresTestDatabase.with(migrated: false) { target, _ in
                    try PostgresTools.apply(script, to: server.url(forDatabase: target))
                    for section in ["--schema-only", "--data-only"] {
                        let flags = [section] + (bare ? ["--no-owner", "--no-privileges"] : [])
                        let expected = try PostgresTools.dump(server.url(forDatabase: source), flags)
                        let actual = try PostgresTools.dump(server.url(forDatabase: target), flags)
                        let identical = actual == expected
                        #expect(identical, "pg_dump \(flags.joined(separator: " ")) differs (post-data reordered: \(adversarial)) at \(firstDifference(expected, actual))")
                    }
                }
            }

            // The plan's shape: leaf tables only, COPY columns without generated ones, sizes, sequence
            // values, and refreshes only of populated materialized views, dependencies first.
            let tables = Dictionary(plan.tables.map { ($0.qualifiedName, $0) }, uniquingKeysWith: { first, _ in first })
            #expect(tables["public.measurements"] == nil && tables["public.even_rows"] == nil && tables["public.mood_counts"] == nil)
            #expect(tables["public.measurements_2025_h0"] != nil && tables["\"Mixed Case\".\"Events other\""] != nil)
            let awkward = try #require(tables["\"Mixed Case\".\"Tab\"\"le\""])
            #expect(awkward.columnList == "(id, \"select\", \"order\", mood, n, p, tags, body, ci, b, r, created, qty)")
            #expect(awkward.estimatedBytes > 0)
            #expect(plan.sequenceSets.map(\.sql).contains("SELECT pg_catalog.setval('\"select\".\"unlogged seq\"', 5, false);\n"))
            let refreshed = plan.finalize.map(\.name)
            let first = try #require(refreshed.firstIndex(of: "mood_counts")), second = try #require(refreshed.firstIndex(of: "a_mood_total"))
            #expect(first < second)
            #expect(plan.finalize[second].dependencies == [plan.finalize[first].id])
            // Dependencies name earlier items of the same section, so a parallel restore can follow them.
            for section in [plan.preData, plan.postData] {
                var seen = Set<String>()
                for item in section {
                    #expect(!item.id.isEmpty && item.dependencies.allSatisfy(seen.contains), "\(item.kind) \(item.name)")
                    seen.insert(item.id)
                }
            }
            let foreignKey = try #require(plan.postData.first { $0.kind == "FK CONSTRAINT" && $0.name == "readings readings_m_id_m_taken_fkey" })
            let primaryKey = try #require(plan.postData.first { $0.kind == "CONSTRAINT" && $0.name == "measurements measurements_pkey" })
            #expect(foreignKey.dependencies.contains(primaryKey.id))
            let attaches = plan.postData.filter { $0.kind == "INDEX ATTACH" && $0.sql.hasPrefix("ALTER INDEX public.measurements_pkey ") }
            #expect(attaches.count == 3 && attaches.allSatisfy { foreignKey.dependencies.contains($0.id) })
            let postDataView = try #require(plan.postData.first { $0.kind == "VIEW" && $0.name == "by_pk" })
            #expect(plan.postData.filter { $0.kind == "DEFAULT ACL" }.allSatisfy { $0.dependencies.contains(postDataView.id) })
            #expect(!plan.finalize.contains { $0.name == "never_filled" })
            let combined = plan.preData.map(\.sql).joined() + plan.postData.map(\.sql).joined()
            #expect(combined.contains("OWNER TO") == !bare)
            #expect(combined.contains("GRANT") == !bare)
        }
    }

    @Test(arguments: [
        ("CREATE TABLE public.t (a int); CREATE RULE t_nothing AS ON INSERT TO public.t DO INSTEAD NOTHING",
         "rule t_nothing on public.t"),
        ("CREATE TABLE public.t (a int); ALTER TABLE public.t ENABLE ROW LEVEL SECURITY; CREATE POLICY \"Own rows\" ON public.t USING (a > 0)",
         "policy \"Own rows\" on public.t"),
        ("CREATE TABLE public.parent (a int); CREATE TABLE public.child () INHERITS (public.parent)",
         "table inheritance parent public.parent"),
        ("CREATE AGGREGATE public.my_sum(integer) (sfunc = int4pl, stype = integer)",
         "aggregate public.my_sum(integer)"),
        ("CREATE FOREIGN DATA WRAPPER dummy; CREATE SERVER s FOREIGN DATA WRAPPER dummy; CREATE FOREIGN TABLE public.ft (a int) SERVER s",
         "foreign table public.ft"),
        ("CREATE FUNCTION public.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$; CREATE EVENT TRIGGER on_ddl ON ddl_command_start EXECUTE FUNCTION public.on_ddl()",
         "event trigger on_ddl"),
        ("CREATE TABLE public.t (a int); CREATE PUBLICATION p FOR TABLE public.t",
         "publication p"),
        ("CREATE COLLATION public.\"My Collation\" FROM \"C\"",
         "collation public.\"My Collation\""),
        ("CREATE TEXT SEARCH CONFIGURATION public.my_ts (COPY = english)",
         "text search configuration public.my_ts"),
    ])
    func anObjectTheDumperCannotReproduceFailsThePlanNamingIt(setup: String, named: String) async throws {
        try await PostgresTestDatabase.with(migrated: false) { _, db in
            try await db.execute(setup)
            let error = try await #require(throws: OpsError.self) {
                try await SchemaDumper(connection: db).plan()
            }
            #expect(error.code == .jobFailed)
            #expect(error.message.hasPrefix("cannot back up "))
            #expect(error.message.contains(named), "\(error.message)")
            #expect(error.message.contains("not supported by auto-i18n-ops backup"))
        }
    }

    /// The script is UTF-8 whatever the database's encoding: a connection left in the database's own
    /// encoding is refused with a message saying so, and one in UTF8 gives a script that restores a LATIN1
    /// database with non-ASCII names and rows into an identical LATIN1 database.
    @Test func aLatin1DatabaseRoundTripsThroughAUTF8Script() async throws {
        let server = try PostgresTestDatabase.serverConfiguration()
        let admin = try await PostgresConnection.connect(server)
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        let source = "t_latin1_src_\(suffix)", target = "t_latin1_dst_\(suffix)"
        for name in [source, target] {
            try await admin.execute("CREATE DATABASE \(name) TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'")
        }
        do {
            let db = try await PostgresConnection.connect(server.withDatabase(source))
            try await db.execute("SET client_encoding = 'UTF8'")
            try await db.execute("""
                CREATE TABLE public."Café" ("naïve" text DEFAULT 'déjà vu', n int);
                COMMENT ON TABLE public."Café" IS 'crème brûlée';
                INSERT INTO public."Café" VALUES ('façade', 1);
                """)
            // PGClient connects with client_encoding UTF8; a session switched away from it is refused.
            #expect(try await db.query("SHOW client_encoding").first?.values.first == "UTF8")
            try await db.execute("SET client_encoding = 'LATIN1'")
            let refused = try await #require(throws: OpsError.self) { try await SchemaDumper(connection: db).plan() }
            #expect(refused.message.contains("client_encoding is LATIN1"), "\(refused.message)")

            try await db.execute("SET client_encoding = 'UTF8'")
            let plan = try await SchemaDumper(connection: db).plan()
            let script = try await plan.script(copyingFrom: db)
            await db.close()
            try PostgresTools.apply(script, to: server.url(forDatabase: target))
            for section in ["--schema-only", "--data-only"] {
                let expected = try PostgresTools.dump(server.url(forDatabase: source), [section, "--encoding=UTF8"])
                let actual = try PostgresTools.dump(server.url(forDatabase: target), [section, "--encoding=UTF8"])
                let identical = actual == expected
                #expect(identical, "pg_dump \(section) differs at \(firstDifference(expected, actual))")
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

    /// A generated column cannot be added after its table, so a cycle through one cannot be broken the
    /// way a default's or a CHECK's is: the plan fails naming the objects instead of writing a script
    /// that would not restore.
    @Test func aDependencyCycleThroughAGeneratedColumnFailsThePlanNamingIt() async throws {
        try await PostgresTestDatabase.with(migrated: false) { _, db in
            try await db.execute("""
                CREATE TABLE public.gcy (id int);
                CREATE FUNCTION public.gcy_f(c public.gcy) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 1';
                ALTER TABLE public.gcy ADD COLUMN g int GENERATED ALWAYS AS (public.gcy_f(NULL::public.gcy)) STORED;
                """)
            let error = try await #require(throws: OpsError.self) {
                try await SchemaDumper(connection: db).plan()
            }
            #expect(error.code == .jobFailed)
            #expect(error.message.contains("circular dependencies"))
            #expect(error.message.contains("function public.gcy_f(c public.gcy)") && error.message.contains("table public.gcy"), "\(error.message)")
        }
    }

    /// `excludeTableData` leaves out exactly the tables' COPY and sequences' setval that pg_dump's
    /// `--exclude-table-data` leaves out, for the same patterns.
    @Test func excludedTableDataIsWhatPgDumpExcludes() async throws {
        let server = try PostgresTestDatabase.serverConfiguration()
        try await PostgresTestDatabase.with(migrated: false) { name, db in
            try await db.execute(#"""
                CREATE SCHEMA other; CREATE SCHEMA "Mixed Case";
                CREATE TABLE public.files (id int); CREATE TABLE public."Files" (id int); CREATE TABLE public.batches (id int);
                CREATE TABLE public.batch_requests (id serial); CREATE TABLE public."batch$x" (id int); CREATE TABLE public."a.b" (id int); CREATE TABLE public."t[]" (id int);
                CREATE TABLE other.files (id int); CREATE TABLE other.logs_2024 (id int); CREATE TABLE other.logs_20245 (id int);
                CREATE TABLE "Mixed Case"."Tab""le" (id int); CREATE TABLE "Mixed Case".t1 (id int);
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
                let output = try PostgresTools.run("pg_dump", ["--data-only", "--dbname", server.url(forDatabase: name)]
                                                   + patterns.map { "--exclude-table-data=\($0)" })
                try #require(output.status == 0, "pg_dump failed: \(output.stderr)")
                let lines = output.stdout.split(separator: "\n").map(String.init)
                let pgDumpSetvals = Set(lines.filter { $0.hasPrefix("SELECT pg_catalog.setval(") })

                let plan = try await SchemaDumper(connection: db, options: DumpOptions(excludeTableData: patterns)).plan()
                let ours = Set(plan.tables.map { $0.copyInHeader.dropFirst(5).split(separator: "\n")[0] }.map { header in
                    String(header.dropLast(" FROM stdin;".count))
                })
                let theirs = Set(lines.filter { $0.hasPrefix("COPY ") }.map { String($0.dropFirst(5).dropLast(" FROM stdin;".count)) })
                #expect(ours == theirs, "patterns \(patterns)")
                #expect(Set(plan.sequenceSets.map { $0.sql.trimmingCharacters(in: .newlines) }) == pgDumpSetvals, "patterns \(patterns)")
                #expect(!theirs.isEmpty)
            }
        }
    }

    @Test func aPatternWithTooManyDotsOrAnotherDatabaseIsAUsageError() async throws {
        try await PostgresTestDatabase.with(migrated: false) { _, db in
            for pattern in ["a.b.c.d", "elsewhere.public.files"] {
                let error = try await #require(throws: OpsError.self) {
                    try await SchemaDumper(connection: db, options: DumpOptions(excludeTableData: [pattern])).plan()
                }
                #expect(error.code == .usage)
                #expect(error.message.contains(pattern))
            }
        }
    }
}
