@testable import Backup
import Testing

@Suite("Post-data scheduling")
struct PostDataSchedulerTests {
    @Test("indexes and PK/UNIQUE constraints lock their table; foreign keys lock both ends; the rest is a barrier",
          arguments: [
              ("CREATE INDEX files_path_idx ON public.files USING btree (path);", ["public.files"]),
              ("CREATE UNIQUE INDEX \"Odd\" ON ONLY \"My Schema\".\"T\" USING gin (x);", ["My Schema.T"]),
              ("ALTER TABLE ONLY public.files\n    ADD CONSTRAINT files_pkey PRIMARY KEY (id);", ["public.files"]),
              ("ALTER TABLE ONLY public.files ADD CONSTRAINT files_session_fk FOREIGN KEY (session_id) REFERENCES public.sessions(id) ON DELETE CASCADE;",
               ["public.files", "public.sessions"]),
              ("CREATE TRIGGER t BEFORE UPDATE ON public.files FOR EACH ROW EXECUTE FUNCTION public.f();", nil),
              ("ALTER INDEX public.p_pkey ATTACH PARTITION public.c_pkey;", nil),
              ("COMMENT ON INDEX public.i IS 'x';", nil),
          ] as [(String, [String]?)])
    func lockSets(sql: String, expected: [String]?) {
        #expect(PostDataScheduler.lockSet(of: sql) == expected.map(Set.init))
    }

