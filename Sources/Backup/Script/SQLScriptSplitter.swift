import Foundation

/// One unit of a plain-format SQL script, as `psql` would send it.
enum ScriptEvent: Sendable {
    /// A complete statement, ending with `;`, and the line it starts on.
    case statement(String, line: Int)
    /// A `COPY … FROM stdin` statement: `copyData` chunks follow, then `copyEnd`.
    case copy(String, line: Int)
    /// Raw COPY data, exactly as in the script (any split; the terminator line is not included).
    case copyData([UInt8])
    case copyEnd
}

/// Splits a plain-format SQL script (pg_dump's, or our archive members concatenated) into statements
/// and COPY data, incrementally: bytes are fed in chunks of any size and split wherever they fall.
///
/// It understands what decides where a statement ends: single-quoted strings (with `''`, and `E''`
/// strings with backslash escapes), quoted identifiers, dollar-quoted bodies (`$$`, `$fn$`), `--`
/// and nested `/* */` comments, and `COPY … FROM stdin;` blocks ended by a `\.` line. psql
/// meta-commands cannot be run over libpq: they are errors naming their line, except `\restrict` and
/// `\unrestrict`, which pg_dump (15.14 and later) writes around every plain script to stop *psql*
/// from running meta-commands smuggled into the data; with no meta-commands run at all they are moot.
struct SQLScriptSplitter {
    private var buffer: [UInt8] = []
    /// Next byte to scan.
    private var position = 0
    /// Where the statement being assembled starts (nil between statements).
    private var statementStart: Int?
    private var statementLine = 1
    private var line = 1
    private var state = LexState.normal
    private var inCopy = false
    /// Right after `COPY … FROM stdin;`: the rest of that line is skipped.
    private var skippingCopyLine = false
    /// In COPY data: bytes before this offset are complete lines not yet emitted.
    private var copyEmitted = 0
    private var endOfInput = false
    /// psql's heuristic for SQL-standard bodies (`BEGIN ATOMIC … END`): the first letters of the
    /// statement's first words when they are CREATE, OR, REPLACE, FUNCTION or PROCEDURE, the number of
    /// words seen, the parenthesis depth, and BEGIN/CASE … END nesting inside such a statement. A `;`
    /// ends the statement only outside parentheses and outside such a block.
    private var words: [UInt8] = []
    private var wordCount = 0
    private var parenDepth = 0
    private var beginDepth = 0
    /// Names the source in errors.
    let source: String

    /// COPY data is emitted in pieces of about this size.
    static let copyChunk = 256 * 1024

    private enum LexState: Equatable {
        case normal
        case single(escapes: Bool)
        case double
        case dollar(tag: [UInt8])
        case lineComment
        case blockComment(depth: Int)
    }

    init(source: String) {
        self.source = source
    }

    /// Appends input.
    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Marks the end of the input: a last statement without `;` is still returned (as psql runs it).
    mutating func finishInput() {
        endOfInput = true
    }

    /// Drops consumed bytes so the buffer holds only the unfinished statement or line.
    private mutating func compact() {
        let keep = inCopy ? copyEmitted : (statementStart ?? position)
        guard keep > 0, keep >= 64 * 1024 || keep * 2 >= buffer.count else { return }
        buffer.removeFirst(keep)
        position -= keep
        if let start = statementStart { statementStart = start - keep }
        if inCopy { copyEmitted -= keep }
    }

    /// Every statement of a whole script held in memory (a schema member, pg_dump's or pg_dumpall's
    /// output), with its line; COPY data, not expected there, is passed over.
    static func statements(in body: [UInt8], source: String) throws -> [ScriptStatement] {
        var splitter = SQLScriptSplitter(source: source)
        body.withUnsafeBytes { splitter.feed($0) }
        splitter.finishInput()
        var statements: [ScriptStatement] = []
        while let event = try splitter.next() {
            if case .statement(let sql, let line) = event { statements.append(ScriptStatement(sql: sql, line: line, source: source)) }
        }
        return statements
    }

    /// The next event, or nil when more input is needed (or, after `finishInput`, at the end).
    mutating func next() throws -> ScriptEvent? {
        if inCopy { return nextCopyEvent() }
        return try nextStatement()
    }

