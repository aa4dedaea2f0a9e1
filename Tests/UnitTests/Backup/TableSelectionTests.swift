@testable import Backup
import Foundation
import Testing

/// `restore --table` over pg_dump's headers, on a script shaped as pg_dump writes one (the integration
/// test `RestoreTableTests` holds it to `pg_dump -t` itself on a real database).
@Suite("restore --table selection")
struct TableSelectionTests {
    static func object(_ name: String, _ type: String, _ schema: String, _ sql: String) -> String {
        "--\n-- Name: \(name); Type: \(type); Schema: \(schema); Owner: ops\n--\n\n\(sql)\n\n\n"
    }

    static let preData = "--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n\n"
        + object("f", "FUNCTION", "public", "CREATE FUNCTION public.f() RETURNS integer LANGUAGE sql AS $$SELECT 1$$;")
        + "SET default_tablespace = '';\n\n"
        + object("a b", "TABLE", "public", "CREATE TABLE public.\"a b\" (\n    id integer NOT NULL\n);\n\n\nALTER TABLE public.\"a b\" OWNER TO ops;")
        + object("b", "TABLE", "public", "CREATE TABLE public.b (\n    id integer NOT NULL\n);")
        + object("p", "TABLE", "public", "CREATE TABLE public.p (\n    id integer NOT NULL\n)\nPARTITION BY RANGE (id);")
        + object("p1", "TABLE", "public", "CREATE TABLE public.p1 (\n    id integer NOT NULL\n);")
        + object("p1", "TABLE ATTACH", "public", "ALTER TABLE ONLY public.p ATTACH PARTITION public.p1 FOR VALUES FROM (0) TO (10);")
        + object("a b_id_seq", "SEQUENCE", "public", "CREATE SEQUENCE public.\"a b_id_seq\"\n    AS integer;")
        + object("a b_id_seq", "SEQUENCE OWNED BY", "public", "ALTER SEQUENCE public.\"a b_id_seq\" OWNED BY public.\"a b\".id;")
        + object("b_id_seq", "SEQUENCE", "public", "ALTER TABLE public.b ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (\n    SEQUENCE NAME public.b_id_seq\n);")
        + object("a b id", "DEFAULT", "public", "ALTER TABLE ONLY public.\"a b\" ALTER COLUMN id SET DEFAULT nextval('public.\"a b_id_seq\"'::regclass);")
        + object("COLUMN \"a b\".id", "COMMENT", "public", "COMMENT ON COLUMN public.\"a b\".id IS 'x';")
        + object("TABLE \"a b\"", "ACL", "public", "SET SESSION AUTHORIZATION reader;\nGRANT SELECT ON TABLE public.\"a b\" TO ops;\nRESET SESSION AUTHORIZATION;")
        + object("TABLE b", "ACL", "public", "SET SESSION AUTHORIZATION reader;\nGRANT SELECT ON TABLE public.b TO ops;\nRESET SESSION AUTHORIZATION;")
        + "--\n-- PostgreSQL database dump complete\n--\n\n"

    static let postData = "SET statement_timeout = 0;\n\n"
        + object("a b a b_pkey", "CONSTRAINT", "public", "ALTER TABLE ONLY public.\"a b\"\n    ADD CONSTRAINT \"a b_pkey\" PRIMARY KEY (id);")
        + object("x", "INDEX", "public", "CREATE INDEX x ON public.\"a b\" USING btree (id);")
        + object("INDEX x", "COMMENT", "public", "COMMENT ON INDEX public.x IS 'i';")
        + object("p1_id_idx", "INDEX", "public", "CREATE INDEX p1_id_idx ON public.p1 USING btree (id);")
        + object("p1_id_idx", "INDEX ATTACH", "public", "ALTER INDEX public.p_id_idx ATTACH PARTITION public.p1_id_idx;")
        + object("a b on", "TRIGGER", "public", "CREATE TRIGGER \"on\" BEFORE INSERT ON public.\"a b\" FOR EACH ROW EXECUTE FUNCTION public.f();")
        + object("p1 t", "TRIGGER", "public", "ALTER TABLE public.p1 DISABLE TRIGGER t;")
        + object("a b r", "RULE", "public", "CREATE RULE r AS\n    ON INSERT TO public.\"a b\" DO NOTHING;")
        + object("a b a_b_fk", "FK CONSTRAINT", "public", "ALTER TABLE ONLY public.\"a b\"\n    ADD CONSTRAINT a_b_fk FOREIGN KEY (id) REFERENCES public.b(id);")
        + object("b b_a_fk", "FK CONSTRAINT", "public", "ALTER TABLE ONLY public.b\n    ADD CONSTRAINT b_a_fk FOREIGN KEY (id) REFERENCES public.\"a b\"(id);")

    static func run(_ selection: TableSelection) throws -> (pre: [String], post: [String], filter: TableSelection.Filter) {
        var filter = selection.filter()
        func statements(_ text: String) throws -> [ScriptStatement] {
            var splitter = SQLScriptSplitter(source: "t")
            Array(text.utf8).withUnsafeBytes { splitter.feed($0) }
            splitter.finishInput()
            var result: [ScriptStatement] = []
            while let event = try splitter.next() { if case .statement(let sql, let line) = event { result.append(ScriptStatement(sql: sql, line: line, source: "t")) } }
            return result
        }
        let pre = filter.filter(try statements(preData), body: Array(preData.utf8)).map(\.sql)
        let post = filter.filter(try statements(postData), body: Array(postData.utf8)).map(\.sql)
        return (pre, post, filter)
    }

