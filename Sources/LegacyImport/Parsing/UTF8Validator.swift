/// Streaming UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF),
/// fed chunk by chunk so a 10 MB file is checked without holding it; a sequence may span chunks.
package struct UTF8Validator: Sendable {
    /// Bytes still expected in the current sequence, and the allowed range of the next byte.
    private var pending = 0
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF
    /// Offset (over everything fed so far) of the first invalid byte, once one was seen.
    package private(set) var firstInvalidOffset: Int?
    private var consumed = 0

    package init() {}

    /// Feeds `chunk`; returns false once the input is known to be invalid.
    @discardableResult
    package mutating func feed(_ chunk: UnsafeRawBufferPointer) -> Bool {
        guard firstInvalidOffset == nil else { return false }
        let count = chunk.count
        var i = 0
        while i < count {
            let byte = chunk[i]
            if pending == 0 {
                // ASCII fast path, eight bytes at a time.
                if i + 8 <= count, chunk.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                    i += 8
                    continue
                }
                if byte < 0x80 {
                    i += 1
                    continue
                }
                switch byte {
                case 0xC2...0xDF: pending = 1; lower = 0x80; upper = 0xBF
                case 0xE0: pending = 2; lower = 0xA0; upper = 0xBF
                case 0xE1...0xEC, 0xEE...0xEF: pending = 2; lower = 0x80; upper = 0xBF
                case 0xED: pending = 2; lower = 0x80; upper = 0x9F
                case 0xF0: pending = 3; lower = 0x90; upper = 0xBF
                case 0xF1...0xF3: pending = 3; lower = 0x80; upper = 0xBF
                case 0xF4: pending = 3; lower = 0x80; upper = 0x8F
                default:
                    firstInvalidOffset = consumed + i
                    return false
                }
            } else {
                guard byte >= lower, byte <= upper else {
                    firstInvalidOffset = consumed + i
                    return false
                }
                pending -= 1
                lower = 0x80
                upper = 0xBF
            }
            i += 1
        }
        consumed += count
        return true
    }

    /// Ends the input: false when it stopped inside a sequence or was invalid.
    package mutating func finish() -> Bool {
        if firstInvalidOffset == nil, pending != 0 { firstInvalidOffset = consumed }
        return firstInvalidOffset == nil
    }
}
