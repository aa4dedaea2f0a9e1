import Foundation
import PGClient
import Testing

@Suite("PostgreSQL client: COPY streaming")
struct PostgresCopyTests {
    /// 40,000 rows of ~2 KiB (~80 MB): far more than any buffer the client uses. The consumer sees one
    /// row at a time, so the largest chunk is one row, and the copy-in reads the stream back in 64 KiB
    /// chunks from a file; the two tables end up identical.
    @Test func copyOutAndInStreamATableFarLargerThanTheBuffers() async throws {
        try await PostgresTestDatabase.with(migrated: false) { _, db in
            try await db.execute("""
                CREATE TABLE src (id int, body text, extra jsonb);
                INSERT INTO src SELECT g, repeat(md5(g::text), 64) || E'\\t\\\\N\\r\\n' || g, jsonb_build_object('g', g)
                FROM generate_series(1, 40000) g;
                CREATE TABLE dst (LIKE src);
                """)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("copy-\(UUID().uuidString)")
            _ = FileManager.default.createFile(atPath: file.path, contents: nil)
            defer { try? FileManager.default.removeItem(at: file) }
            let output = try FileHandle(forWritingTo: file)
            var largestChunk = 0
            var total = 0
            let rows = try await db.copyOut("COPY src TO STDOUT") { chunk in
                largestChunk = max(largestChunk, chunk.count)
                total += chunk.count
                output.write(Data(chunk))
            }
            try output.close()
            #expect(rows == 40000)
            #expect(total > 80_000_000)
            #expect(largestChunk < 4096, "one row per chunk, not the table")

            let input = try FileHandle(forReadingFrom: file)
            let loaded = try await db.copyIn("COPY dst FROM STDIN") {
                let data = input.readData(ofLength: 65536)
                return data.isEmpty ? nil : [UInt8](data)
            }
            try input.close()
            #expect(loaded == 40000)
            let same = try await db.query("""
                SELECT (SELECT md5(string_agg(s::text, '|' ORDER BY id)) FROM src s) =
                       (SELECT md5(string_agg(d::text, '|' ORDER BY id)) FROM dst d) AS same
                """)
            #expect(try same.first?.decode(Bool.self, "same") == true)
        }
    }

    @Test func malformedCopyDataIsAServerErrorAndTheConnectionStaysUsable() async throws {
        try await PostgresTestDatabase.with(migrated: false) { _, db in
            try await db.execute("CREATE TABLE t (id int)")
            var sent = false
            let error = try await #require(throws: PostgresError.self) {
                try await db.copyIn("COPY t FROM STDIN") {
                    defer { sent = true }
                    return sent ? nil : Array("1\nnot-a-number\n".utf8)
                }
            }
            #expect(error.sqlState == "22P02")
            #expect(try await db.query("SELECT count(*) AS n FROM t").first?.decode(Int.self, "n") == 0)
        }
    }

    @Test func aThrowingProducerAbortsTheCopyAndLoadsNothing() async throws {
        struct SourceBroke: Error {}
        try await PostgresTestDatabase.with(migrated: false) { _, db in
            try await db.execute("CREATE TABLE t (id int)")
            var calls = 0
            await #expect(throws: SourceBroke.self) {
                try await db.copyIn("COPY t FROM STDIN") {
                    calls += 1
                    if calls > 3 { throw SourceBroke() }
                    return Array("\(calls)\n".utf8)
                }
            }
            #expect(try await db.query("SELECT count(*) AS n FROM t").first?.decode(Int.self, "n") == 0)
        }
    }

    @Test func aThrowingConsumerStopsTheCopyOut() async throws {
        struct SinkFull: Error {}
        try await PostgresTestDatabase.with(migrated: false) { _, db in
            try await db.execute("CREATE TABLE t AS SELECT g FROM generate_series(1, 200000) g")
            var seen = 0
            await #expect(throws: SinkFull.self) {
                try await db.copyOut("COPY t TO STDOUT") { _ in
                    seen += 1
                    if seen == 10 { throw SinkFull() }
                }
            }
            #expect(try await db.query("SELECT 1 AS one").first?.decode(Int.self, "one") == 1)
        }
    }

    @Test func copyOfANonCopyStatementIsRefused() async throws {
        try await PostgresTestDatabase.with(migrated: false) { _, db in
            await #expect(throws: PostgresError.self) { try await db.copyOut("SELECT 1") { _ in } }
            await #expect(throws: PostgresError.self) { try await db.copyIn("COPY nosuchtable FROM STDIN") { nil } }
        }
    }
}
