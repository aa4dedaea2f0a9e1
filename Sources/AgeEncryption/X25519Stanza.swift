import Crypto

/// The X25519 recipient stanza: `-> X25519 <ephemeral share>` and the file key wrapped with
/// ChaCha20-Poly1305 under HKDF-SHA256(shared secret, share || recipient, "age-encryption.org/v1/X25519").
enum X25519Stanza {
    static let type = "X25519"
    private static let label = Array("age-encryption.org/v1/X25519".utf8)
    private static var zeroNonce: ChaChaPoly.Nonce { try! ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12)) }

    static func wrap(fileKey: SymmetricKey, to recipient: AgeX25519Recipient) throws -> AgeStanza {
        let ephemeral = Curve25519.KeyAgreement.PrivateKey()
        let share = Array(ephemeral.publicKey.rawRepresentation)
        let theirs = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: recipient.publicKey)
        let shared = try ephemeral.sharedSecretFromKeyAgreement(with: theirs)
        guard !isAllZero(shared) else {
            throw AgeError(.invalidRecipient, "the X25519 recipient \(recipient.encoded) is a low-order point; it cannot receive files")
        }
        let wrappingKey = shared.hkdfDerivedSymmetricKey(using: SHA256.self, salt: share + recipient.publicKey, sharedInfo: label, outputByteCount: 32)
        let sealed = try ChaChaPoly.seal(fileKey.withUnsafeBytes { Array($0) }, using: wrappingKey, nonce: zeroNonce)
        return AgeStanza(type: type, arguments: [StrictBase64.encodeString(share)], body: Array(sealed.ciphertext) + Array(sealed.tag))
    }

    /// The file key, nil when the stanza is not for `identity` (another type, or it does not open),
    /// or an error when the stanza is an X25519 stanza that breaks the format's rules.
    static func unwrap(_ stanza: AgeStanza, with identity: AgeX25519Identity) throws -> SymmetricKey? {
        guard stanza.type == type else { return nil }
        guard stanza.arguments.count == 1 else {
            throw AgeError(.headerMalformed, "an X25519 stanza of the age header has \(stanza.arguments.count) arguments, not 1")
        }
        guard let share = StrictBase64.decode(Array(stanza.arguments[0].utf8)), share.count == 32 else {
            throw AgeError(.headerMalformed, "an X25519 stanza of the age header has a malformed share (expected 32 bytes in canonical base64)")
        }
        guard stanza.body.count == 32 else {
            throw AgeError(.headerMalformed, "an X25519 stanza of the age header wraps a file key of \(stanza.body.count - 16) bytes, not 16")
        }
        let shared: SharedSecret
        do {
            shared = try identity.privateKey.sharedSecretFromKeyAgreement(with: Curve25519.KeyAgreement.PublicKey(rawRepresentation: share))
        } catch {
            throw AgeError(.headerMalformed, "an X25519 stanza of the age header has a low-order share (the file is corrupt or crafted)")
        }
        guard !isAllZero(shared) else {
            throw AgeError(.headerMalformed, "an X25519 stanza of the age header has a low-order share (the file is corrupt or crafted)")
        }
        let wrappingKey = shared.hkdfDerivedSymmetricKey(using: SHA256.self, salt: share + identity.recipient.publicKey, sharedInfo: label, outputByteCount: 32)
        guard let box = try? ChaChaPoly.SealedBox(nonce: zeroNonce, ciphertext: stanza.body.prefix(16), tag: stanza.body.suffix(16)),
              let fileKey = try? ChaChaPoly.open(box, using: wrappingKey)
        else { return nil }
        return SymmetricKey(data: fileKey)
    }

    private static func isAllZero(_ secret: SharedSecret) -> Bool {
        secret.withUnsafeBytes { bytes in bytes.allSatisfy { $0 == 0 } }
    }
}
