import Foundation
import TestSupport
import Testing
@testable import Telemetry

@Suite("Metric families")
struct OpsMetricsTests {
    /// What Prometheus sees before the first refresh: every series that will exist, at 0, lint-clean.
    @Test func theInitialExpositionHasEverySeriesAtZeroAndIsPromtoolClean() throws {
        let metrics = OpsMetrics()
        metrics.register(jobs: ["backup", "retention"])
        metrics.registerRedis()
        let text = String(decoding: metrics.render(), as: UTF8.self)
        let check = try Promtool.checkMetrics(text)
        #expect(check.status == 0 && check.output.isEmpty, "\(check.output)")
        for series in [#"auto_i18n_ops_job_runs_total{ops_job="backup",result="failed"} 0"#,
                       #"auto_i18n_ops_job_skipped_total{ops_job="retention",reason="claimed"} 0"#,
                       #"auto_i18n_ops_job_duration_seconds_count{ops_job="backup"} 0"#,
                       #"auto_i18n_ops_job_last_success_timestamp_seconds{ops_job="backup"} 0"#,
                       #"auto_i18n_ops_retention_deleted_rows_total{table="files"} 0"#,
                       #"auto_i18n_ops_sessions{status="expired"} 0"#, "auto_i18n_ops_redis_up 0", "auto_i18n_ops_postgres_up 0",
                       #"auto_i18n_ops_cache_keys{type="session"} 0"#] {
            #expect(text.contains(series), "missing \(series)")
        }
    }

    /// Re-registering (a schedule reload) must not reset gauges already set by a refresh.
    @Test func registeringAJobAgainKeepsItsValues() {
        let metrics = OpsMetrics()
        metrics.register(jobs: ["backup"])
        metrics.set(OpsMetrics.jobLastSuccess, 1_800_000_000, ["backup"])
        metrics.register(jobs: ["backup", "snapshot"])
        let text = String(decoding: metrics.render(), as: UTF8.self)
        #expect(text.contains(#"auto_i18n_ops_job_last_success_timestamp_seconds{ops_job="backup"} 1800000000"#))
        #expect(metrics.jobs == ["backup", "snapshot"])
    }

    @Test(arguments: [("127.0.0.1:9465", "127.0.0.1", 9465), ("[::1]:9100", "::1", 9100), ("0.0.0.0:0", "0.0.0.0", 0)])
    func listenAddressesParse(_ text: String, _ host: String, _ port: Int) throws {
        #expect(try ListenAddress(parsing: text) == ListenAddress(host: host, port: port))
    }

    @Test(arguments: ["9465", "localhost:", ":9465", "host:70000", "host:http"])
    func malformedListenAddressesAreRejected(_ text: String) {
        #expect(throws: (any Error).self) { try ListenAddress(parsing: text) }
    }

    @Test func tokensAreComparedWhole() {
        #expect(MetricsServer.constantTimeEquals(Array("Bearer abc".utf8), Array("Bearer abc".utf8)))
        #expect(!MetricsServer.constantTimeEquals(Array("Bearer ab".utf8), Array("Bearer abc".utf8)))
        #expect(!MetricsServer.constantTimeEquals(Array("Bearer abcd".utf8), Array("Bearer abc".utf8)))
        #expect(!MetricsServer.constantTimeEquals([], Array("Bearer abc".utf8)))
    }
}
