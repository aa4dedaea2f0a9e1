import Foundation
import OpsCore
import OpsSupport
import TestSupport
import Testing
@testable import Telemetry

/// Runbooks name only metrics, health checks and schedule lines that exist.
@Suite("Runbooks name what exists")
struct RunbookReferencesTests {
    struct Runbook {
        let name: String
        let text: String
    }

    static func runbooks() throws -> [Runbook] {
        let directory = RepositoryPath.url("Runbooks")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".md") }.sorted()
        return try names.map { Runbook(name: $0, text: try String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8)) }
    }

    static func matches(_ pattern: String, in text: String) throws -> [String] {
        let regex = try NSRegularExpression(pattern: pattern)
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { String(text[Range($0.range, in: text)!]) }
    }

    /// Every metric name the exporters produce: the daemon's exposition built in-process (every
    /// family, histogram suffixes included) and a one-shot textfile with every optional part.
    static func realMetricNames() -> Set<String> {
        let metrics = OpsMetrics()
        metrics.register(jobs: ["backup", "snapshot"])
        metrics.registerRedis()
        var text = String(decoding: metrics.render(), as: UTF8.self)
        for job in ["backup", "snapshot"] {
            text += TextfileExporter.render(JobRunner.Report(job: job, status: .succeeded, outcome: JobOutcome(details: ["bytes": 1])),
                                            now: Date(), previous: [:])
        }
        text += TextfileExporter.renderStores(StoreProbe.Status(postgres: .init(up: true, ping: 0), redis: .init(up: true, ping: 0),
                                                                  repository: FilesystemSpace(availableBytes: 1, sizeBytes: 2)), now: Date())
        return Set(text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
            line.split(whereSeparator: { $0 == "{" || $0 == " " }).first.map(String.init)
        })
    }

    @Test func everyMetricARunbookNamesExists() throws {
        let real = Self.realMetricNames()
        #expect(real.contains("auto_i18n_ops_job_duration_seconds_bucket") && real.contains("auto_i18n_ops_postgres_up"))
        var cited = 0
        for runbook in try Self.runbooks() {
            // A name followed by `.` + `prom` is a textfile's file name, not a metric.
            for name in try Self.matches(#"auto_i18n_ops_[a-z0-9_]+(?![a-z0-9_]*\.prom)"#, in: runbook.text) {
                cited += 1
                #expect(real.contains(name), "\(runbook.name) names \(name), which no exporter produces")
            }
        }
        #expect(cited >= 10)
    }

    /// Health check names (`postgres:…`, `redis:…`) against the checks `health --json` really reports
    /// in a run against the test servers.
    @Test func everyHealthCheckARunbookNamesExists() async throws {
        let healthy = try await CLI.run(["health", "--json"])
        let real = Set(try Self.matches(#""(postgres|redis):[A-Za-z]+""#, in: healthy.stdout).map { String($0.dropFirst().dropLast()) })
        #expect(real.contains("postgres:connection") && real.contains("redis:lastSnapshot"), "health reported: \(real.sorted()); stderr: \(healthy.stderr)")
        var cited = 0
        for runbook in try Self.runbooks() {
            for name in try Self.matches(#"(?<![A-Za-z/@.])(postgres|redis):[A-Za-z]+\b(?![/@.])"#, in: runbook.text) {
                cited += 1
                #expect(real.contains(name), "\(runbook.name) names the health check \(name), which `health` does not report (it reports \(real.sorted()))")
            }
        }
        #expect(cited >= 3)
    }

    /// Every schedule snippet (a fenced block tagged `schedule`) passes `schedule check`; a fenced block
    /// that looks like schedule lines but is not tagged fails the test, so none escapes the check.
    @Test func everyScheduleARunbookShowsPassesScheduleCheck() async throws {
        let cronLine = try NSRegularExpression(pattern: #"^\s*(@[a-z]+|([0-9*/,-]+|[a-z]{3})(\s+([0-9*/,-]+|[a-z]{3}(-[a-z]{3})?)){4})\s+[a-z]"#)
        var checked = 0
        for runbook in try Self.runbooks() {
            var block: [String]? = nil
            var tag = ""
            for line in runbook.text.split(separator: "\n", omittingEmptySubsequences: false) {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("```") {
                    if let lines = block {
                        let content = lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty && !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }
                        if tag == "schedule" {
                            checked += 1
                            let file = NSTemporaryDirectory() + "runbook-\(UUID().uuidString).schedule"
                            try content.joined(separator: "\n").appending("\n").write(toFile: file, atomically: true, encoding: .utf8)
                            let result = try await CLI.run(["schedule", "check", file])
                            #expect(result.status == 0, "\(runbook.name): schedule check rejects\n\(content.joined(separator: "\n"))\n\(result.stderr)")
                            try? FileManager.default.removeItem(atPath: file)
                        } else {
                            let looksLikeSchedule = !content.isEmpty && content.allSatisfy { text in
                                let stripped = text.trimmingCharacters(in: .whitespaces)
                                return cronLine.firstMatch(in: stripped, range: NSRange(stripped.startIndex..., in: stripped)) != nil
                            }
                            #expect(!looksLikeSchedule, "\(runbook.name): a block of schedule lines not tagged ```schedule:\n\(content.joined(separator: "\n"))")
                        }
                        block = nil
                    } else {
                        block = []
                        tag = String(trimmed.dropFirst(3)).trimmingCharacters(in: .whitespaces)
                    }
                } else if block != nil {
                    block!.append(String(line))
                }
            }
        }
        #expect(checked >= 2, "the runbooks show at least backup.md's and job-failing.md's schedules")
    }
}
