import Foundation

/// The snapshot-related fields of `INFO PERSISTENCE`, for DragonflyDB and Redis alike.
///
/// Dragonfly hides the persistence section from a plain `INFO`, so it must be asked for by name.
/// Times are Unix seconds on the *server's* clock; 0 means "never" on both servers.
package struct PersistenceState: Sendable, Hashable {
    /// A save is running: Dragonfly `saving:1`, Redis `rdb_bgsave_in_progress:1`.
    package var saving: Bool
    /// The server is loading its dataset (`loading:1`); it refuses `BGSAVE` meanwhile.
    package var loading: Bool
    /// Dragonfly `last_success_save` (start of the last good save) or Redis `rdb_last_save_time`
    /// (end of the last good save; at start-up, the start time of the server).
    package var lastSuccessTime: Int64?
    /// Redis `rdb_last_bgsave_status` (`ok`/`err`); newer Dragonfly versions report it too.
    package var lastStatus: String?
    /// Redis 7+ `rdb_saves`: background saves started since the server started (failed ones included).
    package var saveCount: Int64?
    /// Dragonfly `last_saved_file`: the file of the last good save (for the DF format, its summary file).
    package var lastSavedFile: String?
    /// Dragonfly `last_failed_save`: when the last failed save happened (0 = never).
    package var lastFailedTime: Int64?
    /// Dragonfly `last_error`: the server's own text for the last failed save.
    package var lastError: String?
    /// Server-measured duration of the last good save: Dragonfly `last_success_save_duration_sec`,
    /// Redis `rdb_last_bgsave_time_sec` (-1 = none).
    package var lastDurationSeconds: Int64?

    /// - Parameter info: the parsed `INFO PERSISTENCE` reply.
    package init(info: [String: String]) {
        func int(_ key: String) -> Int64? { info[key].flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) } }
        func nonEmpty(_ key: String) -> String? {
            guard let value = info[key]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
            return value
        }
        saving = (info["saving"] ?? info["rdb_bgsave_in_progress"]) == "1"
        loading = info["loading"] == "1"
        lastSuccessTime = int("last_success_save") ?? int("rdb_last_save_time")
        lastStatus = nonEmpty("rdb_last_bgsave_status")
        saveCount = int("rdb_saves")
        lastSavedFile = nonEmpty("last_saved_file")
        lastFailedTime = int("last_failed_save")
        lastError = nonEmpty("last_error")
        let duration = int("last_success_save_duration_sec") ?? int("rdb_last_bgsave_time_sec")
        lastDurationSeconds = duration.flatMap { $0 >= 0 ? $0 : nil }
    }

    package init(saving: Bool = false, loading: Bool = false, lastSuccessTime: Int64? = nil, lastStatus: String? = nil,
                saveCount: Int64? = nil, lastSavedFile: String? = nil, lastFailedTime: Int64? = nil, lastError: String? = nil,
                lastDurationSeconds: Int64? = nil) {
        self.saving = saving
        self.loading = loading
        self.lastSuccessTime = lastSuccessTime
        self.lastStatus = lastStatus
        self.saveCount = saveCount
        self.lastSavedFile = lastSavedFile
        self.lastFailedTime = lastFailedTime
        self.lastError = lastError
        self.lastDurationSeconds = lastDurationSeconds
    }
}