    // MARK: - Statements

    private mutating func nextStatement() throws -> ScriptEvent? {
        let count = buffer.count
        while position < count {
            let byte = buffer[position]
            switch state {
            case .normal:
                if statementStart == nil {
                    // Between statements: whitespace, comments and meta-commands.
                    if byte == 0x0A { line += 1; position += 1; continue }
                    if byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0C { position += 1; continue }
                    if byte == UInt8(ascii: "\\") {
                        let commandLine = line
                        guard let end = lineEnd(from: position) else { return nil }
                        try metaCommand(buffer[position..<end], line: commandLine)
                        position = end
                        continue
                    }
                    if byte == UInt8(ascii: "-") || byte == UInt8(ascii: "/") {
                        guard position + 1 < count else { return endOfInput ? startStatementAndContinue() : nil }
                        let next = buffer[position + 1]
                        if byte == UInt8(ascii: "-") && next == UInt8(ascii: "-") { state = .lineComment; position += 2; continue }
                        if byte == UInt8(ascii: "/") && next == UInt8(ascii: "*") { state = .blockComment(depth: 1); position += 2; continue }
                    }
                    statementStart = position
                    statementLine = line
                }
                switch byte {
                case 0x0A:
                    line += 1
                case UInt8(ascii: ";"):
                    position += 1
                    if parenDepth == 0 && beginDepth == 0 { return try endStatement() }
                    continue
                case UInt8(ascii: "("):
                    parenDepth += 1
                case UInt8(ascii: ")"):
                    parenDepth = max(0, parenDepth - 1)
                case UInt8(ascii: "'"):
                    let escapes = position > 0 && (buffer[position - 1] | 0x20) == UInt8(ascii: "e")
                        && (position < 2 || !Self.isIdentifier(buffer[position - 2]) || position - 1 == statementStart)
                    state = .single(escapes: escapes)
                case UInt8(ascii: "\""):
                    state = .double
                case UInt8(ascii: "$"):
                    if position > 0, Self.isIdentifier(buffer[position - 1]), position - 1 >= (statementStart ?? 0) { break }
                    var end = position + 1
                    while end < count, Self.isIdentifier(buffer[end]), buffer[end] != UInt8(ascii: "$") { end += 1 }
                    if end >= count { if endOfInput { break } else { return nil } }
                    let first = position + 1 < count ? buffer[position + 1] : 0
                    if buffer[end] == UInt8(ascii: "$") && !(first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) {
                        state = .dollar(tag: Array(buffer[position...end]))
                        position = end
                    }
                case UInt8(ascii: "-"), UInt8(ascii: "/"):
                    guard position + 1 < count else { if endOfInput { break } else { return nil } }
                    let next = buffer[position + 1]
                    if byte == UInt8(ascii: "-") && next == UInt8(ascii: "-") { state = .lineComment; position += 1 }
                    else if byte == UInt8(ascii: "/") && next == UInt8(ascii: "*") { state = .blockComment(depth: 1); position += 1 }
                case UInt8(ascii: "\\"):
                    let commandLine = line
                    let end = lineEnd(from: position) ?? count
                    throw unsupported(buffer[position..<end], at: commandLine)
                default:
                    if Self.isIdentifier(byte), !(byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")),
                       position == statementStart || !Self.isIdentifier(buffer[position - 1]) {
                        var end = position + 1
                        while end < count, Self.isIdentifier(buffer[end]) { end += 1 }
                        if end >= count && !endOfInput { return nil }
                        track(word: buffer[position..<end])
                        position = end
                        continue
                    }
                }
                position += 1

            case .single(let escapes):
                if byte == 0x0A { line += 1 }
                if escapes && byte == UInt8(ascii: "\\") {
                    guard position + 1 < count else { if endOfInput { position += 1; continue } else { return nil } }
                    if buffer[position + 1] == 0x0A { line += 1 }
                    position += 2
                    continue
                }
                if byte == UInt8(ascii: "'") {
                    guard position + 1 < count else { if endOfInput { state = .normal; position += 1; continue } else { return nil } }
                    if buffer[position + 1] == UInt8(ascii: "'") { position += 2; continue }
                    state = .normal
                }
                position += 1

            case .double:
                if byte == 0x0A { line += 1 }
                if byte == UInt8(ascii: "\"") {
                    guard position + 1 < count else { if endOfInput { state = .normal; position += 1; continue } else { return nil } }
                    if buffer[position + 1] == UInt8(ascii: "\"") { position += 2; continue }
                    state = .normal
                }
                position += 1

            case .dollar(let tag):
                if byte == 0x0A { line += 1 }
                if byte == UInt8(ascii: "$") {
                    guard position + tag.count <= count else { if endOfInput { position += 1; continue } else { return nil } }
                    if buffer[position..<(position + tag.count)].elementsEqual(tag) {
                        state = .normal
                        position += tag.count
                        continue
                    }
                }
                position += 1

            case .lineComment:
                if byte == 0x0A {
                    state = .normal
                    line += 1
                }
                position += 1

            case .blockComment(let depth):
                if byte == 0x0A { line += 1 }
                if (byte == UInt8(ascii: "*") || byte == UInt8(ascii: "/")) {
                    guard position + 1 < count else { if endOfInput { position += 1; continue } else { return nil } }
                    let next = buffer[position + 1]
                    if byte == UInt8(ascii: "*") && next == UInt8(ascii: "/") {
                        state = depth == 1 ? .normal : .blockComment(depth: depth - 1)
                        position += 2
                        continue
                    }
                    if byte == UInt8(ascii: "/") && next == UInt8(ascii: "*") {
                        state = .blockComment(depth: depth + 1)
                        position += 2
                        continue
                    }
                }
                position += 1
            }
        }
        guard endOfInput else { return nil }
        // End of input: a last statement without `;` runs as psql runs it.
        if let start = statementStart {
            let text = String(decoding: buffer[start..<count], as: UTF8.self)
            statementStart = nil
            if case .single = state { throw syntax("the script ends inside a quoted string") }
            if case .dollar = state { throw syntax("the script ends inside a dollar-quoted body") }
            if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return nil }
            return .statement(text, line: statementLine)
        }
        return nil
    }

