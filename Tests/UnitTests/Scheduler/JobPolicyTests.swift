import Foundation
import OpsCore
import Testing
@testable import Scheduler

@Suite("Job policies and schedule-line options")
struct JobPolicyTests {
    private func entry(_ line: String) throws -> CronScheduleFile.Entry {
        try #require(try CronScheduleFile(parsing: line, defaultTimeZone: TimeZone(identifier: "UTC")!).entries.first)
    }

    @Test func backupAndRetentionCatchUpForSixHoursFrequentJobsNever() {
        #expect(JobPolicy.defaults(for: "backup").catchUp == .seconds(6 * 3600))
        #expect(JobPolicy.defaults(for: "retention").catchUp == .seconds(6 * 3600))
        for job in ["snapshot", "health", "cache-stats", "stats-refresh"] { #expect(JobPolicy.defaults(for: job).catchUp == .zero) }
        #expect(JobPolicy.defaults(for: "health").retry.maxAttempts == 1)
    }

    @Test func optionsBeforeTheJobOverrideTheDefaults() throws {
        let line = try entry("0 3 * * * timeout=2h retries=5 backoff=30s jitter=10m catch-up=0 backup --jobs 2 --label=x")
        #expect(line.job == "backup")
        #expect(line.arguments == ["--jobs", "2", "--label=x"])
        let policy = try JobPolicy.resolve(line)
        #expect(policy.timeout == .seconds(7200))
        #expect(policy.retry.maxAttempts == 6)
        #expect(policy.retry.baseDelay == .seconds(30))
        #expect(policy.jitter == .seconds(600))
        #expect(policy.catchUp == .zero)
        #expect(try JobPolicy.resolve(entry("0 3 * * * timeout=0 backup")).timeout == nil)
    }

    @Test(arguments: [("timeout=1h30m", Duration.seconds(5400)), ("timeout=90", .seconds(90)), ("timeout=1.5m", .seconds(90)),
                      ("timeout=2d", .seconds(172_800)), ("timeout=500ms", .milliseconds(500))])
    func policyDurationsUseTheOneGrammar(_ option: String, _ expected: Duration) throws {
        #expect(try JobPolicy.resolve(entry("0 3 * * * \(option) backup")).timeout == expected)
    }

    @Test(arguments: [
        ("0 3 * * * colour=red backup", "unknown option 'colour'"),
        ("0 3 * * * timeout=2x backup", "timeout=2x: expected a duration such as 500ms, 30s, 15m, 1h30m or 1d"),
        ("0 3 * * * timeout=400d backup", "timeout=400d: must be between 0 ms and 366 d"),
        ("0 3 * * * retries=-1 backup", "retries=-1"),
        ("0 3 * * * jitter=5x backup", "jitter=5x"),
    ])
    func badOptionsAreRejectedWithTheReason(_ line: String, _ reason: String) throws {
        let error = try #require(throws: CronError.self) { try JobPolicy.resolve(try entry(line)) }
        #expect(error.code == .invalidOption)
        #expect(error.description.contains(reason), "\(error)")
    }

    @Test func anOptionGivenTwiceIsAnErrorNamingTheLine() throws {
        let error = try #require(throws: CronError.self) {
            try CronScheduleFile(parsing: "# x\n0 3 * * * retries=1 retries=2 backup\n", file: "s", defaultTimeZone: .gmt)
        }
        #expect(error.description == "s:2: option 'retries' is given twice")
    }

    @Test func theStartDelayIsStableAndWithinTheJitter() {
        let policy = JobPolicy(timeout: nil, retry: .none, jitter: .seconds(300))
        // Pinned (FNV-1a 64 of `auto-i18n-ops:jitter:<job>` mod the jitter, computed independently):
        // replicas of different versions must pick the same second.
        let pinned: [String: Int64] = ["backup": 244, "retention": 176, "snapshot": 22, "health": 44]
        for (job, seconds) in pinned {
            #expect(policy.startDelay(for: job) == .seconds(seconds), "\(job)")
        }
        let hour = JobPolicy(timeout: nil, retry: .none, jitter: .seconds(3600))
        #expect(hour.startDelay(for: "backup") == .seconds(2944))
        #expect(hour.startDelay(for: "retention") == .seconds(476))
        #expect(JobPolicy(timeout: nil, retry: .none).startDelay(for: "backup") == .zero)
    }
}

@Suite("Retry policy")
struct RetryPolicyTests {
    @Test func delaysGrowExponentiallyWithinTheirUpperHalfAndAreCapped() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: .seconds(10), maxDelay: .seconds(60))
        #expect(policy.delay(afterAttempt: 1, random: 0) == .seconds(5))
        #expect(policy.delay(afterAttempt: 1, random: 0.999) < .seconds(10))
        #expect(policy.delay(afterAttempt: 2, random: 0) == .seconds(10))
        #expect(policy.delay(afterAttempt: 3, random: 0) == .seconds(20))
        #expect(policy.delay(afterAttempt: 9, random: 0) == .seconds(30))
        #expect(policy.delay(afterAttempt: 9, random: 0.999) <= .seconds(60))
    }

    @Test func onlyUnreachableStoresAreRetried() {
        #expect(RetryPolicy.isTransient(OpsError(.storeUnavailable, "down")))
        #expect(!RetryPolicy.isTransient(OpsError(.jobFailed, "bad")))
        #expect(!RetryPolicy.isTransient(OpsError(.usage, "bad")))
        #expect(!RetryPolicy.isTransient(CancellationError()))
    }
}

@Suite("Catch-up after downtime")
struct CatchUpTests {
    private let daily = try! CronScheduleFile(parsing: "30 2 * * * backup", defaultTimeZone: .gmt).entries[0]
    private func at(_ iso: String) -> Date { try! Date(iso, strategy: .iso8601) }

    @Test func theLatestMissedSlotWithinTheWindowRunsOnce() {
        // Last run yesterday 02:30, daemon back at 05:00: today's 02:30 is 2.5 h old, within 6 h.
        let slot = CatchUp.latestMissedSlot(daily, coveredUntil: at("2026-05-01T02:30:00Z"), window: .seconds(6 * 3600), now: at("2026-05-02T05:00:00Z"))
        #expect(slot == at("2026-05-02T02:30:00Z"))
    }

    @Test func aPileOfMissedSlotsIsNotReplayed() {
        // Down for a week: only today's slot, and only because it is within the window.
        let slot = CatchUp.latestMissedSlot(daily, coveredUntil: at("2026-04-25T02:30:00Z"), window: .seconds(6 * 3600), now: at("2026-05-02T05:00:00Z"))
        #expect(slot == at("2026-05-02T02:30:00Z"))
    }

    @Test func aSlotOlderThanTheWindowIsNotCaughtUp() {
        #expect(CatchUp.latestMissedSlot(daily, coveredUntil: at("2026-05-01T02:30:00Z"), window: .seconds(6 * 3600), now: at("2026-05-02T09:00:00Z")) == nil)
    }

    @Test func aSlotCoveredByALaterRunIsNotCaughtUp() {
        // A manual run at 04:00 after the missed 02:30.
        #expect(CatchUp.latestMissedSlot(daily, coveredUntil: at("2026-05-02T04:00:00Z"), window: .seconds(6 * 3600), now: at("2026-05-02T05:00:00Z")) == nil)
    }
}
