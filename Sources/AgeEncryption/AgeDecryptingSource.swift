import Crypto
import OpsSupport

/// Decrypts an age v1 file read from another `ByteSource`, in bounded memory (one encrypted chunk and
/// its plaintext).
///
/// `init` reads and checks the header (format rules, an identity that opens a stanza, the header MAC)
/// and the payload nonce, so a wrong identity or a damaged header fails before any plaintext exists.
/// Plaintext is released one chunk at a time, and only once that chunk authenticates; the end of the
/// file is accepted only after an authenticated final chunk with nothing after it. After an error every
/// later `read` throws the same error.
package final class AgeDecryptingSource: ByteSource {
    private let reader: AgeBufferedReader
    private var stream: AgeStream
    private var ciphertext = [UInt8](repeating: 0, count: AgeStream.encryptedChunkSize)
    private var plaintext: [UInt8] = []
    private var plaintextOffset = 0
    private var finished = false
    private var pendingError: (any Error)?
    private var closed = false

    /// The recipient whose identity opened the file.
    package let matchedRecipient: AgeX25519Recipient

    /// - Parameters:
    ///   - inner: the age file, read from its start. `close()` closes it; if `init` throws, the caller
    ///     still owns it.
    ///   - identities: tried in order against every stanza.
    package init(wrapping inner: any ByteSource, identities: [AgeX25519Identity]) throws {
        guard !identities.isEmpty else {
            throw AgeError(.noIdentities, "decryption needs at least one age identity (an AGE-SECRET-KEY-1… key file)")
        }
        let reader = AgeBufferedReader(inner)
        self.reader = reader
        let header = try AgeHeader.parse(from: reader)

        let types = header.stanzas.map(\.type)
        if types.contains("scrypt") {
            guard types.count == 1 else {
                throw AgeError(.headerMalformed, "the age header mixes a passphrase (scrypt) stanza with others, which the format forbids")
            }
            throw AgeError(.unsupportedRecipientType, "this age file is encrypted with a passphrase (scrypt), which is not supported; decrypt it with `age -d`")
        }

        var found: (SymmetricKey, AgeX25519Recipient)?
        search: for identity in identities {
            for stanza in header.stanzas {
                if let key = try X25519Stanza.unwrap(stanza, with: identity) {
                    found = (key, identity.recipient)
                    break search
                }
            }
        }
        guard let (fileKey, recipient) = found else {
            if !types.contains(X25519Stanza.type) {
                let kinds = Set(types).sorted().prefix(5).joined(separator: ", ")
                throw AgeError(.noIdentityMatched, "the identity does not match any recipient of this file (it has no X25519 recipient, only: \(kinds.isEmpty ? "none" : kinds))")
            }
            throw AgeError(.noIdentityMatched, "the identity does not match any recipient of this file; use the key file of one of the recipients it was encrypted to")
        }
        let expected = AgeHeader.headerMAC(fileKey: fileKey, macInput: header.macInput)
        guard Self.constantTimeEqual(expected, header.mac) else {
            throw AgeError(.headerMACMismatch, "the age header's MAC does not verify: the header was altered or corrupted")
        }
        var nonce = [UInt8](repeating: 0, count: AgeStream.nonceSize)
        let n = try nonce.withUnsafeMutableBytes { try reader.readFully(into: $0) }
        guard n == AgeStream.nonceSize else {
            throw AgeError(.headerMalformed, "the age file ends before its payload nonce (the file is truncated)")
        }
        stream = AgeStream(fileKey: fileKey, payloadNonce: nonce)
        matchedRecipient = recipient
    }

    package func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !closed else { throw AgeError(.invalidState, "the age file was closed") }
        while plaintextOffset == plaintext.count {
            if let pendingError { throw pendingError }
            if finished || buffer.isEmpty { return 0 }
            do {
                try readChunk()
            } catch {
                pendingError = error
                throw error
            }
        }
        let n = min(buffer.count, plaintext.count - plaintextOffset)
        plaintext.withUnsafeBytes { bytes in
            buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + plaintextOffset, byteCount: n)
        }
        plaintextOffset += n
        return n
    }

    /// Reads, authenticates and holds the next chunk (the rules of the reference implementation).
    private func readChunk() throws {
        let n = try ciphertext.withUnsafeMutableBytes { try reader.readFully(into: $0) }
        if n == 0 {
            throw AgeError(.payloadTruncated, "the age file ends before its final chunk (the file is truncated)")
        }
        let chunk = ciphertext[..<n]
        var opened: [UInt8]?
        var last = false
        if n < AgeStream.encryptedChunkSize {
            // A short chunk can only be the final one, and may be empty only as the first chunk.
            if n == AgeStream.tagSize, !stream.isFirstChunk {
                throw AgeError(.payloadMalformed, "the age payload ends with an empty final chunk after other chunks, which the format forbids")
            }
            last = true
            opened = stream.open(chunk, last: true)
        } else {
            opened = stream.open(chunk, last: false)
            if opened == nil {
                last = true
                opened = stream.open(chunk, last: true)
            }
        }
        guard let opened else {
            if n < AgeStream.tagSize {
                throw AgeError(.payloadTruncated, "the age file ends inside a chunk (the file is truncated)")
            }
            throw AgeError(.payloadAuthenticationFailed, "an age payload chunk does not authenticate: the file was altered, corrupted or truncated")
        }
        plaintext = opened
        plaintextOffset = 0
        if last {
            finished = true
            var probe: UInt8 = 0
            let extra = try withUnsafeMutableBytes(of: &probe) { try reader.readFully(into: $0) }
            if extra > 0 {
                // Released after this (authenticated) chunk's plaintext, as the reference does.
                pendingError = AgeError(.payloadTrailingData, "the age file has data after its final chunk: the file was altered or corrupted")
            }
        }
    }

    package func close() {
        guard !closed else { return }
        closed = true
        plaintext.removeAll()
        reader.close()
    }

    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
