import Foundation
import Testing
import ArchiveIO

// Helpers for the ArchiveIO tests. Names carry an `Archive` prefix: the UnitTests target is shared.

/// Creates a fresh directory under the system temp directory, passes its path, and removes it after.
func withArchiveTestDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("archiveio-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: base) }
    return try body(base.path)
}

/// 64-bit FNV-1a over little-endian 64-bit words (bytes for the tail), fed in chunks of any size.
/// Word-wise so that hashing 50 MB stays fast in debug builds; chunk boundaries do not change the result.
struct ArchiveTestChecksum: Equatable, CustomStringConvertible {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    private(set) var count: Int64 = 0
    private var pending: [UInt8] = []

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        count += Int64(bytes.count)
        var index = 0
        while !pending.isEmpty && pending.count < 8 && index < bytes.count {
            pending.append(bytes[index])
            index += 1
        }
        if pending.count == 8 {
            mix(pending.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
            pending.removeAll(keepingCapacity: true)
        }
        while bytes.count - index >= 8 {
            mix(bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            index += 8
        }
        pending.append(contentsOf: bytes[index...])
    }

    mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The final value, tail bytes included.
    var digest: UInt64 {
        var copy = self
        for byte in copy.pending { copy.mix(UInt64(byte)) }
        return copy.value ^ UInt64(bitPattern: count)
    }

    private mutating func mix(_ word: UInt64) {
        value = (value ^ word) &* 0x0000_0100_0000_01b3
    }

    static func == (lhs: Self, rhs: Self) -> Bool { lhs.digest == rhs.digest && lhs.count == rhs.count }
    var description: String { "fnv1a64:\(String(digest, radix: 16))/\(count)B" }
}

/// A deterministic stream of chunks: alternately random (incompressible) and SQL-like text.
struct ArchiveTestDataSource {
    static let chunkSize = 64 * 1024
    private var state: UInt64
    private let text: [UInt8]

    init(seed: UInt64) {
        state = seed
        let line = Array("INSERT INTO public.files VALUES (42, 'päckchen/übersetzung.json', now());\n".utf8)
        text = (0..<(Self.chunkSize / line.count + 1)).flatMap { _ in line }
    }

    /// Fills `chunk` with the bytes of chunk number `index`.
    mutating func fill(_ chunk: inout [UInt8], index: Int) {
        if index % 2 == 1 {
            text.withUnsafeBytes { source in
                chunk.withUnsafeMutableBytes { raw in
                    var offset = 0
                    while offset < raw.count {
                        let count = min(source.count, raw.count - offset)
                        UnsafeMutableRawBufferPointer(rebasing: raw[offset..<(offset + count)])
                            .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[0..<count]))
                        offset += count
                    }
                }
            }
            return
        }
        chunk.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset + 8 <= raw.count {
                raw.storeBytes(of: next(), toByteOffset: offset, as: UInt64.self)
                offset += 8
            }
            while offset < raw.count {
                raw[offset] = UInt8(truncatingIfNeeded: next())
                offset += 1
            }
        }
    }

    /// `count` bytes of the stream's kind for chunk `index`, for small entries.
    mutating func bytes(_ count: Int, index: Int = 0) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        fill(&result, index: index)
        return result
    }

    private mutating func next() -> UInt64 {
        // SplitMix64.
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Runs a program, returning its exit status, stdout and stderr.
func runArchiveTestProcess(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: Data, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["LC_ALL"] = "C.UTF-8"
    process.environment = environment
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Drain stderr concurrently so neither pipe can fill up and block the child.
    let errorData = ArchiveTestBox<Data>()
    let drain = Thread { errorData.value = err.fileHandleForReading.readDataToEndOfFile() }
    drain.start()
    let output = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while errorData.value == nil { usleep(1000) }
    return (process.terminationStatus, output, String(decoding: errorData.value ?? Data(), as: UTF8.self))
}

final class ArchiveTestBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T?
    var value: T? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

/// The size of a file on disk.
func archiveTestFileSize(_ path: String) throws -> Int64 {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.size] as? NSNumber)?.int64Value ?? -1
}

extension ArchiveCompression: CustomTestStringConvertible {
    public var testDescription: String { description }
}
