import ArchiveIO
import Foundation
import Logging
import OpsCore
import OpsSupport
import PGClient
import Repository

/// Archives the requests of finished batches older than `BATCH_ARCHIVE_DAYS` into the archive
/// repository (`ARCHIVE_REPO`, `BatchArchiveRepository`) as `batches/YYYY/MM/<batch_id>.tar.zst[.age]`,
/// then deletes them from the database.
///
/// Order is what makes a crash harmless:
/// 1. In a read-only REPEATABLE READ snapshot, stream the rows into the archive, publish it atomically
///    (local: temporary name, fsync, rename, directory fsync; S3: the multipart upload completes). The
///    database is unchanged; no row is locked.
/// 2. In one short transaction: lock the batch row (`FOR UPDATE SKIP LOCKED`: a batch the application
///    is updating is left for the next run), delete its requests while computing the count and
///    SHA-256 of exactly the lines deleted, compare them with the archive's manifest, and only then set
///    `archived_at`, `archive_uri`, `archive_sha256`. A mismatch (the rows changed since step 1) rolls
///    the delete back and the batch is archived again from scratch.
///
/// A crash before step 2 commits leaves the rows in place and at most an archive that the next run
/// rewrites (it is replaced atomically) or an unfinished upload that the next run aborts; a crash
/// after leaves a complete, recorded archive.
struct BatchArchiver {
    let configuration: OpsConfiguration
    let options: RetentionOptions
    let logger: Logger
    let repository: BatchArchiveRepository

    struct Candidate {
        let pk: Int64
        let batchID: String
        let yearMonth: String
    }

    /// Archives due batches until none is left or `deadline` passes.
    func run(transactions: inout BoundedTransaction, report: inout RetentionReport, warnings: inout [String],
             deadline: ContinuousClock.Instant) async throws {
        let connection = transactions.connection
        // Leftovers of a run killed while writing (`*.partial` files, unfinished multipart uploads) are
        // removed from the month directories this run writes into, once each, not by walking the whole
        // archive every night: such a batch was not marked archived, so it is due again and its
        // directory is visited.
        let staleBefore = Date().addingTimeInterval(-BatchArchiveRepository.staleUploadAge)
        var cleaned: Set<String> = []
        var leftAlone: [Int64] = []
        while true {
            let candidates = try await connection.query(
                Self.candidatesSQL, [options.referenceTime, configuration.batchArchiveDays, options.batchSize, leftAlone])
                .rows.map { Candidate(pk: try $0.decode(Int64.self, "id"), batchID: try $0.decode(String.self, "batch_id"),
                                      yearMonth: try $0.decode(String.self, "year_month")) }
            if candidates.isEmpty { return }
            for candidate in candidates {
                guard ContinuousClock.now < deadline else { report.stoppedAtMaxRuntime = true; return }
                let directory = BatchArchiveRepository.directory + "/" + candidate.yearMonth
                if cleaned.insert(directory).inserted {
                    let store = repository.store
                    let removed = try await BatchArchiveRepository.mapped("removing interrupted archives in \(store.display(directory))") {
                        try await BlockingIO.run(name: "archive-leftovers") { try store.removeLeftovers(in: directory, initiatedBefore: staleBefore) }
                    }
                    for path in removed { logger.notice("removed the leftover of an interrupted archive", metadata: ["path": "\(path)"]) }
                }
                switch try await archive(candidate, transactions: &transactions) {
                case .archived(let rows):
                    report.batchesArchived += 1
                    report.batchRequestsArchived += rows
                case .locked:
                    report.batchesSkippedLocked += 1
                    leftAlone.append(candidate.pk)
                case .changed:
                    warnings.append("batch \(candidate.batchID) changed twice while being archived; left for the next run")
                    leftAlone.append(candidate.pk)
                case .unsupported(let reason):
                    warnings.append("batch \(candidate.batchID) not archived: \(reason)")
                    leftAlone.append(candidate.pk)
                }
            }
        }
    }

    enum Result {
        case archived(rows: Int64)
        /// The application holds the batch row (or a request row) right now.
        case locked
        /// The rows kept changing between writing the archive and deleting them.
        case changed
        /// The rows cannot be archived exactly (a jsonb column holds JSON `null`).
        case unsupported(String)
    }

