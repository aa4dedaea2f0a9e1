import Foundation

/// A rough tokenizer for recognising the shape of one statement (`COPY … FROM stdin`,
/// `CREATE INDEX … ON t`, `ALTER TABLE ONLY t ADD CONSTRAINT … FOREIGN KEY … REFERENCES u`): keywords
/// and names outside strings and comments. It never decides where a statement ends; the splitter does.
enum SQLWords {
    enum Token: Equatable {
        /// An unquoted word, as written.
        case word(String)
        /// A `"quoted identifier"`, unescaped.
        case quoted(String)
        /// Any other character outside strings and comments: `.`, `(`, `,`, …
        case symbol(Character)
        /// A string literal (its content, for plain `'…'` strings) or a dollar-quoted body (nil).
        case literal(String?)

        /// Upper-cased keyword, or nil for anything but an unquoted word.
        var keyword: String? {
            if case .word(let word) = self { return word.uppercased() }
            return nil
        }

        /// The identifier as the server folds it: unquoted words lower-cased, quoted ones verbatim.
        var identifier: String? {
            switch self {
            case .word(let word): return word.lowercased()
            case .quoted(let name): return name
            default: return nil
            }
        }
    }

    /// Upper-cased unquoted words, for keyword checks.
    static func words<C: Collection>(_ statement: C, limit: Int = .max) -> [String] where C.Element == UInt8 {
        tokens(statement, limit: limit).compactMap(\.keyword)
    }

    /// The tokens of `statement`, stopping after about `limit` bytes.
    static func tokens<C: Collection>(_ statement: C, limit: Int = .max) -> [Token] where C.Element == UInt8 {
        let bytes = Array(statement.prefix(limit))
        var tokens: [Token] = []
        var index = 0
        let count = bytes.count
        func isWordByte(_ byte: UInt8) -> Bool { SQLScriptSplitter.isIdentifier(byte) }
        while index < count {
            let byte = bytes[index]
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D, 0x0C:
                index += 1
            case UInt8(ascii: "-") where index + 1 < count && bytes[index + 1] == UInt8(ascii: "-"):
                while index < count && bytes[index] != 0x0A { index += 1 }
            case UInt8(ascii: "/") where index + 1 < count && bytes[index + 1] == UInt8(ascii: "*"):
                var depth = 0
                repeat {
                    if index + 1 < count && bytes[index] == UInt8(ascii: "/") && bytes[index + 1] == UInt8(ascii: "*") { depth += 1; index += 2 }
                    else if index + 1 < count && bytes[index] == UInt8(ascii: "*") && bytes[index + 1] == UInt8(ascii: "/") { depth -= 1; index += 2 }
                    else { index += 1 }
                } while depth > 0 && index < count
            case UInt8(ascii: "'"):
                let escapes = index > 0 && (bytes[index - 1] | 0x20) == UInt8(ascii: "e")
                index += 1
                let start = index
                while index < count {
                    if escapes && bytes[index] == UInt8(ascii: "\\") { index += 2; continue }
                    if bytes[index] == UInt8(ascii: "'") {
                        if index + 1 < count && bytes[index + 1] == UInt8(ascii: "'") { index += 2; continue }
                        break
                    }
                    index += 1
                }
                let content = escapes ? nil : String(decoding: bytes[start..<min(index, count)], as: UTF8.self).replacingOccurrences(of: "''", with: "'")
                index += 1
                if escapes, case .word(let word)? = tokens.last, word.count == 1 { tokens.removeLast() }
                tokens.append(.literal(content))
            case UInt8(ascii: "\""):
                var name: [UInt8] = []
                index += 1
                while index < count {
                    if bytes[index] == UInt8(ascii: "\"") {
                        if index + 1 < count && bytes[index + 1] == UInt8(ascii: "\"") { name.append(bytes[index]); index += 2; continue }
                        break
                    }
                    name.append(bytes[index])
                    index += 1
                }
                index += 1
                tokens.append(.quoted(String(decoding: name, as: UTF8.self)))
            case UInt8(ascii: "$") where index + 1 < count && !(bytes[index + 1] >= UInt8(ascii: "0") && bytes[index + 1] <= UInt8(ascii: "9")):
                var end = index + 1
                while end < count, isWordByte(bytes[end]), bytes[end] != UInt8(ascii: "$") { end += 1 }
                guard end < count, bytes[end] == UInt8(ascii: "$") else { tokens.append(.symbol("$")); index += 1; continue }
                let tag = Array(bytes[index...end])
                var scan = end + 1
                while scan + tag.count <= count && !bytes[scan..<(scan + tag.count)].elementsEqual(tag) { scan += 1 }
                index = min(count, scan + tag.count)
                tokens.append(.literal(nil))
            default:
                if isWordByte(byte) {
                    var end = index
                    while end < count && isWordByte(bytes[end]) { end += 1 }
                    tokens.append(.word(String(decoding: bytes[index..<end], as: UTF8.self)))
                    index = end
                } else {
                    tokens.append(.symbol(Character(Unicode.Scalar(byte))))
                    index += 1
                }
            }
        }
        return tokens
    }

    /// Reads a possibly qualified name (`a`, `s.a`, `"S"."A"`) starting at `index`.
    /// - Returns: the name as `schema.name` (server-folded parts) and the index after it.
    static func qualifiedName(in tokens: [Token], at index: Int) -> (name: String, next: Int)? {
        guard index < tokens.count, let first = tokens[index].identifier else { return nil }
        var parts = [first]
        var next = index + 1
        while next + 1 < tokens.count, tokens[next] == .symbol("."), let part = tokens[next + 1].identifier {
            parts.append(part)
            next += 2
        }
        return (parts.joined(separator: "."), next)
    }
}
