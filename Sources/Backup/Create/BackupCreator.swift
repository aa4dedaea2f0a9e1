import AgeEncryption
import ArchiveIO
import Repository
import Foundation
import Logging
import OpsCore
import OpsSupport
import PGClient

/// `backup create`: a consistent logical backup of one database, published atomically as
/// `<repository>/<database>/<id>.tar.zst` (`.tar.zst.age` when encrypted) plus `<id>.manifest.json`,
/// the archive streamed straight into the repository (a local file, or an S3 multipart upload: no
/// local copy).
///
/// The pipeline: the snapshot connection exports its snapshot and locks every table; pg_dump, run on
/// that snapshot, writes the schema (pre-data, post-data) and the rest of the data section (sequence
/// values, large objects); `jobs` connections sharing the snapshot stream `COPY … TO STDOUT` rows
/// straight into bounded data members (largest tables first); one archive thread writes the members
/// while libarchive's zstd workers compress. Memory stays bounded by the chunk size, whatever the size of the tables.
package struct BackupCreator: Sendable {
    package var configuration: OpsConfiguration
    package var repository: BackupRepository
    package var options: BackupOptions
    package var logger: Logger

    package init(configuration: OpsConfiguration, repository: BackupRepository, options: BackupOptions, logger: Logger) {
        self.configuration = configuration
        self.repository = repository
        self.options = options
        self.logger = logger
    }

    /// A published backup.
    package struct Result: Sendable {
        package var manifest: BackupManifest
        package var archivePath: String
        package var manifestPath: String
        package var archiveBytes: Int64
    }

    /// Makes and publishes one backup.
    package func create() async throws -> Result {
        try options.validate()
        LargeBuffers.configure()
        let clock = ContinuousClock()
        let begin = clock.now
        let snapshot = try await BackupSnapshot.open(configuration)
        var connections = [snapshot.main]
        let outcome: Swift.Result<Result, any Error>
        var preparing: Task<PreparedSink, any Error>?
        // Set once `write` owns the prepared archive object (it publishes or discards it).
        var handedOver = false
        do {
            let pgDump = try PgDump.locate(serverVersionNumber: snapshot.serverVersionNumber)
            // The repository side (leftovers, the id, the archive object) is prepared while pg_dump
            // and the locks run: on S3 that is several requests.
            let sinkTask = Task { [repository, options] in
                try await BlockingIO.run(name: "backup-prepare") {
                    try Self.prepareSink(repository: repository, database: snapshot.database, started: snapshot.started, options: options)
                }
            }
            preparing = sinkTask
            let target = try Stores.postgresTarget(configuration)
            // pg_dump writes the schema sections, and pg_dumpall the roles, at once while we take the
            // locks and join the snapshot: the COPY streams start when the pre-data and the roles are in.
            let sections = PgDumpSections(pgDump: pgDump, target: target, snapshotID: snapshot.snapshotID, options: options)
            async let postData = BlockingIO.run(name: "backup-pg_dump-post") { try sections.run(.postData) }
            async let preData = BlockingIO.run(name: "backup-pg_dump-pre") { try sections.run(.preData) }
            async let roles = BlockingIO.run(name: "backup-pg_dumpall") { try sections.globals() }
            let prepared: (Int, [BackupTable], [PostgresConnection])
            do {
                let locked = try await snapshot.lockTables(timeout: options.lockWaitTimeout)
                logger.info("snapshot taken", metadata: ["database": "\(snapshot.database)", "tables_locked": "\(locked)", "pg_dump": "\(pgDump.path)"])
                let tables = try await BackupTables.list(snapshot.main, options: options.dump)
                // pg_dump holds one more connection beside the COPY streams.
                let jobs = max(1, min(options.jobs, configuration.postgresMaxConnections - 1, tables.count))
                prepared = (locked, tables, try await snapshot.join(count: jobs - 1, configuration: configuration))
            } catch {
                _ = try? await preData
                _ = try? await roles
                _ = try? await postData
                throw error
            }
            connections += prepared.2
            let pre: [UInt8], globals: [UInt8], post: [UInt8]
            do {
                pre = try await preData
                globals = try await roles
            } catch {
                _ = try? await roles
                _ = try? await postData
                throw error
            }
            post = try await postData
            let source = try await Self.sourceDatabase(snapshot.main)
            let sink = try await sinkTask.value
            handedOver = true
            let result = try await write(preData: pre, postData: post, globals: globals, source: source, tables: prepared.1,
                                         sections: sections, snapshot: snapshot, connections: connections, begin: begin, clock: clock,
                                         prepared: sink)
            outcome = .success(result)
        } catch {
            outcome = .failure(error)
        }
        // The one place the backup's connections are closed, however it ended.
        for connection in connections { await connection.close() }
        if case .failure = outcome, let preparing, !handedOver, let unused = try? await preparing.value {
            // Failed before the archive was started: the prepared object goes.
            _ = try? await BlockingIO.run(name: "backup-discard") { unused.sinks.value.outer.discard() }
        }
        return try outcome.get()
    }

    /// The repository side of a backup: leftovers of interrupted runs removed, a free id, the archive
    /// object created (a temporary file, or an S3 upload started with the first part).
    struct PreparedSink: Sendable {
        var removed: [String]
        var id: String
        /// The repository directory of the database, and the archive's name in it (`<id>.tar.zst[.age]`).
        var directory: String
        var archiveFile: String
        var sinks: UnsafeTransfer<(outer: any ByteSink, hashing: HashingSink)>
    }

    static func prepareSink(repository: BackupRepository, database: String, started: Date, options: BackupOptions) throws -> PreparedSink {
        let recipients = options.recipients
        let ext = options.archiveCompression.fileExtension + (recipients == nil ? "" : RepositoryEncryption.suffix)
        let directory = repository.directoryName(database: database)
        let removed = try repository.removeLeftovers(database: database)
        let existing: Set<String>
        do { existing = Set(try repository.store.list(in: directory).map(\.baseName)) }
        catch { throw BackupError.from(error) }
        var id = BackupRepository.id(for: started)
        func taken(_ id: String) -> Bool {
            existing.contains("\(id)\(BackupRepository.manifestSuffix)")
                || BackupRepository.archiveExtensions.contains { existing.contains("\(id).\($0)") || existing.contains("\(id).\($0)\(RepositoryEncryption.suffix)") }
        }
        while taken(id) {
            id = BackupRepository.id(for: (BackupRepository.date(fromID: id) ?? started).addingTimeInterval(1))
        }
        do {
            let archiveFile = "\(id).\(ext)"
            let hashing = HashingSink(try repository.store.create("\(directory)/\(archiveFile)"))
            let outer = try recipients.map { try RepositoryEncryption.encrypting(hashing, recipients: $0) } ?? hashing
            return PreparedSink(removed: removed, id: id, directory: directory, archiveFile: archiveFile, sinks: UnsafeTransfer((outer, hashing)))
        } catch { throw BackupError.from(error) }
    }

    static func sourceDatabase(_ connection: PostgresConnection) async throws -> BackupManifest.SourceDatabase? {
        guard let row = try await connection.query(Self.sourceDatabaseSQL).first else { return nil }
        return BackupManifest.SourceDatabase(encoding: try row.decode(String.self, "encoding"), collate: try row.decode(String.self, "datcollate"),
                                             ctype: try row.decode(String.self, "datctype"), localeProvider: try row.decode(String.self, "provider"),
                                             iculocale: row["daticulocale"], owner: try row.decode(String.self, "owner"))
    }

    private func write(preData: [UInt8], postData: [UInt8], globals: [UInt8], source: BackupManifest.SourceDatabase?, tables: [BackupTable], sections: PgDumpSections, snapshot: BackupSnapshot,
                       connections: [PostgresConnection], begin: ContinuousClock.Instant, clock: ContinuousClock,
                       prepared: PreparedSink) async throws -> Result {
        let database = snapshot.database
        let repository = self.repository
        let recipients = options.recipients
        let (removed, backupID, sinks, directory) = (prepared.removed, prepared.id, prepared.sinks, prepared.directory)
        if !removed.isEmpty { logger.notice("removed leftovers of interrupted backups", metadata: ["objects": "\(removed.count)"]) }
        let id = backupID
        let archiveName = "\(directory)/\(prepared.archiveFile)"
        let manifestName = "\(directory)/\(id)\(BackupRepository.manifestSuffix)"
        let archivePath = repository.store.display(archiveName)
        let manifestPath = repository.store.display(manifestName)
        let channel = HandoffChannel<SinkItem>(capacity: connections.count)
        let compression = options.archiveCompression
        // Kept for reuse: one per connection. More are in flight at times (the channel's, one each
        // connection adds without waiting at a table's end); those are freed as before, so the resident
        // size stays near what the steady flow needs (measured at the benchmark's default size, 2 jobs:
        // 2 kept, 120-123 MiB peak; 3 kept, no faster; 7 kept, 127 MiB). None into object storage,
        // where the upload's part buffers take the rest of the 128 MiB (2 kept peaked at 129 MiB).
        let buffers = MemberBuffers(chunkBytes: options.chunkBytes, limit: repository.store.url.isS3 ? 0 : connections.count)
        let sink = Task {
            try await BlockingIO.run(name: "backup-archive") {
                try ArchiveSink.run(sink: sinks.value.outer, label: archivePath, compression: compression, channel: channel, buffers: buffers)
            }
        }
        // Cancellation (a timeout, the daemon's shutdown grace) fails the channel at once: the COPY
        // consumers waiting to hand over a chunk and the archive thread (between slices) stop within
        // a moment, instead of when the next member is done.
        let cancelled = CancellationError()
        do {
            let heading = "--\n-- auto-i18n-ops backup \(backupID) of database \(database)\n-- Dumped from database version \(snapshot.serverVersion)\n-- Dumped by auto-i18n-ops \(OpsVersion.current) with pg_dump \(sections.pgDump.major)\n--\n\n"
            let pre = Array(heading.utf8) + preData
            try channel.sendWithoutWaiting(.member(PendingMember(name: "0000-pre-data.sql", kind: .preData, body: pre, items: PgDumpScript.items(in: pre))))
            var references = RoleReferences()
            try references.collect(preData)
            try references.collect(postData)
            let roles = try GlobalsFilter.filter(globals, roles: references.all.union(source.map { [$0.owner] } ?? []))
            try channel.sendWithoutWaiting(.member(PendingMember(name: BackupManifest.globalsMemberName, kind: .globals, body: roles)))
            let owners = references.owners.sorted(), grantees = references.grantees.sorted()

            // pg_dump writes the data section's remaining items (sequence values, large objects,
            // extension configuration tables) beside the COPY streams.
            async let rest = BlockingIO.run(name: "backup-pg_dump-data") { () throws -> [UInt8] in
                try sections.run(.data(excludingCopied: tables))
            }
            let copied: [BackupManifest.Table]
            // Data bytes are COPY text, their total the tables' size on disk: an estimate, as pg_dump has none.
            let logger = self.logger
            let meter = ProgressMeter(label: "backup", quantities: [
                .init("tables", total: Int64(tables.count)), .init("rows"),
                .init("data", total: tables.reduce(0) { $0 + $1.estimatedBytes }, isBytes: true),
            ], display: options.progress, log: { logger.info("\($0)") })
            do {
                copied = try await withTaskCancellationHandler {
                    try await meter.showing {
                        try await copyTables(tables, connections: connections, channel: channel, progress: meter,
                                             favoured: ArchiveShare.favouredTables(postData: postData), buffers: buffers)
                    }
                } onCancel: { channel.fail(cancelled) }
            } catch {
                _ = try? await rest
                throw error
            }
            let dataSection = try await rest
            for (name, kind, body) in [("7000-sequence-set.sql", BackupManifest.Member.Kind.sequenceSet, dataSection),
                                       ("8000-post-data.sql", .postData, postData)] {
                try channel.sendWithoutWaiting(.member(PendingMember(name: name, kind: kind, body: body, items: PgDumpScript.items(in: body))))
            }
            let snapshotEnd = Date()
            let options = self.options
            let preamble = PgDumpScript.preamble(of: preData)
            let duration = clock.now - begin
            let seconds = duration.inSeconds
            try channel.sendWithoutWaiting(.manifest { members in
                BackupManifest(
                    formatVersion: BackupManifest.currentFormatVersion, toolVersion: OpsVersion.current,
                    serverVersion: snapshot.serverVersion, serverVersionNumber: snapshot.serverVersionNumber,
                    database: database, id: backupID, snapshotStart: snapshot.started, snapshotEnd: snapshotEnd,
                    durationSeconds: seconds,
                    options: .init(compression: options.compression.rawValue, level: options.effectiveLevel, jobs: connections.count,
                                   noOwner: options.dump.noOwner, noPrivileges: options.dump.noPrivileges,
                                   excludeTableData: options.dump.excludeTableData, chunkBytes: options.chunkBytes),
                    preamble: preamble, members: members, tables: copied,
                    totalBytes: members.reduce(0) { $0 + $1.bytes }, totalRows: copied.reduce(0) { $0 + $1.rows },
                    ownerRoles: owners, grantRoles: grantees, sourceDatabase: source)
            })
            channel.finish()
            let (_, embeddedData) = try await Self.value(of: sink) { channel.fail(cancelled) }
            // Ends the snapshot before the (slow) fsyncs and the upload's last part: nothing more is read.
            for connection in connections { try? await connection.execute("COMMIT") }
            let store = repository.store
            // The archive first, the manifest beside it last: only then is the backup listed.
            let manifest = try await BlockingIO.run(name: "backup-publish") { () throws -> BackupManifest in
                do {
                    try sinks.value.outer.publish()
                    let stored = BackupManifest.StoredArchive(name: prepared.archiveFile, bytes: sinks.value.hashing.bytes,
                                                              sha256: sinks.value.hashing.sha256, recipients: recipients?.map(\.encoded))
                    let besideData = try BackupManifest.besideData(embedded: embeddedData, stored: stored)
                    do {
                        try store.write(manifestName, contents: [UInt8](besideData))
                    } catch {
                        // An archive without its manifest is not a backup: take it back (a full disk).
                        try? store.delete(archiveName)
                        throw error
                    }
                    return try BackupManifest.decode(besideData, source: manifestPath)
                } catch { throw BackupError.from(error, "cannot publish backup \(archivePath)") }
            }
            let size = sinks.value.hashing.bytes
            logger.info("backup published", metadata: ["id": "\(backupID)", "path": "\(archivePath)", "bytes": "\(size)",
                                                       "encrypted": "\(recipients != nil)"])
            return Result(manifest: manifest, archivePath: archivePath, manifestPath: manifestPath, archiveBytes: size)
        } catch {
            channel.fail(error)
            let box = sinks
            let store = repository.store
            if Task.isCancelled {
                // Cancelled: do not wait for the compressor to finish the blocks it holds (at zstd
                // level 15 and up, seconds each). The partial object goes now; the writer is discarded
                // when the archive thread lets go of it.
                _ = try? await BlockingIO.run(name: "backup-discard") { store.abandon(archiveName) }
                Task.detached {
                    _ = try? await sink.value
                    _ = try? await BlockingIO.run(name: "backup-discard") { box.value.outer.discard() }
                }
            } else {
                _ = try? await sink.value
                _ = try? await BlockingIO.run(name: "backup-discard") { box.value.outer.discard() }
            }
            throw BackupError.from(error)
        }
    }

    /// `task`'s value, or a `CancellationError` as soon as the caller is cancelled (`onCancel` runs
    /// then, and `task` goes on by itself).
    private static func value<T: Sendable>(of task: Task<T, any Error>, onCancel: @escaping @Sendable () -> Void) async throws -> T {
        let waiter = LockedBox<(continuation: CheckedContinuation<T, any Error>?, cancelled: Bool)>((nil, false))
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                let cancelledAlready = waiter.withLock { state -> Bool in
                    if state.cancelled { return true }
                    state.continuation = continuation
                    return false
                }
                if cancelledAlready { continuation.resume(throwing: CancellationError()); return }
                Task {
                    let result = await task.result
                    waiter.withLock { state in defer { state.continuation = nil }; return state.continuation }?.resume(with: result)
                }
            }
        } onCancel: {
            onCancel()
            waiter.withLock { state in
                state.cancelled = true
                defer { state.continuation = nil }
                return state.continuation
            }?.resume(throwing: CancellationError())
        }
    }

    /// Copies every table, largest first, over all connections; returns the tables in plan order.
    private func copyTables(_ tables: [BackupTable], connections: [PostgresConnection],
                            channel: HandoffChannel<SinkItem>, progress: ProgressMeter, favoured: Set<String> = [],
                            buffers: MemberBuffers? = nil) async throws -> [BackupManifest.Table] {
        let order = tables.indices.sorted { tables[$0].estimatedBytes > tables[$1].estimatedBytes }
        // With several connections, tables with a slow index build get the larger share of the archive.
        let isFavoured = tables.map { favoured.contains("\($0.schema).\($0.name)") }
        let share = connections.count > 1 && isFavoured.contains(true) && isFavoured.contains(false) ? ArchiveShare() : nil
        let queue = LockedBox.queue(order)
        let chunkBytes = options.chunkBytes
        let copied = try await withThrowingTaskGroup(of: [(Int, BackupManifest.Table)].self) { group in
            for connection in connections {
                group.addTask {
                    var done: [(Int, BackupManifest.Table)] = []
                    do {
                        while let index: Int = queue.next() {
                            let table = tables[index]
                            let favouredTable = share != nil && isFavoured[index]
                            let chunker = TableChunker(table: table, tableIndex: index, chunkBytes: chunkBytes, channel: channel, progress: progress,
                                                       share: share, favoured: favouredTable, buffers: buffers)
                            if favouredTable { share?.startFavoured() }
                            defer { if favouredTable { share?.endFavoured() } }
                            try await connection.copyOut(table.copyOutSQL) { row in try chunker.append(row) }
                            try chunker.finish()
                            progress.add("tables", 1)
                            done.append((index, BackupManifest.Table(schema: table.schema, name: table.name, qualifiedName: table.qualifiedName,
                                                                     rows: chunker.rows, bytes: chunker.bytes, members: chunker.memberNames)))
                        }
                    } catch {
                        // Wakes the other connections and the archive thread before the group waits for them.
                        channel.fail(error)
                        throw error
                    }
                    return done
                }
            }
            var all: [(Int, BackupManifest.Table)] = []
            for try await part in group { all += part }
            return all
        }
        return copied.sorted { $0.0 < $1.0 }.map(\.1)
    }
}
