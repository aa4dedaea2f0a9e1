import OpsCore
import OpsSupport

/// Why a JSON text was refused, with the byte offset of the first bad byte.
package struct JSONSyntaxError: Error, Sendable, Equatable {
    package var offset: Int
    package var message: String
}

/// A strict JSON (RFC 8259) scanner over bytes, hand-written because no kept library validates a line,
/// reports where it is wrong and hands back the raw spans of chosen members without building the whole
/// value (Foundation's decoders do neither). It also refuses what PostgreSQL's `jsonb` cannot store:
/// `\u0000` and unpaired surrogate escapes. Depth is bounded (no stack overflow on hostile input).
package struct JSONScanner {
    package static let maxDepth = 256

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index: Int
    private var depth = 0

    package init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        self.index = 0
    }

    /// Parses a whole document into a `JSONValue` (for metadata and manifests: small files).
    package static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> JSONValue {
        var scanner = JSONScanner(bytes)
        scanner.skipWhitespace()
        let value = try scanner.value(build: true)!
        scanner.skipWhitespace()
        guard scanner.index == bytes.count else { throw scanner.fail("unexpected text after the JSON value") }
        return value
    }

    package static func parse(_ array: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        do {
            return try array.withUnsafeBufferPointer { buffer in try parse(buffer) }
        } catch let error as JSONSyntaxError {
            throw error
        } catch {
            throw JSONSyntaxError(offset: 0, message: "\(error)")
        }
    }

    /// Validates a document that must be an object and returns the byte ranges of its members' values,
    /// by member name (the last one wins, as in `jsonb`).
    package static func objectMembers(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> [String: Range<Int>] {
        var scanner = JSONScanner(bytes)
        scanner.skipWhitespace()
        guard scanner.peek == UInt8(ascii: "{") else { throw scanner.fail("expected a JSON object") }
        var members: [String: Range<Int>] = [:]
        scanner.index += 1
        scanner.depth = 1
        scanner.skipWhitespace()
        if scanner.peek == UInt8(ascii: "}") {
            scanner.index += 1
        } else {
            while true {
                scanner.skipWhitespace()
                guard scanner.peek == UInt8(ascii: "\"") else { throw scanner.fail("expected a member name") }
                let key = try scanner.string(build: true)!
                scanner.skipWhitespace()
                guard scanner.peek == UInt8(ascii: ":") else { throw scanner.fail("expected ':' after a member name") }
                scanner.index += 1
                scanner.skipWhitespace()
                let start = scanner.index
                _ = try scanner.value(build: false)
                members[key] = start..<scanner.index
                scanner.skipWhitespace()
                if scanner.peek == UInt8(ascii: ",") { scanner.index += 1; continue }
                if scanner.peek == UInt8(ascii: "}") { scanner.index += 1; break }
                throw scanner.fail("expected ',' or '}' in an object")
            }
        }
        scanner.skipWhitespace()
        guard scanner.index == bytes.count else { throw scanner.fail("unexpected text after the JSON value") }
        return members
    }

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func fail(_ message: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: min(index, bytes.count), message: index >= bytes.count ? "unexpected end of JSON (\(message))" : message)
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func value(build: Bool) throws(JSONSyntaxError) -> JSONValue? {
        guard let byte = peek else { throw fail("expected a value") }
        switch byte {
        case UInt8(ascii: "{"): return try object(build: build)
        case UInt8(ascii: "["): return try array(build: build)
        case UInt8(ascii: "\""): return try string(build: build).map { .string($0) }
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number(build: build)
        default: throw fail("unexpected character '\(Unicode.Scalar(byte).escaped(asASCII: true))'")
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw fail("invalid literal") }
        let pointer = word.utf8Start
        for offset in 0..<count where bytes[index + offset] != pointer[offset] {
            throw fail("invalid literal")
        }
        index += count
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > Self.maxDepth { throw fail("nested more than \(Self.maxDepth) levels deep") }
    }

    private mutating func object(build: Bool) throws(JSONSyntaxError) -> JSONValue? {
        try enter()
        defer { depth -= 1 }
        index += 1
        var fields: [String: JSONValue] = [:]
        skipWhitespace()
        if peek == UInt8(ascii: "}") { index += 1; return build ? .object(fields) : nil }
        while true {
            skipWhitespace()
            guard peek == UInt8(ascii: "\"") else { throw fail("expected a member name") }
            let key = try string(build: build)
            skipWhitespace()
            guard peek == UInt8(ascii: ":") else { throw fail("expected ':' after a member name") }
            index += 1
            skipWhitespace()
            let member = try value(build: build)
            if build, let key, let member { fields[key] = member }
            skipWhitespace()
            if peek == UInt8(ascii: ",") { index += 1; continue }
            if peek == UInt8(ascii: "}") { index += 1; return build ? .object(fields) : nil }
            throw fail("expected ',' or '}' in an object")
        }
    }

    private mutating func array(build: Bool) throws(JSONSyntaxError) -> JSONValue? {
        try enter()
        defer { depth -= 1 }
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if peek == UInt8(ascii: "]") { index += 1; return build ? .array(items) : nil }
        while true {
            skipWhitespace()
            let item = try value(build: build)
            if build, let item { items.append(item) }
            skipWhitespace()
            if peek == UInt8(ascii: ",") { index += 1; continue }
            if peek == UInt8(ascii: "]") { index += 1; return build ? .array(items) : nil }
            throw fail("expected ',' or ']' in an array")
        }
    }

    private mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw fail("invalid \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    /// Strings: raw bytes are assumed valid UTF-8 (callers validate the file or line first).
    private mutating func string(build: Bool) throws(JSONSyntaxError) -> String? {
        index += 1
        var decoded: [UInt8] = []
        var runStart = index
        while true {
            guard index < bytes.count else { throw fail("unterminated string") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                if build { decoded.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index])) }
                index += 1
                return build ? String(decoding: decoded, as: UTF8.self) : nil
            }
            if byte < 0x20 { throw fail("control character in a string (must be escaped)") }
            if byte != UInt8(ascii: "\\") { index += 1; continue }
            if build { decoded.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index])) }
            index += 1
            guard let escape = peek else { throw fail("unterminated string") }
            index += 1
            var scalar: UInt32?
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalar = UInt32(escape)
            case UInt8(ascii: "b"): scalar = 0x08
            case UInt8(ascii: "f"): scalar = 0x0C
            case UInt8(ascii: "n"): scalar = 0x0A
            case UInt8(ascii: "r"): scalar = 0x0D
            case UInt8(ascii: "t"): scalar = 0x09
            case UInt8(ascii: "u"):
                let unit = try hex4()
                if unit == 0 { index -= 6; throw fail("\\u0000 in a string (PostgreSQL jsonb cannot store it)") }
                if (0xDC00...0xDFFF).contains(unit) { index -= 6; throw fail("unpaired surrogate escape") }
                if (0xD800...0xDBFF).contains(unit) {
                    guard index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw fail("unpaired surrogate escape")
                    }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { index -= 6; throw fail("unpaired surrogate escape") }
                    scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    scalar = unit
                }
            default:
                index -= 1
                throw fail("invalid escape '\\\(Unicode.Scalar(escape).escaped(asASCII: true))'")
            }
            if build, let scalar, let unicode = Unicode.Scalar(scalar) {
                decoded.append(contentsOf: Array(String(Character(unicode)).utf8))
            }
            runStart = index
        }
    }

    private mutating func number(build: Bool) throws(JSONSyntaxError) -> JSONValue? {
        let start = index
        var integral = true
        if peek == UInt8(ascii: "-") { index += 1 }
        guard let first = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { throw fail("invalid number") }
        if first == UInt8(ascii: "0") {
            index += 1
        } else {
            while let digit = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) { index += 1 }
        }
        if peek == UInt8(ascii: ".") {
            integral = false
            index += 1
            guard let digit = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { throw fail("invalid number") }
            while let digit = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) { index += 1 }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            integral = false
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard let digit = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { throw fail("invalid number") }
            while let digit = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) { index += 1 }
        }
        guard build else { return nil }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if integral, let value = Int64(text) { return .int(value) }
        return .double(Double(text) ?? 0)
    }
}

extension JSONSyntaxError {
    /// 1-based line and column of `offset` in `bytes`.
    package func position(in bytes: UnsafeBufferPointer<UInt8>) -> (line: Int, column: Int) {
        var line = 1, column = 1
        for byte in bytes.prefix(offset) {
            if byte == 0x0A { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        return (line, column)
    }
}
