import Foundation

/// The progress line of long runs (backup, restore, verify, import): quantities done of their totals,
/// the byte rate and an ETA. On a terminal (stderr is a tty) the line is redrawn every second; not on a
/// terminal, `log` gets the same line at most every 10 s; `--quiet` shows neither.
///
/// `@unchecked Sendable`: every counter is behind `lock`; workers call `add` from any thread.
package final class ProgressMeter: @unchecked Sendable {
    package enum Display: Sendable, Equatable {
        case none, terminal, log
        /// Log lines at this interval (tests, and callers that want a line more or less often than 10 s).
        case every(Duration)

        /// How often a line is drawn or logged; nil for `.none`.
        var interval: Duration? {
            switch self {
            case .none: return nil
            case .terminal: return .seconds(1)
            case .log: return .seconds(10)
            case .every(let every): return max(every, .milliseconds(10))
            }
        }
    }

    /// One counted quantity: `files 56/129`, `9.1 MiB/28.8 MiB` (bytes), `rows 1200` (no total).
    package struct Quantity: Sendable {
        package var name: String
        package var total: Int64?
        package var isBytes: Bool
        package init(_ name: String, total: Int64? = nil, isBytes: Bool = false) {
            self.name = name
            self.total = total
            self.isBytes = isBytes
        }
    }

    private let lock = NSLock()
    private var quantities: [Quantity]
    private var done: [Int64]
    private let label: String
    private let started = ContinuousClock.now
    private let display: Display
    private let log: @Sendable (String) -> Void

    /// - Parameters:
    ///   - label: the line's first word: `backup`, `restore`.
    ///   - quantities: what is counted, in display order; the first byte quantity gives rate and ETA.
    ///   - log: where non-terminal lines go (the run's logger).
    package init(label: String, quantities: [Quantity], display: Display, log: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.quantities = quantities
        self.done = Array(repeating: 0, count: quantities.count)
        self.display = display
        self.log = log
    }

    /// True while the daemon makes a schedule line's job: several jobs may run at once, so their
    /// progress is logged, never drawn, even when the daemon's stderr is a terminal.
    @TaskLocal package static var logOnly = false

    /// `.none` with `--quiet`, `.terminal` when stderr is a terminal (and not `logOnly`), else `.log`.
    package static func defaultDisplay(quiet: Bool) -> Display {
        quiet ? .none : (!logOnly && isatty(STDERR_FILENO) == 1 ? .terminal : .log)
    }

    /// Adds `amount` to the quantity named `name` (unknown names are ignored).
    package func add(_ name: String, _ amount: Int64) {
        lock.lock()
        defer { lock.unlock() }
        if let index = quantities.firstIndex(where: { $0.name == name }) { done[index] += amount }
    }

    /// Sets (or corrects) a quantity's total, e.g. once an estimate is known.
    package func setTotal(_ name: String, _ total: Int64?) {
        lock.lock()
        defer { lock.unlock() }
        if let index = quantities.firstIndex(where: { $0.name == name }) { quantities[index].total = total }
    }

    /// `backup: tables 3/12, rows 120000, 9.1 MiB/28.8 MiB, 4.5 MiB/s, ETA 4 s`.
    package func line() -> String {
        lock.lock()
        let (quantities, done) = (self.quantities, self.done)
        lock.unlock()
        let seconds = max(0.001, (ContinuousClock.now - started).inSeconds)
        var parts: [String] = []
        var rateText: String?
        for (quantity, value) in zip(quantities, done) {
            if quantity.isBytes {
                parts.append(ByteCount.format(value) + (quantity.total.map { "/" + ByteCount.format($0) } ?? ""))
                if rateText == nil {
                    let rate = Double(value) / seconds
                    rateText = ByteCount.format(Int64(rate)) + "/s"
                    if rate > 0, let total = quantity.total, total > value {
                        rateText! += ", ETA " + DurationText.format(seconds: (Double(total - value) / rate).rounded())
                    }
                }
            } else {
                parts.append("\(quantity.name) \(value)" + (quantity.total.map { "/\($0)" } ?? ""))
            }
        }
        if let rateText { parts.append(rateText) }
        return "\(label): " + parts.joined(separator: ", ")
    }

    /// Redraws (terminal) or logs (not a terminal) until cancelled; then clears the terminal line.
    package func run() async {
        guard let interval = display.interval else { return }
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { break }
            if display == .terminal {
                FileHandle.standardError.write(Data(("\r\u{1B}[K" + line()).utf8))
            } else {
                log(line())
            }
        }
        if display == .terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    /// Runs `body` with the meter drawing beside it, on a thread of its own: a busy cooperative pool
    /// (the run's own work, or a daemon's other jobs) never silences the line. No line is written
    /// after `body` returns.
    package func showing<T>(_ body: () async throws -> T) async rethrows -> T {
        guard let interval = display.interval else { return try await body() }
        let wake = DispatchSemaphore(value: 0)
        let stopped = LockedBox(false)
        let terminal = display == .terminal
        let microseconds = Int(interval.components.seconds) * 1_000_000 + Int(interval.components.attoseconds / 1_000_000_000_000)
        let thread = Thread { [self] in
            while wake.wait(timeout: .now() + .microseconds(microseconds)) == .timedOut {
                // Under the flag's lock: once `stopped` is set, nothing more is written.
                let written: Bool = stopped.withLock { stopped in
                    guard !stopped else { return false }
                    if terminal { FileHandle.standardError.write(Data(("\r\u{1B}[K" + line()).utf8)) } else { log(line()) }
                    return true
                }
                if !written { break }
            }
        }
        thread.name = "progress"
        thread.start()
        defer {
            let wasDrawing = stopped.withLock { stopped in
                stopped = true
                return terminal
            }
            wake.signal()
            if wasDrawing { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        }
        return try await body()
    }
}
