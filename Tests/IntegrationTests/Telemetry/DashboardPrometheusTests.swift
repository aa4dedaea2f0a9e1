import Foundation
import OpsCore
import TestSupport
import Testing

/// A real Prometheus server (Debian's `prometheus`) on a loopback port, with a temporary config and
/// data directory, scraping one target every second. Stopped by ``stop()`` (and `deinit`).
final class PrometheusServer: @unchecked Sendable {
    static let path = "/usr/bin/prometheus"
    let port: Int
    private let process = Process()
    private let directory: URL
    private let log: URL

    init(target: String) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.path), "prometheus is not installed at \(Self.path) (Debian package prometheus)")
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("prometheus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("data"), withIntermediateDirectories: true)
        let config = """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: auto-i18n-ops
                metrics_path: /metrics
                static_configs:
                  - targets: ['\(target)']
            """
        try config.write(to: directory.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        port = try RedisTestServer.freePort()
        log = directory.appendingPathComponent("prometheus.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: Self.path)
        process.arguments = ["--config.file=\(directory.appendingPathComponent("prometheus.yml").path)",
                             "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
                             "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn"]
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Waits until `/-/ready` answers 200 (at most `seconds`).
    func waitReady(seconds: Int = 90) async throws {
        for _ in 0..<(seconds * 10) {
            if let response = try? await HTTP.get(port, "/-/ready"), response.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw OpsError(.jobFailed, "prometheus did not become ready; log:\n\(logText)")
    }

    /// `/api/v1/query?query=…`: the `data.result` array of a successful query.
    func query(_ expression: String) async throws -> [[String: Any]] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encoded = expression.addingPercentEncoding(withAllowedCharacters: allowed)!
        let response = try await HTTP.get(port, "/api/v1/query?query=\(encoded)")
        let object = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]
        guard response.status == 200, object?["status"] as? String == "success",
              let data = object?["data"] as? [String: Any], let result = data["result"] as? [[String: Any]] else {
            throw OpsError(.jobFailed, "query \(expression) failed: HTTP \(response.status) \(response.body)")
        }
        return result
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}

@Suite("Grafana dashboard against a real Prometheus", .serialized)
struct DashboardPrometheusTests {
    /// Every PromQL expression of every panel in Runbooks/grafana-dashboard.json, with Grafana's
    /// `$__rate_interval` replaced by 1m (what Grafana picks for a 1 s scrape interval is at least 4×).
    static func panelQueries() throws -> [(title: String, expr: String)] {
        let data = try Data(contentsOf: RepositoryPath.url("Runbooks/grafana-dashboard.json"))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        return panels.flatMap { panel -> [(title: String, expr: String)] in
            let title = panel["title"] as? String ?? "?"
            let targets = panel["targets"] as? [[String: Any]] ?? []
            return targets.compactMap { $0["expr"] as? String }.map { (title, $0.replacingOccurrences(of: "$__rate_interval", with: "1m")) }
        }
    }

    @Test func theDashboardShowsWhatTheIssueAsksFor() throws {
        let queries = try Self.panelQueries().map(\.expr).joined(separator: "\n")
        for metric in ["job_runs_total", "job_consecutive_failures", "backup_last_success_timestamp_seconds", "backup_last_size_bytes",
                       "backup_last_duration_seconds", "retention_deleted_rows_total", "snapshot_last_success_timestamp_seconds",
                       "cache_keys", "backup_repository_available_bytes"] {
            #expect(queries.contains("auto_i18n_ops_\(metric)"), "no panel shows \(metric)")
        }
    }

    /// Prometheus scrapes a live daemon (jobs running on a test schedule); after a few scrapes every
    /// panel's query returns at least one series.
    @Test(.timeLimit(.minutes(5))) func everyPanelQueryReturnsDataFromALiveDaemon() async throws {
        let queries = try Self.panelQueries()
        #expect(queries.count >= 12)
        try await PostgresTestDatabase.with { name, _ in
            let daemon = try DaemonProcess(database: name, schedule: "* * * * * sleep --seconds 0\n* * * * * health\n* * * * * cache-stats\n")
            let port = try await daemon.port()
            let prometheus = try PrometheusServer(target: "127.0.0.1:\(port)")
            defer { prometheus.stop() }
            try await prometheus.waitReady()

            // Wait (bounded) for a few scrapes and for every panel to have data: on a loaded host a
            // job's first success (and the scrape after it) can come well after the fourth scrape.
            var scrapes = 0.0
            var empty: [String] = []
            let deadline = ContinuousClock.now + .seconds(150)
            while ContinuousClock.now < deadline {
                let result = try await prometheus.query(#"count_over_time(up{job="auto-i18n-ops"}[1m]) and on() max(up{job="auto-i18n-ops"}) == 1"#)
                scrapes = Double(((result.first?["value"] as? [Any])?.last as? String) ?? "0") ?? 0
                if scrapes >= 4 {
                    empty = []
                    for (title, expr) in queries {
                        if try await prometheus.query(expr).isEmpty { empty.append(title) }
                    }
                    if empty.isEmpty { break }
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            try #require(scrapes >= 4, "Prometheus did not scrape the daemon 4 times; daemon log:\n\(daemon.log)\nprometheus log:\n\(prometheus.logText)")

            for (title, expr) in queries {
                let result = try await prometheus.query(expr)
                #expect(!result.isEmpty, "panel '\(title)': \(expr) returned no data")
            }
            // The figures are the daemon's, not placeholders: jobs ran and the stores are up.
            let runs = try await prometheus.query(#"sum(auto_i18n_ops_job_runs_total{result="succeeded"})"#)
            #expect((Double(((runs.first?["value"] as? [Any])?.last as? String) ?? "0") ?? 0) >= 1)
            let up = try await prometheus.query("max(auto_i18n_ops_postgres_up)")
            #expect(((up.first?["value"] as? [Any])?.last as? String) == "1")
            daemon.signal(SIGTERM)
            _ = await daemon.wait()
        }
    }
}
