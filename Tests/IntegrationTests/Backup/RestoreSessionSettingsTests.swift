@testable import Backup
import Foundation
import PGClient
import Testing

/// The session settings every restore connection makes, as the server applies them.
@Suite("Restore session settings")
struct RestoreSessionSettingsTests {
    /// A superuser's restore sessions cancel a colliding autovacuum after 100 ms (deadlock_timeout);
    /// another role cannot change the setting and keeps the server's, without an error.
    @Test func deadlockTimeoutIsShortenedWhereTheRoleMaySetIt() async throws {
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(10).lowercased()
        let login = "plain_\(suffix)", password = "pw-\(suffix)"
        let admin = try await PostgresConnection.connect(PostgresTestDatabase.serverConfiguration())
        defer { Task { await admin.close() } }
        let serverDefault = try #require(try await admin.query("SHOW deadlock_timeout").first?["deadlock_timeout"])
        try await admin.query(Restorer.deadlockTimeoutSQL)
        #expect(try await admin.query("SHOW deadlock_timeout").first?["deadlock_timeout"] == "100ms")
        try await admin.query(Restorer.maintenanceWorkMemSQL)
        #expect(try await admin.query("SHOW maintenance_work_mem").first?["maintenance_work_mem"] == "256MB")

        try await admin.execute("CREATE ROLE \(login) LOGIN PASSWORD '\(password)'")
        defer { Task { try? await admin.execute("DROP ROLE IF EXISTS \(login)") } }
        let database = try #require(PostgresTestDatabase.serverConfiguration().database)
        let plain = try await PostgresConnection.connect(try PostgresConfiguration(try RestorePreflightTests.url(database, user: login, password: password)))
        defer { Task { await plain.close() } }
        try await plain.query(Restorer.deadlockTimeoutSQL)
        #expect(try await plain.query("SHOW deadlock_timeout").first?["deadlock_timeout"] == serverDefault)
    }
}
