import Crypto
import OpsSupport

/// Encrypts the bytes written to it as an age v1 file into another `ByteSink`, in bounded memory (one
/// 64 KiB plaintext chunk and its ciphertext).
///
/// The header and payload nonce are written to the inner sink by `init`. A full chunk is sealed only
/// once the next byte arrives, because the final chunk (sealed by `publish()`) may be a full one.
/// `publish()` writes the final chunk and publishes the inner sink; `discard()` discards it. If `init`
/// throws, the inner sink is left to the caller, who should discard it.
package final class AgeEncryptingSink: ByteSink {
    private let inner: any ByteSink
    private var stream: AgeStream
    private var chunk: [UInt8] = []
    private enum State { case open, published, discarded, failed(any Error) }
    private var state = State.open

    /// - Parameters:
    ///   - inner: where the age file goes.
    ///   - recipients: at least one; each can decrypt the file with its identity.
    package init(wrapping inner: any ByteSink, recipients: [AgeX25519Recipient]) throws {
        guard !recipients.isEmpty else {
            throw AgeError(.noRecipients, "encryption needs at least one age recipient (age1…)")
        }
        self.inner = inner
        let fileKey = SymmetricKey(size: .bits128)
        let stanzas = try recipients.map { try X25519Stanza.wrap(fileKey: fileKey, to: $0) }
        var generator = SystemRandomNumberGenerator()
        let nonce = (0..<AgeStream.nonceSize).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        stream = AgeStream(fileKey: fileKey, payloadNonce: nonce)
        chunk.reserveCapacity(AgeFormat.chunkSize)
        try inner.write(AgeHeader.encode(stanzas: stanzas, fileKey: fileKey) + nonce)
    }

    private func checkOpen() throws {
        switch state {
        case .open: return
        case .published: throw AgeError(.invalidState, "the age file was already published")
        case .discarded: throw AgeError(.invalidState, "the age file was discarded")
        case .failed(let error): throw error
        }
    }

    package func write(_ bytes: UnsafeRawBufferPointer) throws {
        try checkOpen()
        do {
            var offset = 0
            while offset < bytes.count {
                if chunk.count == AgeFormat.chunkSize {
                    // More data follows, so the held full chunk is not the final one.
                    try inner.write(stream.seal(chunk, last: false))
                    chunk.removeAll(keepingCapacity: true)
                }
                let n = min(AgeFormat.chunkSize - chunk.count, bytes.count - offset)
                chunk += UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
                offset += n
            }
        } catch {
            state = .failed(error)
            throw error
        }
    }

    package func publish() throws {
        try checkOpen()
        do {
            // The final chunk: empty only when the whole payload is empty.
            try inner.write(stream.seal(chunk, last: true))
            chunk.removeAll()
            try inner.publish()
            state = .published
        } catch {
            state = .failed(error)
            inner.discard()
            throw error
        }
    }

    package func discard() {
        if case .published = state { return }
        chunk.removeAll()
        state = .discarded
        inner.discard()
    }
}
