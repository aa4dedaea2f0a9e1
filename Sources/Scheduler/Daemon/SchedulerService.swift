import Foundation
import Logging
import OpsCore
import OpsSupport
import ServiceLifecycle

/// The `run` daemon's scheduler: fires every schedule line at its slots and runs the job in-process
/// through `JobRunner` (slot claim, advisory lock, timeout, retries, `ops.job_runs`).
///
/// - Each slot is claimed durably in `ops.job_runs` before the job's lock is taken, so any number of
///   daemons run it once. A slot already claimed elsewhere is skipped silently (counted, reason
///   `claimed`); a slot whose job is still running (its lock held anywhere) is recorded as `skipped`.
/// - A slot that cannot be claimed (PostgreSQL unreachable) is retried within the line's retry policy,
///   then skipped, reason `unclaimed`: never run unclaimed. A run whose end cannot be recorded is kept
///   and recorded when PostgreSQL is back (``RunEndBacklog``).
/// - Slots that pass while the daemon cannot fire them (suspended process, stepped clock) collapse into
///   the latest one; the others are counted as skipped, reason `missed`. At start, each line with a
///   catch-up window runs once if its latest missed slot is within the window (see ``CatchUp``).
/// - ``reload()`` (SIGHUP) re-reads the schedule; an invalid file is logged and the old schedule kept.
/// - Graceful shutdown: no new runs start; running ones get `shutdownGrace` to finish, then are
///   cancelled (recorded as failed, lock released) and `run()` returns.
package final class SchedulerService: Service, Sendable {
    /// Everything the scheduler needs.
    package struct Configuration: Sendable {
        /// The schedule to start with (already validated by the caller, so a bad file fails before start).
        package var schedule: Schedule
        /// Re-reads the schedule on ``SchedulerService/reload()``.
        package var reloadSchedule: @Sendable () throws -> Schedule
        /// Configuration and logger for the job runs; the trigger is set to `schedule`.
        package var context: JobContext
        package var clock: any SchedulerClock
        /// How long running jobs may take to finish after shutdown begins.
        package var shutdownGrace: Duration
        /// `ops.job_runs` rows older than this many days are deleted (0 = keep everything).
        package var historyRetentionDays: Int
        /// How often the history is pruned and `running` rows whose run is gone are marked
        /// `interrupted` (the first time at start).
        package var historyPruneInterval: Duration
        /// How often ends of runs that could not be recorded are tried again.
        package var unrecordedRetryInterval: Duration

        package init(schedule: Schedule, reloadSchedule: @escaping @Sendable () throws -> Schedule, context: JobContext,
                    clock: any SchedulerClock = WallClock(), shutdownGrace: Duration = .seconds(30),
                    historyRetentionDays: Int = 90, historyPruneInterval: Duration = .seconds(86_400),
                    unrecordedRetryInterval: Duration = .seconds(5)) {
            self.schedule = schedule
            self.reloadSchedule = reloadSchedule
            self.context = context
            self.clock = clock
            self.shutdownGrace = shutdownGrace
            self.historyRetentionDays = historyRetentionDays
            self.historyPruneInterval = historyPruneInterval
            self.unrecordedRetryInterval = unrecordedRetryInterval
        }
    }

    /// Hooks for metrics: runs that ended and slots skipped without a row in `ops.job_runs`.
    package struct Observer: Sendable {
        package var runFinished: @Sendable (JobRunner.Report) -> Void
        /// `reason` is `claimed`, `missed` or `unclaimed`.
        package var slotSkipped: @Sendable (_ job: String, _ reason: String, _ count: Int) -> Void
        /// The schedule in force changed (start, reload).
        package var scheduleLoaded: @Sendable (Schedule) -> Void
        /// The scheduler has started its catch-up runs (if any) and waits for the first slot.
        package var started: @Sendable () -> Void
        /// A reload failed; the previous schedule stays in force.
        package var reloadFailed: @Sendable (any Error) -> Void

        package init(runFinished: @escaping @Sendable (JobRunner.Report) -> Void = { _ in },
                    slotSkipped: @escaping @Sendable (String, String, Int) -> Void = { _, _, _ in },
                    scheduleLoaded: @escaping @Sendable (Schedule) -> Void = { _ in },
                    started: @escaping @Sendable () -> Void = {},
                    reloadFailed: @escaping @Sendable (any Error) -> Void = { _ in }) {
            self.runFinished = runFinished
            self.slotSkipped = slotSkipped
            self.scheduleLoaded = scheduleLoaded
            self.started = started
            self.reloadFailed = reloadFailed
        }
    }

    enum Event: Sendable {
        case tick, reload, shutdown, cancel, graceElapsed
        case jobEnded(UUID)
    }

    let configuration: Configuration
    let observer: Observer
    /// Ends of runs PostgreSQL could not take when they ended, recorded when it is back.
    let backlog = RunEndBacklog()
    let logger: Logger
    let events: AsyncStream<Event>
    let continuation: AsyncStream<Event>.Continuation

    /// - Parameters:
    ///   - configuration: schedule, clock, grace period, history retention.
    ///   - observer: metrics hooks.
    ///   - logger: the daemon's logger.
    package init(configuration: Configuration, observer: Observer = Observer(), logger: Logger) {
        var configuration = configuration
        configuration.context.trigger = .schedule
        self.configuration = configuration
        self.observer = observer
        self.logger = logger
        (events, continuation) = AsyncStream<Event>.makeStream()
    }

    /// Re-reads the schedule file (what SIGHUP does). Safe from any thread.
    package func reload() {
        continuation.yield(.reload)
    }

    /// Begins a graceful shutdown without a signal (tests, embedding).
    package func shutdown() {
        continuation.yield(.shutdown)
    }

    package func run() async throws {
        let continuation = self.continuation
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await self.loop()
            } onCancel: {
                continuation.yield(.cancel)
            }
        } onGracefulShutdown: {
            continuation.yield(.shutdown)
        }
    }

    /// The event loop: the only place that touches the schedule and the set of running jobs.
    private func loop() async {
        var schedule = configuration.schedule
        var lastSlots = Self.startingSlots(schedule, now: configuration.clock.now())
        var running: [UUID: Task<Void, Never>] = [:]
        var draining = false
        observer.scheduleLoaded(schedule)
        logger.info("scheduler started", metadata: ["schedule": "\(schedule.file)", "lines": "\(schedule.items.count)"])

        let pruner = startPruner()
        defer { pruner.cancel() }
        let recorder = Task { [backlog, configuration, logger] in
            await backlog.retry(every: configuration.unrecordedRetryInterval, configuration: configuration.context.configuration, logger: logger)
        }
        defer { recorder.cancel() }

        for (item, slot) in await CatchUp(context: configuration.context, clock: configuration.clock, logger: logger).missedSlots(schedule) {
            logger.notice("catching up a missed slot", metadata: ["job": "\(item.name)", "slot": "\(slot.formatted(.iso8601))"])
            launch(item, slot: slot, into: &running)
        }

        var timer: Task<Void, Never>? = startTimer(schedule, lastSlots)
        defer { timer?.cancel() }
        observer.started()
        events: for await event in events {
            switch event {
            case .tick:
                guard !draining else { continue }
                fireDue(schedule, &lastSlots, &running)
                // A tick may come from a timer replaced by a reload: keep exactly one timer.
                timer?.cancel()
                timer = startTimer(schedule, lastSlots)
            case .reload:
                guard !draining else { continue }
                do {
                    schedule = try configuration.reloadSchedule()
                    lastSlots = Self.startingSlots(schedule, now: configuration.clock.now())
                    observer.scheduleLoaded(schedule)
                    logger.notice("schedule reloaded", metadata: ["schedule": "\(schedule.file)", "lines": "\(schedule.items.count)"])
                } catch {
                    logger.error("schedule not reloaded, keeping the previous one: \(error)")
                    observer.reloadFailed(error)
                }
                timer?.cancel()
                timer = startTimer(schedule, lastSlots)
            case .jobEnded(let id):
                running[id] = nil
                if draining && running.isEmpty { break events }
            case .shutdown, .cancel:
                timer?.cancel()
                if !draining {
                    draining = true
                    logger.notice("shutting down", metadata: ["running": "\(running.count)", "grace": "\(configuration.shutdownGrace)"])
                    if running.isEmpty { break events }
                    if case .shutdown = event {
                        let grace = configuration.shutdownGrace
                        let continuation = self.continuation
                        Task {
                            try? await Task.sleep(for: grace)
                            continuation.yield(.graceElapsed)
                        }
                        continue
                    }
                }
                fallthrough
            case .graceElapsed:
                if !running.isEmpty {
                    logger.warning("cancelling \(running.count) running job(s)")
                    running.values.forEach { $0.cancel() }
                }
            }
        }
        // The event stream also ends when this task is cancelled: make sure no job outlives the loop.
        for task in running.values { task.cancel() }
        for task in running.values { await task.value }
        let unrecorded = await backlog.flush(configuration: configuration.context.configuration, logger: logger)
        if unrecorded > 0 {
            logger.error("stopping with the ends of \(unrecorded) run(s) unrecorded (PostgreSQL unreachable); their rows stay 'running' until a later run marks them interrupted")
        }
        logger.notice("scheduler stopped")
    }

    /// Each line's "last slot": now, so the first slot is the next one after start.
    static func startingSlots(_ schedule: Schedule, now: Date) -> [Date] {
        Array(repeating: now, count: schedule.items.count)
    }

    /// A task that sleeps until the earliest start (slot + stable jitter) and then sends `.tick`.
    private func startTimer(_ schedule: Schedule, _ lastSlots: [Date]) -> Task<Void, Never>? {
        let starts = schedule.items.indices.compactMap { index -> Date? in
            let item = schedule.items[index]
            return item.entry.next(after: lastSlots[index]).map { $0.adding(item.policy.startDelay(for: item.name)) }
        }
        guard let earliest = starts.min() else { return nil }
        let clock = configuration.clock
        let continuation = self.continuation
        return Task {
            do {
                try await clock.sleep(until: earliest)
                continuation.yield(.tick)
            } catch {}
        }
    }

    /// Starts every line whose next start has come. Slots that passed in between are not replayed.
    private func fireDue(_ schedule: Schedule, _ lastSlots: inout [Date], _ running: inout [UUID: Task<Void, Never>]) {
        let now = configuration.clock.now()
        for (index, item) in schedule.items.enumerated() {
            let delay = item.policy.startDelay(for: item.name)
            guard var slot = item.entry.next(after: lastSlots[index]), slot.adding(delay) <= now else { continue }
            var passed = 0
            while let next = item.entry.next(after: slot), next.adding(delay) <= now {
                slot = next
                passed += 1
            }
            lastSlots[index] = slot
            if passed > 0 {
                logger.warning("\(passed) slot(s) passed while the scheduler could not fire them; running the latest only",
                               metadata: ["job": "\(item.name)"])
                observer.slotSkipped(item.name, "missed", passed)
            }
            launch(item, slot: slot, into: &running)
        }
    }

    private func launch(_ item: Schedule.Item, slot: Date, into running: inout [UUID: Task<Void, Never>]) {
        let id = UUID()
        let continuation = self.continuation
        running[id] = Task {
            await self.execute(item, slot: slot)
            continuation.yield(.jobEnded(id))
        }
    }

    /// Runs one slot; retries a run that could not even start because a store was unreachable (the slot
    /// is still unclaimed then). Retries after the start happen inside `JobRunner`.
    ///
    /// A slot runs only once claimed: when the claim never succeeds within the line's retry policy (or
    /// the daemon shuts down meanwhile), the slot is skipped with reason `unclaimed` (counted and
    /// logged), never run unclaimed, so that two replicas cannot both run it.
    func execute(_ item: Schedule.Item, slot: Date) async {
        let runner = JobRunner(context: configuration.context)
        var options = JobRunner.RunOptions(slot: slot, timeout: item.policy.timeout, retry: item.policy.retry, backlog: backlog)
        options.claimToken = UUID().uuidString
        var attempt = 1
        while true {
            let report = await runner.run(item.job, options: options)
            observer.runFinished(report)
            if report.skipReason == .claimed { observer.slotSkipped(item.name, "claimed", 1) }
            if report.failedTransientlyBeforeStart {
                if attempt < item.policy.retry.maxAttempts, !Task.isCancelled {
                    let delay = item.policy.retry.delay(afterAttempt: attempt)
                    logger.warning("\(item.name) could not claim its slot, retrying in \(delay): \(report.error.map { "\($0)" } ?? "")",
                                   metadata: ["slot": "\(slot.formatted(.iso8601))"])
                    let slept: Void? = try? await Task.sleep(for: delay)
                    if slept != nil {
                        attempt += 1
                        options.resumesOwnClaim = true
                        continue
                    }
                }
                logger.error("slot skipped, reason=unclaimed: the slot could not be claimed in ops.job_runs after \(attempt) attempt(s), so it did not run: \(report.error.map { "\($0)" } ?? "")",
                             metadata: ["job": "\(item.name)", "slot": "\(slot.formatted(.iso8601))"])
                observer.slotSkipped(item.name, "unclaimed", 1)
                return
            }
            log(report, slot: slot)
            return
        }
    }

    private func log(_ report: JobRunner.Report, slot: Date) {
        let metadata: Logger.Metadata = [
            "job": "\(report.job)", "slot": "\(slot.formatted(.iso8601))", "status": "\(report.status.rawValue)",
            "duration": "\(report.duration)",
        ]
        switch report.status {
        case .succeeded, .running: logger.info("run finished", metadata: metadata)
        case .warning: logger.warning("run finished with warnings", metadata: metadata)
        case .skipped: logger.debug("run skipped: \(report.error.map { "\($0)" } ?? "")", metadata: metadata)
        case .failed, .interrupted: logger.error("run failed: \(report.error.map { "\($0)" } ?? "unknown error")", metadata: metadata)
        }
    }
}

extension Date {
    /// This instant plus a `Duration`.
    func adding(_ duration: Duration) -> Date {
        addingTimeInterval(duration.inSeconds)
    }
}
