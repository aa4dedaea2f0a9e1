import Foundation
import OpsCore
import PGClient

/// The consistent snapshot of a backup: the first connection opens a `REPEATABLE READ, READ ONLY`
/// transaction and exports its snapshot; further connections join it with `SET TRANSACTION SNAPSHOT`,
/// as `pg_dump -j` does, so every table is copied as of the same instant.
struct BackupSnapshot {
    let main: PostgresConnection
    let database: String
    let serverVersion: String
    let serverVersionNumber: Int
    let snapshotID: String
    let started: Date

    /// Settings of every dump connection, as pg_dump's: output formats that reload exactly
    /// (ISO dates, postgres intervals, shortest exact floats), no timeouts on our side, rows as stored.
    static let sessionSettings = """
        SET DateStyle = ISO; SET IntervalStyle = postgres; SET extra_float_digits = 3; \
        SET statement_timeout = 0; SET idle_in_transaction_session_timeout = 0; \
        SET synchronize_seqscans = off; SET row_security = off
        """
    static let begin = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"

    static func open(_ configuration: OpsConfiguration) async throws -> BackupSnapshot {
        let main = try await Stores.postgres(configuration)
        do {
            try await main.execute(sessionSettings)
            try await main.execute(begin)
            let started = Date()
            let row = try await main.query(Self.snapshotSQL).first
            guard let row else { throw BackupError(.io, "backup failed: the server returned no snapshot") }
            return BackupSnapshot(main: main, database: try row.decode(String.self, "database"),
                                  serverVersion: try row.decode(String.self, "version"),
                                  serverVersionNumber: try row.decode(Int.self, "number"),
                                  snapshotID: try row.decode(String.self, "snapshot"), started: started)
        } catch {
            await main.close()
            throw error
        }
    }

    /// Takes ACCESS SHARE on every table, one at a time under `lock_timeout`, so a session holding or
    /// queueing for an exclusive lock makes the backup fail at once, naming the table, instead of
    /// queueing behind it and stalling the application behind us.
    func lockTables(timeout seconds: Double) async throws -> Int {
        let milliseconds = max(1, Int((seconds * 1000).rounded()))
        try await main.execute("SET lock_timeout = \(milliseconds)")
        let tables = try await main.query(Self.lockTablesSQL)
        for row in tables.rows {
            let qualified = try row.decode(String.self, "qualified")
            do {
                try await main.execute("LOCK TABLE ONLY \(qualified) IN ACCESS SHARE MODE")
            } catch let error as PostgresError where error.sqlState == "55P03" {
                let name = "\(row["schema"] ?? "").\(row["name"] ?? "")"
                throw BackupError(.lockTimeout, "backup failed: cannot lock table \(name) (lock_wait_timeout \(Self.seconds(seconds))): another session holds or waits for a conflicting lock")
            }
        }
        try await main.execute("SET lock_timeout = 0")
        return tables.rows.count
    }

    /// Opens `count` more connections inside the same snapshot.
    func join(count: Int, configuration: OpsConfiguration) async throws -> [PostgresConnection] {
        // The id comes from the server (`00000003-0000001B-1`); SET TRANSACTION SNAPSHOT takes no
        // parameters, so it is checked to be nothing but hex digits and dashes before it is spliced in.
        guard snapshotID.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
            throw BackupError(.io, "backup failed: unexpected snapshot id from the server")
        }
        var joined: [PostgresConnection] = []
        do {
            for _ in 0..<max(0, count) {
                let connection = try await Stores.postgres(configuration)
                joined.append(connection)
                try await connection.execute(Self.sessionSettings)
                try await connection.execute(Self.begin)
                try await connection.execute("SET TRANSACTION SNAPSHOT \(try await connection.quoteLiteral(snapshotID))")
            }
            return joined
        } catch {
            for connection in joined { await connection.close() }
            throw error
        }
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))s" : "\(value)s"
    }
}
