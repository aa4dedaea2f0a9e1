import OpsCore

/// An error of the backup, verify, prune and restore commands: a stable code and one line a human can
/// act on, e.g. `backup failed: cannot lock table public.files (lock_wait_timeout 5s): another session
/// holds or waits for a conflicting lock`.
///
/// Modelled on postgres-nio's `PSQLError`: `Code` is a struct over a private enum so new codes never
/// break callers. `opsError` maps it to the exit code the README documents.
package struct BackupError: Error, CustomStringConvertible, Sendable {
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case lockTimeout, notFound, invalidArchive, checksumMismatch, targetNotEmpty, scriptError,
                 unsupportedScript, restoreFailed, verifyFailed, usage, io
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A table could not be locked within `--lock-wait-timeout`.
        package static let lockTimeout = Code(.lockTimeout)
        /// No backup matches the given id, `latest` or path.
        package static let notFound = Code(.notFound)
        /// The archive's structure is wrong: damaged, truncated, a member missing or unexpected.
        package static let invalidArchive = Code(.invalidArchive)
        /// A member's SHA-256 differs from the manifest's.
        package static let checksumMismatch = Code(.checksumMismatch)
        /// The restore target holds objects and `--clean` was not given.
        package static let targetNotEmpty = Code(.targetNotEmpty)
        /// A statement of the script failed on the server.
        package static let scriptError = Code(.scriptError)
        /// The script uses something only psql understands (a meta-command).
        package static let unsupportedScript = Code(.unsupportedScript)
        /// The restore could not complete for another reason.
        package static let restoreFailed = Code(.restoreFailed)
        /// `backup verify --restore-test` found a difference.
        package static let verifyFailed = Code(.verifyFailed)
        /// Bad arguments.
        package static let usage = Code(.usage)
        /// A file could not be read or written.
        package static let io = Code(.io)

        package var description: String { base.rawValue }
    }

    package var code: Code
    /// The whole one-line message, already free of secrets.
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }

    /// The user-facing error: usage problems exit 2, everything else 1.
    package var opsError: OpsError {
        OpsError(code == .usage || code == .notFound || code == .targetNotEmpty ? .usage : .jobFailed, message)
    }
}

extension BackupError {
    /// Runs `body`, turning `BackupError`s into the `OpsError`s the job runner reports.
    static func mapped<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() }
        catch let error as BackupError { throw error.opsError }
    }
}
