import Crypto
import Foundation

/// An X25519 identity, `AGE-SECRET-KEY-1…` (Bech32, uppercase): the secret key a file is decrypted with.
///
/// `description` shows only the public recipient; the secret is available through `encodedSecretKey()`
/// alone, for writing a key file.
package struct AgeX25519Identity: Sendable, CustomStringConvertible {
    /// The 32-byte secret scalar (kept as bytes: swift-crypto's key type is not Sendable).
    private let secretKey: [UInt8]

    var privateKey: Curve25519.KeyAgreement.PrivateKey {
        // Any 32 bytes are a valid X25519 private key.
        try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: secretKey)
    }

    /// The matching recipient (public key).
    package let recipient: AgeX25519Recipient

    init(privateKey: Curve25519.KeyAgreement.PrivateKey) {
        self.secretKey = Array(privateKey.rawRepresentation)
        // A Curve25519 public key is always 32 bytes.
        self.recipient = try! AgeX25519Recipient(publicKey: Array(privateKey.publicKey.rawRepresentation))
    }

    /// A new random identity (as `age-keygen` makes one).
    package static func generate() -> AgeX25519Identity {
        AgeX25519Identity(privateKey: Curve25519.KeyAgreement.PrivateKey())
    }

    /// Parses `AGE-SECRET-KEY-1…`. Errors never quote the string.
    package init(parsing string: String) throws {
        if string.hasPrefix("AGE-PLUGIN-") {
            throw AgeError(.unsupportedRecipientType, "age plugin identities are not supported; use an X25519 identity (AGE-SECRET-KEY-1…, from age-keygen)")
        }
        if string.hasPrefix("AGE-SECRET-KEY-PQ-") {
            throw AgeError(.unsupportedRecipientType, "post-quantum hybrid identities (AGE-SECRET-KEY-PQ-1…) are not supported; use an X25519 identity (AGE-SECRET-KEY-1…)")
        }
        if string.hasPrefix("age1") {
            throw AgeError(.invalidIdentity, "this is a recipient (public key), not an identity; give the secret key file written by age-keygen")
        }
        let decoded: (hrp: String, data: [UInt8])
        do {
            decoded = try Bech32.decode(string)
        } catch {
            throw AgeError(.invalidIdentity, "not a valid age identity (expected AGE-SECRET-KEY-1… from age-keygen): \(error.description)")
        }
        guard decoded.hrp == "AGE-SECRET-KEY-" else {
            throw AgeError(.invalidIdentity, "not an age X25519 identity (expected the prefix AGE-SECRET-KEY-1, uppercase)")
        }
        guard decoded.data.count == 32,
              let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: decoded.data)
        else {
            throw AgeError(.invalidIdentity, "not a valid age X25519 identity: the key is \(decoded.data.count) bytes, not 32")
        }
        self.init(privateKey: key)
    }

    /// The `AGE-SECRET-KEY-1…` form. Secret: write it only to a 0600 key file.
    package func encodedSecretKey() -> String {
        Bech32.encode(hrp: "AGE-SECRET-KEY-", data: secretKey)
    }

    /// A key file as `age-keygen` writes it (creation comment, public key comment, secret key line).
    package func keyFileContents(created: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return "# created: \(formatter.string(from: created))\n# public key: \(recipient.encoded)\n\(encodedSecretKey())\n"
    }

    package var description: String { "age identity for \(recipient.encoded)" }
}
