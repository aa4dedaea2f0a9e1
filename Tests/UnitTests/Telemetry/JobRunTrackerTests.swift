import Foundation
import Testing
@testable import Telemetry

@Suite("Counting job runs from ops.job_runs")
struct JobRunTrackerTests {
    private func row(_ id: Int64, _ status: String = "succeeded", recent: Bool = false, before: Bool = false) -> JobRunTracker.Row {
        JobRunTracker.Row(id: id, job: "backup", status: status, duration: status == "running" ? nil : 1, reason: nil, details: nil,
                          recent: recent, endedBeforeStart: before)
    }

    @Test func eachEndedRunIsCountedOnce() {
        var tracker = JobRunTracker(watermark: 10, running: [])
        #expect(tracker.ingest([row(10, recent: true), row(11, "running", recent: true)]).map(\.id) == [10])
        // The same rows again, 11 now ended: only 11 is new.
        #expect(tracker.ingest([row(10, recent: true), row(11, "failed", recent: true)]).map(\.id) == [11])
        #expect(tracker.ingest([row(10, recent: true), row(11, "failed", recent: true)]).isEmpty)
    }

    @Test func runsThatEndedBeforeTheProcessStartedAreNotCounted() {
        var tracker = JobRunTracker(watermark: 1, running: [])
        #expect(tracker.ingest([row(1, before: true), row(2, before: true), row(3)]).map(\.id) == [3])
    }

    /// A row that commits after a higher id was already seen (ids are taken at insert) is still counted,
    /// because the watermark never passes recent rows.
    @Test func aLateCommittingRowWithALowerIdIsCounted() {
        var tracker = JobRunTracker(watermark: 5, running: [])
        #expect(tracker.ingest([row(6, recent: true)]).map(\.id) == [6])
        #expect(tracker.watermark <= 6)
        #expect(tracker.ingest([row(5, recent: true), row(6, recent: true)]).map(\.id) == [5])
    }

    /// Old rows let the watermark advance; a long run left behind is followed by id until it ends.
    @Test func aLongRunBelowTheWatermarkIsCountedWhenItEnds() {
        var tracker = JobRunTracker(watermark: 1, running: [])
        #expect(tracker.ingest([row(1, "running"), row(2), row(3)]).map(\.id) == [2, 3])
        #expect(tracker.watermark == 4)
        #expect(tracker.pending == [1])
        #expect(tracker.ingest([row(1, "running")]).isEmpty)
        #expect(tracker.ingest([row(1, "succeeded")]).map(\.id) == [1])
        #expect(tracker.pending.isEmpty)
    }

    @Test func aRunningRowThatWasPrunedIsForgotten() {
        var tracker = JobRunTracker(watermark: 100, running: [7])
        #expect(tracker.pending == [7])
        _ = tracker.ingest([])
        #expect(tracker.pending.isEmpty)
    }

    @Test func runsRunningAtStartAreCountedWhenTheyEnd() {
        var tracker = JobRunTracker(watermark: 50, running: [3])
        #expect(tracker.ingest([row(3, "running")]).isEmpty)
        #expect(tracker.ingest([row(3, "failed")]).map(\.id) == [3])
    }
}
