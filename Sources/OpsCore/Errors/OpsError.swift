/// The error every command reports to the user: one line, a stable code, an exit status.
///
/// Modelled on postgres-nio's `PSQLError`: `Code` is a struct over a private enum so new codes never
/// break callers, and `description` is a sentence a human can act on. A URL's password is never part of
/// it (build messages from `RedactedURL`, never from the raw URL string).
public struct OpsError: Error, CustomStringConvertible, Sendable {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case usage, configuration, storeUnavailable, jobFailed, skipped, schemaTooNew, warning
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Bad arguments or input (exit 2).
        public static let usage = Code(.usage)
        /// Bad configuration, e.g. a malformed URL (exit 2).
        public static let configuration = Code(.configuration)
        /// PostgreSQL or the Redis server cannot be reached or refused us (exit 3).
        public static let storeUnavailable = Code(.storeUnavailable)
        /// The job ran and failed (exit 1).
        public static let jobFailed = Code(.jobFailed)
        /// Another instance holds the job's lock (exit 75, EX_TEMPFAIL).
        public static let skipped = Code(.skipped)
        /// The database was migrated by a newer binary (exit 4).
        public static let schemaTooNew = Code(.schemaTooNew)
        /// The job completed, with warnings (exit 10).
        public static let warning = Code(.warning)

        public var description: String { base.rawValue }

        /// Documented in README ("Exit codes").
        public var exitCode: Int32 {
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

    public var code: Code
    /// The one-line message, already free of secrets.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// Process exit codes (README, "Exit codes").
public enum ExitCode {
    public static let ok: Int32 = 0
    public static let failure: Int32 = 1
    public static let usage: Int32 = 2
    public static let storeUnavailable: Int32 = 3
    public static let schemaTooNew: Int32 = 4
    public static let warning: Int32 = 10
    public static let skipped: Int32 = 75
}
