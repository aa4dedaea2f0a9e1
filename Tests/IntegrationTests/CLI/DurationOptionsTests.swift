import Foundation
import Testing

/// Every option and schedule policy that takes a duration accepts the one grammar, through the binary
/// as an operator types it, and refuses a bad value with the one error text (exit 2).
@Suite("Duration options through the binary")
struct DurationOptionsTests {
    /// (job line prefix, option) for every job option that takes a duration.
    static let jobOptions: [(String, String)] = [
        ("backup create", "--lock-wait-timeout"),
        ("retention", "--max-runtime"), ("retention", "--lock-timeout"), ("retention", "--statement-timeout"),
        ("snapshot", "--timeout"),
        ("cache stats", "--max-time"),
        ("health", "--transaction-age-warn"), ("health", "--transaction-age-fail"), ("health", "--response-time-warn"),
        ("health", "--snapshot-age-warn"),
        ("schedule sleep", "--seconds"),
    ]

    static let forms = ["500ms", "30s", "15m", "1h30m", "1d", "90", "1.5s", "2m30s"]

    private func job(_ command: String) -> String {
        switch command {
        case "backup create": "backup"
        case "cache stats": "cache-stats"
        case "schedule sleep": "sleep"
        default: command
        }
    }

    private func check(schedule: String) async throws -> CLI.Result {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("durations-\(UUID().uuidString).schedule").path
        try schedule.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try await CLI.run(["schedule", "check", path, "--count", "1"])
    }

    @Test(arguments: forms)
    func everyDurationOptionAcceptsEachForm(form: String) async throws {
        var lines: [String] = []
        for (command, option) in Self.jobOptions {
            // One line per job: the options of one job share a line.
            if let index = lines.firstIndex(where: { $0.hasPrefix("0 3 * * * \(job(command)) ") }) {
                lines[index] += " \(option) \(form)"
            } else {
                lines.append("0 3 * * * \(job(command)) \(option) \(form)")
            }
        }
        let schedule = lines.joined(separator: "\n") + "\n0 4 * * * timeout=\(form) jitter=\(form) catch-up=\(form) backoff=\(form) stats-refresh\n"
        let result = try await check(schedule: schedule)
        #expect(result.status == 0, "\(schedule)\n\(result.stderr)")
    }

    @Test(arguments: jobOptions)
    func aBadValueIsOneUsageErrorNamingTheOptionAndTheForms(command: String, option: String) async throws {
        let line = "0 3 * * * \(job(command)) \(option) 1x"
        let scheduled = try await check(schedule: line + "\n")
        #expect(scheduled.status == 2)
        #expect(scheduled.stderr.contains("\(option) 1x: expected a duration such as 500ms, 30s, 15m, 1h30m or 1d"), "\(scheduled.stderr)")

        let direct = try await CLI.run(command.split(separator: " ").map(String.init) + [option, "1x"])
        #expect(direct.status == 2, "\(direct.stderr)")
        let lines = direct.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("auto-i18n-ops: \(option) 1x: expected a duration such as"), "\(direct.stderr)")
    }

    @Test(arguments: ["--shutdown-grace", "--metrics-interval"])
    func theDaemonsDurationsUseTheSameGrammar(option: String) async throws {
        let result = try await CLI.run(["run", "--schedule", "/nonexistent", option, "5 minutes"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(option) 5 minutes: expected a duration such as"), "\(result.stderr)")
    }

    @Test(arguments: ["inf", "1e300", "99999999999999h", "nan"])
    func hugeOrNonNumericValuesAreUsageErrorsNotCrashes(value: String) async throws {
        let result = try await CLI.run(["backup", "create", "--lock-wait-timeout", value])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("--lock-wait-timeout \(value):"), "\(result.stderr)")
    }

    @Test func aPolicyDurationOutsideItsRangeNamesTheRange() async throws {
        let result = try await check(schedule: "0 3 * * * timeout=400d backup\n")
        #expect(result.status == 2)
        #expect(result.stderr.contains("timeout=400d: must be between 0 ms and 366 d"), "\(result.stderr)")
    }
}
