import Foundation
import AgeEncryption
import OpsSupport

/// Encryption at rest for repository objects, as the age CLI does it: recipients from
/// `--recipient age1…` (repeatable) and/or a recipients file (`BACKUP_RECIPIENTS`, as `age -R` reads
/// it) encrypt; identities from a key file (`--identity` / `BACKUP_IDENTITY`, as `age -i` reads it)
/// decrypt. Encrypted objects carry the `.age` suffix. Errors are one line and never quote a key.
package enum RepositoryEncryption {
    package static let suffix = "." + AgeFormat.fileExtension

    /// The recipients given, or nil when none is (the objects stay plain).
    /// - Parameters:
    ///   - arguments: `--recipient` values.
    ///   - file: a recipients file, if one is set.
    package static func recipients(arguments: [String], file: String?) throws -> [AgeX25519Recipient]? {
        do {
            var recipients = try arguments.enumerated().map { index, text in
                do { return try AgeX25519Recipient(parsing: text.trimmingCharacters(in: [" ", "\t"])) }
                catch let error as AgeError { throw AgeError(error.code, "--recipient #\(index + 1): \(error.message)") }
            }
            if let file, !file.isEmpty { recipients += try AgeKeyFiles.readRecipientsFile(atPath: file) }
            return recipients.isEmpty ? nil : recipients
        } catch {
            throw RepositoryError(.identity, "\(error)")
        }
    }

    /// The identities of a key file.
    package static func identities(file: String) throws -> [AgeX25519Identity] {
        do { return try AgeKeyFiles.readIdentityFile(atPath: file) }
        catch { throw RepositoryError(.identity, "\(error)") }
    }

    /// Wraps `sink` so what is written to it is stored as an age file for `recipients`.
    package static func encrypting(_ sink: any ByteSink, recipients: [AgeX25519Recipient]) throws -> any ByteSink {
        do { return try AgeEncryptingSink(wrapping: sink, recipients: recipients) }
        catch {
            sink.discard()
            throw RepositoryError.classify(error) ?? error
        }
    }

    /// Wraps `source` (an age file) so reads give its plaintext. Checks the header and the identity
    /// first: a wrong identity fails here, before any byte is released. On failure `source` is closed.
    /// - Parameter label: names the object in errors.
    package static func decrypting(_ source: any ByteSource, identities: [AgeX25519Identity]?, label: String) throws -> any ByteSource {
        guard let identities, !identities.isEmpty else {
            source.close()
            throw RepositoryError(.identity, "\(label) is encrypted (age): pass --identity FILE or set BACKUP_IDENTITY to a key file of one of its recipients")
        }
        do { return try AgeDecryptingSource(wrapping: source, identities: identities) }
        catch {
            source.close()
            guard let classified = RepositoryError.classify(error) else { throw error }
            throw RepositoryError(classified.code, "cannot decrypt \(label): \(classified.message)")
        }
    }

    /// Whether an object name is an age file's.
    package static func isEncrypted(_ name: String) -> Bool { name.hasSuffix(suffix) }
}
