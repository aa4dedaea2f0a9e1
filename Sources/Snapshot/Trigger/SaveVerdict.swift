/// Whether the save we triggered has finished, and how: the rule `snapshot --wait` polls with.
///
/// The trigger loop only gets here after the server accepted *our* `BGSAVE` (so a save of ours
/// started, after `triggerTime`, which is the server's `TIME` read just before the command). Both
/// servers mark the save as running synchronously when they accept it and clear the mark only once
/// they have recorded its outcome, so the first "not saving" state after acceptance already holds the
/// outcome of our save (or of a later one, which also started after the trigger).
///
/// Redis: success when `rdb_last_bgsave_status:ok` and `rdb_last_save_time >= floor(triggerTime)`.
/// `rdb_last_save_time` is the *completion* time in whole seconds, so a save finishing within the
/// trigger's second still counts (hence `>=`). When `rdb_saves` (Redis 7) is present it must have grown
/// since before the trigger; if it shrank, the server restarted or its statistics were reset.
///
/// Dragonfly: `last_success_save` is the *start* time of the last good save and `last_failed_save` the
/// time of the last failure. Our save started at or after `floor(triggerTime)`, so a success is a
/// `last_success_save >= floor(triggerTime)` that differs from the value before the trigger (or whose
/// `last_saved_file` differs); a failure is a `last_failed_save` that moved past the trigger. If a
/// previous save started in the same second so neither value moved, the later of the two timestamps
/// since the trigger decides, and `rdb_last_bgsave_status` when the server reports it.
package enum SaveVerdict: Sendable, Hashable {
    case inProgress
    /// The save finished successfully; `time` is the server's timestamp of it (Redis: completion,
    /// Dragonfly: start).
    case succeeded(time: Int64)
    /// The save failed; `reason` is the server's own account.
    case failed(reason: String)

    /// - Parameters:
    ///   - kind: which server answered.
    ///   - before: `INFO PERSISTENCE` just before the trigger.
    ///   - triggerTime: the server's `TIME` just before the trigger, in seconds.
    ///   - now: `INFO PERSISTENCE` now.
    package static func evaluate(kind: SnapshotServerKind, before: PersistenceState, triggerTime: Double,
                                now: PersistenceState) -> SaveVerdict {
        if now.saving { return .inProgress }
        let triggerSecond = Int64(triggerTime.rounded(.down))
        switch kind {
        case .redis:
            if let previous = before.saveCount, let current = now.saveCount, current <= previous {
                return .failed(reason: "rdb_saves went from \(previous) to \(current) while saving: the server restarted or its statistics were reset, so the outcome of the save is unknown")
            }
            if now.lastStatus == "err" {
                return .failed(reason: "the server reports rdb_last_bgsave_status:err (its log says why; common causes: disk full, the dump directory missing or not writable)")
            }
            guard let time = now.lastSuccessTime, time >= triggerSecond else {
                return .failed(reason: "the save finished but rdb_last_save_time (\(now.lastSuccessTime.map(String.init) ?? "missing")) is older than the trigger (\(triggerSecond)): no successful save since the trigger")
            }
            return .succeeded(time: time)

        case .dragonfly:
            let failure = now.lastFailedTime.flatMap { $0 >= triggerSecond && $0 > 0 ? $0 : nil }
            let failureMoved = failure != nil && now.lastFailedTime != before.lastFailedTime
            let success = now.lastSuccessTime.flatMap { $0 >= triggerSecond && $0 > 0 ? $0 : nil }
            let successMoved = success != nil
                && (now.lastSuccessTime != before.lastSuccessTime || now.lastSavedFile != before.lastSavedFile)
            let reason = "the server reports last_error: \(now.lastError ?? "(empty)")"
            switch (successMoved, failureMoved) {
            case (true, false): return .succeeded(time: success!)
            case (false, true): return .failed(reason: reason)
            case (true, true):
                return failure! > success! ? .failed(reason: reason) : .succeeded(time: success!)
            case (false, false):
                if now.lastStatus == "err" { return .failed(reason: reason) }
                if let success, failure == nil || success >= failure! { return .succeeded(time: success) }
                if failure != nil { return .failed(reason: reason) }
                return .failed(reason: "the save finished but neither last_success_save (\(now.lastSuccessTime.map(String.init) ?? "missing")) nor last_failed_save moved past the trigger (\(triggerSecond))")
            }
        }
    }
}
