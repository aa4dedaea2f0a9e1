/// An error from reading or writing an archive: a stable code, the archive and entry it concerns, and
/// libarchive's own explanation.
///
/// Modelled on postgres-nio's `PSQLError`: `Code` is a struct over a private enum so new codes never
/// break callers, and `description` is one line a human can act on, e.g.
/// `cannot read archive /var/backups/db.tar.zst (entry "db.sql"): Truncated tar archive; the file is truncated, restore from another copy`.
package struct ArchiveError: Error, CustomStringConvertible, Sendable {
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case openFailed, writeFailed, readFailed, corrupt, truncated, notAnArchive
            case sizeMismatch, unsupportedCompression, entryTooLarge, invalidState
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The archive file could not be opened or created (missing, no permission, bad directory).
        package static let openFailed = Code(.openFailed)
        /// Writing or compressing failed (disk full, I/O error, compressor error).
        package static let writeFailed = Code(.writeFailed)
        /// Reading failed for a reason other than the archive's content (an I/O error).
        package static let readFailed = Code(.readFailed)
        /// The archive's content is damaged: bad header checksum, undecodable compressed data.
        package static let corrupt = Code(.corrupt)
        /// The archive ends before its last entry does.
        package static let truncated = Code(.truncated)
        /// The file is not a tar archive (in any compression this module reads).
        package static let notAnArchive = Code(.notAnArchive)
        /// An entry's body was longer or shorter than the size declared in its header.
        package static let sizeMismatch = Code(.sizeMismatch)
        /// libarchive rejected the compression filter or one of its options (e.g. a level out of range).
        package static let unsupportedCompression = Code(.unsupportedCompression)
        /// `readAll` was asked for an entry larger than its limit; stream it with `read(into:)` instead.
        package static let entryTooLarge = Code(.entryTooLarge)
        /// The API was used out of order, e.g. `write` with no open entry, or any call after a failure.
        package static let invalidState = Code(.invalidState)

        package var description: String { base.rawValue }
    }

    /// What went wrong, for programs.
    package var code: Code
    /// The archive's path, or `fd N` when the archive was opened from a file descriptor.
    package var archive: String
    /// The entry being read or written, if any.
    package var entry: String?
    /// The detail: libarchive's `archive_error_string`, `strerror`, or our own explanation.
    package var message: String

    package init(_ code: Code, archive: String, entry: String? = nil, message: String) {
        self.code = code
        self.archive = archive
        self.entry = entry
        self.message = message
    }

    package var description: String {
        var line = "\(action) \(archive)"
        if let entry { line += " (entry \"\(entry)\")" }
        line += ": " + Self.oneLine(message)
        if let hint { line += "; " + hint }
        return line
    }

    private var action: String {
        switch code {
        case .openFailed: return "cannot open archive"
        case .writeFailed, .sizeMismatch, .unsupportedCompression: return "cannot write archive"
        case .invalidState: return "archive misuse on"
        default: return "cannot read archive"
        }
    }

    private var hint: String? {
        switch code {
        case .truncated: return "the file is truncated (interrupted copy or full disk?), use another copy"
        case .corrupt: return "the file is damaged, use another copy"
        case .notAnArchive: return "expected a tar archive (plain, gzip or zstd)"
        default: return nil
        }
    }

    private static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}
