import RedisClient
import Snapshot
import Testing

@Suite("INFO PERSISTENCE and BGSAVE replies of Redis and DragonflyDB")
struct PersistenceParsingTests {
    @Test func redisSevenFieldsAreRead() {
        let info = RedisInfo.parse("""
            # Persistence\r
            loading:0\r
            rdb_changes_since_last_save:3\r
            rdb_bgsave_in_progress:1\r
            rdb_last_save_time:1795684444\r
            rdb_last_bgsave_status:err\r
            rdb_last_bgsave_time_sec:-1\r
            rdb_saves:2\r
            """)
        let state = PersistenceState(info: info)
        #expect(state.saving)
        #expect(!state.loading)
        #expect(state.lastSuccessTime == 1795684444)
        #expect(state.lastStatus == "err")
        #expect(state.saveCount == 2)
        #expect(state.lastDurationSeconds == nil)
        #expect(state.lastSavedFile == nil)
    }

    @Test func dragonflyFieldsAreRead() {
        let info = RedisInfo.parse("""
            # Persistence
            current_snapshot_perc:0
            last_success_save:1795680000
            last_saved_file:/data/dump-2026-11-26T08:00:00-summary.dfs
            last_success_save_duration_sec:4
            loading:0
            saving:0
            current_save_duration_sec:0
            rdb_changes_since_last_success_save:12
            last_failed_save:0
            last_error:
            last_failed_save_duration_sec:0
            """)
        let state = PersistenceState(info: info)
        #expect(!state.saving)
        #expect(state.lastSuccessTime == 1795680000)
        #expect(state.lastSavedFile == "/data/dump-2026-11-26T08:00:00-summary.dfs")
        #expect(state.lastDurationSeconds == 4)
        #expect(state.lastFailedTime == 0)
        #expect(state.lastError == nil)
        #expect(state.saveCount == nil)
    }

    @Test func serverKindComesFromDragonflyVersion() {
        #expect(SnapshotServer(info: ["dragonfly_version": "df-v1.21.2", "redis_version": "7.4.0"]).kind == .dragonfly)
        #expect(SnapshotServer(info: ["redis_version": "7.0.15"]).kind == .redis)
        #expect(SnapshotServer(info: ["redis_version": "7.0.15"]).product == "redis 7.0.15")
    }

    @Test(arguments: [
        ("OK", BackgroundSaveReply.started),
        ("Background saving started", .started),
        ("Background saving scheduled", .busy("Background saving scheduled")),
    ])
    func statusRepliesAreClassified(text: String, expected: BackgroundSaveReply) {
        #expect(BackgroundSaveReply(status: text) == expected)
    }

    @Test(arguments: [
        "ERR Background save already in progress",
        "ERR Operation now in progress: SAVING - can not save database",
        "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
    ])
    func aRunningSaveIsBusy(text: String) {
        #expect(BackgroundSaveReply(error: text) == .busy(text))
    }

    @Test(arguments: [
        "LOADING Redis is loading the dataset in memory",
        "LOADING Dragonfly is loading the dataset in memory",
        "ERR Operation now in progress: LOADING - can not save database",
    ])
    func aLoadingServerIsRetried(text: String) {
        #expect(BackgroundSaveReply(error: text) == .loading(text))
    }

    @Test func otherErrorsAreRefusals() {
        let text = "NOPERM this user has no permissions to run the 'bgsave' command"
        #expect(BackgroundSaveReply(error: text) == .refused(text))
    }

    @Test func theFormatIsPassedToDragonflyOnly() {
        #expect(SnapshotTrigger.backgroundSaveCommand(kind: .dragonfly, format: .df) == ["BGSAVE", "DF"])
        #expect(SnapshotTrigger.backgroundSaveCommand(kind: .dragonfly, format: .rdb) == ["BGSAVE", "RDB"])
        #expect(SnapshotTrigger.backgroundSaveCommand(kind: .dragonfly, format: nil) == ["BGSAVE"])
        #expect(SnapshotTrigger.backgroundSaveCommand(kind: .redis, format: .df) == ["BGSAVE"])
        #expect(SnapshotTrigger.backgroundSaveCommand(kind: .redis, format: .rdb) == ["BGSAVE"])
    }
}
