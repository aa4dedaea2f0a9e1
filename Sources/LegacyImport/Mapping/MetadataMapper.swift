import OpsCore
import OpsSupport

/// Maps the service's JSON documents (camelCase keys) to rows, refusing what the schema's CHECK
/// constraints would refuse with a reason that names the key.
package enum MetadataMapper {
    package static let sessionStatuses: Set<String> = ["active", "processing", "completed", "failed", "expired"]
    package static let sessionTypes: Set<String> = ["upload", "changes"]
    package static let jobStatuses: Set<String> = ["pending", "processing", "completed", "failed", "cancelled"]
    package static let batchStatuses: Set<String> = ["pending", "submitted", "in_progress", "completed", "failed", "cancelled", "expired"]

    /// Keys the session columns hold (everything else goes to `sessions.metadata`).
    static let sessionKeys: Set<String> = ["senderId", "sessionType", "status", "sourceLocale", "targetLocales",
                                           "createdAt", "updatedAt", "expiresAt", "jobs"]
    static let jobKeys: Set<String> = ["jobId", "type", "status", "provider", "model", "sourceLocale", "targetLocales",
                                       "progress", "error", "createdAt", "updatedAt", "startedAt", "completedAt"]

    /// The marker in `sessions.metadata` that says a session came from a tree: a later import may
    /// update such a session, never one the service created.
    package static let importMarkerKey = "legacy_import"

    struct Fields {
        let object: [String: JSONValue]
        let file: String

        func string(_ key: String, required: Bool = false) throws -> String? {
            guard let value = object[key], value != .null else {
                if required { throw ImportRefusal(file: file, "\"\(key)\" is missing") }
                return nil
            }
            guard case .string(let text) = value else { throw ImportRefusal(file: file, "\"\(key)\" must be a string") }
            if required, text.isEmpty { throw ImportRefusal(file: file, "\"\(key)\" is empty") }
            return text
        }

        func strings(_ key: String) throws -> [String]? {
            guard let value = object[key], value != .null else { return nil }
            guard case .array(let items) = value else { throw ImportRefusal(file: file, "\"\(key)\" must be an array of strings") }
            return try items.map { item in
                guard case .string(let text) = item else { throw ImportRefusal(file: file, "\"\(key)\" must be an array of strings") }
                return text
            }
        }

        func timestamp(_ key: String, required: Bool = false) throws -> LegacyTimestamp? {
            guard let text = try string(key, required: required) else { return nil }
            guard let value = LegacyTimestamp.parse(text) else {
                throw ImportRefusal(file: file, "\"\(key)\" is not an ISO 8601 timestamp with a zone: \(text)")
            }
            return value
        }

        func count(_ key: String) throws -> Int64? {
            guard let value = object[key], value != .null else { return nil }
            guard let number = value.intValue, (0...Int64(Int32.max)).contains(number) else {
                throw ImportRefusal(file: file, "\"\(key)\" must be a whole number from 0 to \(Int32.max)")
            }
            return number
        }

        func oneOf(_ key: String, _ allowed: Set<String>, required: Bool = true) throws -> String? {
            guard let value = try string(key, required: required) else { return nil }
            guard allowed.contains(value) else {
                throw ImportRefusal(file: file, "\"\(key)\" is '\(value)', not one of \(allowed.sorted().joined(separator: ", "))")
            }
            return value
        }
    }

    static func object(_ value: JSONValue, file: String, what: String) throws -> [String: JSONValue] {
        guard case .object(let object) = value else { throw ImportRefusal(file: file, "\(what) must be a JSON object") }
        return object
    }

    /// The session and its jobs from the top-level `metadata.json` and, when present,
    /// `changes/metadata.json` (whose keys win; its own keys go to `metadata.changes`).
    ///
    /// - Parameters:
    ///   - folder: the sender's folder name, which `senderId` must equal.
    ///   - top: the top-level document and its path relative to the tree, if the file exists.
    ///   - changes: the changes document and its path, if the file exists.
    package static func session(folder: String, top: (JSONValue, String)?, changes: (JSONValue, String)?,
                                expiryDays: Int) throws -> (SessionRow, [JobRow]) {
        let topObject = try top.map { try object($0.0, file: $0.1, what: "metadata.json") } ?? [:]
        let changesObject = try changes.map { try object($0.0, file: $0.1, what: "changes/metadata.json") }
        var merged = topObject
        var changesOwn: [String: JSONValue] = [:]
        if let changesObject {
            for (key, value) in changesObject {
                merged[key] = value
                if !sessionKeys.contains(key), topObject[key] == nil { changesOwn[key] = value }
            }
        }
        let file = changes != nil && top == nil ? changes!.1 : (top?.1 ?? "\(folder)/metadata.json")
        let fields = Fields(object: merged, file: file)
        let sender = try fields.string("senderId", required: true)!
        guard sender == folder else {
            throw ImportRefusal(file: file, "\"senderId\" is '\(sender)' but the folder is '\(folder)'; rename one so they match")
        }
        var sessionType = try fields.oneOf("sessionType", sessionTypes, required: false) ?? "upload"
        if changes != nil { sessionType = "changes" }
        let status = try fields.oneOf("status", sessionStatuses)!
        let created = try fields.timestamp("createdAt", required: true)!
        let updated = try fields.timestamp("updatedAt") ?? created
        let given = try fields.timestamp("expiresAt")
        var metadata: [String: JSONValue] = [:]
        for (key, value) in merged where !sessionKeys.contains(key) && changesOwn[key] == nil {
            metadata[key] = value
        }
        if !changesOwn.isEmpty { metadata["changes"] = .object(changesOwn) }
        metadata[importMarkerKey] = .object(["source": "tmp tree"])
        let row = SessionRow(senderId: sender, sessionType: sessionType, status: status,
                             sourceLocale: try fields.string("sourceLocale", required: true)!,
                             targetLocales: try fields.strings("targetLocales") ?? [],
                             metadata: .object(metadata), createdAt: created, updatedAt: updated,
                             expiresAt: given ?? created.adding(days: expiryDays), expiresAtGiven: given != nil)

        // Jobs: the changes file's entries replace the top-level ones with the same jobId.
        var jobs: [JobRow] = []
        var positions: [String: Int] = [:]
        for (document, path) in [(topObject, top?.1), (changesObject ?? [:], changes?.1)] {
            guard let path, let list = document["jobs"], list != .null else { continue }
            guard case .array(let entries) = list else { throw ImportRefusal(file: path, "\"jobs\" must be an array") }
            var seen: Set<String> = []
            for (index, entry) in entries.enumerated() {
                let job = try self.job(entry, file: path, index: index)
                guard seen.insert(job.jobId).inserted else {
                    throw ImportRefusal(file: path, "duplicate natural key: jobs[\(index)] repeats jobId '\(job.jobId)'")
                }
                if let at = positions[job.jobId] { jobs[at] = job } else { positions[job.jobId] = jobs.count; jobs.append(job) }
            }
        }
        return (row, jobs)
    }

    static func job(_ value: JSONValue, file: String, index: Int) throws -> JobRow {
        let object = try object(value, file: file, what: "jobs[\(index)]")
        let fields = Fields(object: object, file: file)
        func prefixed<T>(_ body: () throws -> T) throws -> T {
            do { return try body() } catch var refusal as ImportRefusal {
                refusal.reason = "jobs[\(index)]: " + refusal.reason
                throw refusal
            }
        }
        return try prefixed {
            var progress: [String: JSONValue]
            switch object["progress"] {
            case .none, .null?: progress = [:]
            case .object(let fields)?: progress = fields
            case let other?: progress = ["value": other]
            }
            let unmapped = object.filter { !jobKeys.contains($0.key) }
            if !unmapped.isEmpty { progress["_legacy"] = .object(unmapped) }
            let error: String?
            switch object["error"] {
            case .none, .null?: error = nil
            case .string(let text)?: error = text
            case let other?: error = other.jsonText
            }
            let created = try fields.timestamp("createdAt", required: true)!
            return JobRow(jobId: try fields.string("jobId", required: true)!, jobType: try fields.string("type", required: true)!,
                          status: try fields.oneOf("status", jobStatuses)!, provider: try fields.string("provider"),
                          model: try fields.string("model"), sourceLocale: try fields.string("sourceLocale"),
                          targetLocales: try fields.strings("targetLocales"), progress: .object(progress), error: error,
                          createdAt: created, updatedAt: try fields.timestamp("updatedAt") ?? created,
                          startedAt: try fields.timestamp("startedAt"), completedAt: try fields.timestamp("completedAt"))
        }
    }

    /// A batch from its `manifest.json`; `folder` is the batch folder's name, which `batchId` must equal.
    package static func batch(_ value: JSONValue, file: String, folder: String) throws -> BatchRow {
        let object = try object(value, file: file, what: "manifest.json")
        let fields = Fields(object: object, file: file)
        let batchId = try fields.string("batchId", required: true)!
        guard batchId == folder else {
            throw ImportRefusal(file: file, "\"batchId\" is '\(batchId)' but the folder is '\(folder)'; rename one so they match")
        }
        return BatchRow(batchId: batchId, openaiBatchId: try fields.string("openaiBatchId"),
                        status: try fields.oneOf("status", batchStatuses)!, provider: try fields.string("provider"),
                        model: try fields.string("model"), sourceLocale: try fields.string("sourceLocale"),
                        targetLocales: try fields.strings("targetLocales"), requestCount: try fields.count("requestCount"),
                        completedCount: try fields.count("completedCount"), failedCount: try fields.count("failedCount"),
                        manifest: value, createdAt: try fields.timestamp("createdAt", required: true)!,
                        submittedAt: try fields.timestamp("submittedAt"), completedAt: try fields.timestamp("completedAt"))
    }
}
