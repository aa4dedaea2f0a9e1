import Foundation
import Logging
import OpsCore
import OpsSupport
import PGClient

/// What a run does with each session.
package enum ImportMode: String, Sendable {
    /// Write (one transaction per session).
    case apply = "import"
    /// Do all the work in the transaction, then roll it back: the same report, nothing written.
    case dryRun = "dry-run"
    /// Stage the tree's keys and hashes and compare them with the database; write nothing.
    case verify
}

/// Imports sessions over one connection: plan, read the metadata, stage with COPY, check the natural
/// keys, upsert (or compare), all in one transaction per session.
package final class SessionImporter: @unchecked Sendable {
    // @unchecked: used by one worker task at a time; the connection serialises its own calls.
    private let connection: PostgresConnection
    private let tree: LegacyTree
    private let options: LegacyImportOptions
    private let expiryDays: Int
    private let progress: ImportProgress?
    private let logger: Logger
    private let now: LegacyTimestamp

    package init(connection: PostgresConnection, tree: LegacyTree, options: LegacyImportOptions, expiryDays: Int,
                 progress: ImportProgress?, logger: Logger, now: Date = Date()) async throws {
        self.connection = connection
        self.tree = tree
        self.options = options
        self.expiryDays = expiryDays
        self.progress = progress
        self.logger = logger
        self.now = LegacyTimestamp(now)
        try await connection.execute(ImportSQL.createStaging)
    }

    /// Imports (or checks) one sender's session. A refusal is a result; other errors (the database
    /// went away) are thrown and end the run.
    package func run(sender: String) async throws -> SessionResult {
        var result = SessionResult(sender: sender, state: .refused)
        do {
            // Listing and reading the small JSON documents block: they run on their own thread.
            let plan = try await BlockingIO.run(name: "legacy-list") { [tree] in try SessionPlan.list(root: tree.root, sender: sender) }
            result.strayFiles = plan.strayFiles
            result.ignored = plan.ignored
            result.files = plan.files.count
            result.fileBytes = plan.fileBytes
            let expiryDays = self.expiryDays
            let (session, jobs, batches) = try await BlockingIO.run(name: "legacy-read") { [self] in
                let (session, jobs) = try MetadataMapper.session(
                    folder: sender, top: try plan.topMetadata.map { (try readJSON($0), $0) },
                    changes: try plan.changesMetadata.map { (try readJSON($0), $0) }, expiryDays: expiryDays)
                let batches = try plan.batches.map { batch in
                    try MetadataMapper.batch(try readJSON(batch.manifest), file: batch.manifest, folder: batch.folder)
                }
                return (session, jobs, batches)
            }
            result.expiresAt = session.expiresAt
            if session.expiresAt <= now, !options.includeExpired {
                result.state = .expired
                return result
            }
            try await connection.transaction {
                try await self.load(plan: plan, session: session, jobs: jobs, batches: batches, result: &result)
                if self.options.mode != .apply { throw Rollback() }
            }
        } catch is Rollback {
            // Dry run and verify end here: the transaction rolled back, the result stands.
        } catch let refusal as ImportRefusal {
            result.state = .refused
            result.refusal = refusal
            result.rows = [:]
        } catch let error as PostgresError where Self.isDataError(error) {
            result.state = .refused
            result.refusal = ImportRefusal(file: sender + "/", "PostgreSQL refused the session: \(error.message)")
            result.rows = [:]
        }
        if result.state == .refused, let refusal = result.refusal {
            logger.warning("session \(sender) refused: \(refusal)")
        }
        return result
    }

    private struct Rollback: Error {}

    /// Errors about the data (bad input syntax, constraint violations, a value over a limit such as a
    /// file whose tsvector exceeds 1 MB), not about the server.
    static func isDataError(_ error: PostgresError) -> Bool {
        guard let state = error.sqlState else { return false }
        return state.hasPrefix("22") || state.hasPrefix("23") || state.hasPrefix("54") || state == "21000"
    }

    /// Reads a small JSON document (metadata, manifest): UTF-8, at most 10 MiB, syntax errors with line.
    func readJSON(_ source: String) throws -> JSONValue {
        let path = tree.root + "/" + source
        guard case .file(let size) = FileStatus.of(path) else { throw ImportRefusal(file: source, "is missing") }
        guard size <= SessionPlan.maxFileBytes else { throw ImportRefusal(file: source, "is over 10 MiB") }
        let file = try ReadableFile(path: path)
        defer { file.close() }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        let n = try bytes.withUnsafeMutableBytes { try file.readFully(into: $0) }
        bytes.removeSubrange(n...)
        var validator = UTF8Validator()
        let valid = bytes.withUnsafeBytes { validator.feed($0) } && validator.finish()
        return try bytes.withUnsafeBufferPointer { buffer in
            guard valid else {
                let line = buffer.prefix(validator.firstInvalidOffset ?? 0).filter { $0 == 0x0A }.count + 1
                throw ImportRefusal(file: source, line: line, "is not valid UTF-8")
            }
            do { return try JSONScanner.parse(buffer) } catch let error as JSONSyntaxError {
                let position = error.position(in: buffer)
                throw ImportRefusal(file: source, line: position.line, "invalid JSON at column \(position.column): \(error.message)")
            }
        }
    }

    private func load(plan: SessionPlan, session: SessionRow, jobs: [JobRow], batches: [BatchRow], result: inout SessionResult) async throws {
        let sender = plan.sender
        let existing = try await connection.query(ImportSQL.existingSession, [sender]).first
        if let existing, try existing.decode(Bool.self, "ours") == false {
            throw ImportRefusal(file: sender + "/", "sender_id '\(sender)' already exists in the database and did not come from a tree; it is left untouched")
        }
        // Stage the big tables with COPY, streamed from the files.
        let files = FileRowStream(root: tree.root, files: plan.files, includeContent: options.mode != .verify, progress: progress)
        try await connection.copyIn(ImportSQL.copyFiles) { try files.next() }
        let inputs = RequestRowStream(root: tree.root, batches: plan.batches, kind: .input, progress: progress)
        let inputRows = try await connection.copyIn(ImportSQL.copyInput) { try inputs.next() }
        let results = RequestRowStream(root: tree.root, batches: plan.batches, kind: .results, progress: progress)
        try await connection.copyIn(ImportSQL.copyResults) { try results.next() }
        try await checkNaturalKeys(session: sender, jobs: jobs, batches: batches, sessionID: existing?.decode(Int64.self, "id"))

        if options.mode == .verify {
            try await verify(existing: existing, sender: sender, jobs: jobs, batches: batches, result: &result)
            return
        }
        let up = try await connection.query(ImportSQL.upsertSession, [
            session.senderId, session.sessionType, session.status, session.sourceLocale, session.targetLocales,
            session.metadata.jsonText, session.createdAt.postgresText, session.updatedAt.postgresText, session.expiresAt.postgresText,
        ])
        guard let row = up.first else { throw ImportRefusal(file: sender + "/", "the session row could not be written") }
        let sessionID = try row.decode(Int64.self, "id")
        let inserted: Bool?? = row.values[1].map { $0 == "t" }
        var sessionCounts = RowCounts()
        switch inserted {
        case .some(.some(true)): sessionCounts.inserted = 1
        case .some(.some(false)): sessionCounts.updated = 1
        default: sessionCounts.unchanged = 1
        }
        result.rows[.sessions] = sessionCounts
        result.rows[.translationJobs] = try await upsert(ImportSQL.upsertJobs, [sessionID, Self.jobsJSON(jobs).jsonText], staged: jobs.count)
        result.rows[.batches] = try await upsert(ImportSQL.upsertBatches, [sessionID, Self.batchesJSON(batches).jsonText], staged: batches.count)
        result.rows[.batchRequests] = try await upsert(ImportSQL.upsertRequests, [sessionID], staged: Int(inputRows))
        result.rows[.files] = try await upsert(ImportSQL.upsertFiles, [sessionID], staged: plan.files.count)
        let wrote = result.rows.values.contains { $0.written > 0 }
        result.state = sessionCounts.inserted == 1 ? .inserted : wrote ? .updated : .unchanged
    }

    private func upsert(_ sql: String, _ parameters: [(any PostgresEncodable)?], staged: Int) async throws -> RowCounts {
        let row = try await connection.query(sql, parameters).first
        let inserted = try row?.decode(Int.self, "inserted") ?? 0
        let updated = try row?.decode(Int.self, "updated") ?? 0
        return RowCounts(inserted: inserted, updated: updated, unchanged: max(0, staged - inserted - updated))
    }

    /// Duplicate natural keys in the tree, results without a request, and jobs or batches that belong
    /// to another session: each refuses the session with the files (and lines) involved.
    private func checkNaturalKeys(session sender: String, jobs: [JobRow], batches: [BatchRow], sessionID: Int64?) async throws {
        if let row = try await connection.query(ImportSQL.duplicateFile).first {
            let sources = row["sources"].flatMap { $0 } ?? ""
            throw ImportRefusal(file: sources.components(separatedBy: ", ").last ?? sources,
                                "duplicate natural key (file_type \(row["file_type"].flatMap { $0 } ?? ""), locale \(row["locale"].flatMap { $0 } ?? ""), relative_path \(row["relative_path"].flatMap { $0 } ?? "")): \(sources)")
        }
        if let row = try await connection.query(ImportSQL.duplicateInput).first {
            throw ImportRefusal(file: row["source"].flatMap { $0 } ?? "", line: try row.decode(Int?.self, "line"),
                                "duplicate natural key: custom_id '\(row["custom_id"].flatMap { $0 } ?? "")' appears twice")
        }
        if let row = try await connection.query(ImportSQL.duplicateResult).first {
            throw ImportRefusal(file: row["source"].flatMap { $0 } ?? "", line: try row.decode(Int?.self, "line"),
                                "duplicate natural key: custom_id '\(row["custom_id"].flatMap { $0 } ?? "")' has more than one result (\(row["places"].flatMap { $0 } ?? ""))")
        }
        if let row = try await connection.query(ImportSQL.orphanResult).first {
            throw ImportRefusal(file: row["source"].flatMap { $0 } ?? "", line: try row.decode(Int?.self, "line"),
                                "custom_id '\(row["custom_id"].flatMap { $0 } ?? "")' has no request in input.jsonl")
        }
        var seenOpenAI: Set<String> = []
        for batch in batches {
            if let id = batch.openaiBatchId, !seenOpenAI.insert(id).inserted {
                throw ImportRefusal(file: sender + "/batches/" + batch.batchId + "/manifest.json", "duplicate natural key: openaiBatchId '\(id)' is used by another batch of this session")
            }
        }
        let own = sessionID ?? -1
        if !jobs.isEmpty, let row = try await connection.query(ImportSQL.jobElsewhere, [own, Self.jobsJSON(jobs).jsonText]).first {
            throw ImportRefusal(file: sender + "/metadata.json", "duplicate natural key: job_id '\(row["job_id"].flatMap { $0 } ?? "")' already belongs to session '\(row["sender_id"].flatMap { $0 } ?? "")'")
        }
        if !batches.isEmpty, let row = try await connection.query(ImportSQL.batchElsewhere, [own, Self.batchesJSON(batches).jsonText]).first {
            let batch = row["batch_id"].flatMap { $0 } ?? ""
            throw ImportRefusal(file: sender + "/batches/" + batch + "/manifest.json", "duplicate natural key: batch '\(batch)' (or its openaiBatchId) already belongs to session '\(row["sender_id"].flatMap { $0 } ?? "")'")
        }
    }

    private func verify(existing: PostgresRow?, sender: String, jobs: [JobRow], batches: [BatchRow], result: inout SessionResult) async throws {
        result.state = .unchanged
        guard let existing else {
            result.differenceCount = 1
            result.differences = [VerifyDifference(sender: sender, item: sender + "/", problem: "session missing from the database")]
            return
        }
        let id = try existing.decode(Int64.self, "id")
        let limit = ImportReport.listLimit
        var differences: [VerifyDifference] = []
        for row in try await connection.query(ImportSQL.verifyJobs, [id, Self.jobsJSON(jobs).jsonText, limit]).rows {
            differences.append(VerifyDifference(sender: sender, item: "job " + (row["job_id"].flatMap { $0 } ?? ""), problem: row["problem"].flatMap { $0 } ?? ""))
        }
        for row in try await connection.query(ImportSQL.verifyBatches, [id, Self.batchesJSON(batches).jsonText, limit]).rows {
            differences.append(VerifyDifference(sender: sender, item: "batch " + (row["batch_id"].flatMap { $0 } ?? ""), problem: row["problem"].flatMap { $0 } ?? ""))
        }
        for sql in [ImportSQL.verifyFiles, ImportSQL.verifyRequests] {
            for row in try await connection.query(sql, [id, limit]).rows {
                differences.append(VerifyDifference(sender: sender, item: row["source"].flatMap { $0 } ?? "", problem: row["problem"].flatMap { $0 } ?? ""))
            }
        }
        result.differenceCount = differences.count
        result.differences = differences
    }

    static func jobsJSON(_ jobs: [JobRow]) -> JSONValue {
        .array(jobs.map { job in
            func text(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
            return [
                "job_id": .string(job.jobId), "job_type": .string(job.jobType), "status": .string(job.status),
                "provider": text(job.provider), "model": text(job.model), "source_locale": text(job.sourceLocale),
                "target_locales": job.targetLocales.map { .array($0.map { .string($0) }) } ?? .null,
                "progress": job.progress, "error": text(job.error),
                "created_at": .string(job.createdAt.postgresText), "updated_at": .string(job.updatedAt.postgresText),
                "started_at": text(job.startedAt?.postgresText), "completed_at": text(job.completedAt?.postgresText),
            ]
        })
    }

    static func batchesJSON(_ batches: [BatchRow]) -> JSONValue {
        .array(batches.map { batch in
            func text(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
            func count(_ value: Int64?) -> JSONValue { value.map { .int($0) } ?? .null }
            return [
                "batch_id": .string(batch.batchId), "openai_batch_id": text(batch.openaiBatchId), "status": .string(batch.status),
                "provider": text(batch.provider), "model": text(batch.model), "source_locale": text(batch.sourceLocale),
                "target_locales": batch.targetLocales.map { .array($0.map { .string($0) }) } ?? .null,
                "request_count": count(batch.requestCount), "completed_count": count(batch.completedCount),
                "failed_count": count(batch.failedCount), "manifest": batch.manifest,
                "created_at": .string(batch.createdAt.postgresText), "submitted_at": text(batch.submittedAt?.postgresText),
                "completed_at": text(batch.completedAt?.postgresText),
            ]
        })
    }
}
