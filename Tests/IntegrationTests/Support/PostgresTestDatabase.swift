import Foundation
import Logging
import OpsCore
import PGClient
import Testing

/// Per-test PostgreSQL databases on the server the test command started (`DATABASE_URL`).
///
/// A missing `DATABASE_URL` fails the test instead of skipping it, so CI cannot pass without a server.
/// Each test gets its own database, cloned from a migrated template made once per test process, so
/// tests run in parallel without seeing each other's rows.
enum PostgresTestDatabase {
    static func serverURL() throws -> String {
        try #require(ProcessInfo.processInfo.environment["DATABASE_URL"],
                     "DATABASE_URL is not set: run the integration tests with Scripts/test, which starts PostgreSQL")
    }

    static func serverConfiguration() throws -> PostgresConfiguration {
        try PostgresConfiguration(serverURL())
    }

    /// An `OpsConfiguration` pointing at `database` (and the shared Redis server when set).
    static func opsConfiguration(database: String) throws -> OpsConfiguration {
        var configuration = try OpsConfiguration()
        let target = try serverConfiguration()
        configuration.databaseURL = target.url(forDatabase: database)
        return configuration
    }

    /// Creates an empty database (`migrated: false`) or a migrated one, runs `body`, then drops it.
    static func with<T>(migrated: Bool = true, _ body: (_ name: String, _ connection: PostgresConnection) async throws -> T) async throws -> T {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        let admin = try await PostgresConnection.connect(serverConfiguration())
        let template = migrated ? try await Template.shared.name() : "template0"
        try await admin.execute("CREATE DATABASE \(try await admin.quoteIdentifier(String(name))) TEMPLATE \(try await admin.quoteIdentifier(template))")
        let connection = try await PostgresConnection.connect(serverConfiguration().withDatabase(String(name)))
        do {
            let result = try await body(String(name), connection)
            await connection.close()
            try await admin.execute("DROP DATABASE IF EXISTS \(try await admin.quoteIdentifier(String(name))) WITH (FORCE)")
            await admin.close()
            return result
        } catch {
            await connection.close()
            try? await admin.execute("DROP DATABASE IF EXISTS \(try await admin.quoteIdentifier(String(name))) WITH (FORCE)")
            await admin.close()
            throw error
        }
    }

    /// The migrated template, made once per test process.
    actor Template {
        static let shared = Template()
        private var making: Task<String, any Error>?

        /// Callers arriving while the template is being made wait for the same task (actor reentrancy).
        func name() async throws -> String {
            if let making { return try await making.value }
            let task = Task { try await Self.make() }
            making = task
            return try await task.value
        }

        private static func make() async throws -> String {
            let name = "ops_test_template_\(getpid())"
            let admin = try await PostgresConnection.connect(try PostgresTestDatabase.serverConfiguration())
            // Templates of earlier test processes that are gone (there is no suite-wide teardown).
            let stale = try await admin.query("SELECT datname FROM pg_database WHERE datname LIKE 'ops\\_test\\_template\\_%'")
            for row in stale.rows {
                guard let old = row["datname"] ?? nil, let pid = Int32(old.split(separator: "_").last ?? ""),
                      pid != getpid(), kill(pid, 0) != 0 else { continue }
                try? await admin.execute("DROP DATABASE IF EXISTS \(try await admin.quoteIdentifier(old)) WITH (FORCE)")
            }
            let quoted = try await admin.quoteIdentifier(name)
            try await admin.execute("DROP DATABASE IF EXISTS \(quoted) WITH (FORCE)")
            try await admin.execute("CREATE DATABASE \(quoted) TEMPLATE template0")
            let connection = try await PostgresConnection.connect(try PostgresTestDatabase.serverConfiguration().withDatabase(name))
            try await MigrationRunner(logger: Logger(label: "test")).migrate(on: connection)
            await connection.close()
            await admin.close()
            return name
        }
    }
}
