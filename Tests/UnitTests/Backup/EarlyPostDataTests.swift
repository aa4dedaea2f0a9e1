@testable import Backup
import Testing

@Suite("Early post-data (restore --jobs)")
struct EarlyPostDataTests {
    static let header = """
        SET statement_timeout = 0;
        SET client_encoding = 'UTF8';
        SELECT pg_catalog.set_config('search_path', '', false);

        """

    static func table(_ name: String, members: Int) -> BackupManifest.Table {
        BackupManifest.Table(schema: "public", name: name, qualifiedName: "public.\(name)", rows: 1, bytes: 1,
                             members: (0..<members).map { "1000-data-\(name).\($0).sql" })
    }

    /// files' key and GIN build, then a B-tree on batches.
    static let keyGinAndBtree = """
        ALTER TABLE ONLY public.files
            ADD CONSTRAINT files_pkey PRIMARY KEY (id);
        CREATE INDEX files_v ON public.files USING gin (v);
        CREATE INDEX b_x ON public.batches USING btree (x);

        """
    static let filesAndBatches = [table("files", members: 3), table("batches", members: 1)]

    static func plan(_ body: String, tables: [BackupManifest.Table], filter: RestoreFilter = RestoreFilter(noOwner: false, noPrivileges: false)) throws -> EarlyPostData? {
        try EarlyPostData(postData: Array((header + body).utf8), source: "8000-post-data.sql", tables: tables, filter: filter)
    }

    @Test func theHeadUpToTheFirstBarrierIsPlannedAndTheLeadingSettingsKept() throws {
        let plan = try #require(try Self.plan(Self.keyGinAndBtree + """
            CREATE TRIGGER t BEFORE UPDATE ON public.files FOR EACH ROW EXECUTE FUNCTION public.f();
            CREATE INDEX b_y ON public.batches USING btree (y);
            """, tables: Self.filesAndBatches))
        #expect(plan.entries.map { String($0.statement.sql.prefix(12)) } == ["ALTER TABLE ", "CREATE INDEX", "CREATE INDEX"])
        #expect(plan.leadingSettings.count == 3)
        #expect(plan.members == ["public.files": 3, "public.batches": 1])
        #expect(plan.settingsApplied(["SET statement_timeout = 0;", "SET client_encoding = 'UTF8';",
                                      "SELECT pg_catalog.set_config('search_path', '', false);", "SET other = 1;"]))
        #expect(!plan.settingsApplied(["SET statement_timeout = 0;"]))
    }

    @Test func anEntryWaitsForItsTablesDataAndForEarlierConflictingEntries() throws {
        let plan = try #require(try Self.plan(Self.keyGinAndBtree, tables: Self.filesAndBatches))
        var started = [false, false, false], done = [false, false, false]
        // Nothing has loaded yet.
        #expect(plan.next(started: started, done: done, remaining: ["public.files": 3, "public.batches": 1]) == nil)
        // batches is in, files still loading: only the batches index.
        #expect(plan.next(started: started, done: done, remaining: ["public.files": 1, "public.batches": 0]) == 2)
        started[2] = true; done[2] = true
        // files is in: its key first (the GIN build conflicts with it), then the GIN build.
        let loaded = ["public.files": 0, "public.batches": 0]
        #expect(plan.next(started: started, done: done, remaining: loaded) == 0)
        started[0] = true
        #expect(plan.next(started: started, done: done, remaining: loaded) == nil)
        done[0] = true
        #expect(plan.next(started: started, done: done, remaining: loaded) == 1)
    }

    @Test func slowIndexBuildsGoFirstAmongThoseThatMayStart() throws {
        let plan = try #require(try Self.plan("""
            CREATE INDEX b_x ON public.batches USING btree (x);
            CREATE INDEX files_v ON public.files USING gin (v);
            """, tables: [Self.table("files", members: 1), Self.table("batches", members: 1)]))
        #expect(plan.next(started: [false, false], done: [false, false], remaining: ["public.files": 0, "public.batches": 0]) == 1)
    }

    @Test func aStatementOnATableOutsideTheManifestNeverRunsEarlyAndHoldsBackWhatConflictsWithIt() throws {
        let plan = try #require(try Self.plan("""
            CREATE UNIQUE INDEX stats_key ON public.stats USING btree (k);
            ALTER TABLE ONLY public.files ADD CONSTRAINT f_fk FOREIGN KEY (s) REFERENCES public.stats(id);
            CREATE INDEX files_v ON public.files USING gin (v);
            """, tables: [Self.table("files", members: 1)]))
        #expect(plan.entries.map(\.eligible) == [false, false, true])
        // The foreign key (never early) holds the later build on files back.
        #expect(plan.next(started: [false, false, false], done: [false, false, false], remaining: ["public.files": 0]) == nil)
    }

    @Test func nothingToRunEarlyMeansNoPlan() throws {
        #expect(try Self.plan("CREATE TRIGGER t BEFORE UPDATE ON public.files FOR EACH ROW EXECUTE FUNCTION public.f();\n",
                              tables: [Self.table("files", members: 1)]) == nil)
        #expect(try Self.plan("CREATE INDEX m ON public.matview USING btree (a);\n", tables: [Self.table("files", members: 1)]) == nil)
        // A setting between statements (pg_dump's default_tablespace before an index elsewhere) ends the head.
        let plan = try #require(try Self.plan("""
            CREATE INDEX a ON public.files USING btree (a);
            SET default_tablespace = fast;
            CREATE INDEX b ON public.files USING btree (b);
            """, tables: [Self.table("files", members: 1)]))
        #expect(plan.entries.count == 1)
    }

    @Test func statementsTheRestoreLeavesOutAreNotPlanned() throws {
        let plan = try #require(try Self.plan("""
            CREATE INDEX a ON public.files USING btree (a);
            ALTER INDEX public.a OWNER TO someone;
            CREATE INDEX b ON public.files USING btree (b);
            """, tables: [Self.table("files", members: 1)], filter: RestoreFilter(noOwner: true, noPrivileges: false)))
        #expect(plan.entries.map { String($0.statement.sql.prefix(14)) } == ["CREATE INDEX a", "CREATE INDEX b"])
    }
}
