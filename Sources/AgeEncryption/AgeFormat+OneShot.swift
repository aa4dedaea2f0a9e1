import OpsSupport

extension AgeFormat {
    /// Encrypts `plaintext` held in memory (small things: a key file, a manifest). Streams use
    /// `AgeEncryptingSink`.
    package static func encrypt(_ plaintext: [UInt8], to recipients: [AgeX25519Recipient]) throws -> [UInt8] {
        let sink = MemorySink()
        let age = try AgeEncryptingSink(wrapping: sink, recipients: recipients)
        try age.write(plaintext)
        try age.publish()
        return sink.bytes
    }

    /// Decrypts an age file held in memory. Streams use `AgeDecryptingSource`.
    package static func decrypt(_ file: [UInt8], with identities: [AgeX25519Identity]) throws -> [UInt8] {
        let source = try AgeDecryptingSource(wrapping: MemorySource(file), identities: identities)
        defer { source.close() }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return out }
            out += buffer[..<n]
        }
    }
}

private final class MemorySink: ByteSink {
    var bytes: [UInt8] = []
    func write(_ bytes: UnsafeRawBufferPointer) throws { self.bytes += bytes }
    func publish() throws {}
    func discard() { bytes = [] }
}

private final class MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - offset)
        if n > 0 {
            bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
        }
        offset += n
        return n
    }
    func close() {}
}
