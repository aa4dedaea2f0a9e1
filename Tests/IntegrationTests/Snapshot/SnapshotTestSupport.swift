import Foundation
import Logging
import OpsCore
import OpsSupport
import RedisClient
import Snapshot

/// Private redis-servers for snapshot tests: each test gets its own, with a known `--dir`, `DEBUG`
/// and protected configs enabled (to make saves slow or make them fail).
enum SnapshotTestSupport {
    static func startServer(password: String? = nil) async throws -> RedisTestServer {
        try await RedisTestServer.start(password: password, arguments: ["--enable-debug-command", "yes", "--enable-protected-configs", "yes"])
    }

    /// Runs `body` with a fresh private server and an admin connection to it; stops both afterwards.
    static func withServer<T>(password: String? = nil, _ body: (RedisTestServer, RedisConnection) async throws -> T) async throws -> T {
        let server = try await startServer(password: password)
        defer { server.stop() }
        let admin = try await RedisConnection.connect(server.url)
        defer { admin.close() }
        return try await body(server, admin)
    }

    /// Configuration pointing at `server` (and `BACKUP_REPO` when given), without PostgreSQL.
    static func configuration(_ server: RedisTestServer, backupRepository: String? = nil) throws -> OpsConfiguration {
        var configuration = try OpsConfiguration(environment: [:])
        configuration.redisURL = redisURLString(server)
        if let backupRepository { configuration.backupRepository = backupRepository }
        return configuration
    }

    static func redisURLString(_ server: RedisTestServer, password: String? = nil) -> String {
        let pass = password ?? server.password
        return "redis://\(pass.map { ":\($0)@" } ?? "")127.0.0.1:\(server.port)/0"
    }

    static func trigger(_ server: RedisTestServer, options: SnapshotOptions = SnapshotOptions(pollInterval: .milliseconds(50))) throws -> SnapshotTrigger {
        SnapshotTrigger(configuration: try configuration(server), options: options, logger: Logger(label: "test"))
    }

    static func persistence(_ connection: RedisConnection) async throws -> PersistenceState {
        PersistenceState(info: try await connection.info("persistence"))
    }

    /// Makes every save of `server` take a while: `keys` keys, each delayed `microseconds` while saved.
    static func makeSavesSlow(_ connection: RedisConnection, keys: Int = 10_000, microseconds: Int = 50) async throws {
        try await connection.command(["DEBUG", "POPULATE", String(keys)])
        try await connection.command(["CONFIG", "SET", "rdb-key-save-delay", String(microseconds)])
    }

    /// Polls until `condition` holds for the server's persistence state (no timing assertion: the test
    /// fails by its own limit only if the server never gets there).
    static func waitUntil(_ connection: RedisConnection, _ condition: (PersistenceState) -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if condition(try await persistence(connection)) { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestServerError(message: "the server never reached the expected persistence state")
    }

    /// The server's child processes (a running BGSAVE's child), from /proc.
    static func children(of server: RedisTestServer) -> [Int32] {
        let text = (try? String(contentsOfFile: "/proc/\(server.pid)/task/\(server.pid)/children", encoding: .utf8)) ?? ""
        return text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Lines of the server's log that contain `text`.
    static func logLines(_ server: RedisTestServer, containing text: String) -> Int {
        let log = (try? String(contentsOfFile: server.logPath, encoding: .utf8)) ?? ""
        return log.split(separator: "\n").filter { $0.contains(text) }.count
    }

    /// Runs a program and returns its exit status and standard output; it is waited for on a thread of
    /// its own, off the cooperative pool (see `CLI.run`).
    static func run(_ program: String, _ arguments: [String], in directory: String? = nil) async throws -> (status: Int32, output: String) {
        try await BlockingIO.run(name: "test-tool") { try runBlocking(program, arguments, in: directory) }
    }

    private static func runBlocking(_ program: String, _ arguments: [String], in directory: String?) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
