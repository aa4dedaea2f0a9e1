import Foundation
import TestSupport
import Testing

@Suite("Alert rules and runbooks")
struct AlertRulesTests {
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
        for runbook in runbooks {
            #expect(runbook.hasPrefix("Runbooks/") && runbook.hasSuffix(".md"), "\(runbook)")
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
        "sessions_expired_awaiting_deletion", "node_filesystem_avail_bytes",
    ])
    func anAlertWatches(_ metric: String) throws {
        #expect(try RepositoryPath.text("Runbooks/alerts.yml").contains(metric))
    }
}
