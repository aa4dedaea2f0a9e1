/// The error every command reports to the user: one line, a stable code, an exit status.
///
/// Modelled on postgres-nio's `PSQLError`: `Code` is a struct over a private enum so new codes never
/// break callers, and `description` is a sentence a human can act on. A URL's password is never part of
/// it (build messages from `RedactedURL`, never from the raw URL string).
package struct OpsError: Error, CustomStringConvertible, Sendable {
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case usage, configuration, storeUnavailable, jobFailed, skipped, schemaTooNew, warning
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Bad arguments or input (exit 2).
        package static let usage = Code(.usage)
        /// Bad configuration, e.g. a malformed URL (exit 2).
        package static let configuration = Code(.configuration)
        /// PostgreSQL or the Redis server cannot be reached or refused us (exit 3).
        package static let storeUnavailable = Code(.storeUnavailable)
        /// The job ran and failed (exit 1).
        package static let jobFailed = Code(.jobFailed)
        /// Another instance holds the job's lock (exit 75, EX_TEMPFAIL).
        package static let skipped = Code(.skipped)
        /// The database was migrated by a newer binary (exit 4).
        package static let schemaTooNew = Code(.schemaTooNew)
        /// The job completed, with warnings (exit 10).
        package static let warning = Code(.warning)

        package var description: String { base.rawValue }

        /// Documented in README ("Exit codes").
        package var exitCode: Int32 {
            switch base {
            case .usage, .configuration: return ExitCode.usage
            case .storeUnavailable: return ExitCode.storeUnavailable
            case .jobFailed: return ExitCode.failure
            case .skipped: return ExitCode.skipped
            case .schemaTooNew: return ExitCode.schemaTooNew
            case .warning: return ExitCode.warning
            }
        }
    }

    package var code: Code
    /// The one-line message, already free of secrets.
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }

    /// An error from a library that decides its own exit code (e.g. a repository's): 2 is a usage
    /// error, 3 an unavailable store, anything else a failed job.
    package init(exitCode: Int32, _ message: String) {
        switch exitCode {
        case ExitCode.usage: self.init(.usage, message)
        case ExitCode.storeUnavailable: self.init(.storeUnavailable, message)
        default: self.init(.jobFailed, message)
        }
    }
}

/// Process exit codes (README, "Exit codes").
package enum ExitCode {
    package static let ok: Int32 = 0
    package static let failure: Int32 = 1
    package static let usage: Int32 = 2
    package static let storeUnavailable: Int32 = 3
    package static let schemaTooNew: Int32 = 4
    package static let warning: Int32 = 10
    package static let skipped: Int32 = 75
}
