import Foundation
import Crypto

/// The payload's STREAM construction: ChaCha20-Poly1305 over 64 KiB chunks, the nonce an 11-byte
/// big-endian chunk counter and a final-chunk flag byte, the key HKDF-SHA256(file key, salt: the
/// 16-byte payload nonce, info: "payload").
struct AgeStream {
    static let nonceSize = 16
    static let tagSize = 16
    static let encryptedChunkSize = AgeFormat.chunkSize + tagSize

    private let key: SymmetricKey
    private var counter: UInt64 = 0  // 2^64 chunks of 64 KiB is beyond any file; the top 3 bytes stay 0

    init(fileKey: SymmetricKey, payloadNonce: [UInt8]) {
        key = HKDF<SHA256>.deriveKey(inputKeyMaterial: fileKey, salt: payloadNonce, info: Array("payload".utf8), outputByteCount: 32)
    }

    var isFirstChunk: Bool { counter == 0 }

    private func nonce(last: Bool) -> ChaChaPoly.Nonce {
        var bytes = [UInt8](repeating: 0, count: 12)
        for i in 0..<8 { bytes[3 + i] = UInt8(truncatingIfNeeded: counter >> UInt64(8 * (7 - i))) }
        bytes[11] = last ? 1 : 0
        return try! ChaChaPoly.Nonce(data: bytes)
    }

    /// Seals the next chunk: ciphertext followed by the tag.
    mutating func seal<Bytes: DataProtocol>(_ plaintext: Bytes, last: Bool) throws -> [UInt8] {
        let box = try ChaChaPoly.seal(plaintext, using: key, nonce: nonce(last: last))
        counter += 1
        return Array(box.ciphertext) + Array(box.tag)
    }

    /// Opens the next chunk with the given final flag; nil when it does not authenticate (the counter
    /// does not move then).
    mutating func open(_ chunk: ArraySlice<UInt8>, last: Bool) -> [UInt8]? {
        guard chunk.count >= Self.tagSize,
              let box = try? ChaChaPoly.SealedBox(nonce: nonce(last: last), ciphertext: chunk.dropLast(Self.tagSize), tag: chunk.suffix(Self.tagSize)),
              let plaintext = try? ChaChaPoly.open(box, using: key)
        else { return nil }
        counter += 1
        return Array(plaintext)
    }
}
