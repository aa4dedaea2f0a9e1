import Foundation

/// Recipients files as `age -R` reads them and identity files as `age -i` reads them: one key a line,
/// lines starting with `#` and empty lines ignored, a trailing CR dropped. Errors name the file and the
/// line number, never the line (it may be a secret).
package enum AgeKeyFiles {
    /// Both kinds of file are refused above this size (age uses the same limit).
    package static let maximumFileSize = 16 << 20

    /// Parses the text of a recipients file; `source` names it in errors.
    package static func parseRecipients(_ text: String, source: String) throws -> [AgeX25519Recipient] {
        var recipients: [AgeX25519Recipient] = []
        for (number, line) in lines(of: text) {
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            do {
                recipients.append(try AgeX25519Recipient(parsing: line))
            } catch let error as AgeError {
                throw AgeError(error.code, "recipients file \(source), line \(number): \(error.message)")
            }
        }
        guard !recipients.isEmpty else {
            throw AgeError(.noRecipients, "recipients file \(source) holds no recipient (expected lines of age1…)")
        }
        return recipients
    }

    /// Parses the text of an identity file; `source` names it in errors.
    package static func parseIdentities(_ text: String, source: String) throws -> [AgeX25519Identity] {
        if text.hasPrefix("age-encryption.org/") || text.hasPrefix("-----BEGIN AGE ENCRYPTED FILE-----") {
            throw AgeError(.unsupportedRecipientType, "identity file \(source) is itself encrypted (passphrase-protected), which is not supported; decrypt it with `age -d` into a 0600 file first")
        }
        if text.hasPrefix("-----BEGIN") {
            throw AgeError(.unsupportedRecipientType, "identity file \(source) holds a PEM key (SSH keys are not supported); use a key file from age-keygen")
        }
        var identities: [AgeX25519Identity] = []
        for (number, line) in lines(of: text) {
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            do {
                identities.append(try AgeX25519Identity(parsing: line))
            } catch let error as AgeError {
                throw AgeError(error.code, "identity file \(source), line \(number): \(error.message)")
            }
        }
        guard !identities.isEmpty else {
            throw AgeError(.noIdentities, "identity file \(source) holds no identity (expected a line AGE-SECRET-KEY-1…)")
        }
        return identities
    }

    package static func readRecipientsFile(atPath path: String) throws -> [AgeX25519Recipient] {
        try parseRecipients(readText(atPath: path, kind: "recipients file"), source: path)
    }

    package static func readIdentityFile(atPath path: String) throws -> [AgeX25519Identity] {
        try parseIdentities(readText(atPath: path, kind: "identity file"), source: path)
    }

    /// Lines numbered from 1, as Go's bufio.Scanner splits them (LF, an optional CR before it dropped).
    private static func lines(of text: String) -> [(Int, String)] {
        // Split on bytes: in a Swift String "\r\n" is one Character and would not split on "\n".
        var parts = Array(text.utf8).split(separator: 0x0a, omittingEmptySubsequences: false)
        if parts.last?.isEmpty == true { parts.removeLast() }
        return parts.enumerated().map { index, part in
            let line = part.last == 0x0d ? part.dropLast() : part
            return (index + 1, String(decoding: line, as: UTF8.self))
        }
    }

    private static func readText(atPath path: String, kind: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw AgeError(.keyFileUnreadable, exists ? "\(kind) \(path) cannot be read (check its permissions)" : "\(kind) \(path) does not exist")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maximumFileSize + 1) ?? Data()
        } catch {
            throw AgeError(.keyFileUnreadable, "\(kind) \(path) cannot be read: \(error.localizedDescription)")
        }
        guard data.count <= maximumFileSize else {
            throw AgeError(.keyFileUnreadable, "\(kind) \(path) is larger than 16 MiB; is it really a key file?")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw AgeError(.keyFileUnreadable, "\(kind) \(path) is not UTF-8 text; is it really a key file?")
        }
        return text
    }
}
