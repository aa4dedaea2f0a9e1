import Foundation
import OpsSupport
import Testing

@Suite("ProgressMeter")
struct ProgressMeterTests {
    @Test("the line shows every quantity done of its total, then the byte rate and an ETA")
    func lineFormat() {
        let meter = ProgressMeter(label: "backup", quantities: [.init("tables", total: 12), .init("rows"), .init("data", total: 40 << 20, isBytes: true)],
                                  display: .none, log: { _ in })
        meter.add("tables", 3)
        meter.add("rows", 1200)
        meter.add("data", 10 << 20)
        meter.add("unknown", 5)
        let line = meter.line()
        #expect(line.hasPrefix("backup: tables 3/12, rows 1200, 10.0 MiB/40.0 MiB, "), "\(line)")
        #expect(line.range(of: #", [0-9.]+ [KMGT]?i?B/s, ETA [0-9]"#, options: .regularExpression) != nil, "\(line)")
        meter.setTotal("rows", 5000)
        #expect(meter.line().contains("rows 1200/5000"))
        // Done: no ETA once the total is reached.
        meter.add("data", 30 << 20)
        #expect(!meter.line().contains("ETA"))
    }

    @Test("a log display writes lines at its interval while the work runs, and none after it")
    func logsWhileRunning() async throws {
        let lines = LockedBox<[String]>([])
        let meter = ProgressMeter(label: "verify", quantities: [.init("members", total: 4)], display: .every(.milliseconds(10)),
                                  log: { line in lines.withLock { $0.append(line) } })
        try await meter.showing {
            for _ in 0..<4 {
                meter.add("members", 1)
                try await Task.sleep(for: .milliseconds(30))
            }
        }
        let seen = lines.current
        #expect(seen.count >= 2, "\(seen)")
        #expect(seen.allSatisfy { $0.hasPrefix("verify: members ") && $0.hasSuffix("/4") }, "\(seen)")
        try await Task.sleep(for: .milliseconds(50))
        #expect(lines.current.count == seen.count, "lines after the work ended")
    }

    @Test("--quiet shows nothing; a daemon's schedule line only logs, whatever its stderr is")
    func defaultDisplays() {
        #expect(ProgressMeter.defaultDisplay(quiet: true) == .none)
        #expect(ProgressMeter.$logOnly.withValue(true) { ProgressMeter.defaultDisplay(quiet: false) } == .log)
        #expect(ProgressMeter.$logOnly.withValue(true) { ProgressMeter.defaultDisplay(quiet: true) } == .none)
        // The test runner's stderr is a pipe, not a terminal.
        #expect(ProgressMeter.defaultDisplay(quiet: false) == (isatty(STDERR_FILENO) == 1 ? .terminal : .log))
    }
}