    /// Archives one batch: write and publish the archive, then delete and mark in one transaction.
    func archive(_ candidate: Candidate, transactions: inout BoundedTransaction) async throws -> Result {
        let name = repository.name(yearMonth: candidate.yearMonth, batchID: candidate.batchID)
        for _ in 0..<2 {
            let written = try await BatchArchiveRepository.mapped("archiving batch \(candidate.batchID) to \(repository.store.display(name))") {
                try await writeArchive(candidate, name: name, connection: transactions.connection)
            }
            guard let written else {
                return .unsupported("a jsonb column holds the JSON value null, which JSON Lines cannot tell from SQL NULL")
            }
            CrashPoint.reach("archive-published")
            let connection = transactions.connection
            do {
                let outcome: Result = try await transactions.run {
                    guard try await connection.query(Self.lockSQL, [candidate.pk]).first != nil else { return .locked }
                    let deleted = try await connection.query(Self.deleteSQL, [candidate.pk]).first
                    let rows = try deleted?.decode(Int64.self, "n") ?? -1
                    let sha = try deleted?.decode(String.self, "sha256") ?? ""
                    let jsonNulls = try deleted?.decode(Int64.self, "json_nulls") ?? 0
                    guard rows == written.manifest.rows, sha == written.manifest.jsonlSHA256, jsonNulls == 0 else {
                        throw ArchiveMismatch()
                    }
                    try await connection.query(Self.markSQL, [candidate.pk, repository.uri(name), written.fileSHA256])
                    return .archived(rows: rows)
                }
                if case .locked = outcome {
                    logger.notice("batch is held by the application; left for the next run", metadata: ["batch": "\(candidate.batchID)"])
                }
                return outcome
            } catch is ArchiveMismatch {
                logger.notice("batch changed while being archived; archiving it again", metadata: ["batch": "\(candidate.batchID)"])
                continue
            } catch where BoundedTransaction.isContention(error) {
                logger.notice("a request row of the batch is held; left for the next run", metadata: ["batch": "\(candidate.batchID)"])
                return .locked
            }
        }
        return .changed
    }

    private struct ArchiveMismatch: Error {}

    struct Written {
        let manifest: BatchArchive.Manifest
        let fileSHA256: String
    }

    /// Step 1: streams the batch's requests from one snapshot into a published archive.
    /// - Returns: nil when the rows cannot be archived exactly (nothing is written then).
    private func writeArchive(_ candidate: Candidate, name: String, connection: PostgresConnection) async throws -> Written? {
        // statement_timeout is already set on the job's connection (BoundedTransaction.configure).
        return try await connection.transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY") {
            let size = try await connection.query(Self.sizeSQL, [candidate.pk]).first
            let rows = try size?.decode(Int64.self, "n") ?? 0
            let bytes = try size?.decode(Int64.self, "bytes") ?? 0
            guard try size?.decode(Int64.self, "json_nulls") == 0 else { return nil }
            try await connection.query(Self.setBatchSQL, [String(candidate.pk)])
            let repository = self.repository
            let sink = try await BlockingIO.run(name: "batch-archive") { try BatchArchiveSink(repository: repository, name: name, jsonlBytes: bytes) }
            do {
                let copied = try await connection.copyOut(Self.copySQL) { chunk in try sink.write(chunk) }
                guard copied == rows, sink.rows == rows, sink.bytesWritten == bytes else {
                    throw OpsError(.jobFailed, "archiving batch \(candidate.batchID): expected \(rows) rows / \(bytes) bytes, COPY gave \(copied) rows / \(sink.bytesWritten) bytes")
                }
                CrashPoint.reach("archive-written")
            } catch {
                sink.discard()
                throw error
            }
            let manifest = BatchArchive.Manifest(
                format: BatchArchive.format, batchID: candidate.batchID, batchPK: candidate.pk, table: "public.batch_requests",
                rows: rows, jsonlBytes: bytes, jsonlSHA256: sink.jsonlSHA256(),
                createdAt: ISO8601DateFormatter().string(from: Date()))
            let fileSHA = try await BlockingIO.run(name: "batch-archive") { try sink.publish(manifest: manifest) }
            return Written(manifest: manifest, fileSHA256: fileSHA)
        }
    }

    /// Dry run: how many batches and requests a run would archive now.
    static func count(connection: PostgresConnection, configuration: OpsConfiguration, referenceTime: Date?) async throws -> (batches: Int64, requests: Int64) {
        let row = try await connection.query(countSQL, [referenceTime, configuration.batchArchiveDays]).first
        return (try row?.decode(Int64.self, "batches") ?? 0, try row?.decode(Int64.self, "requests") ?? 0)
    }

    /// Batches still due after the run.
    static func remaining(connection: PostgresConnection, configuration: OpsConfiguration, referenceTime: Date?) async throws -> Int64 {
        try await count(connection: connection, configuration: configuration, referenceTime: referenceTime).batches
    }

    /// `--delete-archived-batches-after DAYS`: removes batch rows archived longer ago, a page per transaction.
    static func deleteArchived(olderThanDays days: Int, transactions: inout BoundedTransaction, options: RetentionOptions,
                               report: inout RetentionReport, deadline: ContinuousClock.Instant) async throws {
        while ContinuousClock.now < deadline {
            let row = try await transactions.statement(deleteArchivedSQL, [options.referenceTime, days, options.batchSize]).first
            let counts = (try row?.decode(Int64.self, "batches") ?? 0, try row?.decode(Int64.self, "batch_requests") ?? 0)
            report.deleted.batches += counts.0
            report.deleted.batchRequests += counts.1
            if counts.0 < Int64(options.batchSize) { return }
        }
        report.stoppedAtMaxRuntime = true
    }
}
