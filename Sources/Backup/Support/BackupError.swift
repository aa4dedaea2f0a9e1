import OpsCore
import OpsSupport
import Repository

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
                 unsupportedScript, restoreFailed, verifyFailed, usage, io, storeUnavailable, identity
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
        /// The repository's object store refused the credentials or could not be reached (exit 3).
        package static let storeUnavailable = Code(.storeUnavailable)
        /// A missing, unreadable or non-matching age identity or recipient (exit 2).
        package static let identity = Code(.identity)

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

    /// A repository error in the backup commands' terms.
    package init(_ error: RepositoryError) {
        let code: Code
        switch error.code {
        case .usage: code = .usage
        case .notFound: code = .notFound
        case .authentication, .unreachable: code = .storeUnavailable
        case .identity: code = .identity
        case .damaged: code = .invalidArchive
        default: code = .io
        }
        self.init(code, error.message)
    }

    /// `error` as a `BackupError`: repository, S3, age and file errors classified, prefixed with
    /// `context` unless the message already names what failed; others unchanged.
    package static func from(_ error: any Error, _ context: String? = nil) -> any Error {
        if let error = error as? BackupError { return error }
        guard let classified = RepositoryError.classify(error) else { return error }
        var result = BackupError(classified)
        if let context, result.code != .storeUnavailable, result.code != .identity { result.message = "\(context): \(result.message)" }
        return result
    }

    /// The user-facing error: usage problems and identities exit 2, an unreachable or refusing
    /// object store 3, everything else 1.
    package var opsError: OpsError {
        if code == .storeUnavailable { return OpsError(.storeUnavailable, message) }
        return OpsError(code == .usage || code == .notFound || code == .targetNotEmpty || code == .identity ? .usage : .jobFailed, message)
    }
}

extension BackupError {
    /// Runs `body`, turning `BackupError`s into the `OpsError`s the job runner reports.
    static func mapped<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() }
        catch {
            // File errors keep their own mapping (the job runner's); repository, S3 and age errors
            // become the backup commands' exit codes.
            if error is SystemError { throw error }
            if let error = from(error) as? BackupError { throw error.opsError }
            throw error
        }
    }
}
