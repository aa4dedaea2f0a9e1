import ArchiveIO
import Foundation
import Logging
import OpsCore
import OpsSupport
import PGClient

/// `backup create`: a consistent logical backup of one database, published atomically as
/// `$BACKUP_REPO/<database>/<id>.tar.zst` plus `<id>.manifest.json`.
///
/// The pipeline: the snapshot connection locks every table and plans the dump (`SchemaDumper`);
/// `jobs` connections sharing the snapshot stream `COPY … TO STDOUT` rows straight into bounded data
/// members (largest tables first); one archive thread writes the members while libarchive's zstd
/// workers compress. Memory stays bounded by the chunk size, whatever the size of the tables.
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
        do {
            let locked = try await snapshot.lockTables(timeout: options.lockWaitTimeout)
            logger.info("snapshot taken", metadata: ["database": "\(snapshot.database)", "tables_locked": "\(locked)"])
            let plan = try await SchemaDumper(connection: snapshot.main, options: options.dump).plan()
            let jobs = max(1, min(options.jobs, configuration.postgresMaxConnections, plan.tables.count))
            connections += try await snapshot.join(count: jobs - 1, configuration: configuration)
            if let encoding = Self.clientEncoding(in: plan.preamble) {
                // The data must be in the encoding the script declares.
                for connection in connections { try await connection.query("SELECT pg_catalog.set_config('client_encoding', $1, false)", [encoding]) }
            }
            let result = try await write(plan: plan, snapshot: snapshot, connections: connections, begin: begin, clock: clock)
            for connection in connections { await connection.close() }
            return result
        } catch {
            for connection in connections { await connection.close() }
            throw error
        }
    }

    private func write(plan: DumpPlan, snapshot: BackupSnapshot, connections: [PostgresConnection],
                       begin: ContinuousClock.Instant, clock: ContinuousClock) async throws -> Result {
        let database = snapshot.database
        let repository = self.repository
        let ext = options.archiveCompression.fileExtension
        // Directory scans, unlinks and the directory fsync block: keep them off the cooperative pool.
        let (removed, backupID, file) = try await BlockingIO.run(name: "backup-prepare") { () throws -> ([String], String, AtomicFile) in
            let removed = repository.removeLeftovers(database: database)
            let directory = repository.directory(database: database)
            var id = BackupRepository.id(for: snapshot.started)
            while BackupRepository.archiveExtensions.contains(where: { FileManager.default.fileExists(atPath: "\(directory)/\(id).\($0)") })
                    || FileManager.default.fileExists(atPath: "\(directory)/\(id)\(BackupRepository.manifestSuffix)") {
                id = BackupRepository.id(for: (BackupRepository.date(fromID: id) ?? snapshot.started).addingTimeInterval(1))
            }
            return (removed, id, try AtomicFile(finalPath: "\(directory)/\(id).\(ext)"))
        }
        if !removed.isEmpty { logger.notice("removed leftovers of interrupted backups", metadata: ["files": "\(removed.count)"]) }
        let directory = repository.directory(database: database)
        let id = backupID
        let archivePath = "\(directory)/\(id).\(ext)"
        let manifestPath = "\(directory)/\(id)\(BackupRepository.manifestSuffix)"
        let channel = HandoffChannel<SinkItem>(capacity: connections.count)
        let fd = file.fileDescriptor
        let compression = options.archiveCompression
        async let sinkResult = BlockingIO.run(name: "backup-archive") {
            try ArchiveSink.run(fileDescriptor: fd, label: archivePath, compression: compression, channel: channel)
        }
        do {
            var preData = plan.preData, postData = plan.postData
            let sequenceSets = plan.sequenceSets + (preData + postData).filter { $0.kind == "SEQUENCE SET" }
            preData.removeAll { $0.kind == "SEQUENCE SET" }
            postData.removeAll { $0.kind == "SEQUENCE SET" }

            let heading = "--\n-- auto-i18n-ops backup \(backupID) of database \(database)\n-- Dumped from database version \(snapshot.serverVersion)\n-- Dumped by auto-i18n-ops \(OpsVersion.current)\n--\n\n"
            let pre = SchemaMemberRenderer.render(prefix: heading + plan.preamble + "\n", items: preData)
            try channel.sendWithoutWaiting(.member(PendingMember(name: "0000-pre-data.sql", kind: .preData, body: pre.body, items: pre.items)))

            let tables = try await copyTables(plan.tables, connections: connections, channel: channel)

            for (name, kind, items) in [("7000-sequence-set.sql", BackupManifest.Member.Kind.sequenceSet, sequenceSets),
                                        ("8000-post-data.sql", .postData, postData), ("9000-finalize.sql", .finalize, plan.finalize)] {
                let rendered = SchemaMemberRenderer.render(items: items)
                try channel.sendWithoutWaiting(.member(PendingMember(name: name, kind: kind, body: rendered.body, items: rendered.items)))
            }
            let snapshotEnd = Date()
            let options = self.options
            let preamble = plan.preamble
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
                    preamble: preamble, members: members, tables: tables,
                    totalBytes: members.reduce(0) { $0 + $1.bytes }, totalRows: tables.reduce(0) { $0 + $1.rows })
            })
            channel.finish()
            let (manifest, manifestData) = try await sinkResult
            // Ends the snapshot before the (slow) fsyncs: nothing more is read.
            for connection in connections { try? await connection.execute("COMMIT") }
            let box = UnsafeTransfer(file)
            try await BlockingIO.run(name: "backup-publish") {
                try box.value.publish()
                try AtomicFile.write(manifestData, to: manifestPath)
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: archivePath)[.size] as? NSNumber)?.int64Value ?? 0
            logger.info("backup published", metadata: ["id": "\(backupID)", "path": "\(archivePath)", "bytes": "\(size)"])
            return Result(manifest: manifest, archivePath: archivePath, manifestPath: manifestPath, archiveBytes: size)
        } catch {
            channel.fail(error)
            _ = try? await sinkResult
            file.discard()
            throw error
        }
    }

    /// Copies every table, largest first, over all connections; returns the tables in plan order.
    private func copyTables(_ tables: [DumpPlan.Table], connections: [PostgresConnection],
                            channel: HandoffChannel<SinkItem>) async throws -> [BackupManifest.Table] {
        let order = tables.indices.sorted { tables[$0].estimatedBytes > tables[$1].estimatedBytes }
        let queue = LockedBox.queue(order)
        let chunkBytes = options.chunkBytes
        let copied = try await withThrowingTaskGroup(of: [(Int, BackupManifest.Table)].self) { group in
            for connection in connections {
                group.addTask {
                    var done: [(Int, BackupManifest.Table)] = []
                    do {
                        while let index: Int = queue.next() {
                            let table = tables[index]
                            let chunker = TableChunker(table: table, tableIndex: index, chunkBytes: chunkBytes, channel: channel)
                            try await connection.copyOut(table.copyOutSQL) { row in try chunker.append(row) }
                            try chunker.finish()
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

    /// The value of `SET client_encoding = '…'` in the script's preamble, if any.
    static func clientEncoding(in preamble: String) -> String? {
        guard let range = preamble.range(of: "client_encoding = '") else { return nil }
        let rest = preamble[range.upperBound...]
        guard let end = rest.firstIndex(of: "'") else { return nil }
        return String(rest[..<end])
    }
}
