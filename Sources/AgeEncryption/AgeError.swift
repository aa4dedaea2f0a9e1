/// An error from the age format code: parsing keys and key files, reading or writing an age file.
///
/// Modelled on postgres-nio's `PSQLError`: a struct with an extensible `Code`, so new codes never break
/// callers. `description` is one line a human can act on. It never contains key material: secret keys,
/// file keys and wrapped keys are never quoted, and a malformed key-file line is named by its number only.
package struct AgeError: Error, CustomStringConvertible, Sendable, Equatable {
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case invalidRecipient
            case invalidIdentity
            case unsupportedRecipientType
            case noRecipients
            case noIdentities
            case keyFileUnreadable
            case headerMalformed
            case unsupportedVersion
            case unsupportedFormat
            case noIdentityMatched
            case headerMACMismatch
            case payloadAuthenticationFailed
            case payloadTruncated
            case payloadTrailingData
            case payloadMalformed
            case invalidState
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A recipient string (or a line of a recipients file) is not a valid `age1…` X25519 recipient.
        package static let invalidRecipient = Code(.invalidRecipient)
        /// An identity string (or a line of an identity file) is not a valid `AGE-SECRET-KEY-1…` identity.
        package static let invalidIdentity = Code(.invalidIdentity)
        /// A recipient, identity or file of a kind we do not offer: SSH keys, plugins, post-quantum
        /// hybrid keys, passphrase (scrypt) files, passphrase-protected identity files.
        package static let unsupportedRecipientType = Code(.unsupportedRecipientType)
        /// Encryption was asked for with no recipient (or a recipients file holds none).
        package static let noRecipients = Code(.noRecipients)
        /// Decryption was asked for with no identity (or an identity file holds none).
        package static let noIdentities = Code(.noIdentities)
        /// A recipients or identity file cannot be read (missing, unreadable, too large, not UTF-8).
        package static let keyFileUnreadable = Code(.keyFileUnreadable)
        /// The header breaks the format's rules (truncated, bad stanza, bad base64, bad MAC line, ...).
        package static let headerMalformed = Code(.headerMalformed)
        /// The file starts with `age-encryption.org/` but names a version other than v1.
        package static let unsupportedVersion = Code(.unsupportedVersion)
        /// An age file in a form we do not read: ASCII armor (PEM).
        package static let unsupportedFormat = Code(.unsupportedFormat)
        /// None of the identities matches any recipient stanza of the file.
        package static let noIdentityMatched = Code(.noIdentityMatched)
        /// The header's HMAC does not verify: the header was altered or corrupted.
        package static let headerMACMismatch = Code(.headerMACMismatch)
        /// A payload chunk does not authenticate: the file was altered or corrupted.
        package static let payloadAuthenticationFailed = Code(.payloadAuthenticationFailed)
        /// The payload ends before its final chunk: the file is truncated.
        package static let payloadTruncated = Code(.payloadTruncated)
        /// Bytes follow the final chunk.
        package static let payloadTrailingData = Code(.payloadTrailingData)
        /// The payload breaks a STREAM rule other than the above (an empty final chunk after others).
        package static let payloadMalformed = Code(.payloadMalformed)
        /// A sink or source was used after it was published, discarded or closed.
        package static let invalidState = Code(.invalidState)

        package var description: String { base.rawValue }
    }

    package let code: Code
    /// One line, no key material.
    package let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }

    /// True for the codes the age test suite calls a "header failure".
    package var isHeaderFailure: Bool {
        code == .headerMalformed || code == .unsupportedVersion || code == .unsupportedFormat
    }

    /// True for the codes the age test suite calls a "payload failure".
    package var isPayloadFailure: Bool {
        code == .payloadAuthenticationFailed || code == .payloadTruncated || code == .payloadTrailingData
            || code == .payloadMalformed
    }
}
