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
        #expect(selection.filter(sql).map(\.sql) == [
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
