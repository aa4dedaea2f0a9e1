import Foundation
import Logging
import OpsCore
import OpsSupport
import PGClient

/// Checks PostgreSQL: reachability, round trip, version, connections, size, oldest transaction, migrations.
struct PostgresHealth {
    let configuration: OpsConfiguration
    let thresholds: HealthThresholds

    func checks() async -> [HealthCheck] {
        let clock = ContinuousClock()
        let start = clock.now
        let connection: PostgresConnection
        do {
            connection = try await Stores.postgres(configuration)
        } catch {
            let mapped = Stores.opsError(error)
            if let opsError = mapped as? OpsError, opsError.code == .configuration {
                return [HealthCheck(key: "postgres:configuration", componentType: "datastore", status: .fail, output: opsError.message)]
            }
            return [HealthCheck(key: "postgres:connection", componentType: "datastore", status: .fail,
                                output: "PostgreSQL is unreachable: \(mapped)")]
        }
        let connectedAfter = clock.now - start
        return (try? await connection.closing { connection in await checks(on: connection, connectedAfter: connectedAfter) }) ?? []
    }

    private func checks(on connection: PostgresConnection, connectedAfter: Duration) async -> [HealthCheck] {
        let clock = ContinuousClock()
        var checks = [HealthCheck(key: "postgres:connection", componentType: "datastore", observedValue: .double(milliseconds(connectedAfter)), observedUnit: "ms")]
        do {
            let pingStart = clock.now
            try await connection.query("SELECT 1")
            let ping = milliseconds(clock.now - pingStart)
            checks.append(HealthCheck(key: "postgres:responseTime", componentType: "datastore",
                                      status: ping > thresholds.responseTimeWarnMs ? .warn : .pass,
                                      observedValue: .double(ping), observedUnit: "ms"))
            let facts = try await connection.query(Self.factsSQL)
            guard let row = facts.first else { return checks }
            checks.append(HealthCheck(key: "postgres:version", componentType: "datastore", observedValue: .string(try row.decode(String.self, "version"))))
            let maxConnections = try row.decode(Int.self, "max_connections")
            let inUse = try row.decode(Int.self, "connections")
            let share = Double(inUse) / Double(max(maxConnections, 1))
            checks.append(HealthCheck(key: "postgres:connections", componentType: "datastore",
                                      status: share >= thresholds.connectionsFail ? .fail : share >= thresholds.connectionsWarn ? .warn : .pass,
                                      observedValue: .int(Int64(inUse)), observedUnit: "of \(maxConnections)",
                                      output: share >= thresholds.connectionsWarn ? "\(inUse) of max_connections \(maxConnections) in use" : nil))
            checks.append(HealthCheck(key: "postgres:databaseSize", componentType: "datastore", observedValue: .int(try row.decode(Int64.self, "size")), observedUnit: "bytes"))
            let age = try row.decode(Double.self, "oldest_xact")
            checks.append(HealthCheck(key: "postgres:oldestTransaction", componentType: "datastore",
                                      status: age >= thresholds.transactionAgeFail ? .fail : age >= thresholds.transactionAgeWarn ? .warn : .pass,
                                      observedValue: .double(age), observedUnit: "s",
                                      output: age >= thresholds.transactionAgeWarn ? "a transaction has been open for \(Int(age)) s (blocks vacuum)" : nil))
            do {
                let status = try await MigrationRunner(logger: .init(label: "health")).status(on: connection)
                let pending = status.pending.count
                checks.append(HealthCheck(key: "postgres:migrations", componentType: "datastore", status: pending > 0 ? .warn : .pass,
                                          observedValue: .int(Int64(status.databaseVersion)), observedUnit: "version",
                                          output: pending > 0 ? "\(pending) migration(s) pending; run 'auto-i18n-ops schema migrate'" : nil))
            } catch let error as OpsError {
                checks.append(HealthCheck(key: "postgres:migrations", componentType: "datastore", status: .fail, output: error.message))
            }
        } catch {
            checks.append(HealthCheck(key: "postgres:query", componentType: "datastore", status: .fail, output: "\(Stores.opsError(error))"))
        }
        return checks
    }
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}
