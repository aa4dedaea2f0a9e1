import Crypto

/// An X25519 recipient, `age1…` (Bech32, HRP `age`): the public key a file is encrypted to.
package struct AgeX25519Recipient: Sendable, Hashable, CustomStringConvertible {
    /// The 32-byte Curve25519 public key.
    package let publicKey: [UInt8]

    package init(publicKey: [UInt8]) throws {
        guard publicKey.count == 32 else {
            throw AgeError(.invalidRecipient, "an X25519 recipient is 32 bytes, not \(publicKey.count)")
        }
        self.publicKey = publicKey
    }

    /// Parses `age1…`. Other recipient kinds (`ssh-…`, `age1pq1…`, plugin recipients `age1NAME1…`) are
    /// rejected with `unsupportedRecipientType`; the string itself is never quoted in the error.
    package init(parsing string: String) throws {
        if string.hasPrefix("ssh-") || string.hasPrefix("ecdsa-") || string.hasPrefix("sk-") {
            throw AgeError(.unsupportedRecipientType, "SSH public keys are not supported as recipients; use an age X25519 recipient (age1…, from age-keygen)")
        }
        if string.hasPrefix("AGE-SECRET-KEY-") || string.hasPrefix("AGE-PLUGIN-") {
            throw AgeError(.invalidRecipient, "this is a secret key (identity), not a recipient; give the public key (age1…, from age-keygen -y) instead")
        }
        let decoded: (hrp: String, data: [UInt8])
        do {
            decoded = try Bech32.decode(string)
        } catch {
            throw AgeError(.invalidRecipient, "not a valid age recipient (expected age1… from age-keygen): \(error.description)")
        }
        guard decoded.hrp == "age" else {
            if decoded.hrp.hasPrefix("age1pq") || decoded.hrp == "age1pq" {
                throw AgeError(.unsupportedRecipientType, "post-quantum hybrid recipients (age1pq1…) are not supported; use an age X25519 recipient (age1…)")
            }
            if decoded.hrp.hasPrefix("age1") {
                throw AgeError(.unsupportedRecipientType, "age plugin recipients are not supported; use an age X25519 recipient (age1…)")
            }
            throw AgeError(.invalidRecipient, "not an age X25519 recipient (expected the prefix age1)")
        }
        guard decoded.data.count == 32 else {
            throw AgeError(.invalidRecipient, "not a valid age X25519 recipient: the key is \(decoded.data.count) bytes, not 32")
        }
        self.publicKey = decoded.data
    }

    /// The `age1…` form, as `age-keygen -y` prints it.
    package var encoded: String { Bech32.encode(hrp: "age", data: publicKey) }

    package var description: String { encoded }
}
