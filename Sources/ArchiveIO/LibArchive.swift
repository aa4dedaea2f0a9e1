import CLibArchive
import OpsSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The small internal functions every libarchive call goes through: status checks and error text.

/// libarchive's `ARCHIVE_*` status codes, named.
enum ArchiveStatus {
    static let ok: Int32 = 0      // ARCHIVE_OK
    static let eof: Int32 = 1     // ARCHIVE_EOF
    static let retry: Int32 = -10 // ARCHIVE_RETRY
    static let warn: Int32 = -20  // ARCHIVE_WARN
    static let failed: Int32 = -25 // ARCHIVE_FAILED
    static let fatal: Int32 = -30 // ARCHIVE_FATAL
}

/// `AE_IFREG`: the macro carries a cast and is not imported into Swift.
let regularFileType: UInt32 = 0o100000

/// libarchive's explanation of the last failure on `archive`, falling back to `strerror`.
func archiveErrorMessage(_ archive: OpaquePointer) -> String {
    let number = archive_errno(archive)
    if let text = archive_error_string(archive) {
        let message = String(cString: text)
        // libarchive's "Write error" does not say why: add the system's reason when it is one users
        // act on, e.g. "Write error: No space left on device (ENOSPC)".
        let system = SystemError("write", path: "", errno: number)
        if number > 0, let symbol = system.symbolicName, !message.contains(system.reason) {
            return "\(message): \(system.reason) (\(symbol))"
        }
        return message
    }
    return number > 0 ? systemErrorMessage(number) : "unknown libarchive error"
}

func systemErrorMessage(_ number: Int32) -> String {
    String(cString: strerror(number))
}

/// Classifies a read-side libarchive failure: truncation and damage are told apart from I/O errors so
/// the user knows whether to retry or to fetch another copy.
func readErrorCode(_ archive: OpaquePointer, message: String) -> ArchiveError.Code {
    let lowered = message.lowercased()
    if lowered.contains("truncated") || lowered.contains("premature end") || lowered.contains("unexpected eof") {
        return .truncated
    }
    if lowered.contains("unrecognized archive format") {
        return .notAnArchive
    }
    if ["damaged", "corrupt", "checksum", "invalid"].contains(where: { lowered.contains($0) }) {
        return .corrupt
    }
    let number = archive_errno(archive)
    // ARCHIVE_ERRNO_FILE_FORMAT is EILSEQ on Linux; ARCHIVE_ERRNO_MISC (-1) is what the decompressors set.
    if number == EILSEQ || number == -1 || number == 0 {
        return .corrupt
    }
    return .readFailed
}

/// A UTF-8 `LC_CTYPE` locale, or nil where none is installed. Created once and never changed or
/// freed, so sharing it between threads is safe.
nonisolated(unsafe) private let utf8Locale: locale_t? = newlocale(LC_CTYPE_MASK, "C.UTF-8", nil)

/// Runs `body` with the calling thread's character set switched to UTF-8.
///
/// Swift programs run in the "C" locale, whose charset is ASCII. libarchive 3.6.2 converts entry names
/// through the current locale: with an ASCII locale a non-ASCII name is refused, or worse,
/// `archive_write_header` reads a NULL pathname (its MBS form cannot be derived from the UTF-8 form)
/// and crashes. `uselocale` changes only this thread, so other threads keep their locale.
func withUTF8Locale<T>(_ body: () throws -> T) rethrows -> T {
    guard let utf8Locale else { return try body() }
    let previous = uselocale(utf8Locale)
    defer { uselocale(previous) }
    return try body()
}

/// Whether names with non-ASCII characters can be written safely (see `withUTF8Locale`).
var utf8LocaleAvailable: Bool { utf8Locale != nil }
