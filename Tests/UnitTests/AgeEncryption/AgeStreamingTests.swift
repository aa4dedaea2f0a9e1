import AgeEncryption
import Foundation
import OpsSupport
import Testing

@Suite("AgeStreaming")
struct AgeStreamingTests {
    /// Encrypts `plaintext` writing it in pieces of varying size.
    static func encrypt(_ plaintext: [UInt8], to recipients: [AgeX25519Recipient], seed: UInt64 = 1) throws -> AgeTestSink {
        let inner = AgeTestSink()
        let sink = try AgeEncryptingSink(wrapping: inner, recipients: recipients)
        var random = AgeTestRandom(seed: seed)
        var offset = 0
        while offset < plaintext.count {
            let n = min(plaintext.count - offset, Int.random(in: 1...100_000, using: &random))
            try plaintext[offset..<(offset + n)].withUnsafeBytes { try sink.write($0) }
            offset += n
        }
        try sink.publish()
        #expect(inner.published)
        #expect(!inner.discarded)
        return inner
    }

    static func chunks(_ size: Int) -> Int { max(1, (size + 65535) / 65536) }

    @Test(arguments: [0, 1, 65535, 65536, 65537, 131_072, 3 * 1024 * 1024 + 17])
    func roundTripsAtChunkBoundaries(size: Int) throws {
        var random = AgeTestRandom(seed: UInt64(size) + 7)
        let plaintext = random.bytes(size)
        let identity = AgeX25519Identity.generate()
        let file = try Self.encrypt(plaintext, to: [identity.recipient]).bytes
        #expect(AgeFormat.looksLikeAge(prefix: file))
        // The header of one X25519 recipient, the nonce, the chunks and one tag each.
        let headerSize = file.count - 16 - size - 16 * Self.chunks(size)
        #expect((150...250).contains(headerSize), "header of \(headerSize) bytes")
        for readSize in [1, 7, 65536, 200_000] where readSize > 1 || size <= 65537 {
            let source = try AgeDecryptingSource(wrapping: AgeTestSource(file, maxRead: 9999), identities: [identity])
            let (released, error) = ageDrain(source, readSize: readSize)
            #expect(error == nil)
            #expect(released == plaintext)
            #expect(source.matchedRecipient == identity.recipient)
        }
    }

    @Test func everyRecipientCanDecryptAndOthersCannot() throws {
        let identities = (0..<4).map { _ in AgeX25519Identity.generate() }
        let plaintext = Array("several recipients\n".utf8)
        let file = try AgeFormat.encrypt(plaintext, to: identities.prefix(3).map(\.recipient))
        for identity in identities.prefix(3) {
            #expect(try AgeFormat.decrypt(file, with: [identity]) == plaintext)
        }
        // An identity list is tried in order; one match is enough.
        #expect(try AgeFormat.decrypt(file, with: [identities[3], identities[1]]) == plaintext)
        #expect(throws: AgeError.self) { try AgeFormat.decrypt(file, with: [identities[3]]) }
        do {
            _ = try AgeFormat.decrypt(file, with: [identities[3]])
        } catch let error as AgeError {
            #expect(error.code == .noIdentityMatched)
            #expect(error.message.contains("the identity does not match any recipient of this file"))
        }
    }

    @Test func eachEncryptionUsesAFreshFileKeyAndNonce() throws {
        let identity = AgeX25519Identity.generate()
        let a = try AgeFormat.encrypt([1, 2, 3], to: [identity.recipient])
        let b = try AgeFormat.encrypt([1, 2, 3], to: [identity.recipient])
        #expect(a != b)
        #expect(a.suffix(19) != b.suffix(19))
    }

