import AgeEncryption
import ArchiveIO
import Foundation
import Logging
import Repository
import OpsCore
import OpsSupport
import PGClient

/// `backup verify`: checks a backup's structure and every checksum and, with `--restore-test`,
/// restores it into a scratch database `ops_verify_<id>` on the `DATABASE_URL` server, compares every
/// table's row count with the manifest, and drops the scratch database. A success is recorded beside
/// the backup as `<id>.verified.json` (what `backup list` shows and `backup prune` protects).
package struct BackupVerifier: Sendable {
    package var configuration: OpsConfiguration
    package var logger: Logger
    /// Connections for the restore test.
    package var jobs: Int
    /// The progress lines of the checksum pass and the restore test (`--quiet`: none).
    package var progress: ProgressMeter.Display
    /// The key file's identities, for encrypted backups; without them an encrypted backup is checked
    /// as stored (its SHA-256 against the manifest beside it).
    package var identities: [AgeX25519Identity]?

    package init(configuration: OpsConfiguration, logger: Logger, jobs: Int = 1, progress: ProgressMeter.Display = .none,
                 identities: [AgeX25519Identity]? = nil) {
        self.configuration = configuration
        self.logger = logger
        self.jobs = jobs
        self.progress = progress
        self.identities = identities
    }

    package struct Report: Sendable {
        package var id: String
        package var members: Int
        package var bytes: Int64
        package var restoreTested: Bool
        package var tablesCompared: Int
        package var rows: Int64
        /// Only the stored object was checked (encrypted, no identity).
        package var storedObjectOnly: Bool
    }

    package func verify(_ entry: BackupRepository.Entry, restoreTest: Bool) async throws -> Report {
        let beside = entry.manifest
        let object = entry.object(identities: identities)
        if entry.isEncrypted && (identities?.isEmpty ?? true) {
            // Without the identity: the object as stored, against the checksum beside it.
            guard !restoreTest else {
                throw BackupError(.identity, "backup \(entry.id) is encrypted: --restore-test needs --identity FILE or BACKUP_IDENTITY")
            }
            guard let stored = beside.storedArchive, !entry.manifestName.isEmpty else {
                throw BackupError(.identity, "backup \(entry.archivePath) is encrypted and has no manifest beside it: pass --identity FILE or set BACKUP_IDENTITY")
            }
            try await BlockingIO.run(name: "backup-verify") {
                do { try ArchiveChecker.checkStored(object, expected: stored) } catch { throw BackupError.from(error, "cannot read \(object.label)") }
            }
            try await record(entry, restoreTest: false, storedObjectOnly: true)
            return Report(id: entry.id, members: beside.members.count, bytes: stored.bytes, restoreTested: false,
                          tablesCompared: 0, rows: beside.totalRows, storedObjectOnly: true)
        }
        try await BlockingIO.run(name: "backup-open") {
            do { try object.checkReadable() } catch { throw BackupError.from(error, "cannot read \(object.label)") }
        }
        let logger = self.logger
        let meter = ProgressMeter(label: "verify", quantities: [.init("members", total: Int64(beside.members.count)),
                                                                .init("bytes", total: beside.totalBytes, isBytes: true)],
                                  display: progress, log: { logger.info("\($0)") })
        let manifest = try await meter.showing {
            try await BlockingIO.run(name: "backup-verify") { try ArchiveChecker.check(object, beside: beside, progress: meter) }
        }
        var compared = 0
        if restoreTest {
            compared = try await self.restoreTest(entry, manifest: manifest)
        }
        try await record(entry, restoreTest: restoreTest, storedObjectOnly: false)
        return Report(id: entry.id, members: manifest.members.count, bytes: manifest.totalBytes, restoreTested: restoreTest,
                      tablesCompared: compared, rows: manifest.totalRows, storedObjectOnly: false)
    }

    /// Writes `<id>.verified.json` beside the backup (what `backup list` shows, `backup prune` protects).
    private func record(_ entry: BackupRepository.Entry, restoreTest: Bool, storedObjectOnly: Bool) async throws {
        let verification = BackupVerification(verifiedAt: Date(), checksums: true,
                                              restoreTest: restoreTest || (entry.verification?.restoreTest ?? false),
                                              toolVersion: OpsVersion.current, storedObjectOnly: storedObjectOnly ? true : nil)
        let data = try verification.encoded()
        // A lone archive (no manifest beside it) is not listed anywhere: nothing to record.
        guard !entry.manifestName.isEmpty else { return }
        let (store, name) = (entry.store, entry.verifiedName)
        try await BlockingIO.run(name: "backup-verified") {
            do { try store.write(name, contents: [UInt8](data)) } catch { throw BackupError.from(error, "cannot record the verification") }
        }
    }

    /// Restores into `ops_verify_<id>`, compares row counts, drops it. Returns the tables compared.
    private func restoreTest(_ entry: BackupRepository.Entry, manifest: BackupManifest) async throws -> Int {
        let name = "ops_verify_\(entry.id.lowercased())"
        return try await Stores.withPostgres(configuration) { admin in
            let quoted = try await admin.quoteIdentifier(name)
            do {
                try await admin.execute("DROP DATABASE IF EXISTS \(quoted) WITH (FORCE)")
                try await admin.execute("CREATE DATABASE \(quoted) TEMPLATE template0")
                let target = try Stores.postgresTarget(configuration).withDatabase(name)
                let restorer = Restorer(target: target, options: RestoreOptions(jobs: jobs, progress: progress, identities: identities), logger: logger)
                _ = try await restorer.restore(archive: entry.object(identities: identities), beside: entry.manifest)
                let mismatches = try await PostgresConnection.connect(target).closing { scratch in
                    var mismatches: [String] = []
                    for table in manifest.tables {
                        let name = try await scratch.quoteQualifiedName(schema: table.schema, name: table.name)
                        let count = try await scratch.query("SELECT count(*) AS n FROM ONLY \(name)").first?.decode(Int64.self, "n") ?? -1
                        if count != table.rows { mismatches.append("\(table.displayName) has \(count) rows, the manifest says \(table.rows)") }
                    }
                    return mismatches
                }
                try await admin.execute("DROP DATABASE IF EXISTS \(quoted) WITH (FORCE)")
                guard mismatches.isEmpty else {
                    throw BackupError(.verifyFailed, "backup \(entry.id) failed its restore test: \(mismatches.prefix(3).joined(separator: "; "))")
                }
                return manifest.tables.count
            } catch {
                try? await admin.execute("DROP DATABASE IF EXISTS \(quoted) WITH (FORCE)")
                if let error = error as? BackupError, error.code != .verifyFailed {
                    throw BackupError(.verifyFailed, "backup \(entry.id) failed its restore test: \(error.message)")
                }
                throw error
            }
        }
    }
}
