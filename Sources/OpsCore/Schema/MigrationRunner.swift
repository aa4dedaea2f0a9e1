import Crypto
import Foundation
import Logging
import OpsSupport
import PGClient

/// Applies the embedded migrations: each in its own transaction, all under one advisory lock, so two
/// instances racing end with the migrations applied once (the second waits, then finds nothing to do).
package struct MigrationRunner: Sendable {
    package let migrations: [Migration]
    package let logger: Logger

    package init(migrations: [Migration] = Migration.all, logger: Logger) {
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.logger = logger
    }

    /// One row of `schema status`.
    package struct Entry: Sendable, Codable, Equatable {
        package let version: Int
        package let name: String
        /// nil while pending.
        package let appliedAt: Date?
    }

    package struct Status: Sendable, Codable, Equatable {
        package let applied: [Entry]
        package let pending: [Entry]
        /// The highest version the database has, which may exceed what this binary knows.
        package let databaseVersion: Int
        package let binaryVersion: Int
    }

    package static let lockKey = AdvisoryLockKey.forName("schema-migrate")

    /// Lists applied and pending migrations; refuses a database newer than this binary.
    package func status(on connection: PostgresConnection) async throws -> Status {
        let applied = try await appliedMigrations(on: connection)
        return try makeStatus(applied)
    }

    /// Applies every pending migration. Returns the versions applied by this call (empty when none).
    @discardableResult
    package func migrate(on connection: PostgresConnection) async throws -> [Int] {
        try await connection.advisoryLock(Self.lockKey.value)
        do {
            let done = try await applyPending(on: connection)
            try await connection.advisoryUnlock(Self.lockKey.value)
            return done
        } catch {
            _ = try? await connection.advisoryUnlock(Self.lockKey.value)
            throw error
        }
    }

    private func applyPending(on connection: PostgresConnection) async throws -> [Int] {
        try await connection.execute(Migration.bookkeepingSQL)
        let applied = try await appliedMigrations(on: connection)
        let status = try makeStatus(applied)
        let checksums = Dictionary(uniqueKeysWithValues: applied.map { ($0.version, $0.checksum) })
        for migration in migrations where checksums[migration.version] != nil {
            if checksums[migration.version] != Self.checksum(migration.sql) {
                logger.warning("migration changed after it was applied", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            }
        }
        var done: [Int] = []
        for entry in status.pending {
            guard let migration = migrations.first(where: { $0.version == entry.version }) else { continue }
            logger.info("applying migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            do {
                try await connection.transaction {
                    try await connection.execute(migration.sql)
                    try await connection.query(
                        "INSERT INTO ops.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                        [migration.version, migration.name, Self.checksum(migration.sql)])
                }
            } catch let error as PostgresError {
                throw OpsError(.jobFailed, "migration \(migration.version) (\(migration.name)) failed and was rolled back: \(error.description)")
            }
            done.append(migration.version)
        }
        return done
    }

    private struct AppliedRow { let version: Int; let name: String; let checksum: String; let appliedAt: Date }

    private func appliedMigrations(on connection: PostgresConnection) async throws -> [AppliedRow] {
        let exists = try await connection.query("SELECT to_regclass('ops.schema_migrations') IS NOT NULL AS present")
        guard try exists.first?.decode(Bool.self, "present") == true else { return [] }
        let rows = try await connection.query("SELECT version, name, checksum, applied_at FROM ops.schema_migrations ORDER BY version")
        return try rows.rows.map {
            AppliedRow(version: try $0.decode(Int.self, "version"), name: try $0.decode(String.self, "name"),
                       checksum: try $0.decode(String.self, "checksum"), appliedAt: try $0.decode(Date.self, "applied_at"))
        }
    }

    private func makeStatus(_ applied: [AppliedRow]) throws -> Status {
        let binaryVersion = migrations.last?.version ?? 0
        let databaseVersion = applied.map(\.version).max() ?? 0
        if databaseVersion > binaryVersion {
            throw OpsError(.schemaTooNew, "the database schema is at version \(databaseVersion) but this auto-i18n-ops knows only up to \(binaryVersion); upgrade auto-i18n-ops before running it against this database")
        }
        let appliedVersions = Set(applied.map(\.version))
        return Status(
            applied: applied.map { Entry(version: $0.version, name: $0.name, appliedAt: $0.appliedAt) },
            pending: migrations.filter { !appliedVersions.contains($0.version) }.map { Entry(version: $0.version, name: $0.name, appliedAt: nil) },
            databaseVersion: databaseVersion, binaryVersion: binaryVersion)
    }

    static func checksum(_ sql: String) -> String {
        SHA256Hex.of(Data(sql.utf8))
    }
}
