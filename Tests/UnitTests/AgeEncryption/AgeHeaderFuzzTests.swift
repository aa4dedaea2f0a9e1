@testable import AgeEncryption
import Crypto
import Foundation
import Testing

/// A bounded, seeded fuzz of the header parser and the decrypter: mutated valid files either decrypt to
/// the original plaintext (a no-op mutation) or fail with an AgeError; nothing crashes, nothing else
/// comes out.
@Suite("AgeHeaderFuzz")
struct AgeHeaderFuzzTests {
    @Test func mutatedFilesFailCleanlyOrDecryptToTheOriginal() throws {
        let identities = (0..<2).map { _ in AgeX25519Identity.generate() }
        let plaintext = Array("fuzzed payload\n".utf8)
        let file = try AgeFormat.encrypt(plaintext, to: identities.map(\.recipient))
        let headerEnd = file.count - plaintext.count - 16 - 16
        var random = AgeTestRandom(seed: 0xA6E)
        var runs = 0, failures = 0
        let alphabet = Array("-> X25519abcAB0+/=\n\r 1".utf8)
        while runs < 400 {  // bounded: a few seconds in a debug build
            var mutated = file
            switch Int.random(in: 0..<6, using: &random) {
            case 0:  // flip a bit in the header
                let i = Int.random(in: 0..<headerEnd, using: &random)
                mutated[i] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &random)
            case 1:  // truncate
                mutated = Array(mutated.prefix(Int.random(in: 0..<file.count, using: &random)))
            case 2:  // insert a header-ish byte
                mutated.insert(alphabet.randomElement(using: &random)!, at: Int.random(in: 0..<headerEnd, using: &random))
            case 3:  // delete a header byte
                mutated.remove(at: Int.random(in: 0..<headerEnd, using: &random))
            case 4:  // overwrite with a header-ish byte
                mutated[Int.random(in: 0..<headerEnd, using: &random)] = alphabet.randomElement(using: &random)!
            default:  // random garbage after the version line
                mutated = AgeFormat.versionLine + random.bytes(Int.random(in: 0..<300, using: &random))
            }
            do {
                let out = try AgeFormat.decrypt(mutated, with: identities)
                #expect(out == plaintext, "a mutated file decrypted to other plaintext")
            } catch is AgeError {
                failures += 1
            } catch {
                Issue.record("not an AgeError: \(error)")
            }
            runs += 1
        }
        print("age header fuzz: \(runs) mutated files, \(failures) rejected")
                #expect(failures > runs / 2)
    }

    @Test func randomStanzasSurviveEncodeAndParse() throws {
        var random = AgeTestRandom(seed: 42)
        for _ in 0..<300 {
            let stanzas = (0..<Int.random(in: 0...4, using: &random)).map { _ in
                AgeStanza(
                    type: String(decoding: random.bytes(Int.random(in: 1...8, using: &random)).map { 0x21 + $0 % 94 }, as: UTF8.self),
                    arguments: (0..<Int.random(in: 0...3, using: &random)).map { _ in
                        String(decoding: random.bytes(Int.random(in: 1...20, using: &random)).map { 0x21 + $0 % 94 }, as: UTF8.self)
                    },
                    body: random.bytes([0, 1, 47, 48, 49, 95, 96, 97, 200].randomElement(using: &random)!))
            }
            let key = SymmetricKey(size: .bits128)
            let encoded = AgeHeader.encode(stanzas: stanzas, fileKey: key)
            let reader = AgeBufferedReader(AgeTestSource(encoded + [7, 7, 7], maxRead: Int.random(in: 1...64, using: &random)))
            let parsed = try AgeHeader.parse(from: reader)
            #expect(parsed.stanzas == stanzas)
            #expect(parsed.mac == AgeHeader.headerMAC(fileKey: key, macInput: parsed.macInput))
            #expect(try reader.peek(10) == [7, 7, 7])
            // Body lines are 64 columns with a short (maybe empty) last line.
            for line in String(decoding: encoded, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) where !line.hasPrefix("->") && !line.hasPrefix("---") && !line.hasPrefix("age-") {
                #expect(line.count <= 64)
            }
        }
    }
}
