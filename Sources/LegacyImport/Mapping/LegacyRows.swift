import OpsCore
import OpsSupport

/// `public.sessions` as mapped from `metadata.json` (and `changes/metadata.json`).
package struct SessionRow: Sendable, Equatable {
    package var senderId: String
    package var sessionType: String
    package var status: String
    package var sourceLocale: String
    package var targetLocales: [String]
    /// Keys the columns do not hold, `changes` (the changes workflow's own keys) and the import marker.
    package var metadata: JSONValue
    package var createdAt: LegacyTimestamp
    package var updatedAt: LegacyTimestamp
    package var expiresAt: LegacyTimestamp
    /// Whether `expiresAt` came from the file (else `createdAt` + `SESSION_EXPIRY_DAYS`).
    package var expiresAtGiven: Bool
}

/// `public.translation_jobs` as mapped from one entry of `jobs`.
package struct JobRow: Sendable, Equatable {
    package var jobId: String
    package var jobType: String
    package var status: String
    package var provider: String?
    package var model: String?
    package var sourceLocale: String?
    package var targetLocales: [String]?
    /// `progress` (an object as is; any other value as `{"value": …}`), plus the job's unmapped keys
    /// under `_legacy`.
    package var progress: JSONValue
    package var error: String?
    package var createdAt: LegacyTimestamp
    package var updatedAt: LegacyTimestamp
    package var startedAt: LegacyTimestamp?
    package var completedAt: LegacyTimestamp?
}

/// `public.batches` as mapped from `manifest.json` (the whole document also goes to `manifest`).
package struct BatchRow: Sendable, Equatable {
    package var batchId: String
    package var openaiBatchId: String?
    package var status: String
    package var provider: String?
    package var model: String?
    package var sourceLocale: String?
    package var targetLocales: [String]?
    /// nil: counted from the JSONL files.
    package var requestCount: Int64?
    package var completedCount: Int64?
    package var failedCount: Int64?
    package var manifest: JSONValue
    package var createdAt: LegacyTimestamp
    package var submittedAt: LegacyTimestamp?
    package var completedAt: LegacyTimestamp?
}

/// A request's status from its JSONL lines (the rule): `completed` for a 2xx response,
/// `failed` for an error line or a non-2xx response, otherwise `pending`.
package enum RequestStatus: String, Sendable {
    case pending, completed, failed

    /// - Parameters:
    ///   - statusCode: `response.status_code`, nil when there is no response object or no code.
    ///   - hasError: the line's `error` is present and not null.
    package static func of(statusCode: Int64?, hasError: Bool) -> RequestStatus {
        if hasError { return .failed }
        guard let statusCode else { return .pending }
        return (200...299).contains(statusCode) ? .completed : .failed
    }
}

extension JSONValue {
    /// The value as `jsonb` input text.
    var jsonText: String { jsonString() }
}
