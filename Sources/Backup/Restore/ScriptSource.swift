import ArchiveIO
import Foundation
import OpsSupport

/// The reading side of a restore, on a thread of its own: decompresses the archive or plain script,
/// splits it into statements and COPY data, and hands them over in order through a bounded channel,
/// so reading and decompressing overlap with the server's work and memory stays bounded.
enum ScriptSource {
    /// Streams a plain SQL script: `.sql`, or compressed `.sql.gz` / `.sql.zst`.
    static func streamPlain(_ object: BackupObject, channel: HandoffChannel<RestoreEvent>, progress: ProgressMeter? = nil) throws {
        try feeding(channel, path: object.label) { try object.withCompressedReader { reader in
            let label = object.baseName
            try channel.send(.source(label))
            var splitter = SQLScriptSplitter(source: label)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
            defer { buffer.deallocate() }
            var first = true
            while true {
                let count = try reader.read(into: buffer)
                if count == 0 { break }
                progress?.add("bytes", Int64(count))
                if first {
                    try PlainScriptCheck.check(UnsafeRawBufferPointer(rebasing: buffer[0..<count]), label: label)
                    first = false
                }
                splitter.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                while let event = try splitter.next() { try channel.send(.script(event)) }
            }
            try drain(&splitter, channel: channel)
        } }
    }

    /// Streams a backup archive's `.sql` members in archive order.
    /// - Parameters:
    ///   - manifest: the archive's (already checked) manifest: says which members hold data.
    ///   - parallel: hand data members and post-data statements over whole, for `--jobs`.
    ///   - selection: only these tables' objects and rows (`--table`); nil for everything.
    ///   - progress: counts `members`, `rows` and `bytes` as each member is handed over.
    ///   - note: told what `selection` left out that `pg_dump -t` would have written, one line each.
    static func streamArchive(_ object: BackupObject, manifest: BackupManifest, parallel: Bool, selection: TableSelection?,
                              channel: HandoffChannel<RestoreEvent>, progress: ProgressMeter? = nil,
                              note: (String) -> Void = { _ in }) throws {
        var filter = selection?.filter()
        try feeding(channel, path: object.label) { try object.withArchiveReader { reader in
            let members = Dictionary(manifest.members.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            while let entry = try reader.nextEntry() {
                guard entry.name.hasSuffix(".sql"), let member = members[entry.name] else { continue }
                if let selection, member.kind == .data, !selection.contains(table: member.table) { continue }
                defer {
                    progress?.add("members", 1)
                    progress?.add("rows", member.rows ?? 0)
                    progress?.add("bytes", member.bytes)
                }
                try channel.send(.source(entry.name))
                if member.kind == .data && parallel, let block = try wholeBlock(reader, member: member) {
                    try channel.send(.data(block))
                    continue
                }
                if (selection != nil && member.kind != .data) || (parallel && member.kind == .postData) {
                    // Schema members are small: split whole, then filter or batch.
                    var splitter = SQLScriptSplitter(source: entry.name)
                    var statements: [ScriptStatement] = []
                    var body: [UInt8] = []
                    try reader.readEntry(chunkSize: 256 * 1024) { chunk in
                        if filter != nil { body.append(contentsOf: chunk) }
                        splitter.feed(chunk)
                        while let event = try splitter.next() { try collect(event, into: &statements, source: entry.name, channel: channel) }
                    }
                    splitter.finishInput()
                    while let event = try splitter.next() { try collect(event, into: &statements, source: entry.name, channel: channel) }
                    if filter != nil {
                        let before = filter!.notes.count
                        statements = filter!.filter(statements, body: body)
                        for line in filter!.notes[before...] { note(line) }
                    }
                    if parallel && member.kind == .postData {
                        try channel.send(.statements(statements))
                    } else {
                        for statement in statements { try channel.send(.script(.statement(statement.sql, line: statement.line))) }
                    }
                    continue
                }
                var splitter = SQLScriptSplitter(source: entry.name)
                try reader.readEntry(chunkSize: 256 * 1024) { chunk in
                    splitter.feed(chunk)
                    while let event = try splitter.next() { try channel.send(.script(event)) }
                }
                try drain(&splitter, channel: channel)
            }
        } }
    }

    /// The members `streamArchive` hands over for `selection`, for the progress line's totals.
    static func streamedMembers(_ manifest: BackupManifest, selection: TableSelection?) -> [BackupManifest.Member] {
        manifest.members.filter { member in
            member.name.hasSuffix(".sql") && (selection == nil || member.kind != .data || selection!.contains(table: member.table))
        }
    }

    /// Runs `body`, then ends the channel; on failure, fails the channel so the connections stop.
    private static func feeding(_ channel: HandoffChannel<RestoreEvent>, path: String, _ body: () throws -> Void) throws {
        do {
            try body()
            channel.finish()
        } catch {
            let reported = error is ArchiveError ? BackupError(.invalidArchive, "cannot read \(path): \(error)") : BackupError.from(error, "cannot read \(path)")
            channel.fail(reported)
            throw reported
        }
    }

    private static func drain(_ splitter: inout SQLScriptSplitter, channel: HandoffChannel<RestoreEvent>) throws {
        splitter.finishInput()
        while let event = try splitter.next() { try channel.send(.script(event)) }
    }

    /// Statements of a schema member; COPY blocks (not expected there) go through unchanged.
    private static func collect(_ event: ScriptEvent, into statements: inout [ScriptStatement], source: String,
                                channel: HandoffChannel<RestoreEvent>) throws {
        switch event {
        case .statement(let sql, let line): statements.append(ScriptStatement(sql: sql, line: line, source: source))
        default: throw BackupError(.unsupportedScript, "\(source): unexpected COPY data in a schema member")
        }
    }

    /// Reads a data member whole when it has our layout: one `COPY … FROM stdin;` line, the rows, and
    /// `\.`. Returns nil (after nothing was read) when it is too large to hold; the caller streams it.
    private static func wholeBlock(_ reader: ArchiveReader, member: BackupManifest.Member) throws -> DataBlock? {
        guard member.bytes <= 256 << 20 else { return nil }
        let body = try reader.readAll(limit: 256 << 20)
        guard let newline = body.firstIndex(of: 0x0A) else {
            throw BackupError(.invalidArchive, "\(member.name): a data member must start with a COPY line")
        }
        let header = String(decoding: body[0..<newline], as: UTF8.self)
        let trailer = TableChunker.trailer
        guard SQLScriptSplitter.isCopyFromStdin(body[0..<newline]), body.count >= newline + 1 + trailer.count,
              body[(body.count - trailer.count)...].elementsEqual(trailer) else {
            throw BackupError(.invalidArchive, "\(member.name): not a COPY … FROM stdin block ending with \\.")
        }
        return DataBlock(source: member.name, table: member.table, copySQL: header, body: body, rows: (newline + 1)..<(body.count - trailer.count))
    }
}
