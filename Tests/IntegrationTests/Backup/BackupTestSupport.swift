@testable import Backup
import DemoSeed
import Foundation
import Logging
import OpsCore
import OpsSupport
import PGClient
import Testing

/// Shared pieces of the backup and restore integration tests: fixtures, a temporary repository, and
/// the oracles (pg_dump, psql, tar) run as separate processes.
enum BackupTestSupport {
    static let logger = Logger(label: "backup-test")

    /// Data that exercises every escaping case of text COPY, plus types, sequences, generated
    /// columns, a partitioned table, quoted names and a row of several MB.
    static let awkwardSQL = #"""
        CREATE SCHEMA "Awkward Schema";
        CREATE TYPE "Awkward Schema".mood AS ENUM ('sad', 'ok', 'it''s "complicated"');
        CREATE DOMAIN "Awkward Schema".positive AS integer CHECK (VALUE > 0);
        CREATE SEQUENCE "Awkward Schema".odd_seq INCREMENT BY -3 MINVALUE -1000 MAXVALUE 1000 START WITH 999 CACHE 5 CYCLE;
        CREATE TABLE "Awkward Schema"."Mixed Case" (
            id integer GENERATED ALWAYS AS IDENTITY (START WITH 100 INCREMENT BY 7) PRIMARY KEY,
            serial_col bigserial,
            "select" text,
            "Quoted ""Name""" text,
            b bytea, j jsonb, arr text[], grid integer[], n numeric, f double precision, r real,
            ts timestamp, tstz timestamptz, d date, iv interval,
            m "Awkward Schema".mood, p "Awkward Schema".positive,
            doubled numeric GENERATED ALWAYS AS (n * 2) STORED,
            from_seq integer DEFAULT nextval('"Awkward Schema".odd_seq')
        );
        INSERT INTO "Awkward Schema"."Mixed Case" ("select", "Quoted ""Name""", b, j, arr, grid, n, f, r, ts, tstz, d, iv, m, p) VALUES
          (E'back\\slash \\N and \\\\N', E'tab\there\r\nnew line\rcr', '\x00ff5c0a0d09'::bytea,
           '{"quote": "a \"b\" c", "back": "\\\\", "tab": "\t", "u": "\u00e9\ud83d\ude00", "n": 1.5e300}',
           ARRAY['a,b', 'c"d', NULL, '', E'e\\f', 'NULL'], '{{1,2},{3,4}}', 'NaN', 'NaN', 'Infinity',
           'infinity', '-infinity', 'infinity', '1 year 2 mons -3 days 04:05:06.789', 'ok', 1),
          ('\N', NULL, '', '[]', '{}', NULL,
           12345678901234567890123456789012345678901234567890.123456789012345678901234567890, '-Infinity', '-0',
           '0044-03-15 12:00:00 BC', '2026-11-26 09:04:12.345678+05:30', '4713-01-01 BC', '-178000000 years', 'it''s "complicated"', 2147483647),
          ('😀 𝄞 non-BMP ✓', 'Ünïcödé', NULL, 'null', NULL, NULL, '-0.000000000000000000000000000001', 4.9e-324, 3.4e38,
           '2000-02-29 23:59:59.999999', '1970-01-01 00:00:00+00', '2000-01-01', '0', 'sad', 7),
          (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
        SELECT nextval('"Awkward Schema".odd_seq') FROM generate_series(1, 5);

        CREATE TABLE "Awkward Schema".events (id bigint NOT NULL, at date NOT NULL, payload text) PARTITION BY RANGE (at);
        CREATE TABLE "Awkward Schema".events_2025 PARTITION OF "Awkward Schema".events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
        CREATE TABLE "Awkward Schema".events_other PARTITION OF "Awkward Schema".events DEFAULT;
        ALTER TABLE "Awkward Schema".events ADD PRIMARY KEY (id, at);
        INSERT INTO "Awkward Schema".events SELECT i, DATE '2025-01-01' + (i % 500), repeat(E'\\', i % 7) FROM generate_series(1, 3000) i;

        CREATE TABLE "Awkward Schema"."order" ("group" integer PRIMARY KEY, "Events" bigint, "At" date,
            FOREIGN KEY ("Events", "At") REFERENCES "Awkward Schema".events (id, at));
        INSERT INTO "Awkward Schema"."order" VALUES (1, 5, DATE '2025-01-06');

        CREATE TABLE "Awkward Schema".big (id integer PRIMARY KEY, body text);
        INSERT INTO "Awkward Schema".big SELECT 1, string_agg(md5(i::text), '') FROM generate_series(1, 170000) i;
        INSERT INTO "Awkward Schema".big SELECT i, md5(i::text) FROM generate_series(2, 20) i;

        CREATE TABLE public.empty_table (id integer);
        """#

    /// A fresh, empty repository directory.
    static func temporaryRepository() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("backup-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Fills a migrated database with the demo data and the awkward schema.
    /// `count(*)` of each table in the source and in the restored database.
    static func rowCounts(_ tables: [BackupManifest.Table], _ source: PostgresConnection, _ restored: PostgresConnection) async throws
        -> (source: [String: Int64], restored: [String: Int64]) {
        var counts: ([String: Int64], [String: Int64]) = ([:], [:])
        for table in tables {
            let sql = "SELECT count(*) AS n FROM \(try await source.quoteIdentifier(table.schema)).\(try await source.quoteIdentifier(table.name))"
            counts.0[table.displayName] = try await source.query(sql).first?.decode(Int64.self, "n")
            counts.1[table.displayName] = try await restored.query(sql).first?.decode(Int64.self, "n")
        }
        return counts
    }

    static func seed(_ connection: PostgresConnection, awkward: Bool = true) async throws {
        try await connection.execute(DemoSeedSQL.sql)
        if awkward { try await connection.execute(awkwardSQL) }
        try await connection.execute("ANALYZE")
    }

    /// Makes a backup of `database` with the library, as `backup create` does.
    static func backup(database: String, repository: String, options: BackupOptions = BackupOptions(jobs: 2, chunkBytes: 256 * 1024)) async throws -> BackupCreator.Result {
        var configuration = try PostgresTestDatabase.opsConfiguration(database: database)
        configuration.backupRepository = repository
        return try await BackupCreator(configuration: configuration, repository: BackupRepository(root: repository),
                                       options: options, logger: logger).create()
    }

    static func target(_ database: String) throws -> PostgresConfiguration {
        try PostgresTestDatabase.serverConfiguration().withDatabase(database)
    }

    static func url(_ database: String) throws -> String {
        try PostgresTestDatabase.serverConfiguration().url(forDatabase: database)
    }

    /// Runs a shell command line with extra environment variables; returns stdout, fails on error.
    /// It runs and is waited for on a thread of its own, off the cooperative pool (see `CLI.run`).
    @discardableResult
    static func shell(_ command: String, environment: [String: String] = [:]) async throws -> String {
        try await BlockingIO.run(name: "test-shell") { try shellBlocking(command, environment: environment) }
    }

    /// `shell` on the calling thread: for code that is not async (a deinit's clean-up).
    @discardableResult
    static func shellBlocking(_ command: String, environment: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-o", "pipefail", "-c", command]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestServerError(message: "`\(command)` exited \(process.terminationStatus): \(String(decoding: stderr, as: UTF8.self).prefix(2000))")
        }
        return String(decoding: stdout, as: UTF8.self)
    }

    /// `pg_dump` of a database with its random `\restrict` key lines removed, the oracle's view of it.
    static func pgDump(_ database: String, _ arguments: String) async throws -> String {
        try await shell("pg_dump \(arguments) -d \"$URL\" | grep -v -e '^\\\\restrict ' -e '^\\\\unrestrict '", environment: ["URL": try url(database)])
    }

    /// Asserts that two databases are identical to pg_dump, schema and data.
    /// - Parameter ignoringRowOrder: compare each COPY block's rows as a sorted list.
    static func expectSameDump(_ source: String, _ target: String, _ label: String, ignoringRowOrder: Bool = false,
                               sourceLocation: SourceLocation = #_sourceLocation) async throws {
        for arguments in ["--schema-only", "--data-only"] {
            var expected = try await pgDump(source, arguments)
            var actual = try await pgDump(target, arguments)
            if ignoringRowOrder && arguments == "--data-only" {
                expected = sortingCopyRows(expected)
                actual = sortingCopyRows(actual)
            }
            #expect(!expected.isEmpty, sourceLocation: sourceLocation)
            if expected != actual {
                let lines = zip(expected.split(separator: "\n", omittingEmptySubsequences: false), actual.split(separator: "\n", omittingEmptySubsequences: false))
                let first = lines.enumerated().first { $0.element.0 != $0.element.1 }
                Issue.record("\(label): pg_dump \(arguments) differs at line \((first?.offset ?? 0) + 1): expected «\(first?.element.0.prefix(300) ?? "")», got «\(first?.element.1.prefix(300) ?? "")»", sourceLocation: sourceLocation)
            }
        }
    }

    /// The script with the rows of each `COPY … FROM stdin;` block sorted.
    static func sortingCopyRows(_ script: String) -> String {
        var output: [Substring] = []
        var rows: [Substring]?
        for line in script.split(separator: "\n", omittingEmptySubsequences: false) {
            if rows != nil {
                if line == "\\." {
                    output += rows!.sorted()
                    output.append(line)
                    rows = nil
                } else {
                    rows!.append(line)
                }
                continue
            }
            output.append(line)
            if line.hasPrefix("COPY "), line.hasSuffix(" FROM stdin;") { rows = [] }
        }
        return output.joined(separator: "\n")
    }

    /// User objects in a database (0 when empty).
    static func objectCount(_ connection: PostgresConnection) async throws -> Int {
        try await RestoreTarget(connection: connection).objectCount()
    }
}
