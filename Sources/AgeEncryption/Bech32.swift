/// Bech32 (BIP 173 checksum, not Bech32m) as age uses it: no 90-character limit (age's keys are
/// shorter, but the format does not rely on it), one case per string, the HRP case kept as written.
package enum Bech32 {
    private static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let reverse: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (index, character) in charset.enumerated() { table[Int(character)] = Int8(index) }
        return table
    }()

    package struct DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
        package let description: String
    }

    private static func polymod(_ values: [UInt8]) -> UInt32 {
        let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]
        var checksum: UInt32 = 1
        for value in values {
            let top = checksum >> 25
            checksum = (checksum & 0x1ff_ffff) << 5 ^ UInt32(value)
            for i in 0..<5 where (top >> UInt32(i)) & 1 == 1 { checksum ^= generator[i] }
        }
        return checksum
    }

    private static func expand(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    private static func lowercased(_ bytes: [UInt8]) -> [UInt8] {
        bytes.map { (0x41...0x5a).contains($0) ? $0 + 0x20 : $0 }
    }

    /// Encodes 5-bit groups under `hrp`; an uppercase HRP gives an all-uppercase string.
    package static func encode(hrp: String, fiveBitData data: [UInt8]) -> String {
        let hrpBytes = Array(hrp.utf8)
        let lower = lowercased(hrpBytes)
        let mod = polymod(expand(lower) + data + [0, 0, 0, 0, 0, 0]) ^ 1
        let checksum = (0..<6).map { UInt8((mod >> (5 * (5 - UInt32($0)))) & 31) }
        var out = lower + [UInt8(ascii: "1")] + (data + checksum).map { charset[Int($0)] }
        if lower != hrpBytes { out = out.map { (0x61...0x7a).contains($0) ? $0 - 0x20 : $0 } }
        return String(decoding: out, as: UTF8.self)
    }

    /// Encodes bytes (regrouped into 5-bit groups, zero-padded).
    package static func encode(hrp: String, data: [UInt8]) -> String {
        // Regrouping 8-bit bytes into padded 5-bit groups cannot fail.
        encode(hrp: hrp, fiveBitData: (try? convertBits(data, from: 8, to: 5, pad: true)) ?? [])
    }

    /// Decodes to the HRP (as written) and the 5-bit groups without the checksum.
    package static func decodeFiveBit(_ string: String) throws(DecodeError) -> (hrp: String, data: [UInt8]) {
        let bytes = Array(string.utf8)
        let lower = lowercased(bytes)
        let upper = bytes.map { (0x61...0x7a).contains($0) ? $0 - 0x20 : $0 }
        guard bytes == lower || bytes == upper else { throw DecodeError(description: "mixed case") }
        guard let separator = bytes.lastIndex(of: UInt8(ascii: "1")), separator >= 1, separator + 7 <= bytes.count else {
            throw DecodeError(description: "separator '1' missing or at an invalid position")
        }
        let hrp = Array(bytes[..<separator])
        guard hrp.allSatisfy({ (33...126).contains($0) }) else {
            throw DecodeError(description: "invalid character in the human-readable part")
        }
        var data: [UInt8] = []
        data.reserveCapacity(bytes.count - separator - 1)
        for character in lower[(separator + 1)...] {
            guard character < 128, reverse[Int(character)] >= 0 else {
                throw DecodeError(description: "invalid character in the data part")
            }
            data.append(UInt8(reverse[Int(character)]))
        }
        guard polymod(expand(lowercased(hrp)) + data) == 1 else { throw DecodeError(description: "invalid checksum") }
        return (String(decoding: hrp, as: UTF8.self), Array(data.dropLast(6)))
    }

    /// Decodes to the HRP (as written) and the bytes; the padding bits must be zero and fewer than 5.
    package static func decode(_ string: String) throws(DecodeError) -> (hrp: String, data: [UInt8]) {
        let (hrp, fiveBit) = try decodeFiveBit(string)
        return (hrp, try convertBits(fiveBit, from: 5, to: 8, pad: false))
    }

    package static func convertBits(_ data: [UInt8], from: Int, to: Int, pad: Bool) throws(DecodeError) -> [UInt8] {
        var accumulator: UInt32 = 0
        var bits = 0
        let maxValue: UInt32 = (1 << UInt32(to)) - 1
        var out: [UInt8] = []
        out.reserveCapacity(data.count * from / to + 1)
        for value in data {
            guard UInt32(value) >> UInt32(from) == 0 else { throw DecodeError(description: "invalid data range") }
            accumulator = (accumulator << UInt32(from) | UInt32(value)) & 0xffff
            bits += from
            while bits >= to {
                bits -= to
                out.append(UInt8((accumulator >> UInt32(bits)) & maxValue))
            }
        }
        if pad {
            if bits > 0 { out.append(UInt8((accumulator << UInt32(to - bits)) & maxValue)) }
        } else if bits >= from {
            throw DecodeError(description: "illegal zero padding")
        } else if (accumulator << UInt32(to - bits)) & maxValue != 0 {
            throw DecodeError(description: "non-zero padding")
        }
        return out
    }
}
