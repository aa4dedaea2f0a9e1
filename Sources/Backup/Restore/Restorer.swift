import AgeEncryption
import ArchiveIO
import Foundation
import Logging
import Repository
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

    /// `--no-owner`: leave out `ALTER … OWNER TO`; objects belong to the role restoring them.
    package var noOwner: Bool
    /// `--no-privileges`: leave out `GRANT`/`REVOKE`, default privileges and the grantor switches.
    package var noPrivileges: Bool
    /// `--role ROLE`: `SET ROLE` on every connection before loading.
    package var role: String?
    /// `--create-roles`: run the backup's roles member first, skipping roles that exist.
    package var createRoles: Bool
    /// `--create`: create the target database (the URL's name) with the source's encoding, collation
    /// and owner, from the server's `postgres` database.
    package var create: Bool
    /// End with ANALYZE of every restored table (default on; `--no-analyze`).
    package var analyze: Bool
    /// `--keep-toast-compression`: the server's `default_toast_compression` even when it is the
    /// built-in `pglz`; otherwise restore sessions compress with `lz4` then (see `toastCompressionSQL`).
    package var keepToastCompression: Bool
    /// The progress lines of the checksum pass and the load (`--quiet`: none).
    package var progress: ProgressMeter.Display
    /// The key file's identities for `.age` archives and scripts (`--identity`, `BACKUP_IDENTITY`).
    package var identities: [AgeX25519Identity]?

    package init(clean: Bool = false, jobs: Int = 1, tables: [String] = [], singleTransaction: Bool = false,
                preserveRowOrder: Bool = false, noOwner: Bool = false, noPrivileges: Bool = false, role: String? = nil,
                createRoles: Bool = false, create: Bool = false, analyze: Bool = true, keepToastCompression: Bool = false,
                progress: ProgressMeter.Display = .none, identities: [AgeX25519Identity]? = nil) {
        self.keepToastCompression = keepToastCompression
        self.identities = identities
        self.clean = clean
        self.jobs = jobs
        self.tables = tables
        self.singleTransaction = singleTransaction
        self.preserveRowOrder = preserveRowOrder
        self.noOwner = noOwner
        self.noPrivileges = noPrivileges
        self.role = role
        self.createRoles = createRoles
        self.create = create
        self.analyze = analyze
        self.progress = progress
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
        /// `--table`: what was left out that `pg_dump -t` would write, and why (see `TableSelection`).
        package var notes: [String] = []
    }

    /// Whether `path` names a plain SQL script rather than a backup archive (also when `.age`-encrypted).
    package static func isPlainScript(_ path: String) -> Bool {
        let plain = path.hasSuffix(RepositoryEncryption.suffix) ? String(path.dropLast(RepositoryEncryption.suffix.count)) : path
        return [".sql", ".sql.gz", ".sql.zst", ".sql.zstd"].contains { plain.hasSuffix($0) }
    }

    /// Restores a backup archive after checking every member against its manifest.
    /// - Parameters:
    ///   - path: the `.tar.zst` / `.tar.gz` / `.tar` archive.
    ///   - beside: its `<id>.manifest.json`, when known; must equal the embedded one.
    package func restore(archive path: String, beside: BackupManifest? = nil) async throws -> Summary {
        try await restore(archive: .local(path: path, identities: options.identities), beside: beside)
    }

    /// Restores a backup archive object (local or S3; `.age` decrypted with `options.identities`).
    package func restore(archive object: BackupObject, beside: BackupManifest? = nil) async throws -> Summary {
        try validate(plain: false)
        let object = object.identities == nil ? BackupObject(store: object.store, name: object.name, identities: options.identities) : object
        let path = object.label
        // A missing object or a wrong identity: one line, before anything else (the target untouched).
        try await BlockingIO.run(name: "restore-open") { [object] in
            do { try object.checkReadable() } catch { throw BackupError.from(error, "cannot read \(object.label)") }
        }
        // The preflight works on the manifest beside the archive, or the one inside it.
        let early: BackupManifest
        if let beside { early = beside } else {
            early = try await BlockingIO.run(name: "restore-manifest") { [object] in try ArchiveChecker.embeddedManifest(object) }
        }
        if !options.tables.isEmpty { _ = try TableSelection(names: options.tables, manifest: early) }
        try await RestorePreflight.check(target: target, manifest: early, options: options, tableSelection: !options.tables.isEmpty)
        let checking = meter("restore: checksums", [.init("members", total: Int64(early.members.count)),
                                                     .init("bytes", total: early.totalBytes, isBytes: true)])
        // With --jobs, the post-data member is kept from the checksum pass: its head (index and key
        // builds) starts on a spare connection as soon as its tables have loaded (EarlyPostData).
        let earlyCandidate = options.jobs > 1 && !options.singleTransaction && options.tables.isEmpty
            ? early.members.first(where: { $0.kind == .postData })?.name : nil
        let (manifest, kept) = try await checking.showing {
            try await BlockingIO.run(name: "restore-verify") { [object] in
                try ArchiveChecker.check(object, beside: beside, progress: checking, keeping: earlyCandidate.map { [$0] } ?? [])
            }
        }
        let earlyPostData: EarlyPostData? = try earlyCandidate.flatMap { name in
            try kept[name].flatMap { try EarlyPostData(postData: $0, source: name, tables: manifest.tables,
                                                       filter: RestoreFilter(noOwner: options.noOwner, noPrivileges: options.noPrivileges)) }
        }
        logger.info("checksums verified", metadata: ["archive": "\(path)", "members": "\(manifest.members.count)"])
        var selection: TableSelection?
        if !options.tables.isEmpty {
            let preData = try await BlockingIO.run(name: "restore-pre-data") { [object] () throws -> [UInt8]? in
                guard let member = manifest.members.first(where: { $0.kind == .preData }) else { return nil }
                return try ArchiveChecker.member(member.name, object: object)
            }
            selection = try TableSelection(names: options.tables, manifest: manifest, preData: preData)
        }
        let selected = selection?.selectedTables
        let chosen = selection
        let noPrivileges = options.noPrivileges
        let jobs = options.singleTransaction ? 1 : max(1, options.jobs)
        if options.createRoles {
            guard manifest.members.contains(where: { $0.kind == .globals }) else {
                throw BackupError(.usage, "--create-roles: backup \(manifest.id) has no roles member (made before roles were backed up); create the roles by hand or use --no-owner --no-privileges")
            }
            let globals = try await BlockingIO.run(name: "restore-roles") { [object] in try ArchiveChecker.member(BackupManifest.globalsMemberName, object: object) }
            // Roles are cluster-wide: created before the database (its owner may be one of them).
            let (created, skipped) = try await PostgresConnection.connect(options.create ? try target.withDatabase("postgres") : target).closing {
                try await RoleCreator.run(globals, on: $0, logger: logger)
            }
            logger.notice("--create-roles", metadata: ["created": "\(created.joined(separator: ", "))", "existing": "\(skipped.count)"])
        }
        if options.create { try await createDatabase(manifest: manifest) }
        let globals: [UInt8]? = nil
        // A table whose rows are one member loads in one transaction that truncates it, so COPY can
        // freeze the rows; in --single-transaction every table was created in the same transaction.
        let freeze = options.singleTransaction ? Set(manifest.members.filter { $0.kind == .data }.map(\.name))
            : Set(manifest.tables.filter { $0.members.count == 1 }.flatMap(\.members))
        let streamed = ScriptSource.streamedMembers(manifest, selection: selection)
        let loading = meter("restore", [.init("members", total: Int64(streamed.count)),
                                        .init("rows", total: streamed.reduce(0) { $0 + ($1.rows ?? 0) }),
                                        .init("bytes", total: streamed.reduce(0) { $0 + $1.bytes }, isBytes: true)])
        let notes = LockedBox<[String]>([])
        let log = logger
        let (rows, statements) = try await loading.showing {
            try await run(jobs: jobs, selectedTables: selected, manifestTables: selected ?? manifest.tables,
                          globals: globals, freezeMembers: freeze, early: earlyPostData) { [object] channel, targetTables in
                var selection = chosen
                selection?.targetTables = targetTables
                selection?.resetsPrivileges = !noPrivileges
                try ScriptSource.streamArchive(object, manifest: manifest, parallel: jobs > 1, selection: selection, channel: channel,
                                               progress: loading) { note in
                    log.notice("--table: \(note)")
                    notes.withLock { $0.append(note) }
                }
            }
        }
        return Summary(source: path, rows: rows, statements: statements, manifest: manifest,
                       tables: (selected ?? manifest.tables).map(\.displayName), notes: notes.withLock { $0 })
    }

    /// Restores a plain SQL script, decompressing `.gz` / `.zst` on the fly.
    package func restore(plain path: String) async throws -> Summary {
        try validate(plain: true)
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw BackupError(.notFound, "cannot read \(path): no such file or no permission")
        }
        return try await restore(plain: .local(path: path, identities: options.identities))
    }

    /// Restores a plain SQL script object (local or S3; `.age` decrypted with `options.identities`).
    package func restore(plain object: BackupObject) async throws -> Summary {
        try validate(plain: true)
        let object = object.identities == nil ? BackupObject(store: object.store, name: object.name, identities: options.identities) : object
        try await BlockingIO.run(name: "restore-open") { [object] in
            do { try object.checkReadable() } catch { throw BackupError.from(error, "cannot read \(object.label)") }
        }
        // A compressed script's size says nothing of its SQL's: bytes read, no total.
        let loading = meter("restore", [.init("bytes", isBytes: true)])
        let (rows, statements) = try await loading.showing {
            try await run(jobs: 1, selectedTables: nil, manifestTables: nil, globals: nil, freezeMembers: []) { [object] channel, _ in
                try ScriptSource.streamPlain(object, channel: channel, progress: loading)
            }
        }
        return Summary(source: object.label, rows: rows, statements: statements, manifest: nil, tables: [])
    }

    /// A progress meter logging through the run's logger, shown as `options.progress` says.
    private func meter(_ label: String, _ quantities: [ProgressMeter.Quantity]) -> ProgressMeter {
        let logger = self.logger
        return ProgressMeter(label: label, quantities: quantities, display: options.progress, log: { logger.info("\($0)") })
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

    /// `--create`: `CREATE DATABASE` from the server's `postgres` database with the source's encoding,
    /// locale provider, collation and owner (unless `--no-owner`), from `template0`.
    private func createDatabase(manifest: BackupManifest) async throws {
        guard let name = target.database, !name.isEmpty else {
            throw BackupError(.usage, "--create needs a database name in --target-url")
        }
        let noOwner = options.noOwner
        try await PostgresConnection.connect(try target.withDatabase("postgres")).closing { admin in
            var sql = "CREATE DATABASE \(try await admin.quoteIdentifier(name)) WITH TEMPLATE template0"
            if let source = manifest.sourceDatabase {
                sql += " ENCODING \(try await admin.quoteLiteral(source.encoding)) LC_COLLATE \(try await admin.quoteLiteral(source.collate))"
                    + " LC_CTYPE \(try await admin.quoteLiteral(source.ctype))"
                if source.localeProvider == "i" {
                    sql += " LOCALE_PROVIDER icu"
                    if let locale = source.iculocale { sql += " ICU_LOCALE \(try await admin.quoteLiteral(locale))" }
                }
                if !noOwner { sql += " OWNER \(try await admin.quoteIdentifier(source.owner))" }
            }
            try await admin.execute(sql)
        }
        logger.notice("--create: database created", metadata: ["database": "\(name)"])
    }

    private func run(jobs: Int, selectedTables: [BackupManifest.Table]?, manifestTables: [BackupManifest.Table]?,
                     globals: [UInt8]?, freezeMembers: Set<String>, early: EarlyPostData? = nil,
                     read: @escaping @Sendable (HandoffChannel<RestoreEvent>, _ targetTables: Set<String>) throws -> Void) async throws -> (Int64, Int) {
        LargeBuffers.configure()
        let main = try await PostgresConnection.connect(target)
        var connections = [main]
        var loading = false
        let outcome: Result<(Int64, Int), any Error>
        do {
            let targetDatabase = RestoreTarget(connection: main)
            if let globals {
                let (created, skipped) = try await RoleCreator.run(globals, on: main, logger: logger)
                logger.notice("--create-roles", metadata: ["created": "\(created.joined(separator: ", "))", "existing": "\(skipped.count)"])
            }
            if options.singleTransaction { try await main.execute("BEGIN") }
            if let selectedTables {
                let existing = try await targetDatabase.existing(tables: selectedTables)
                if !existing.isEmpty {
                    guard options.clean else {
                        throw BackupError(.targetNotEmpty, "restore refused: \(target.redacted) already has table \(existing.map(\.displayName).joined(separator: ", ")); pass --clean to drop and restore it")
                    }
                    let dependents = try await targetDatabase.dependents(of: existing)
                    if !dependents.isEmpty {
                        logger.warning("--clean --table: dropping \(existing.map(\.displayName).joined(separator: ", ")) also drops \(dependents.joined(separator: ", ")); --table does not recreate them")
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
            // With --table: the tables the target has besides the selected ones (foreign keys to them load).
            let targetTables = selectedTables == nil ? [] : try await targetDatabase.tableNames()
            for _ in 1..<max(1, jobs) { connections.append(try await PostgresConnection.connect(target)) }
            for connection in connections {
                // Index builds (GIN above all) are much faster with more than the default 64 MB.
                try await connection.query(Self.maintenanceWorkMemSQL)
                try await connection.query(Self.deadlockTimeoutSQL)
                if !options.keepToastCompression { try await connection.query(Self.toastCompressionSQL) }
            }

            if let role = options.role {
                for connection in connections { try await connection.execute("SET ROLE \(try await connection.quoteIdentifier(role))") }
            }

            // Whole data members (up to the chunk size each) queue when loading in parallel; COPY
            // pieces of 256 KiB otherwise. Either way a few MiB to some tens of MiB.
            let channel = HandoffChannel<RestoreEvent>(capacity: jobs > 1 ? 2 : 16)
            async let reading: Void = BlockingIO.run(name: "restore-read") { try read(channel, targetTables) }
            let runner = ScriptRunner(connections: connections, preserveRowOrder: options.preserveRowOrder,
                                      filter: RestoreFilter(noOwner: options.noOwner, noPrivileges: options.noPrivileges),
                                      freezeMembers: freezeMembers, inTransaction: options.singleTransaction, early: early)
            loading = true
            do {
                try await runner.run(channel)
            } catch {
                channel.fail(error)
                _ = try? await reading
                throw error
            }
            try await reading
            if options.analyze { try await Self.analyze(connections: connections, tables: manifestTables, parents: selectedTables == nil, logger: logger) }
            if options.singleTransaction { try await main.execute("COMMIT") }
            outcome = .success((runner.rows, runner.statements))
        } catch {
            if options.singleTransaction { try? await main.execute("ROLLBACK") }
            outcome = .failure(error)
        }
        // The one place the run's connections are closed, however it ended.
        for connection in connections { await connection.close() }
        if case .failure(let error) = outcome, loading && !options.singleTransaction, let failure = error as? BackupError, failure.code == .scriptError {
            throw BackupError(.scriptError, failure.message + "; the target keeps what was loaded before that: rerun with --clean to replace it (or with --single-transaction to load all or nothing)")
        }
        return try outcome.get()
    }

    /// ANALYZE of the restored tables (all user tables, partitioned parents and materialized views
    /// for a whole restore), spread over the connections, so the planner has statistics at once.
    static func analyze(connections: [PostgresConnection], tables: [BackupManifest.Table]?, parents: Bool, logger: Logger) async throws {
        guard let tables else {
            // A plain script: the whole database.
            try await connections[0].execute("ANALYZE")
            return
        }
        var names: [String] = []
        for table in tables { names.append(try await connections[0].quoteQualifiedName(schema: table.schema, name: table.name)) }
        if parents {
            // Partitioned parents have no rows of their own and are not in the manifest's table list,
            // but the planner uses their statistics (autovacuum never analyzes them).
            let extra = try await connections[0].query("""
                SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS name
                FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind = 'p' AND \(RestoreTarget.systemSchemaFilter) ORDER BY 1
                """)
            names += try extra.rows.map { try $0.decode(String.self, "name") }
        }
        guard !names.isEmpty else { return }
        let queue = LockedBox.queue(Array(names.indices))
        let all = names
        try await withThrowingTaskGroup(of: Void.self) { group in
            for connection in connections {
                group.addTask {
                    while let index: Int = queue.next() { try await connection.execute("ANALYZE \(all[index])") }
                }
            }
            try await group.waitForAll()
        }
        logger.info("analyzed", metadata: ["relations": "\(names.count)"])
    }
}
