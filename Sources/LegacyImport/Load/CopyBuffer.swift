/// Rows in COPY's text format, accumulated into chunks for `PostgresConnection.copyIn`: fields are
/// separated by tabs, rows end with a newline, `\N` is NULL, and backslash, tab, newline and carriage
/// return inside a value are escaped. Bytes go through as they are (the values are valid UTF-8).
package struct CopyBuffer {
    /// A chunk is handed to libpq once it holds this many bytes.
    package static let chunkBytes = 256 * 1024

    package private(set) var bytes: [UInt8] = []

    package init() {
        bytes.reserveCapacity(Self.chunkBytes + 64 * 1024)
    }

    package var isFull: Bool { bytes.count >= Self.chunkBytes }
    package var isEmpty: Bool { bytes.isEmpty }

    /// Takes the accumulated bytes, leaving an empty buffer.
    package mutating func take() -> [UInt8] {
        let chunk = bytes
        bytes.removeAll(keepingCapacity: true)
        return chunk
    }

    package mutating func tab() { bytes.append(0x09) }
    package mutating func endRow() { bytes.append(0x0A) }
    package mutating func null() { bytes.append(0x5C); bytes.append(UInt8(ascii: "N")) }

    package mutating func field(_ text: String) {
        var text = text
        _ = text.withUTF8 { utf8 in escape(UnsafeRawBufferPointer(utf8)) }
    }

    package mutating func field(_ text: String?) {
        if let text { field(text) } else { null() }
    }

    /// Appends `raw` escaped; returns the newlines it held (line numbers for reports).
    @discardableResult
    package mutating func escape(_ raw: UnsafeRawBufferPointer) -> Int {
        var newlines = 0
        var runStart = 0
        let count = raw.count
        var i = 0
        while i < count {
            let byte = raw[i]
            if byte > 0x0D && byte != 0x5C { i += 1; continue }
            let replacement: UInt8
            switch byte {
            case 0x5C: replacement = 0x5C
            case 0x0A: replacement = UInt8(ascii: "n"); newlines += 1
            case 0x0D: replacement = UInt8(ascii: "r")
            case 0x09: replacement = UInt8(ascii: "t")
            default: i += 1; continue
            }
            if i > runStart { bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[runStart..<i])) }
            bytes.append(0x5C)
            bytes.append(replacement)
            i += 1
            runStart = i
        }
        if count > runStart { bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[runStart..<count])) }
        return newlines
    }
}
