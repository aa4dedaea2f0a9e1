import Foundation
import Testing

/// Prometheus' `promtool`, the oracle for the exposition format.
enum PromtoolCLI {
    struct Result {
        let status: Int32
        let output: String
    }

    /// `promtool check metrics` with `text` on stdin; exit 0 and no output means lint-clean.
    static func checkMetrics(_ text: String) throws -> Result {
        let path = "/usr/bin/promtool"
        try #require(FileManager.default.isExecutableFile(atPath: path), "promtool is not installed at \(path)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["check", "metrics"]
        let stdin = Pipe(), output = Pipe()
        process.standardInput = stdin
        process.standardOutput = output
        process.standardError = output
        try process.run()
        stdin.fileHandleForWriting.write(Data(text.utf8))
        try stdin.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}
