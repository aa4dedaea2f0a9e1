@testable import AgeEncryption
import Testing

/// BIP 173's Bech32 test vectors (the checksum age uses), and age's own key prefixes.
@Suite("AgeBech32")
struct AgeBech32Tests {
    static let valid = [
        "A12UEL5L",
        "a12uel5l",
        "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
        "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
        "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
        "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
        "?1ezyfcl",
    ]

    /// Invalid for any Bech32 decoder (BIP 173's list less the 90-character limit, which age does not
    /// apply), plus mixed case.
    static let invalid = [
        " 1nwldj5",        // HRP character out of range
        "\u{7f}1axkwrx",   // HRP character out of range
        "\u{80}1eym55h",   // HRP character out of range
        "pzry9x0s0muk",    // no separator
        "1pzry9x0s0muk",   // empty HRP
        "x1b4n0q5v",       // invalid data character
        "li1dgmt3",        // checksum too short
        "de1lg7wt\u{ff}",  // invalid character in the checksum
        "A1G7SGD8",        // checksum computed with the uppercase HRP
        "10a06t8",         // empty HRP
        "1qzzfhee",        // empty HRP
        "a12UEL5L",        // mixed case
        "A12uEL5L",        // mixed case
    ]

    @Test(arguments: valid)
    func validStringsDecodeAndReencodeIdentically(_ string: String) throws {
        let (hrp, data) = try Bech32.decodeFiveBit(string)
        #expect(Bech32.encode(hrp: hrp, fiveBitData: data) == string)
    }

    @Test(arguments: invalid)
    func invalidStringsAreRejected(_ string: String) {
        #expect(throws: Bech32.DecodeError.self) { try Bech32.decodeFiveBit(string) }
    }

    @Test func dataPartOfTheAlphabetVectorIsZeroToThirtyOne() throws {
        let (hrp, data) = try Bech32.decodeFiveBit("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw")
        #expect(hrp == "abcdef")
        #expect(data == Array(0...31))
    }

    @Test func eightBitRegroupingRejectsNonZeroPadding() throws {
        // 32 bytes = 52 five-bit groups with 4 padding bits; setting a padding bit must be refused.
        let key = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        let encoded = Bech32.encode(hrp: "age", data: key)
        var groups = try Bech32.decodeFiveBit(encoded).data
        #expect(try Bech32.convertBits(groups, from: 5, to: 8, pad: false) == key)
        groups[groups.count - 1] |= 1
        #expect(throws: Bech32.DecodeError.self) { try Bech32.convertBits(groups, from: 5, to: 8, pad: false) }
    }

    @Test func theCCTVIdentityRoundTripsThroughItsEncoding() throws {
        let text = "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0"
        let identity = try AgeX25519Identity(parsing: text)
        #expect(identity.encodedSecretKey() == text)
        #expect(identity.recipient.encoded.hasPrefix("age1"))
        #expect(identity.recipient.encoded.count == 62)
        #expect(try AgeX25519Recipient(parsing: identity.recipient.encoded) == identity.recipient)
    }
}
