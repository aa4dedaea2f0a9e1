import Foundation
import RedisClient

#if canImport(Glibc)
    import Glibc
#endif

/// A private `redis-server` for tests that need their own configuration (a password, ACL users) or
/// need to shut the server down under a client. Call ``stop()`` when done; `deinit` stops it too.
final class RedisTestServer {
    let port: Int
    let password: String?
    private let process: Process
    /// The server's pid (its save children are its child processes).
    var pid: Int32 { process.processIdentifier }
    /// The server's `--dir` (where `SAVE`/`BGSAVE` write `dump.rdb`) and log file location.
    let directory: URL

    /// The server's log file (`--logfile`), e.g. to count "Background saving started" lines.
    var logPath: String { directory.appendingPathComponent("redis.log").path }

    var url: RedisURL { RedisURL(host: "127.0.0.1", port: port, password: password) }

    /// Starts `redis-server` on a free port with no persistence, in a fresh temporary directory,
    /// and waits until it accepts connections.
    ///
    /// - Parameters:
    ///   - password: Passed as `--requirepass` when set.
    ///   - arguments: Further `--option value` arguments.
    static func start(password: String? = nil, arguments: [String] = []) async throws -> RedisTestServer {
        var lastError: (any Error)?
        // The free port can be taken between probing and binding; try a few.
        for _ in 0..<3 {
            do {
                return try await RedisTestServer(port: freePort(), password: password, arguments: arguments)
            } catch {
                lastError = error
            }
        }
        throw lastError!
    }

    private init(port: Int, password: String?, arguments: [String]) async throws {
        self.port = port
        self.password = password
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("redis-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let log = directory.appendingPathComponent("redis.log").path

        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        process.arguments =
            [
                "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", directory.path, "--daemonize", "no", "--logfile", log,
            ] + (password.map { ["--requirepass", $0] } ?? []) + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()

        let deadline = ContinuousClock.now + .seconds(30)
        // Accepting connections is not enough: another test's server may have taken the port between
        // probing and binding (ours then exits with "Address already in use"), and two tests would
        // share one keyspace. Ours logs "Server initialized" once its own listening socket is bound.
        func ready() -> Bool {
            guard Self.acceptsConnections(port: port) else { return false }
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            return text.contains("Server initialized")
        }
        while !ready() {
            guard process.isRunning, ContinuousClock.now < deadline else {
                let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                stop()
                throw TestServerError(message: "redis-server on port \(port) did not start: \(output)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        guard process.isRunning else {
            stop()
            throw TestServerError(message: "redis-server on port \(port) exited after starting")
        }
    }

    deinit { stop() }

    /// Kills the server, waits for it, and removes its directory. Idempotent.
    ///
    /// SIGKILL rather than `terminate()`: the child inherits the spawning thread's signal mask,
    /// and Swift's worker threads block SIGTERM, so redis-server would never see it. Nothing is
    /// persisted, so there is nothing to shut down cleanly.
    func stop() {
        if process.isRunning {
            // A background save's child outlives a killed parent until its next write to it, and holds
            // the descriptor Foundation watches for the server's exit: kill it first.
            for child in childProcesses() { kill(child, SIGKILL) }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Processes whose parent is the server (the fork of a `BGSAVE` or an AOF rewrite), from `/proc`.
    private func childProcesses() -> [pid_t] {
        let pid = process.processIdentifier
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { name -> pid_t? in
            guard let child = pid_t(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let end = stat.lastIndex(of: ")") else { return nil }
            // After "pid (comm)": state, then the parent's pid.
            let fields = stat[stat.index(after: end)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == pid ? child : nil
        }
    }

    /// A port nothing listens on right now: bind port 0, read the port the kernel chose, close. Another
    /// process may take it before it is used; a port that must stay refused is a held ``ClosedPort``.
    static func freePort() throws -> Int { try ClosedPort().port }

    private static func acceptsConnections(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                connect(fd, sa, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

struct TestServerError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
