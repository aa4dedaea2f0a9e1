import Crypto
import Foundation

/// SHA-256 as the lowercase hex the manifests, archives and migrations store: the one hashing helper.
package enum SHA256Hex {
    /// Hex of a finished digest.
    package static func string(_ digest: SHA256.Digest) -> String {
        var text = ""
        text.reserveCapacity(64)
        for byte in digest {
            text.append(Self.digits[Int(byte >> 4)])
            text.append(Self.digits[Int(byte & 0x0f)])
        }
        return text
    }

    /// Hex SHA-256 of `bytes`.
    package static func of<D: DataProtocol>(_ bytes: D) -> String {
        string(SHA256.hash(data: bytes))
    }

    /// Hex SHA-256 of a file's contents, streamed. Blocking: call it inside `BlockingIO.run`.
    package static func ofFile(_ path: String) throws -> String {
        let reader = try FileReader(path: path)
        defer { reader.close() }
        var hasher = SHA256()
        try reader.forEachChunk { hasher.update(bufferPointer: $0) }
        return string(hasher.finalize())
    }

    private static let digits: [Character] = Array("0123456789abcdef")
}

extension SHA256 {
    /// Hex of the digest so far, ending this hasher (it is a value: the caller's copy is untouched).
    package func finalizeHex() -> String { SHA256Hex.string(finalize()) }
}
