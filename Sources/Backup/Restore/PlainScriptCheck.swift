/// Refuses a "plain script" that is not text before any of it reaches the server (issue 14): a random
/// or binary `.sql.gz` would otherwise be split into garbage statements, and the server's syntax
/// error would quote raw file bytes back to the terminal.
///
/// pg_dump scripts start with comments and `SET` statements in UTF-8 text; only the beginning is
/// checked (COPY data later in a script may legitimately hold control characters).
enum PlainScriptCheck {
    /// How much of the decompressed start is checked.
    static let checkedPrefix = 4096

    /// - Parameters:
    ///   - start: the first decompressed bytes of the script.
    ///   - label: the file's name, for the message.
    /// - Throws: `BackupError` `.usage` (exit 2) naming the file and the offset of the first binary byte.
    static func check(_ start: UnsafeRawBufferPointer, label: String) throws {
        let bytes = start.prefix(checkedPrefix)
        if let offset = bytes.firstIndex(where: { $0 < 0x09 || (0x0E..<0x20).contains($0) || $0 == 0x7F }) {
            throw notText(label, "byte \(offset) is a control character (0x\(String(bytes[offset], radix: 16)))")
        }
        // Valid UTF-8, allowing a multi-byte character cut at the end of the checked prefix.
        var trimmed = Array(bytes)
        for _ in 0..<3 where String(validating: trimmed, as: UTF8.self) == nil && !trimmed.isEmpty {
            trimmed.removeLast()
        }
        if String(validating: trimmed, as: UTF8.self) == nil {
            throw notText(label, "its start is not UTF-8 text")
        }
    }

    private static func notText(_ label: String, _ why: String) -> BackupError {
        BackupError(.usage, "\(label) is not a SQL script (\(why)); restore takes a backup archive or a plain-text pg_dump script (.sql, .sql.gz, .sql.zst)")
    }
}
