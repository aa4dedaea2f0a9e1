import ArchiveIO
import Foundation
import Logging
import OpsSupport
import PGClient

/// How `restore` runs.
package struct RestoreOptions: Sendable {
    /// Empty the target first (`DROP SCHEMA … CASCADE` of every non-system schema; with `--table`,
    /// `DROP TABLE … CASCADE` of the selected tables).
    package var clean: Bool
    /// Connections: data members load in parallel, then post-data builds indexes and constraints in
    /// parallel. Archives only; a plain script runs on one connection.
    package var jobs: Int
    /// Restore only these tables (`schema.name`); see `TableSelection`. Archives only.
    package var tables: [String]
    /// Everything in one transaction: all or nothing. Not with `jobs > 1`.
    package var singleTransaction: Bool
    /// With `jobs > 1`, load a table's members one after another so its rows keep the source's
    /// physical order (what `pg_dump --data-only` prints); otherwise a large table loads on all
    /// connections at once, which is faster and holds the same rows.
    package var preserveRowOrder: Bool

    package init(clean: Bool = false, jobs: Int = 1, tables: [String] = [], singleTransaction: Bool = false,
                preserveRowOrder: Bool = false) {
        self.clean = clean
        self.jobs = jobs
        self.tables = tables
        self.singleTransaction = singleTransaction
        self.preserveRowOrder = preserveRowOrder
    }
}

/// `restore`: loads a backup archive, or a plain pg_dump script (`.sql`, `.sql.gz`, `.sql.zst`), into a
/// target database over libpq, as `psql -v ON_ERROR_STOP=1` would run the script.
///
/// An archive's checksums are all verified before the target is touched; a non-empty target is
/// refused unless `--clean`.
package struct Restorer: Sendable {
    package var target: PostgresConfiguration
    package var options: RestoreOptions
    package var logger: Logger

    package init(target: PostgresConfiguration, options: RestoreOptions, logger: Logger) {
        self.target = target
        self.options = options
        self.logger = logger
    }

    package struct Summary: Sendable {
        package var source: String
        package var rows: Int64
        package var statements: Int
        /// The archive's manifest; nil for a plain script.
        package var manifest: BackupManifest?
        package var tables: [String]
    }

    /// Whether `path` names a plain SQL script rather than a backup archive.
    package static func isPlainScript(_ path: String) -> Bool {
        [".sql", ".sql.gz", ".sql.zst", ".sql.zstd"].contains { path.hasSuffix($0) }
    }

    /// Restores a backup archive after checking every member against its manifest.
    /// - Parameters:
    ///   - path: the `.tar.zst` / `.tar.gz` / `.tar` archive.
    ///   - beside: its `<id>.manifest.json`, when known; must equal the embedded one.
    package func restore(archive path: String, beside: BackupManifest? = nil) async throws -> Summary {
        try validate(plain: false)
        let manifest = try await BlockingIO.run(name: "restore-verify") { try ArchiveChecker.check(path: path, beside: beside) }
        logger.info("checksums verified", metadata: ["archive": "\(path)", "members": "\(manifest.members.count)"])
        let selection = options.tables.isEmpty ? nil : try TableSelection(names: options.tables, manifest: manifest)
        let selected = selection.map { selection in manifest.tables.filter { selection.tables.contains($0.displayName) } }
        let jobs = options.singleTransaction ? 1 : max(1, options.jobs)
        let (rows, statements) = try await run(jobs: jobs, selectedTables: selected) { channel in
            try ScriptSource.streamArchive(path: path, manifest: manifest, parallel: jobs > 1, selection: selection, channel: channel)
        }
        return Summary(source: path, rows: rows, statements: statements, manifest: manifest,
                       tables: (selected ?? manifest.tables).map(\.displayName))
    }

    /// Restores a plain SQL script, decompressing `.gz` / `.zst` on the fly.
    package func restore(plain path: String) async throws -> Summary {
        try validate(plain: true)
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw BackupError(.notFound, "cannot read \(path): no such file or no permission")
        }
        let (rows, statements) = try await run(jobs: 1, selectedTables: nil) { channel in
            try ScriptSource.streamPlain(path: path, channel: channel)
        }
        return Summary(source: path, rows: rows, statements: statements, manifest: nil, tables: [])
    }

    private func validate(plain: Bool) throws {
        if options.singleTransaction && options.jobs > 1 {
            throw BackupError(.usage, "--single-transaction and --jobs \(options.jobs) cannot be combined: one transaction runs on one connection")
        }
        if plain && !options.tables.isEmpty {
            throw BackupError(.usage, "--table works with backup archives only, not with plain SQL scripts")
        }
        guard options.jobs >= 1 else { throw BackupError(.usage, "--jobs must be at least 1") }
    }

    private func run(jobs: Int, selectedTables: [BackupManifest.Table]?,
                     read: @escaping @Sendable (HandoffChannel<RestoreEvent>) throws -> Void) async throws -> (Int64, Int) {
        LargeBuffers.configure()
        let main = try await PostgresConnection.connect(target)
        var connections = [main]
        do {
            let targetDatabase = RestoreTarget(connection: main)
            if options.singleTransaction { try await main.execute("BEGIN") }
            if let selectedTables {
                let existing = try await targetDatabase.existing(tables: selectedTables)
                if !existing.isEmpty {
                    guard options.clean else {
                        throw BackupError(.targetNotEmpty, "restore refused: \(target.redacted) already has table \(existing.map(\.displayName).joined(separator: ", ")); pass --clean to drop and restore it")
                    }
                    try await targetDatabase.drop(tables: existing)
                }
            } else {
                let objects = try await targetDatabase.objectCount()
                if objects > 0 {
                    guard options.clean else {
                        throw BackupError(.targetNotEmpty, "restore refused: \(target.redacted) is not empty (\(objects) objects); restore into an empty database, or pass --clean to drop its schemas first")
                    }
                    logger.notice("--clean: dropping every schema of the target", metadata: ["target": "\(target.redacted)"])
                    try await targetDatabase.clean()
                }
            }
            for _ in 1..<max(1, jobs) { connections.append(try await PostgresConnection.connect(target)) }
            for connection in connections {
                // Index builds (GIN above all) are much faster with more than the default 64 MB.
                try await connection.query("""
                    SELECT set_config('maintenance_work_mem', '256MB', false)
                    WHERE pg_catalog.pg_size_bytes(current_setting('maintenance_work_mem')) < 268435456
                    """)
            }

            // Whole data members (up to the chunk size each) queue when loading in parallel; COPY
            // pieces of 256 KiB otherwise. Either way a few MiB to some tens of MiB.
            let channel = HandoffChannel<RestoreEvent>(capacity: jobs > 1 ? 2 : 16)
            async let reading: Void = BlockingIO.run(name: "restore-read") { try read(channel) }
            let runner = ScriptRunner(connections: connections, preserveRowOrder: options.preserveRowOrder)
            do {
                try await runner.run(channel)
            } catch {
                channel.fail(error)
                _ = try? await reading
                throw error
            }
            try await reading
            if options.singleTransaction { try await main.execute("COMMIT") }
            for connection in connections { await connection.close() }
            return (runner.rows, runner.statements)
        } catch {
            if options.singleTransaction { try? await main.execute("ROLLBACK") }
            for connection in connections { await connection.close() }
            throw error
        }
    }
}
