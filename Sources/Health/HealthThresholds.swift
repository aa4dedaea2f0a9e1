/// Limits beyond which a check warns or fails (README, "health").
public struct HealthThresholds: Sendable {
    /// Share of `max_connections` in use: warn at 0.8, fail at 0.95.
    public var connectionsWarn = 0.8
    public var connectionsFail = 0.95
    /// Age of the oldest open transaction, seconds: warn at 1 h, fail at 6 h.
    public var transactionAgeWarn = 3600.0
    public var transactionAgeFail = 6 * 3600.0
    /// Round trip (`SELECT 1`, `PING`), milliseconds: warn at 100 ms.
    public var responseTimeWarnMs = 100.0
    /// Share of `maxmemory` used: warn at 0.9, fail at 0.98 (no limit when maxmemory is 0).
    public var memoryWarn = 0.9
    public var memoryFail = 0.98
    /// Age of the last successful snapshot, seconds: warn past 1 h (0 turns the check off).
    public var snapshotAgeWarn = 3600.0

    public init() {}
}