    @Test func indexBuildsShareTheirTableAndEverythingElseHoldsItExclusively() {
        #expect(PostDataScheduler.locks(of: "CREATE INDEX i ON public.files USING gin (v);") == ["public.files": .shared])
        #expect(PostDataScheduler.locks(of: "CREATE UNIQUE INDEX i ON public.files USING btree (a);") == ["public.files": .sharedUnique])
        #expect(PostDataScheduler.locks(of: "CREATE UNIQUE INDEX CONCURRENTLY i ON public.files USING btree (a);") == ["public.files": .exclusive])
        #expect(PostDataScheduler.locks(of: "ALTER TABLE ONLY public.files\n    ADD CONSTRAINT p PRIMARY KEY (id);") == ["public.files": .exclusive])
        #expect(PostDataScheduler.locks(of: "ALTER TABLE ONLY public.a ADD CONSTRAINT f FOREIGN KEY (b) REFERENCES public.b(id);")
                == ["public.a": .exclusive, "public.b": .exclusive])
    }

    @Test func ginGistAndSpgistBuildsAreTheSlowOnes() {
        #expect(PostDataScheduler.isSlowIndexBuild("CREATE INDEX i ON public.files USING gin (search_vector);"))
        #expect(PostDataScheduler.isSlowIndexBuild("CREATE INDEX i ON ONLY public.t USING gist (r);"))
        #expect(!PostDataScheduler.isSlowIndexBuild("CREATE UNIQUE INDEX i ON public.t USING btree (a);"))
        #expect(!PostDataScheduler.isSlowIndexBuild("COMMENT ON INDEX public.i IS 'USING gin';"))
    }

    @Test func plainKeyConstraintsBecomeAnIndexBuildAndAnAttachAfterTheTablesOtherIndexBuilds() {
        let script = [
            "ALTER TABLE ONLY public.files\n    ADD CONSTRAINT files_pkey PRIMARY KEY (id);",
            "ALTER TABLE ONLY public.files\n    ADD CONSTRAINT \"Files Key\" UNIQUE (session_id, \"Type\", locale);",
            "ALTER TABLE ONLY public.jobs\n    ADD CONSTRAINT jobs_pkey PRIMARY KEY (id) DEFERRABLE;",
            "ALTER TABLE ONLY public.parts\n    ADD CONSTRAINT parts_pkey PRIMARY KEY (id);",
            "ALTER TABLE ONLY public.other\n    ADD CONSTRAINT other_key UNIQUE NULLS NOT DISTINCT (a);",
            "CREATE INDEX files_search_idx ON public.files USING gin (search_vector);",
            "CREATE INDEX jobs_idx ON public.jobs USING btree (x);",
            "ALTER TABLE ONLY public.jobs\n    ADD CONSTRAINT jobs_file_fk FOREIGN KEY (file_id) REFERENCES public.files(id);",
            "COMMENT ON CONSTRAINT x ON public.other IS 'c';",
        ].map { ScriptStatement(sql: $0, line: 7, source: "8000-post-data.sql") }
        let split = PostDataScheduler.splitConstraints(script, skipping: ["public.parts"]).map(\.sql)
        #expect(split == [
            "CREATE UNIQUE INDEX files_pkey ON public.files USING btree (id);",
            "CREATE UNIQUE INDEX \"Files Key\" ON public.files USING btree (session_id, \"Type\", locale);",
            "ALTER TABLE ONLY public.jobs\n    ADD CONSTRAINT jobs_pkey PRIMARY KEY (id) DEFERRABLE;",  // has an option: as dumped
            "ALTER TABLE ONLY public.parts\n    ADD CONSTRAINT parts_pkey PRIMARY KEY (id);",  // partitioned: as dumped
            "ALTER TABLE ONLY public.other\n    ADD CONSTRAINT other_key UNIQUE NULLS NOT DISTINCT (a);",
            "CREATE INDEX files_search_idx ON public.files USING gin (search_vector);",  // builds beside the two above
            "CREATE INDEX jobs_idx ON public.jobs USING btree (x);",
            // The foreign key needs public.files exclusively: the constraints are attached first.
            "ALTER TABLE ONLY public.files\n    ADD CONSTRAINT files_pkey PRIMARY KEY USING INDEX files_pkey;",
            "ALTER TABLE ONLY public.files\n    ADD CONSTRAINT \"Files Key\" UNIQUE USING INDEX \"Files Key\";",
            "ALTER TABLE ONLY public.jobs\n    ADD CONSTRAINT jobs_file_fk FOREIGN KEY (file_id) REFERENCES public.files(id);",
            "COMMENT ON CONSTRAINT x ON public.other IS 'c';",
        ])
        // Nothing deferred is lost at the end, or past a barrier.
        let tail = PostDataScheduler.splitConstraints(Array(script.prefix(1)), skipping: []).map(\.sql)
        #expect(tail == ["CREATE UNIQUE INDEX files_pkey ON public.files USING btree (id);",
                         "ALTER TABLE ONLY public.files\n    ADD CONSTRAINT files_pkey PRIMARY KEY USING INDEX files_pkey;"])
        let barrier = PostDataScheduler.splitConstraints([script[0], script[8]], skipping: []).map(\.sql)
        #expect(barrier.last == script[8].sql)
        #expect(barrier.count == 3)
    }

    @Test("--table keeps a table's own statements and its owned sequences")
    func tableSelectionFilter() throws {
        let sql = [
            "SET search_path = '';",
            "CREATE TABLE public.a (id integer NOT NULL);",
            "CREATE TABLE public.b (id integer NOT NULL);",
            "CREATE SEQUENCE public.a_id_seq AS integer;",
            "ALTER SEQUENCE public.a_id_seq OWNED BY public.a.id;",
            "ALTER TABLE ONLY public.a ALTER COLUMN id SET DEFAULT nextval('public.a_id_seq'::regclass);",
            "COMMENT ON COLUMN public.a.id IS 'x';",
            "SELECT pg_catalog.setval('public.a_id_seq', 5, true);",
            "CREATE INDEX a_idx ON public.a USING btree (id);",
            "ALTER TABLE ONLY public.a ADD CONSTRAINT a_b_fk FOREIGN KEY (id) REFERENCES public.b(id);",
            "CREATE FUNCTION public.f() RETURNS integer LANGUAGE sql AS $$SELECT 1$$;",
        ].map { ScriptStatement(sql: $0, line: 1, source: "t") }
        let selection = TableSelection(tables: ["public.a"])
        #expect(selection.filterStatements(sql).map(\.sql) == [
            "SET search_path = '';",
            "CREATE TABLE public.a (id integer NOT NULL);",
            "CREATE SEQUENCE public.a_id_seq AS integer;",
            "ALTER SEQUENCE public.a_id_seq OWNED BY public.a.id;",
            "ALTER TABLE ONLY public.a ALTER COLUMN id SET DEFAULT nextval('public.a_id_seq'::regclass);",
            "COMMENT ON COLUMN public.a.id IS 'x';",
            "SELECT pg_catalog.setval('public.a_id_seq', 5, true);",
            "CREATE INDEX a_idx ON public.a USING btree (id);",
        ])
    }
}