    @Test func aTableKeepsItsObjectsByTheirStatementsNotTheirAmbiguousHeaders() throws {
        let (pre, post, filter) = try Self.run(TableSelection(tables: ["public.a b"]))
        #expect(pre == [
            "SET statement_timeout = 0;",
            "SELECT pg_catalog.set_config('search_path', '', false);",
            "SET default_tablespace = '';",
            "CREATE TABLE public.\"a b\" (\n    id integer NOT NULL\n);",
            "ALTER TABLE public.\"a b\" OWNER TO ops;",
            "CREATE SEQUENCE public.\"a b_id_seq\"\n    AS integer;",
            "ALTER SEQUENCE public.\"a b_id_seq\" OWNED BY public.\"a b\".id;",
            "ALTER TABLE ONLY public.\"a b\" ALTER COLUMN id SET DEFAULT nextval('public.\"a b_id_seq\"'::regclass);",
            "COMMENT ON COLUMN public.\"a b\".id IS 'x';",
            "SET SESSION AUTHORIZATION reader;",
            "GRANT SELECT ON TABLE public.\"a b\" TO ops;",
            "RESET SESSION AUTHORIZATION;",
        ])
        // The FK to public.b (neither restored nor in the target) is left out, and said so.
        #expect(post == [
            "SET statement_timeout = 0;",
            "ALTER TABLE ONLY public.\"a b\"\n    ADD CONSTRAINT \"a b_pkey\" PRIMARY KEY (id);",
            "CREATE INDEX x ON public.\"a b\" USING btree (id);",
            "COMMENT ON INDEX public.x IS 'i';",
            "CREATE TRIGGER \"on\" BEFORE INSERT ON public.\"a b\" FOR EACH ROW EXECUTE FUNCTION public.f();",
            "CREATE RULE r AS\n    ON INSERT TO public.\"a b\" DO NOTHING;",
        ])
        #expect(filter.notes == ["FK CONSTRAINT public.a b a_b_fk left out: it references a table that is neither restored nor in the target"])
        // With public.b in the target, the foreign key loads.
        let (_, withTarget, quiet) = try Self.run(TableSelection(tables: ["public.a b"], targetTables: ["public.b"]))
        #expect(withTarget.last == "ALTER TABLE ONLY public.\"a b\"\n    ADD CONSTRAINT a_b_fk FOREIGN KEY (id) REFERENCES public.b(id);")
        #expect(quiet.notes.isEmpty)
    }

    @Test func identitySequencesAndPartitionsWithAndWithoutTheirParent() throws {
        let (pre, post, filter) = try Self.run(TableSelection(tables: ["public.b", "public.p1"]))
        #expect(pre.contains("ALTER TABLE public.b ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (\n    SEQUENCE NAME public.b_id_seq\n);"))
        #expect(!pre.contains { $0.contains("ATTACH PARTITION") } && !post.contains { $0.contains("ATTACH PARTITION") || $0.contains("DISABLE TRIGGER") })
        #expect(post.contains("CREATE INDEX p1_id_idx ON public.p1 USING btree (id);"))
        #expect(filter.detached == ["public.p1"])
        #expect(filter.notes.contains("partition public.p1 restored detached (its parent is not restored); to attach it: ALTER TABLE ONLY public.p ATTACH PARTITION public.p1 FOR VALUES FROM (0) TO (10);"))
        let (parentPre, parentPost, parentFilter) = try Self.run(TableSelection(tables: ["public.p", "public.p1"]))
        #expect(parentPre.contains("ALTER TABLE ONLY public.p ATTACH PARTITION public.p1 FOR VALUES FROM (0) TO (10);"))
        #expect(parentPost.contains("ALTER INDEX public.p_id_idx ATTACH PARTITION public.p1_id_idx;") && parentPost.contains("ALTER TABLE public.p1 DISABLE TRIGGER t;"))
        #expect(parentFilter.notes.isEmpty)
        // A partitioned table named alone brings its partitions.
        #expect(TableSelection.partitions(in: Array(Self.preData.utf8)) == ["public.p": ["public.p1"]])
    }

    @Test func privilegesAreResetBeforeTheDumpsGrants() throws {
        var selection = TableSelection(tables: ["public.b"])
        selection.resetsPrivileges = true
        let (pre, _, _) = try Self.run(selection)
        let resets = pre.filter { $0.hasPrefix("DO $acl$") }
        #expect(resets.count == 2)
        #expect(resets[0].contains("'\"public\".\"b\"'::pg_catalog.regclass") && resets[0].contains("REVOKE ALL ON TABLE"))
        #expect(resets[1].contains("'\"public\".\"b_id_seq\"'::pg_catalog.regclass") && resets[1].contains("REVOKE ALL ON SEQUENCE"))
        #expect(pre.firstIndex(of: resets[0])! < pre.firstIndex(of: "GRANT SELECT ON TABLE public.b TO ops;")!)
        // A name holding the dollar quote's tag gets another tag.
        #expect(TableSelection.resetPrivilegesSQL(relation: "public.\"$acl$\"", kind: "TABLE").hasPrefix("DO $acl5$"))
    }
}
