import Foundation
import TestSupport
import Testing

@Suite("Alert rules and runbooks")
struct AlertRulesTests {
    static let runbookBase = "https://runbooks.example.com/auto-i18n-ops/"

    /// promtool's rule unit tests (Runbooks/alerts.test.yml) pass.
    @Test func alertRuleUnitTestsPass() throws {
        let result = try Promtool.run(["test", "rules", RepositoryPath.url("Runbooks/alerts.test.yml").path])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("SUCCESS"))
    }

    /// Every alert has a firing case (a non-empty exp_alerts) and a not-firing case (`exp_alerts: []`).
    @Test func everyAlertIsTestedFiringAndNotFiring() throws {
        let rules = try RepositoryPath.text("Runbooks/alerts.yml")
        let alerts = rules.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.range(of: "- alert: ") else { return nil }
            return line[range.upperBound...].trimmingCharacters(in: .whitespaces)
        }
        let lines = try RepositoryPath.text("Runbooks/alerts.test.yml").split(separator: "\n", omittingEmptySubsequences: false)
        var firing = Set<String>(), quiet = Set<String>()
        for (index, line) in lines.enumerated() {
            guard let range = line.range(of: "alertname: ") else { continue }
            let name = line[range.upperBound...].trimmingCharacters(in: .whitespaces)
            let next = index + 1 < lines.count ? lines[index + 1].trimmingCharacters(in: .whitespaces) : ""
            if next == "exp_alerts: []" { quiet.insert(name) } else if next == "exp_alerts:" { firing.insert(name) }
        }
        for alert in alerts {
            #expect(firing.contains(alert), "\(alert) has no firing test in alerts.test.yml")
            #expect(quiet.contains(alert), "\(alert) has no not-firing test in alerts.test.yml")
        }
    }

    /// Scripts/alerts-render points every runbook_url at another base and the result passes promtool.
    @Test func theRunbookBaseIsRewrittenInOnePlace() throws {
        let process = Process()
        process.executableURL = RepositoryPath.url("Scripts/alerts-render")
        process.arguments = ["--runbook-base", "https://wiki.example.org/ops/auto-i18n/"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let urls = text.split(separator: "\n").filter { $0.contains("runbook_url:") }
        #expect(!urls.isEmpty)
        #expect(urls.allSatisfy { $0.contains("runbook_url: https://wiki.example.org/ops/auto-i18n/") }, "\(urls)")
        let rules = text.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }
        #expect(!rules.contains { $0.contains(Self.runbookBase) }, "every URL rewritten")
    }
    @Test func alertRulesPassPromtool() throws {
        let result = try Promtool.run(["check", "rules", RepositoryPath.url("Runbooks/alerts.yml").path])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("SUCCESS"))
    }

    /// Every alert names a runbook in Runbooks/ that exists and says what it means, how to confirm it and what to do.
    @Test func everyAlertHasARunbookThatExplainsIt() throws {
        let rules = try RepositoryPath.text("Runbooks/alerts.yml")
        let alerts = rules.split(separator: "\n").filter { $0.contains("- alert:") }
        let runbooks = rules.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.range(of: "runbook_url:") else { return nil }
            return line[range.upperBound...].trimmingCharacters(in: .whitespaces)
        }
        #expect(alerts.count >= 8)
        #expect(runbooks.count == alerts.count, "every alert needs a runbook_url")
        for url in runbooks {
            // One base for every URL (Scripts/alerts-render rewrites it), then a runbook in Runbooks/.
            #expect(url.hasPrefix(Self.runbookBase) && url.hasSuffix(".md"), "\(url)")
            let runbook = "Runbooks/" + url.dropFirst(Self.runbookBase.count)
            let text = try RepositoryPath.text(runbook)
            for section in ["## What it means", "## Confirm", "## What to do"] {
                #expect(text.contains(section), "\(runbook) lacks '\(section)'")
            }
        }
    }

    /// The alerts the issue asks for, by what they watch.
    @Test(arguments: [
        "job_last_success_timestamp_seconds{ops_job=\"backup\"}", "job_last_success_timestamp_seconds{ops_job=\"retention\"}",
        "job_consecutive_failures", "postgres_up", "redis_up", "snapshot_last_success_timestamp_seconds",
        "sessions_expired_awaiting_deletion", "backup_repository_available_bytes",
        "job_consecutive_failures{ops_job=\"backup-verify\"}", "absent_over_time(auto_i18n_ops_job_last_run_timestamp_seconds",
        "metrics_refresh_timestamp_seconds", "auto_i18n_ops:job_failure_threshold",
    ])
    func anAlertWatches(_ metric: String) throws {
        #expect(try RepositoryPath.text("Runbooks/alerts.yml").contains(metric))
    }
}