    /// At the end of input, a lone `-` or `/` starts a (one-byte) statement.
    private mutating func startStatementAndContinue() -> ScriptEvent? {
        statementStart = position
        statementLine = line
        position += 1
        let text = String(decoding: buffer[statementStart!..<position], as: UTF8.self)
        statementStart = nil
        return .statement(text, line: statementLine)
    }

    /// psql's `begin_depth` bookkeeping (psqlscan.l) for one word of the statement.
    private mutating func track(word: ArraySlice<UInt8>) {
        let lower = String(decoding: word, as: UTF8.self).lowercased()
        if ["create", "function", "procedure", "or", "replace"].contains(lower), words.count == wordCount, words.count < 4 {
            words.append(lower.utf8.first!)
        }
        wordCount += 1
        let w = words + [0, 0, 0, 0]
        let routine = w[0] == UInt8(ascii: "c") && (w[1] == UInt8(ascii: "f") || w[1] == UInt8(ascii: "p")
            || (w[1] == UInt8(ascii: "o") && w[2] == UInt8(ascii: "r") && (w[3] == UInt8(ascii: "f") || w[3] == UInt8(ascii: "p"))))
        guard routine, parenDepth == 0 else { return }
        switch lower {
        case "begin": beginDepth += 1
        case "case": if beginDepth >= 1 { beginDepth += 1 }
        case "end": if beginDepth > 0 { beginDepth -= 1 }
        default: break
        }
    }

    private mutating func endStatement() throws -> ScriptEvent {
        let start = statementStart!
        statementStart = nil
        words = []
        wordCount = 0
        parenDepth = 0
        beginDepth = 0
        let bytes = buffer[start..<position]
        let text = String(decoding: bytes, as: UTF8.self)
        guard Self.isCopyFromStdin(bytes) else { return .statement(text, line: statementLine) }
        // The data starts on the line after the statement (see `nextCopyEvent`).
        inCopy = true
        skippingCopyLine = true
        copyEmitted = position
        return .copy(text, line: statementLine)
    }

