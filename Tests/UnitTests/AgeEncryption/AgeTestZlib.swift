/// A small zlib (RFC 1950) / DEFLATE (RFC 1951) decoder, after zlib's `puff.c`, for the test vectors
/// stored zlib-compressed. The Adler-32 trailer is checked, so a decoding bug cannot go unnoticed.
enum AgeTestZlib {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static func decompress(_ data: [UInt8]) throws -> [UInt8] {
        guard data.count >= 6, data[0] & 0x0f == 8, (UInt16(data[0]) << 8 | UInt16(data[1])) % 31 == 0, data[1] & 0x20 == 0 else {
            throw Failure(description: "not a zlib stream")
        }
        var state = Inflater(input: data, position: 2)
        let out = try state.inflate()
        let end = state.position
        guard end + 4 <= data.count else { throw Failure(description: "zlib stream without its Adler-32 trailer") }
        let expected = UInt32(data[end]) << 24 | UInt32(data[end + 1]) << 16 | UInt32(data[end + 2]) << 8 | UInt32(data[end + 3])
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in out {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        guard b << 16 | a == expected else { throw Failure(description: "zlib Adler-32 mismatch") }
        return out
    }

    private struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int]
        init(lengths: [Int]) {
            symbols = [Int](repeating: 0, count: lengths.count)
            for length in lengths { counts[length] += 1 }
            var offsets = [Int](repeating: 0, count: 16)
            for length in 1..<15 { offsets[length + 1] = offsets[length] + counts[length] }
            for (symbol, length) in lengths.enumerated() where length != 0 {
                symbols[offsets[length]] = symbol
                offsets[length] += 1
            }
        }
    }

    private struct Inflater {
        let input: [UInt8]
        var position: Int
        var bitBuffer: UInt32 = 0
        var bitCount = 0
        var out: [UInt8] = []

        init(input: [UInt8], position: Int) {
            self.input = input
            self.position = position
        }

        mutating func bits(_ need: Int) throws -> Int {
            while bitCount < need {
                guard position < input.count else { throw Failure(description: "deflate stream truncated") }
                bitBuffer |= UInt32(input[position]) << UInt32(bitCount)
                position += 1
                bitCount += 8
            }
            let value = Int(bitBuffer & ((1 << UInt32(need)) - 1))
            bitBuffer >>= UInt32(need)
            bitCount -= need
            return value
        }

        mutating func decode(_ h: Huffman) throws -> Int {
            var code = 0, first = 0, index = 0
            for length in 1..<16 {
                code |= try bits(1)
                let count = h.counts[length]
                if code - count < first { return h.symbols[index + (code - first)] }
                index += count
                first = (first + count) << 1
                code <<= 1
            }
            throw Failure(description: "invalid Huffman code")
        }

        static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
        static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
        static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
        static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

        mutating func codes(_ lengths: Huffman, _ distances: Huffman) throws {
            while true {
                var symbol = try decode(lengths)
                if symbol < 256 {
                    out.append(UInt8(symbol))
                } else if symbol == 256 {
                    return
                } else {
                    symbol -= 257
                    guard symbol < 29 else { throw Failure(description: "invalid length symbol") }
                    let length = Self.lengthBase[symbol] + (try bits(Self.lengthExtra[symbol]))
                    let d = try decode(distances)
                    guard d < 30 else { throw Failure(description: "invalid distance symbol") }
                    let distance = Self.distanceBase[d] + (try bits(Self.distanceExtra[d]))
                    guard distance <= out.count else { throw Failure(description: "distance too far back") }
                    let from = out.count - distance
                    for i in 0..<length { out.append(out[from + i]) }
                }
            }
        }

        mutating func inflate() throws -> [UInt8] {
            var last = 0
            repeat {
                last = try bits(1)
                switch try bits(2) {
                case 0:
                    bitBuffer = 0
                    bitCount = 0
                    guard position + 4 <= input.count else { throw Failure(description: "stored block truncated") }
                    let length = Int(input[position]) | Int(input[position + 1]) << 8
                    let complement = Int(input[position + 2]) | Int(input[position + 3]) << 8
                    guard length == (~complement & 0xffff) else { throw Failure(description: "stored block length mismatch") }
                    position += 4
                    guard position + length <= input.count else { throw Failure(description: "stored block truncated") }
                    out += input[position..<(position + length)]
                    position += length
                case 1:
                    let lengths = [Int](repeating: 8, count: 144) + [Int](repeating: 9, count: 112) + [Int](repeating: 7, count: 24) + [Int](repeating: 8, count: 8)
                    try codes(Huffman(lengths: lengths), Huffman(lengths: [Int](repeating: 5, count: 30)))
                case 2:
                    let literalCount = try bits(5) + 257
                    let distanceCount = try bits(5) + 1
                    let codeCount = try bits(4) + 4
                    let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
                    var codeLengths = [Int](repeating: 0, count: 19)
                    for i in 0..<codeCount { codeLengths[order[i]] = try bits(3) }
                    let codeCode = Huffman(lengths: codeLengths)
                    var lengths: [Int] = []
                    while lengths.count < literalCount + distanceCount {
                        let symbol = try decode(codeCode)
                        switch symbol {
                        case 0..<16: lengths.append(symbol)
                        case 16:
                            guard let previous = lengths.last else { throw Failure(description: "repeat with no previous length") }
                            lengths += [Int](repeating: previous, count: 3 + (try bits(2)))
                        case 17: lengths += [Int](repeating: 0, count: 3 + (try bits(3)))
                        default: lengths += [Int](repeating: 0, count: 11 + (try bits(7)))
                        }
                    }
                    guard lengths.count == literalCount + distanceCount else { throw Failure(description: "too many code lengths") }
                    try codes(Huffman(lengths: Array(lengths[..<literalCount])), Huffman(lengths: Array(lengths[literalCount...])))
                default:
                    throw Failure(description: "invalid deflate block type")
                }
            } while last == 0
            return out
        }
    }
}
