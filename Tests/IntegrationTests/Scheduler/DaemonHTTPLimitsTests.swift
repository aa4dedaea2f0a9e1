import Foundation
#if canImport(Glibc)
import Glibc
#endif
import OpsSupport
import Testing

/// The daemon's HTTP side cannot be held open by idle or half-sent connections (issue 14).
@Suite("The run daemon's HTTP limits (binary)", .serialized)
struct DaemonHTTPLimitsTests {
    /// A TCP connection to 127.0.0.1:`port` that sends `bytes`, then waits (at most `limit` seconds)
    /// for the server to close it. Returns how long that took, or nil if it stayed open.
    /// It blocks, so callers run it through `BlockingIO`; outside the test's task it throws `TestServerError`
    /// (which the test records when rethrown) rather than using `#require`.
    static func secondsUntilClosed(port: Int, sending bytes: String, limit: Int = 15) throws -> Double? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestServerError(message: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: limit, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestServerError(message: "connect: \(String(cString: strerror(errno)))") }
        if !bytes.isEmpty { _ = bytes.withCString { send(fd, $0, strlen($0), 0) } }
        let start = ContinuousClock.now
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 || (n < 0 && errno == ECONNRESET) {
                let elapsed = ContinuousClock.now - start
                return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            }
            if n < 0 { return nil }  // EAGAIN: the receive timeout passed, the connection stayed open
        }
    }

    @Test func idleAndHalfSentConnectionsAreClosedAndTheDaemonKeepsServing() async throws {
        try await PostgresTestDatabase.with(migrated: true) { database, _ in
            let daemon = try DaemonProcess(database: database, schedule: "0 0 1 1 * stats-refresh\n",
                                           arguments: ["--http-idle-timeout", "1s"])
            let port = try await daemon.port()
            // The socket waits block: they run on a thread of their own, not on the cooperative pool.
            let idle = try await BlockingIO.run(name: "http-limits") { try Self.secondsUntilClosed(port: port, sending: "") }
            #expect(idle != nil && idle! < 10, "an idle connection stayed open (\(String(describing: idle)) s)")
            let halfSent = try await BlockingIO.run(name: "http-limits") {
                try Self.secondsUntilClosed(port: port, sending: "GET /metrics HTTP/1.1\r\nHost: x\r\n")
            }
            #expect(halfSent != nil && halfSent! < 10, "a connection that never finished its headers stayed open")
            let health = try await HTTP.get(port, "/healthz")
            #expect(health.status == 200)
            daemon.signal(SIGTERM)
            #expect(await daemon.wait() == 0, "\(daemon.log)")
        }
    }

    @Test func readyzIs503WithTheRedisServerDown() async throws {
        try await PostgresTestDatabase.with(migrated: true) { database, _ in
            let daemon = try DaemonProcess(database: database, schedule: "0 0 1 1 * stats-refresh\n",
                                           environment: ["REDIS_URL": "redis://127.0.0.1:1/0", "REDIS_MAX_RETRIES": "0"])
            let port = try await daemon.port()
            let ready = try await HTTP.get(port, "/readyz")
            #expect(ready.status == 503, "\(ready.body)")
            #expect(ready.contentType == "application/health+json")
            #expect(ready.body.contains("\"redis:connection\""), "\(ready.body)")
            #expect((try await HTTP.get(port, "/healthz")).status == 200, "liveness is not readiness")
            daemon.signal(SIGTERM)
            #expect(await daemon.wait() == 0, "\(daemon.log)")
        }
    }

    @Test func badHTTPLimitsAreUsageErrors() async throws {
        let timeout = try await CLI.run(["run", "--schedule", "/nonexistent", "--http-idle-timeout", "inf"])
        #expect(timeout.status == 2)
        #expect(timeout.stderr.contains("--http-idle-timeout inf:"), "\(timeout.stderr)")
        let connections = try await CLI.run(["run", "--schedule", "/nonexistent", "--http-max-connections", "0"])
        #expect(connections.status == 2)
        #expect(connections.stderr.contains("--http-max-connections 0 is not valid: must be at least 1"), "\(connections.stderr)")
    }
}
