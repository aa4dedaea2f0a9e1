import Foundation

/// A Swift value that can be bound as a query parameter, sent in PostgreSQL's text format.
package protocol PostgresEncodable: Sendable {
    var postgresText: String { get }
}

/// A Swift value that can be read from PostgreSQL's text format; `nil` text is SQL NULL.
package protocol PostgresDecodable: Sendable {
    static func decode(postgresText: String?) -> Self?
}

extension String: PostgresEncodable, PostgresDecodable {
    package var postgresText: String { self }
    package static func decode(postgresText: String?) -> String? { postgresText }
}

extension Int: PostgresEncodable, PostgresDecodable {
    package var postgresText: String { String(self) }
    package static func decode(postgresText: String?) -> Int? { postgresText.flatMap { Int($0) } }
}

extension Int64: PostgresEncodable, PostgresDecodable {
    package var postgresText: String { String(self) }
    package static func decode(postgresText: String?) -> Int64? { postgresText.flatMap { Int64($0) } }
}

extension Int32: PostgresEncodable, PostgresDecodable {
    package var postgresText: String { String(self) }
    package static func decode(postgresText: String?) -> Int32? { postgresText.flatMap { Int32($0) } }
}

extension Double: PostgresEncodable, PostgresDecodable {
    package var postgresText: String {
        if isNaN { return "NaN" }
        if isInfinite { return self > 0 ? "Infinity" : "-Infinity" }
        return String(self)
    }
    package static func decode(postgresText: String?) -> Double? {
        switch postgresText {
        case nil: return nil
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        case let text?: return Double(text)
        }
    }
}

extension Bool: PostgresEncodable, PostgresDecodable {
    package var postgresText: String { self ? "t" : "f" }
    package static func decode(postgresText: String?) -> Bool? {
        switch postgresText {
        case "t", "true", "on", "1": return true
        case "f", "false", "off", "0": return false
        default: return nil
        }
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    /// SQL NULL decodes as `.some(nil)`; a present value that does not decode is a failure (`nil`).
    package static func decode(postgresText: String?) -> Wrapped?? {
        guard let postgresText else { return .some(nil) }
        return Wrapped.decode(postgresText: postgresText).map { .some($0) }
    }
}

/// `bytea` (hex format) for binary values; for any other type the text's UTF-8 bytes (e.g. `jsonb`).
extension Data: PostgresEncodable, PostgresDecodable {
    package var postgresText: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]("\\x".utf8)
        out.reserveCapacity(2 + count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    package static func decode(postgresText: String?) -> Data? {
        guard let postgresText else { return nil }
        let utf8 = Array(postgresText.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x") else {
            return Data(utf8)
        }
        guard utf8.count % 2 == 0 else { return nil }
        var data = Data(capacity: (utf8.count - 2) / 2)
        var index = 2
        while index < utf8.count {
            guard let high = hexValue(utf8[index]), let low = hexValue(utf8[index + 1]) else { return nil }
            data.append(high << 4 | low)
            index += 2
        }
        return data
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// `timestamptz`; `infinity`/`-infinity` map to `Date.distantFuture`/`Date.distantPast`.
/// The connection sets `TimeZone=UTC` and `DateStyle=ISO`, so values arrive as `2026-11-26 08:54:18.5+00`.
extension Date: PostgresEncodable, PostgresDecodable {
    package var postgresText: String {
        if self == .distantFuture { return "infinity" }
        if self == .distantPast { return "-infinity" }
        let seconds = timeIntervalSince1970
        var whole = seconds.rounded(.down)
        var micros = Int(((seconds - whole) * 1_000_000).rounded())
        if micros == 1_000_000 { whole += 1; micros = 0 }
        var time = time_t(whole)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d.%06d+00", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), micros)
    }

    package static func decode(postgresText: String?) -> Date? {
        guard let text = postgresText else { return nil }
        if text == "infinity" { return .distantFuture }
        if text == "-infinity" { return .distantPast }
        // YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM[:SS]]]
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[range] {
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard bytes.count >= 19, let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19) else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            var scale = 0.1
            index += 1
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offset = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            guard let offsetHours = number(index + 1..<index + 3) else { return nil }
            offset = offsetHours * 3600
            if index + 6 <= bytes.count, bytes[index + 3] == UInt8(ascii: ":"), let minutes = number(index + 4..<index + 6) {
                offset += minutes * 60
            }
            offset *= sign
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let epoch = timegm(&parts)
        return Date(timeIntervalSince1970: Double(epoch - offset) + fraction)
    }
}

/// One-dimensional arrays (`text[]`, `int[]`), in PostgreSQL's array literal syntax.
extension Array: PostgresEncodable where Element: PostgresEncodable {
    package var postgresText: String {
        "{" + map { element -> String in
            var quoted = "\""
            for character in element.postgresText {
                if character == "\"" || character == "\\" { quoted.append("\\") }
                quoted.append(character)
            }
            return quoted + "\""
        }.joined(separator: ",") + "}"
    }
}

extension Array: PostgresDecodable where Element: PostgresDecodable {
    package static func decode(postgresText: String?) -> [Element]? {
        guard let text = postgresText else { return nil }
        guard let items = parseArrayLiteral(text) else { return nil }
        var result: [Element] = []
        for item in items {
            guard let value = Element.decode(postgresText: item) else { return nil }
            result.append(value)
        }
        return result
    }
}

/// Splits `{a,"b c",NULL}` into `["a", "b c", nil]`. One dimension only.
func parseArrayLiteral(_ text: String) -> [String?]? {
    var characters = Substring(text)
    // Skip an optional dimension decoration such as "[0:2]=".
    if characters.first == "[", let equals = characters.firstIndex(of: "=") { characters = characters[characters.index(after: equals)...] }
    guard characters.first == "{", characters.last == "}" else { return nil }
    characters = characters.dropFirst().dropLast()
    if characters.isEmpty { return [] }
    var items: [String?] = []
    var current = ""
    var quoted = false
    var wasQuoted = false
    var escaped = false
    for character in characters {
        if escaped { current.append(character); escaped = false; continue }
        switch character {
        case "\\": escaped = true
        case "\"": quoted.toggle(); wasQuoted = true
        case "," where !quoted:
            items.append(!wasQuoted && current == "NULL" ? nil : current)
            current = ""; wasQuoted = false
        case "{" where !quoted, "}" where !quoted: return nil
        default: current.append(character)
        }
    }
    items.append(!wasQuoted && current == "NULL" ? nil : current)
    return items
}
