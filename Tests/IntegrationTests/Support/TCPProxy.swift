import Foundation
import OpsSupport
import PGClient
import TestSupport
import Testing

/// `Scripts/tcp-proxy.py` in front of the test PostgreSQL server: a real server made unreachable on
/// demand (`down()`: connections refused and every proxied connection closed; `up()`: back).
final class TCPProxy: @unchecked Sendable {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffer = Data()
    let port: Int

    /// Starts the proxy in front of the test PostgreSQL server. Waiting for python3 to say it is
    /// listening blocks, so it happens on a thread of its own, not on the cooperative pool. Failures
    /// there are thrown (`TestServerError`), not `#require`d: the test records the error it rethrows.
    static func start() async throws -> TCPProxy {
        try await BlockingIO.run(name: "tcp-proxy") { try TCPProxy() }
    }

    private init() throws {
        let server = try PostgresTestDatabase.serverConfiguration()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", RepositoryPath.url("Scripts/tcp-proxy.py").path, server.host, server.port]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        // A failed init runs no deinit: stop the proxy here, or it would live on holding the test
        // process's stderr (swift test's output pipe) after the test has failed.
        do {
            let first = try Self.readLine(output.fileHandleForReading, &buffer)
            let words = first.split(separator: " ")
            guard words.count == 2, words[0] == "listening", let port = Int(words[1]) else { throw TestServerError(message: "tcp-proxy said: \(first)") }
            self.port = port
        } catch {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw error
        }
    }

    /// A `DATABASE_URL` for `database` through the proxy.
    func url(forDatabase database: String) throws -> String {
        var components = try #require(URLComponents(string: try PostgresTestDatabase.serverConfiguration().url(forDatabase: database)))
        components.port = port
        return try #require(components.string)
    }

    /// Connections refused and every proxied connection closed (the answer is awaited off the pool).
    func down() async throws { try await BlockingIO.run(name: "tcp-proxy") { try self.command("down") } }
    /// Connections accepted and proxied again.
    func up() async throws { try await BlockingIO.run(name: "tcp-proxy") { try self.command("up") } }

    private func command(_ word: String) throws {
        input.fileHandleForWriting.write(Data("\(word)\n".utf8))
        let answer = try Self.readLine(output.fileHandleForReading, &buffer)
        guard answer == "ok" else { throw TestServerError(message: "tcp-proxy answered \(answer) to \(word)") }
    }

    private static func readLine(_ handle: FileHandle, _ buffer: inout Data) throws -> String {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                return line
            }
            let data = handle.availableData
            guard !data.isEmpty else { throw TestServerError(message: "tcp-proxy exited") }
            buffer.append(data)
        }
    }

    deinit {
        try? input.fileHandleForWriting.close()
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// Polls `condition` every 50 ms until it holds; records a failure naming `what` when `seconds` pass.
@discardableResult
func waitUntil(_ what: String, seconds: Double = 120, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("\(what): not reached within \(seconds) s")
    return false
}
