import AgeEncryption
import Crypto
import Foundation
import OpsSupport

/// An in-memory sink that records what happened to it.
final class AgeTestSink: ByteSink {
    var bytes: [UInt8] = []
    var published = false
    var discarded = false
    func write(_ bytes: UnsafeRawBufferPointer) throws { self.bytes += bytes }
    func publish() throws { published = true }
    func discard() { discarded = true }
}

/// An in-memory source that returns at most `maxRead` bytes a call (1 exercises every boundary).
final class AgeTestSource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0
    private let maxRead: Int
    private(set) var closed = false
    init(_ bytes: [UInt8], maxRead: Int = .max) {
        self.bytes = bytes
        self.maxRead = maxRead
    }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - offset, maxRead)
        if n > 0 { bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) } }
        offset += n
        return n
    }
    func close() { closed = true }
}

/// A deterministic generator (SplitMix64) so a failing random test can be replayed.
struct AgeTestRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) } }
}

/// Reads everything `source` releases, until the end or an error; returns both.
func ageDrain(_ source: any ByteSource, readSize: Int = 65536) -> (plaintext: [UInt8], error: (any Error)?) {
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: readSize)
    while true {
        do {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return (out, nil) }
            out += buffer[..<n]
        } catch {
            return (out, error)
        }
    }
}

/// True when `message` holds something shaped like a real secret key (not the `AGE-SECRET-KEY-1…` hint).
func ageMessageLeaksKey(_ message: String) -> Bool {
    message.uppercased().contains(/AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]{8}/)
}
