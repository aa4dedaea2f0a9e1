import Foundation
@testable import Health
import OpsCore
import OpsSupport
import Testing

@Suite("Health report")
struct HealthReportTests {
    @Test func worstCheckDecidesTheStatus() {
        let report = HealthReport(checks: [
            HealthCheck(key: "postgres:responseTime", componentType: "datastore"),
            HealthCheck(key: "redis:memory", componentType: "datastore", status: .warn, output: "91% of maxmemory used"),
        ])
        #expect(report.status == .warn)
        #expect(report.json["status"]?.stringValue == "warn")
        #expect(report.json["output"]?.stringValue?.contains("redis:memory") == true)
        #expect(report.table.contains("WARN"))
    }

    @Test func aStoreThatIsDownFailsWithItsOwnLine() {
        let report = HealthReport(checks: [
            HealthCheck(key: "postgres:connection", componentType: "datastore", status: .fail, output: "PostgreSQL is unreachable: refused"),
            HealthCheck(key: "redis:responseTime", componentType: "datastore"),
        ])
        let error = #expect(throws: OpsError.self) { try HealthJob.verdict(report) }
        #expect(error?.code == .storeUnavailable)
        #expect(error?.message == "PostgreSQL is unreachable: refused")
    }

    @Test(arguments: [
        // Dragonfly: last_success_save + saving
        (["last_success_save": "1000", "saving": "0"], HealthStatus.pass),
        (["last_success_save": "0", "saving": "1"], HealthStatus.warn),
        // Redis: rdb_last_save_time + rdb_bgsave_in_progress
        (["rdb_last_save_time": "1000", "rdb_bgsave_in_progress": "0", "rdb_last_bgsave_status": "ok"], HealthStatus.pass),
        (["rdb_last_save_time": "1000", "rdb_last_bgsave_status": "err"], HealthStatus.warn),
        (["rdb_last_save_time": "-3000"], HealthStatus.warn),
    ])
    func snapshotAgeReadsDragonflyAndRedisFields(fields: [String: String], expected: HealthStatus) {
        let check = RedisHealth(configuration: try! OpsConfiguration(environment: [:]), thresholds: HealthThresholds())
            .snapshotCheck(fields, now: Date(timeIntervalSince1970: 1600))
        #expect(check.status == expected)
    }
}
