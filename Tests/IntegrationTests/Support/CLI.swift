import Foundation
import OpsSupport
import Testing

/// Runs the built `auto-i18n-ops` executable, as an operator would.
enum CLI {
    struct Result: Sendable {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The executable next to the test bundle (`swift build --build-tests` builds both).
    static func executable() throws -> URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // Swift Testing on Linux may run from the .xctest path itself.
        if directory.lastPathComponent.hasSuffix(".xctest") { directory = directory.deletingLastPathComponent() }
        let url = directory.appendingPathComponent("auto-i18n-ops")
        try #require(FileManager.default.isExecutableFile(atPath: url.path), "auto-i18n-ops not built at \(url.path); run swift build first")
        return url
    }

    /// Runs the binary on a thread of its own and waits for it there: a test waiting for the binary
    /// does not hold one of the cooperative pool's threads. The whole suite runs in parallel on that
    /// pool, as wide as the machine has cores (2 in CI): two tests blocked in a wait there stall every
    /// other test's awaits for as long (a redis PING measured at 20 s in a full CI run).
    static func run(_ arguments: [String], environment: [String: String] = [:], removing: [String] = []) async throws -> Result {
        try await BlockingIO.run(name: "cli") { try runBlocking(arguments, environment: environment, removing: removing) }
    }

    /// `run` on the calling thread: for code that is not async (never a test's async body).
    static func runBlocking(_ arguments: [String], environment: [String: String] = [:], removing: [String] = []) throws -> Result {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for key in removing { env.removeValue(forKey: key) }
        env.merge(environment) { _, new in new }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes fully before waiting, so a large output cannot block the child.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }
}
