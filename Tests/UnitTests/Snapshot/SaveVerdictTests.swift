import Snapshot
import Testing

@Suite("Save verdict: did a save that started after the trigger succeed?")
struct SaveVerdictTests {
    /// The reason of a `.failed` verdict, `nil` for any other.
    func failure(_ verdict: SaveVerdict) -> String? {
        if case .failed(let reason) = verdict { return reason }
        return nil
    }

    // Redis

    @Test func redisSaveStillRunningIsInProgress() {
        let before = PersistenceState(lastSuccessTime: 1000, lastStatus: "ok", saveCount: 4)
        let now = PersistenceState(saving: true, lastSuccessTime: 1000, lastStatus: "ok", saveCount: 5)
        #expect(SaveVerdict.evaluate(kind: .redis, before: before, triggerTime: 2000.4, now: now) == .inProgress)
    }

    @Test func redisSaveCompletingWithinTheTriggersSecondCounts() {
        let before = PersistenceState(lastSuccessTime: 1500, lastStatus: "ok", saveCount: 4)
        let now = PersistenceState(lastSuccessTime: 2000, lastStatus: "ok", saveCount: 5)
        #expect(SaveVerdict.evaluate(kind: .redis, before: before, triggerTime: 2000.9, now: now) == .succeeded(time: 2000))
    }

    @Test func redisLastSaveOlderThanTheTriggerIsNotASuccess() throws {
        let before = PersistenceState(lastSuccessTime: 1500, lastStatus: "ok", saveCount: 4)
        let now = PersistenceState(lastSuccessTime: 1999, lastStatus: "ok", saveCount: 5)
        let reason = try #require(failure(SaveVerdict.evaluate(kind: .redis, before: before, triggerTime: 2000.1, now: now)))
        #expect(reason.contains("older than the trigger"))
    }

    @Test func redisErrStatusIsAFailureNamingTheField() throws {
        let before = PersistenceState(lastSuccessTime: 1500, lastStatus: "ok", saveCount: 4)
        let now = PersistenceState(lastSuccessTime: 1500, lastStatus: "err", saveCount: 5)
        let reason = try #require(failure(SaveVerdict.evaluate(kind: .redis, before: before, triggerTime: 2000, now: now)))
        #expect(reason.contains("rdb_last_bgsave_status:err"))
    }

    @Test func redisSaveCounterGoingBackMeansTheOutcomeIsUnknown() throws {
        let before = PersistenceState(lastSuccessTime: 1500, lastStatus: "ok", saveCount: 9)
        let now = PersistenceState(lastSuccessTime: 2001, lastStatus: "ok", saveCount: 0)
        let reason = try #require(failure(SaveVerdict.evaluate(kind: .redis, before: before, triggerTime: 2000, now: now)))
        #expect(reason.contains("restarted"))
    }

    @Test func redisWithoutSaveCounterStillDecidesByStatusAndTime() {
        let before = PersistenceState(lastSuccessTime: 1500, lastStatus: "ok")
        let now = PersistenceState(lastSuccessTime: 2003, lastStatus: "ok")
        #expect(SaveVerdict.evaluate(kind: .redis, before: before, triggerTime: 2000.5, now: now) == .succeeded(time: 2003))
    }

    // Dragonfly: last_success_save is the save's start.

    @Test func dragonflySuccessStartedAfterTheTriggerCounts() {
        let before = PersistenceState(lastSuccessTime: 1500, lastSavedFile: "/data/dump-1500-summary.dfs", lastFailedTime: 0)
        let now = PersistenceState(lastSuccessTime: 2000, lastSavedFile: "/data/dump-2000-summary.dfs", lastFailedTime: 0)
        #expect(SaveVerdict.evaluate(kind: .dragonfly, before: before, triggerTime: 2000.7, now: now) == .succeeded(time: 2000))
    }

    @Test func dragonflyFailureAfterTheTriggerReportsTheServersError() throws {
        let before = PersistenceState(lastSuccessTime: 1500, lastFailedTime: 0)
        let now = PersistenceState(lastSuccessTime: 1500, lastFailedTime: 2001, lastError: "Input/output error: No space left on device")
        let reason = try #require(failure(SaveVerdict.evaluate(kind: .dragonfly, before: before, triggerTime: 2000, now: now)))
        #expect(reason.contains("No space left on device"))
    }

    @Test func dragonflySameSecondSaveWithUnchangedFieldsCountsWhenNoFailureSinceTheTrigger() {
        // A previous save started in the trigger's second and wrote the same file name: nothing moved,
        // but our save ran and no failure was recorded since the trigger.
        let state = PersistenceState(lastSuccessTime: 2000, lastSavedFile: "/data/dump-summary.dfs", lastFailedTime: 0)
        #expect(SaveVerdict.evaluate(kind: .dragonfly, before: state, triggerTime: 2000.2, now: state) == .succeeded(time: 2000))
    }

    @Test func dragonflyLaterFailureWinsOverAnEarlierSuccess() throws {
        let before = PersistenceState(lastSuccessTime: 1500, lastFailedTime: 1400)
        let now = PersistenceState(lastSuccessTime: 2000, lastFailedTime: 2002, lastError: "disk full")
        let reason = try #require(failure(SaveVerdict.evaluate(kind: .dragonfly, before: before, triggerTime: 2000, now: now)))
        #expect(reason.contains("disk full"))
    }

    @Test func dragonflySuccessOlderThanTheTriggerIsNotASuccess() throws {
        let state = PersistenceState(lastSuccessTime: 1500, lastSavedFile: "/data/a.rdb", lastFailedTime: 0)
        let reason = try #require(failure(SaveVerdict.evaluate(kind: .dragonfly, before: state, triggerTime: 2000, now: state)))
        #expect(reason.contains("neither last_success_save"))
    }
}
