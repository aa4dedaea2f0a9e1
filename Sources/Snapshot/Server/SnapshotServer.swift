/// Which Redis-compatible server answers: their persistence replies differ (README, "snapshot").
package enum SnapshotServerKind: String, Sendable, Hashable, CustomStringConvertible {
    /// DragonflyDB: `INFO SERVER` has `dragonfly_version`; `BGSAVE` takes `DF|RDB`; `INFO PERSISTENCE`
    /// reports `saving`, `last_success_save` (when the last good save *started*), `last_failed_save`.
    case dragonfly
    /// Redis (and servers that answer like it): `rdb_bgsave_in_progress`, `rdb_last_save_time`
    /// (when the last good save *finished*), `rdb_last_bgsave_status`, and since 7.0 `rdb_saves`.
    case redis

    package var description: String { rawValue }
}

/// What `INFO SERVER` says about the server.
package struct SnapshotServer: Sendable, Hashable {
    package var kind: SnapshotServerKind
    package var version: String
    /// `run_id`: changes when the server restarts.
    package var runID: String?

    /// - Parameter info: the parsed `INFO SERVER` reply.
    package init(info: [String: String]) {
        if let version = info["dragonfly_version"] {
            kind = .dragonfly
            self.version = version
        } else {
            kind = .redis
            version = info["redis_version"] ?? "unknown"
        }
        runID = info["run_id"]
    }

    /// `dragonfly 1.21.0`, `redis 7.0.15`.
    package var product: String { "\(kind) \(version)" }
}
