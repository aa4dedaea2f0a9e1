@testable import Backup
import Foundation
import Testing

@Suite("SQL script splitter")
struct SQLScriptSplitterTests {
    /// Feeds `script` in pieces of `step` bytes and collects the events.
    static func split(_ script: String, step: Int = .max) throws -> [String] {
        var splitter = SQLScriptSplitter(source: "test.sql")
        var events: [String] = []
        var copy: [UInt8] = []
        func drain() throws {
            while let event = try splitter.next() {
                switch event {
                case .statement(let sql, let line): events.append("S\(line):\(sql)")
                case .copy(let sql, let line): events.append("C\(line):\(sql)")
                case .copyData(let bytes): copy += bytes
                case .copyEnd:
                    events.append("D:" + String(decoding: copy, as: UTF8.self))
                    copy = []
                }
            }
        }
        let bytes = Array(script.utf8)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + step)
            bytes[offset..<end].withUnsafeBytes { splitter.feed($0) }
            try drain()
            offset = end
        }
        splitter.finishInput()
        try drain()
        return events
    }

    static let awkward = #"""
        -- a comment; with a semicolon
        SET standard_conforming_strings = on;
        /* block /* nested ; */ still comment; */
        CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $body$
        BEGIN
          RETURN 'a;b' || $$;$$ || E'\';' || "x;y";
        END
        $body$;
        INSERT INTO t VALUES ('it''s; fine', "quoted"";name", $1);
        COPY public.t (a, b) FROM stdin;
        1	\\.not the end
        \.x	also data
        2	tab\there
        \.
        SELECT 'after copy';
        SELECT a$b$c FROM t;
        SELECT 1
        """#

    static let expected = [
        "S2:SET standard_conforming_strings = on;",
        "S4:CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $body$\nBEGIN\n  RETURN 'a;b' || $$;$$ || E'\\';' || \"x;y\";\nEND\n$body$;",
        "S9:INSERT INTO t VALUES ('it''s; fine', \"quoted\"\";name\", $1);",
        "C10:COPY public.t (a, b) FROM stdin;",
        "D:1\t\\\\.not the end\n\\.x\talso data\n2\ttab\\there\n",
        "S15:SELECT 'after copy';",
        "S16:SELECT a$b$c FROM t;",
        "S17:SELECT 1",
    ]

    @Test("statements, quotes, dollar bodies, comments and COPY blocks split as psql splits them")
    func splitsLikePsql() throws {
        #expect(try Self.split(Self.awkward) == Self.expected)
    }

    @Test("the split does not depend on how the input is chunked", arguments: [1, 2, 3, 7, 64])
    func chunkingDoesNotMatter(step: Int) throws {
        #expect(try Self.split(Self.awkward, step: step) == Self.expected)
    }

    @Test("psql meta-commands are errors naming their line")
    func metaCommandsAreRefused() throws {
        let error = try #require(throws: BackupError.self) { try Self.split("SELECT 1;\n\n\\connect other\nSELECT 2;\n") }
        #expect(error.message == "test.sql line 3: psql meta-command \\connect cannot be run by restore; run this script with psql instead")
        #expect(throws: BackupError.self) { try Self.split("SELECT 1 \\gset\n") }
    }

    @Test("pg_dump's \\restrict and \\unrestrict guards are skipped")
    func restrictIsSkipped() throws {
        let script = "\\restrict abc123\n\nSET x = 1;\n\\unrestrict abc123\n"
        #expect(try Self.split(script) == ["S3:SET x = 1;"])
    }

    @Test("an empty COPY block and a COPY ending at the end of the input")
    func copyEdgeCases() throws {
        #expect(try Self.split("COPY t FROM stdin;\n\\.\nSELECT 1;") == ["C1:COPY t FROM stdin;", "D:", "S3:SELECT 1;"])
        #expect(try Self.split("COPY t FROM STDIN;\na\nb") == ["C1:COPY t FROM STDIN;", "D:a\nb"])
        #expect(try Self.split("COPY t TO stdout;") == ["S1:COPY t TO stdout;"])
        #expect(try Self.split("COPY \"from stdin\" FROM stdin;\r\nx\r\n\\.\r\n") == ["C1:COPY \"from stdin\" FROM stdin;", "D:x\r\n"])
    }

    @Test("a script ending inside a string is an error")
    func unterminatedString() throws {
        #expect(throws: BackupError.self) { try Self.split("SELECT 'abc") }
    }
}

@Suite("restore error previews")
struct RestorePreviewTests {
    @Test func stringLiteralsAreBlankedInTheStatementPreview() {
        let preview = ScriptRunner.redactedPreview("ALTER ROLE app PASSWORD 'hunter2-secret' VALID UNTIL 'infinity';\nSELECT 1;")
        #expect(!preview.contains("hunter2"))
        #expect(preview == "ALTER ROLE app PASSWORD '…' VALID UNTIL '…';")
    }

    /// SQL-standard routine bodies hold semicolons: psql's BEGIN … END heuristic keeps them whole, in
    /// pieces of any size; CASE … END inside them nests; other statements' BEGIN does not.
    @Test(arguments: [1, 3, 7, 1 << 20])
    func beginAtomicBodiesStayOneStatement(step: Int) throws {
        let script = """
            CREATE OR REPLACE FUNCTION public.f(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN a > 0 THEN 1 ELSE 2 END; SELECT 3; END;
            CREATE PROCEDURE public.p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END;
            BEGIN;
            SELECT 1;
            COMMIT;
            CREATE TABLE "begin" (x int, "end" int);
            """
        let events = try SQLScriptSplitterTests.split(script, step: step)
        #expect(events.count == 6, "\(events)")
        #expect(events.first?.hasSuffix("SELECT 3; END;") == true)
        #expect(events[1].hasSuffix("VALUES (1); END;"))
        #expect(events[2] == "S3:BEGIN;" && events[3] == "S4:SELECT 1;")
    }

    /// pg_dump's object headers locate each object in a member.
    @Test func pgDumpHeadersLocateTheObjects() throws {
        let body = Array("""
            --
            -- PostgreSQL database dump
            --

            SET lock_timeout = 0;

            --
            -- Name: t id; Type: DEFAULT; Schema: public; Owner: ops
            --

            ALTER TABLE ONLY public.t ALTER COLUMN id SET DEFAULT 1;


            --
            -- Data for Name: BLOBS; Type: BLOBS; Schema: -; Owner: -
            --

            BEGIN;
            COMMIT;

            --
            -- PostgreSQL database dump complete
            --

            """.utf8)
        let items = PgDumpScript.items(in: body)
        try #require(items.count == 2)
        #expect(items[0].kind == "DEFAULT" && items[0].schema == "public" && items[0].name == "t id")
        #expect(items[1].kind == "BLOBS" && items[1].schema == nil)
        let first = String(decoding: body[Int(items[0].offset)..<Int(items[0].offset + items[0].length)], as: UTF8.self)
        #expect(first.trimmingCharacters(in: .whitespacesAndNewlines) == "ALTER TABLE ONLY public.t ALTER COLUMN id SET DEFAULT 1;")
        let second = String(decoding: body[Int(items[1].offset)..<Int(items[1].offset + items[1].length)], as: UTF8.self)
        #expect(second.trimmingCharacters(in: .whitespacesAndNewlines) == "BEGIN;\nCOMMIT;")
        #expect(PgDumpScript.preamble(of: body) == "SET lock_timeout = 0;\n")
    }
}
