import Foundation

/// The time the scheduler reads slots from and sleeps against.
package protocol SchedulerClock: Sendable {
    /// The current instant.
    func now() -> Date
    /// Returns at `deadline` or later; throws `CancellationError` when the task is cancelled.
    func sleep(until deadline: Date) async throws
}

/// The wall clock. Sleeps in steps of at most a minute and re-reads the time after each, so a stepped
/// system clock (NTP, a suspended VM) delays a slot by at most a minute, never by the size of the jump.
package struct WallClock: SchedulerClock {
    package init() {}

    package func now() -> Date { Date() }

    package func sleep(until deadline: Date) async throws {
        while true {
            let remaining = deadline.timeIntervalSince(Date())
            if remaining <= 0 { return }
            try await Task.sleep(for: .milliseconds(Int64(min(remaining, 60) * 1000) + 1))
        }
    }
}

/// **Test only.** Virtual time that runs `scale` times faster than real time from the moment it is
/// made, so a `* * * * *` line fires every second at scale 60 and a daemon test takes seconds, not
/// minutes. Job runs themselves (timeouts, grace periods) keep real time; only slot computation and
/// the waits between slots are accelerated. Slots recorded in `ops.job_runs` are virtual instants.
package struct AcceleratedClock: SchedulerClock {
    package let scale: Double
    private let realOrigin: Date
    private let virtualOrigin: Date

    /// - Parameters:
    ///   - scale: how many virtual seconds pass per real second (> 0).
    ///   - origin: the virtual time now (default: the real time now).
    package init(scale: Double, origin: Date = Date()) {
        self.scale = scale
        self.realOrigin = Date()
        self.virtualOrigin = origin
    }

    package func now() -> Date {
        virtualOrigin.addingTimeInterval(Date().timeIntervalSince(realOrigin) * scale)
    }

    package func sleep(until deadline: Date) async throws {
        while true {
            let remaining = deadline.timeIntervalSince(now()) / scale
            if remaining <= 0 { return }
            try await Task.sleep(for: .milliseconds(Int64(min(remaining, 60) * 1000) + 1))
        }
    }
}