    @Test func theSinkPublishesOnceAndDiscardsItsInnerSink() throws {
        let identity = AgeX25519Identity.generate()
        let inner = AgeTestSink()
        let sink = try AgeEncryptingSink(wrapping: inner, recipients: [identity.recipient])
        try sink.write([1, 2, 3])
        try sink.publish()
        #expect(throws: AgeError.self) { try sink.write([4]) }
        #expect(throws: AgeError.self) { try sink.publish() }
        sink.discard()  // after publish: a no-op, the object stays
        #expect(!inner.discarded)

        let inner2 = AgeTestSink()
        let sink2 = try AgeEncryptingSink(wrapping: inner2, recipients: [identity.recipient])
        try sink2.write([1, 2, 3])
        sink2.discard()
        sink2.discard()
        #expect(inner2.discarded)
        #expect(!inner2.published)
        #expect(throws: AgeError.self) { try sink2.write([4]) }

        #expect(throws: AgeError(.noRecipients, "encryption needs at least one age recipient (age1…)")) {
            _ = try AgeEncryptingSink(wrapping: AgeTestSink(), recipients: [])
        }
    }

    @Test func theSinkHoldsAtMostOneChunkOfPlaintext() throws {
        let identity = AgeX25519Identity.generate()
        let inner = AgeTestSink()
        let sink = try AgeEncryptingSink(wrapping: inner, recipients: [identity.recipient])
        let headerAndNonce = inner.bytes.count
        try sink.write([UInt8](repeating: 9, count: 65536))
        #expect(inner.bytes.count == headerAndNonce, "a full chunk is held until the next byte decides it is not the last")
        try sink.write([9])
        #expect(inner.bytes.count == headerAndNonce + 65536 + 16)
        try sink.write([UInt8](repeating: 9, count: 300_000))
        #expect(inner.bytes.count == headerAndNonce + 5 * (65536 + 16))
        try sink.publish()
        #expect(try AgeFormat.decrypt(inner.bytes, with: [identity]) == [UInt8](repeating: 9, count: 65536 + 1 + 300_000))
    }

    @Test func aDamagedChunkStopsTheStreamAfterTheChunksBeforeIt() throws {
        let identity = AgeX25519Identity.generate()
        var random = AgeTestRandom(seed: 99)
        let plaintext = random.bytes(3 * 65536 + 100)
        var file = try AgeFormat.encrypt(plaintext, to: [identity.recipient])
        let payloadStart = file.count - (plaintext.count + 4 * 16) 
        file[payloadStart + (65536 + 16) + 5] ^= 0x01  // inside the second chunk
        let source = try AgeDecryptingSource(wrapping: AgeTestSource(file), identities: [identity])
        let (released, error) = ageDrain(source)
        #expect(released == Array(plaintext[..<65536]))
        #expect((error as? AgeError)?.code == .payloadAuthenticationFailed)
        // The error sticks.
        var byte: UInt8 = 0
        #expect(throws: AgeError.self) { _ = try withUnsafeMutableBytes(of: &byte) { try source.read(into: $0) } }
    }

    @Test func truncationAtAChunkBoundaryIsReportedAsTruncation() throws {
        let identity = AgeX25519Identity.generate()
        let plaintext = [UInt8](repeating: 1, count: 2 * 65536 + 5)
        let file = try AgeFormat.encrypt(plaintext, to: [identity.recipient])
        let cut = Array(file.dropLast(5 + 16))  // drop the final chunk
        let source = try AgeDecryptingSource(wrapping: AgeTestSource(cut), identities: [identity])
        let (released, error) = ageDrain(source)
        #expect(released.count == 2 * 65536)
        #expect((error as? AgeError)?.code == .payloadTruncated)

        let appended = file + [0]
        let (all, trailing) = ageDrain(try AgeDecryptingSource(wrapping: AgeTestSource(appended), identities: [identity]))
        #expect(all.count <= plaintext.count)
        #expect((trailing as? AgeError)?.code == .payloadTrailingData || (trailing as? AgeError)?.code == .payloadAuthenticationFailed)
    }

    @Test func headerErrorsComeFromInitBeforeAnyPlaintext() throws {
        let identity = AgeX25519Identity.generate()
        let file = try AgeFormat.encrypt(Array("x".utf8), to: [identity.recipient])
        func initCode(_ bytes: [UInt8], _ identities: [AgeX25519Identity]) -> AgeError.Code? {
            do {
                _ = try AgeDecryptingSource(wrapping: AgeTestSource(bytes), identities: identities)
                return nil
            } catch {
                return (error as? AgeError)?.code
            }
        }
        #expect(initCode(file, []) == .noIdentities)
        #expect(initCode([], [identity]) == .headerMalformed)
        #expect(initCode(Array("hello world, not age\n".utf8), [identity]) == .headerMalformed)
        #expect(initCode(Array("age-encryption.org/v2\n".utf8) + file.dropFirst(22), [identity]) == .unsupportedVersion)
        #expect(initCode(Array("-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n".utf8), [identity]) == .unsupportedFormat)
        #expect(initCode(Array(file.prefix(40)), [identity]) == .headerMalformed)
        #expect(initCode(Array(file.dropLast(file.count - (file.count - 17 - 16))), [identity]) == .headerMalformed)  // no nonce
        #expect(initCode(Array("age-encryption.org/v1\n".utf8) + [UInt8](repeating: 0x41, count: 2 << 20), [identity]) == .headerMalformed)
        var flipped = file
        let macLine = flipped.count - 17 - 16 - 10
        flipped[macLine] = flipped[macLine] == 0x41 ? 0x42 : 0x41
        #expect(initCode(flipped, [identity]) == .headerMACMismatch || initCode(flipped, [identity]) == .headerMalformed)
    }

    @Test func looksLikeAgeNeedsTheWholeVersionLine() {
        #expect(AgeFormat.looksLikeAge(prefix: Array("age-encryption.org/v1\n-> X25519".utf8)))
        #expect(!AgeFormat.looksLikeAge(prefix: Array("age-encryption.org/v1".utf8)))
        #expect(!AgeFormat.looksLikeAge(prefix: Array("age-encryption.org/v2\n".utf8)))
        #expect(!AgeFormat.looksLikeAge(prefix: [0x28, 0xb5, 0x2f, 0xfd]))  // zstd
        #expect(!AgeFormat.looksLikeAge(prefix: [UInt8]()))
    }
}
