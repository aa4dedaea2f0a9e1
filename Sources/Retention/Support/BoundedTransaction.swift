import Foundation
import PGClient

/// Runs write transactions the way retention must while the application keeps writing: each one sets
/// `lock_timeout` and `statement_timeout` locally, so a row the application holds makes retention give
/// up quickly instead of queueing the application behind it, and each one is timed.
struct BoundedTransaction {
    let connection: PostgresConnection
    let lockTimeout: Duration
    let statementTimeout: Duration
    /// The longest transaction run so far (BEGIN to COMMIT or ROLLBACK), in seconds.
    private(set) var longestSeconds = 0.0
    private(set) var count = 0

    init(connection: PostgresConnection, options: RetentionOptions) {
        self.connection = connection
        self.lockTimeout = options.lockTimeout
        self.statementTimeout = options.statementTimeout
    }

    /// Runs `body` in one transaction with the timeouts set; rolls back when it throws.
    mutating func run<T>(isolation: String = "READ COMMITTED", _ body: () async throws -> T) async throws -> T {
        let clock = ContinuousClock()
        let start = clock.now
        defer {
            count += 1
            longestSeconds = max(longestSeconds, DurationText.seconds(clock.now - start))
        }
        return try await connection.transaction(begin: "BEGIN ISOLATION LEVEL \(isolation)") {
            // set_config(…, true) is SET LOCAL with bound values.
            try await connection.query("SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)",
                                       [DurationText.postgres(lockTimeout), DurationText.postgres(statementTimeout)])
            return try await body()
        }
    }

    /// Whether `error` means "the application holds what we need": lock_timeout, statement_timeout,
    /// deadlock or serialization failure. Such work is left for the next run, never waited for.
    static func isContention(_ error: Error) -> Bool {
        guard let error = error as? PostgresError, let state = error.sqlState else { return false }
        return ["55P03", "57014", "40P01", "40001"].contains(state)
    }
}
