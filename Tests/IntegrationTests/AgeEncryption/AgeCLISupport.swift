import AgeEncryption
import Foundation
import OpsSupport
import Testing

/// The real `age` and `age-keygen` tools (Debian package `age`): the oracle for interoperability.
enum AgeCLI {
    struct Result: Sendable {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The tool's path; a missing tool fails the test (it never skips).
    static func path(_ name: String) throws -> String {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") + ["/usr/bin"]
        let found = directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        return try #require(found, "\(name) is not installed: install the Debian package age (Scripts/install-deps does)")
    }

    /// Runs the tool and waits for it on a thread of its own, off the cooperative pool (see `CLI.run`).
    @discardableResult
    static func run(_ tool: String, _ arguments: [String], stdoutTo stdoutPath: String? = nil) async throws -> Result {
        let executable = try path(tool)
        return try await BlockingIO.run(name: "test-age") { try runBlocking(executable, arguments, stdoutTo: stdoutPath) }
    }

    private static func runBlocking(_ executable: String, _ arguments: [String], stdoutTo stdoutPath: String?) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let out = Pipe(), err = Pipe()
        var file: FileHandle?
        if let stdoutPath {
            guard FileManager.default.createFile(atPath: stdoutPath, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw TestServerError(message: "cannot create \(stdoutPath)")
            }
            file = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
            process.standardOutput = file
            try out.fileHandleForWriting.close()
        } else {
            process.standardOutput = out
        }
        defer { try? file?.close() }
        process.standardError = err
        try process.run()
        // Outputs go to files (-o); the pipes carry a few lines at most, read before waiting anyway.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs and requires success.
    @discardableResult
    static func succeed(_ tool: String, _ arguments: [String], stdoutTo stdoutPath: String? = nil) async throws -> Result {
        let result = try await run(tool, arguments, stdoutTo: stdoutPath)
        try #require(result.status == 0, "\(tool) \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.stderr)")
        return result
    }
}

/// A scratch directory removed at the end of the test.
final class AgeScratchDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("age-it-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Minimal file-backed ends of the byte-stream seam, for these tests (the real ones live with the
/// repositories).
final class AgeFileSink: ByteSink {
    private let handle: FileHandle
    private let path: String
    init(path: String) throws {
        try #require(FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]))
        self.path = path
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    }
    func write(_ bytes: UnsafeRawBufferPointer) throws { try handle.write(contentsOf: Data(bytes)) }
    func publish() throws {
        try handle.synchronize()
        try handle.close()
    }
    func discard() {
        try? handle.close()
        try? FileManager.default.removeItem(atPath: path)
    }
}

final class AgeFileSource: ByteSource {
    private let handle: FileHandle
    init(path: String) throws { handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path)) }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let data = try handle.read(upToCount: buffer.count), !data.isEmpty else { return 0 }
        data.copyBytes(to: buffer.bindMemory(to: UInt8.self), count: data.count)
        return data.count
    }
    func close() { try? handle.close() }
}

enum AgeFiles {
    static func encrypt(_ plaintext: [UInt8], to recipients: [AgeX25519Recipient], path: String) throws {
        let sink = try AgeEncryptingSink(wrapping: AgeFileSink(path: path), recipients: recipients)
        // Written in uneven pieces, as an archive writer would.
        var offset = 0, piece = 1000
        while offset < plaintext.count {
            let n = min(piece, plaintext.count - offset)
            try plaintext[offset..<(offset + n)].withUnsafeBytes { try sink.write($0) }
            offset += n
            piece = piece * 3 % 150_001 + 1
        }
        try sink.publish()
    }

    static func decrypt(path: String, identities: [AgeX25519Identity]) throws -> [UInt8] {
        let source = try AgeDecryptingSource(wrapping: AgeFileSource(path: path), identities: identities)
        defer { source.close() }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 10_000)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return out }
            out += buffer[..<n]
        }
    }

    static func bytes(_ path: String) throws -> [UInt8] { try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) }

    static func write(_ bytes: [UInt8], _ path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func random(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }
}
