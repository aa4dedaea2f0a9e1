extension PostgresConnection {
    /// Runs `body` inside `BEGIN … COMMIT`, rolling back when it throws.
    ///
    /// - Parameters:
    ///   - begin: the opening statement, e.g. `BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY`.
    @discardableResult
    package func transaction<T>(begin: String = "BEGIN", _ body: () async throws -> T) async throws -> T {
        try await execute(begin)
        do {
            let value = try await body()
            try await execute("COMMIT")
            return value
        } catch {
            // A broken connection cannot roll back; the server discards the transaction anyway.
            try? await withTaskCancellationShielded { try await self.execute("ROLLBACK") }
            throw error
        }
    }

    /// `pg_try_advisory_lock(key)`: true when this session now holds the lock, false when another does.
    package func tryAdvisoryLock(_ key: Int64) async throws -> Bool {
        try await query("SELECT pg_try_advisory_lock($1) AS locked", [key]).first?.decode(Bool.self, "locked") ?? false
    }

    /// `pg_advisory_lock(key)`: waits until this session holds the lock (cancel the task to stop waiting).
    package func advisoryLock(_ key: Int64) async throws {
        try await query("SELECT pg_advisory_lock($1)", [key])
    }

    /// `pg_advisory_unlock(key)`: true when the lock was held by this session.
    @discardableResult
    package func advisoryUnlock(_ key: Int64) async throws -> Bool {
        try await query("SELECT pg_advisory_unlock($1) AS unlocked", [key]).first?.decode(Bool.self, "unlocked") ?? false
    }
}

/// Runs cleanup work even when the surrounding task has been cancelled.
func withTaskCancellationShielded<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await Task { try await body() }.value
}
