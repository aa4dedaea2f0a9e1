/// Limits beyond which a check warns or fails (README, "health").
package struct HealthThresholds: Sendable {
    /// Share of `max_connections` in use: warn at 0.8, fail at 0.95.
    package var connectionsWarn = 0.8
    package var connectionsFail = 0.95
    /// Age of the oldest open transaction, seconds: warn at 1 h, fail at 6 h.
    package var transactionAgeWarn = 3600.0
    package var transactionAgeFail = 6 * 3600.0
    /// Round trip (`SELECT 1`, `PING`), milliseconds: warn at 100 ms.
    package var responseTimeWarnMs = 100.0
    /// Share of `maxmemory` used: warn at 0.9, fail at 0.98 (no limit when maxmemory is 0).
    package var memoryWarn = 0.9
    package var memoryFail = 0.98
    /// Age of the last successful snapshot, seconds: warn past 1 h (0 turns the check off).
    package var snapshotAgeWarn = 3600.0

    package init() {}
}
