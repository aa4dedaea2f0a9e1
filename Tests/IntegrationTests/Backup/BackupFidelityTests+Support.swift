import Backup
import Foundation
import OpsSupport
import PGClient
import Testing

/// pg_dump and psql, the dumper's oracles.
enum PostgresTools {
    struct Output: Sendable {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// `/usr/lib/postgresql/15/bin/<tool>` when present (the server's own major version), else `PATH`.
    static func path(_ tool: String) -> String {
        let versioned = "/usr/lib/postgresql/15/bin/\(tool)"
        return FileManager.default.isExecutableFile(atPath: versioned) ? versioned : tool
    }

    /// Runs the tool and waits for it on a thread of its own, off the cooperative pool (see `CLI.run`).
    static func run(_ tool: String, _ arguments: [String]) async throws -> Output {
        try await BlockingIO.run(name: "test-pgtool") { try runBlocking(tool, arguments) }
    }

    private static func runBlocking(_ tool: String, _ arguments: [String]) throws -> Output {
        // Output goes to files, so a large dump cannot block the child on a full pipe.
        let directory = FileManager.default.temporaryDirectory
        let outFile = directory.appendingPathComponent("dumper-out-\(UUID().uuidString)")
        let errFile = directory.appendingPathComponent("dumper-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outFile)
            try? FileManager.default.removeItem(at: errFile)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [path(tool)] + arguments
        process.standardOutput = try FileHandle(forWritingTo: outFile)
        process.standardError = try FileHandle(forWritingTo: errFile)
        try process.run()
        process.waitUntilExit()
        return Output(status: process.terminationStatus,
                      stdout: String(decoding: try Data(contentsOf: outFile), as: UTF8.self),
                      stderr: String(decoding: try Data(contentsOf: errFile), as: UTF8.self))
    }

    /// `pg_dump <flags> <url>`, without the lines that differ between any two runs: the `-- Dumped
    /// from/by` header and pg_dump 15.14+'s random `\restrict` key.
    static func dump(_ url: String, _ flags: [String]) async throws -> String {
        let output = try await run("pg_dump", flags + ["--dbname", url])
        try #require(output.status == 0, "pg_dump failed: \(output.stderr)")
        return output.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("-- Dumped from") && !$0.hasPrefix("-- Dumped by") && !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }
            .joined(separator: "\n")
    }

    /// Applies a script with `psql -v ON_ERROR_STOP=1 -X -q`, as a user restoring a backup would.
    static func apply(_ script: String, to url: String) async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dumper-\(UUID().uuidString).sql")
        try script.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let output = try await run("psql", ["-v", "ON_ERROR_STOP=1", "-X", "-q", "-d", url, "-f", file.path])
        try #require(output.status == 0, "psql failed: \(output.stderr)")
    }
}

/// A first difference between two texts, for readable failures.
func firstDifference(_ lhs: String, _ rhs: String) -> String {
    let left = lhs.split(separator: "\n", omittingEmptySubsequences: false)
    let right = rhs.split(separator: "\n", omittingEmptySubsequences: false)
    for index in 0..<max(left.count, right.count) {
        let l = index < left.count ? String(left[index]) : "<end>"
        let r = index < right.count ? String(right[index]) : "<end>"
        if l != r {
            let context = left[max(0, index - 3)..<min(left.count, index)].joined(separator: "\n")
            return "line \(index + 1):\n\(context)\n- source: \(l)\n- target: \(r)"
        }
    }
    return "identical"
}
