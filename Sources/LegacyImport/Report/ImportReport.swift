import OpsCore
import OpsSupport

/// Rows inserted, updated and left unchanged in one table.
package struct RowCounts: Sendable, Equatable {
    package var inserted = 0
    package var updated = 0
    package var unchanged = 0

    package init(inserted: Int = 0, updated: Int = 0, unchanged: Int = 0) {
        self.inserted = inserted
        self.updated = updated
        self.unchanged = unchanged
    }

    package var written: Int { inserted + updated }

    static func + (a: RowCounts, b: RowCounts) -> RowCounts {
        RowCounts(inserted: a.inserted + b.inserted, updated: a.updated + b.updated, unchanged: a.unchanged + b.unchanged)
    }

    var json: JSONValue { ["inserted": .int(Int64(inserted)), "updated": .int(Int64(updated)), "unchanged": .int(Int64(unchanged))] }
}

/// The five tables an import writes, in report order.
package enum ImportTable: String, CaseIterable, Sendable {
    case sessions, translationJobs = "translation_jobs", files, batches, batchRequests = "batch_requests"
}

/// One difference `--verify` found between the tree and the database.
package struct VerifyDifference: Sendable, Hashable {
    package var sender: String
    /// Where in the tree (a file, a line, a job or batch id).
    package var item: String
    package var problem: String
}

/// What one session's import did.
package struct SessionResult: Sendable {
    package enum State: String, Sendable { case inserted, updated, unchanged, refused, expired }
    package var sender: String
    package var state: State
    package var rows: [ImportTable: RowCounts] = [:]
    package var files = 0
    package var fileBytes: Int64 = 0
    package var strayFiles = 0
    package var ignored: [String] = []
    package var refusal: ImportRefusal?
    package var expiresAt: LegacyTimestamp?
    package var differences: [VerifyDifference] = []
    package var differenceCount = 0
}

/// The whole run's report: printed as text, or as JSON (snake_case keys) with `--json`, and stored in
/// `ops.job_runs.details`. Lists are capped at ``listLimit`` entries; the counts are always complete.
package struct ImportReport: Sendable {
    package static let listLimit = 1000

    package var tree: String
    package var mode: String
    package var sessionsInTree = 0
    package var sessionsInserted = 0
    package var sessionsUpdated = 0
    package var sessionsUnchanged = 0
    package var rows: [ImportTable: RowCounts] = [:]
    package var files = 0
    package var fileBytes: Int64 = 0
    package var strayFiles = 0
    package var ignored: [String] = []
    package var ignoredCount = 0
    package var refused: [SessionResult] = []
    package var refusedCount = 0
    package var expired: [String] = []
    package var expiredCount = 0
    package var differences: [VerifyDifference] = []
    package var differenceCount = 0
    package var seconds = 0.0

    package init(tree: String, mode: String) {
        self.tree = tree
        self.mode = mode
    }

    package mutating func add(_ result: SessionResult) {
        switch result.state {
        case .inserted: sessionsInserted += 1
        case .updated: sessionsUpdated += 1
        case .unchanged: sessionsUnchanged += 1
        case .refused:
            refusedCount += 1
            if refused.count < Self.listLimit { refused.append(result) }
        case .expired:
            expiredCount += 1
            if expired.count < Self.listLimit { expired.append(result.sender) }
        }
        for (table, counts) in result.rows { rows[table, default: RowCounts()] = rows[table, default: RowCounts()] + counts }
        if result.state != .refused && result.state != .expired {
            files += result.files
            fileBytes += result.fileBytes
        }
        strayFiles += result.strayFiles
        ignoredCount += result.ignored.count
        ignored += result.ignored.prefix(max(0, Self.listLimit - ignored.count))
        differenceCount += result.differenceCount
        differences += result.differences.prefix(max(0, Self.listLimit - differences.count))
    }

    /// Sessions that wrote nothing because the database already held them as they are.
    package var nothingToImport: Bool {
        mode != "verify" && sessionsInserted == 0 && sessionsUpdated == 0 && refusedCount == 0
    }

    package var sessionsImported: Int { sessionsInserted + sessionsUpdated + sessionsUnchanged }

    package var json: JSONValue {
        var tables: [String: JSONValue] = [:]
        for table in ImportTable.allCases { tables[table.rawValue] = (rows[table] ?? RowCounts()).json }
        var object: [String: JSONValue] = [
            "tree": .string(tree),
            "mode": .string(mode),
            "sessions": [
                "in_tree": .int(Int64(sessionsInTree)),
                "inserted": .int(Int64(sessionsInserted)),
                "updated": .int(Int64(sessionsUpdated)),
                "unchanged": .int(Int64(sessionsUnchanged)),
                "refused": .int(Int64(refusedCount)),
                "skipped_expired": .int(Int64(expiredCount)),
            ],
            "rows": .object(tables),
            "files": .int(Int64(files)),
            "file_bytes": .int(fileBytes),
            "stray_files_skipped": .int(Int64(strayFiles)),
            "ignored_count": .int(Int64(ignoredCount)),
            "ignored": .array(ignored.map { .string($0) }),
            "refused": .array(refused.map { result in
                var entry: [String: JSONValue] = ["sender_id": .string(result.sender)]
                if let refusal = result.refusal {
                    entry["file"] = .string(refusal.file)
                    entry["line"] = refusal.line.map { .int(Int64($0)) } ?? .null
                    entry["reason"] = .string(refusal.reason)
                }
                return .object(entry)
            }),
            "skipped_expired": .array(expired.map { .string($0) }),
            "nothing_to_import": .bool(nothingToImport),
            "duration_seconds": .double((seconds * 1000).rounded() / 1000),
        ]
        if mode == "verify" {
            object["difference_count"] = .int(Int64(differenceCount))
            object["differences"] = .array(differences.map {
                ["sender_id": .string($0.sender), "item": .string($0.item), "problem": .string($0.problem)]
            })
        }
        return .object(object)
    }
}
