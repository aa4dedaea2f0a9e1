import Foundation
import OpsSupport
import PGClient

/// Runs write transactions the way retention must while the application keeps writing: with
/// `lock_timeout` and `statement_timeout` set, so a row the application holds makes retention give up
/// quickly instead of queueing the application behind it, and each one timed.
///
/// The timeouts are set once, for the session, on the job's own connection (which runs nothing else),
/// rather than with `SET LOCAL` in every transaction: the scope is the same, and a batch of session
/// expiry can then be one autocommit statement, a single round trip. On a busy machine every round
/// trip costs a scheduler wake-up of the backend, which made a four-round-trip batch markedly slower.
struct BoundedTransaction {
    let connection: PostgresConnection
    /// The longest transaction run so far (first statement sent to COMMIT or ROLLBACK done), in seconds.
    private(set) var longestSeconds = 0.0
    private(set) var count = 0

    /// Sets the timeouts on `connection` for the rest of its session.
    static func configure(_ connection: PostgresConnection, options: RetentionOptions) async throws -> BoundedTransaction {
        try await connection.query("SELECT set_config('lock_timeout', $1, false), set_config('statement_timeout', $2, false)",
                                   [DurationText.postgres(options.lockTimeout), DurationText.postgres(options.statementTimeout)])
        return BoundedTransaction(connection: connection)
    }

    private init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Runs `body` in one transaction; rolls back when it throws.
    mutating func run<T>(_ body: () async throws -> T) async throws -> T {
        let connection = connection
        return try await timed { try await connection.transaction { try await body() } }
    }

    /// Runs one statement as its own (autocommit) transaction.
    @discardableResult
    mutating func statement(_ sql: String, _ parameters: [(any PostgresEncodable)?]) async throws -> PostgresResult {
        let connection = connection
        return try await timed { try await connection.query(sql, parameters) }
    }

    private mutating func timed<T>(_ body: () async throws -> T) async throws -> T {
        let clock = ContinuousClock()
        let start = clock.now
        defer {
            count += 1
            longestSeconds = max(longestSeconds, (clock.now - start).inSeconds)
        }
        return try await body()
    }

    /// Whether `error` means "the application holds what we need": lock_timeout, statement_timeout,
    /// deadlock or serialization failure. Such work is left for the next run, never waited for.
    static func isContention(_ error: any Error) -> Bool {
        guard let error = error as? PostgresError, let state = error.sqlState else { return false }
        return ["55P03", "57014", "40P01", "40001"].contains(state)
    }
}