    /// The offset just past the `\n` ending the line at `offset`; nil when the line is incomplete.
    private mutating func lineEnd(from offset: Int) -> Int? {
        let found = buffer.withUnsafeBytes { raw -> Int? in
            guard offset < raw.count, let hit = memchr(raw.baseAddress! + offset, 0x0A, raw.count - offset) else { return nil }
            return raw.baseAddress!.distance(to: UnsafeRawPointer(hit)) + 1
        }
        if let found {
            line += 1
            return found
        }
        return endOfInput ? buffer.count : nil
    }

    private func metaCommand(_ bytes: ArraySlice<UInt8>, line: Int) throws {
        let text = String(decoding: bytes, as: UTF8.self)
        let word = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).first.map(String.init) ?? text
        if word == "\\restrict" || word == "\\unrestrict" { return }
        throw unsupported(bytes, at: line)
    }

    private func unsupported(_ bytes: ArraySlice<UInt8>, at line: Int) -> BackupError {
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let word = text.split(separator: " ").first.map(String.init) ?? text
        return BackupError(.unsupportedScript, "\(source) line \(line): psql meta-command \(word.prefix(40)) cannot be run by restore; run this script with psql instead")
    }

    private func syntax(_ message: String) -> BackupError {
        BackupError(.unsupportedScript, "\(source) line \(statementLine): \(message)")
    }

    // MARK: - COPY data

    private mutating func nextCopyEvent() -> ScriptEvent? {
        let count = buffer.count
        if skippingCopyLine {
            // The rest of the COPY statement's line is not data.
            guard let end = lineEnd(from: position) else {
                position = count
                copyEmitted = count
                return nil
            }
            position = end
            copyEmitted = end
            skippingCopyLine = false
        }
        // `position` is always at the start of a line here.
        while position < count {
            if buffer[position] == UInt8(ascii: "\\") {
                // Needs up to 4 bytes to tell `\.` + newline from data starting with `\.`.
                let available = count - position
                if available < 4 && !endOfInput {
                    if let event = flushCopy(upTo: position, force: true) { return event }
                    return nil
                }
                if available >= 2, buffer[position + 1] == UInt8(ascii: ".") {
                    var end = position + 2
                    if end < count && buffer[end] == 0x0D { end += 1 }
                    if end == count || buffer[end] == 0x0A {
                        if let event = flushCopy(upTo: position, force: true) { return event }
                        position = min(count, end + 1)
                        line += 1
                        inCopy = false
                        copyEmitted = 0
                        return .copyEnd
                    }
                }
            }
            let next = buffer.withUnsafeBytes { raw -> Int? in
                guard let hit = memchr(raw.baseAddress! + position, 0x0A, count - position) else { return nil }
                return raw.baseAddress!.distance(to: UnsafeRawPointer(hit)) + 1
            }
            guard let next else {
                if endOfInput { position = count; break }
                return flushCopy(upTo: position, force: true)
            }
            position = next
            line += 1
            if position - copyEmitted >= Self.copyChunk, let event = flushCopy(upTo: position, force: false) {
                return event
            }
        }
        if endOfInput {
            // psql ends COPY data at the end of its input, too.
            if let event = flushCopy(upTo: count, force: true) { return event }
            inCopy = false
            return .copyEnd
        }
        return flushCopy(upTo: position, force: true)
    }

    private mutating func flushCopy(upTo end: Int, force: Bool) -> ScriptEvent? {
        guard end > copyEmitted, force || end - copyEmitted >= Self.copyChunk else { return nil }
        let chunk = Array(buffer[copyEmitted..<end])
        copyEmitted = end
        return .copyData(chunk)
    }

    // MARK: - Helpers

    static func isIdentifier(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "$") || byte >= 0x80
    }

    /// Whether a statement is `COPY … FROM stdin` (words outside quotes and comments, any case).
    static func isCopyFromStdin<C: Collection>(_ statement: C) -> Bool where C.Element == UInt8 {
        let words = SQLWords.words(statement, limit: 4096)
        guard words.first == "COPY" else { return false }
        for index in words.indices.dropLast() where words[index] == "FROM" && words[index + 1] == "STDIN" {
            return true
        }
        return false
    }
}
