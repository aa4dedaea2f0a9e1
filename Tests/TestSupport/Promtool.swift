import Foundation
import Testing

/// Runs Prometheus' own `promtool` (the oracle for exposition and rule files) and the repository paths
/// the tests read.
package enum Promtool {
    package struct Result {
        package let status: Int32
        package let output: String
    }

    package static let path = "/usr/bin/promtool"

    /// `promtool <arguments>` with `input` on stdin; fails the test when promtool is not installed.
    package static func run(_ arguments: [String], input: String? = nil) throws -> Result {
        try #require(FileManager.default.isExecutableFile(atPath: path), "promtool is not installed at \(path) (Debian package prometheus)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let stdin = Pipe(), output = Pipe()
        process.standardInput = stdin
        process.standardOutput = output
        process.standardError = output
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    /// `promtool check metrics` on an exposition: exit 0 and no lint output means clean.
    package static func checkMetrics(_ text: String) throws -> Result {
        try run(["check", "metrics"], input: text)
    }
}

/// Paths in the repository.
package enum RepositoryPath {
    /// Tests/TestSupport/Promtool.swift → the repository root.
    package static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    package static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    package static func text(_ relative: String) throws -> String {
        try String(contentsOf: url(relative), encoding: .utf8)
    }
}
