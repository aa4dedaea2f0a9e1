import AgeEncryption
import Foundation
import OpsSupport
import Testing

/// The 143 vectors of the C2SP/CCTV age test suite (../shared/testdata/age-cctv/).
@Suite("AgeCCTVVectors")
struct AgeCCTVVectorTests {
    /// Vectors for features we do not offer: ASCII armor (33), scrypt passphrases (24), hybrid ML-KEM (17).
    static let expectedTotal = 143
    static let expectedRun = 69

    static let vectors: [AgeTestVector] = (try? AgeTestVector.loadAll()) ?? []

    /// Which error codes each `expect` value of the suite accepts.
    static func accepts(_ expect: String, _ error: AgeError) -> Bool {
        switch expect {
        case "header failure": return error.isHeaderFailure
        case "HMAC failure": return error.code == .headerMACMismatch
        case "no match": return error.code == .noIdentityMatched
        case "payload failure": return error.isPayloadFailure
        default: return false
        }
    }

    @Test func allVectorsArePresentAndTheSkipsAreCounted() throws {
        try #require(FileManager.default.fileExists(atPath: AgeTestVector.directory.path), "test vectors missing at \(AgeTestVector.directory.path)")
        let vectors = try AgeTestVector.loadAll()
        #expect(vectors.count == Self.expectedTotal)
        let skipped = vectors.filter { $0.skipReason != nil }
        let run = vectors.count - skipped.count
        var byReason: [String: Int] = [:]
        for vector in skipped { byReason[vector.skipReason!, default: 0] += 1 }
        let reasons = byReason.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        print("age CCTV vectors: \(vectors.count) total, \(run) run, \(skipped.count) skipped (\(reasons))")
        #expect(run == Self.expectedRun)
        #expect(byReason == ["ASCII armor": 33, "scrypt passphrase": 24, "hybrid (ML-KEM) identity": 17])
        // Every kind of expectation is exercised by the vectors we run.
        let kinds = Set(vectors.filter { $0.skipReason == nil }.map(\.expect))
        #expect(kinds == ["success", "header failure", "HMAC failure", "no match", "payload failure"])
    }

    @Test(arguments: vectors.filter { $0.skipReason == nil })
    func vector(_ vector: AgeTestVector) throws {
        var identities = try vector.identities.filter { $0.hasPrefix("AGE-SECRET-KEY-1") }.map { try AgeX25519Identity(parsing: $0) }
        // `empty` has no identity: any identity must fail on its header.
        if identities.isEmpty { identities = [AgeX25519Identity.generate()] }

        // Read with several read sizes: the outcome must not depend on how the source delivers bytes.
        for maxRead in [Int.max, 4093, 1] where maxRead != 1 || vector.file.count < 300_000 {
            let (released, error) = Self.decrypt(vector.file, identities: identities, maxRead: maxRead)
            let releasedHash = SHA256Hex.of(released)
            if vector.expect == "success" {
                #expect(error == nil, "\(vector.name): \(String(describing: error))")
                #expect(releasedHash == vector.payloadHash, "\(vector.name): wrong plaintext")
            } else {
                let ageError = try #require(error as? AgeError, "\(vector.name) (expect \(vector.expect)) did not fail with an AgeError: \(String(describing: error))")
                #expect(Self.accepts(vector.expect, ageError), "\(vector.name): expected \(vector.expect), got \(ageError.code): \(ageError)")
                // No more plaintext than the vector allows: exactly what it covers on a payload failure,
                // none at all on a header-level failure.
                if let payloadHash = vector.payloadHash {
                    #expect(releasedHash == payloadHash, "\(vector.name): released \(released.count) bytes, not what the vector allows")
                } else {
                    #expect(released.isEmpty, "\(vector.name): released plaintext before failing")
                }
                #expect(!ageMessageLeaksKey(ageError.message), "\(vector.name): error quotes a secret key")
                #expect(!ageError.message.contains("\n"), "\(vector.name): error is not one line")
            }
        }
    }

    /// Decrypts; an error from `init` (header level) releases nothing.
    static func decrypt(_ file: [UInt8], identities: [AgeX25519Identity], maxRead: Int) -> ([UInt8], (any Error)?) {
        let inner = AgeTestSource(file, maxRead: maxRead)
        let source: AgeDecryptingSource
        do {
            source = try AgeDecryptingSource(wrapping: inner, identities: identities)
        } catch {
            return ([], error)
        }
        defer { source.close() }
        return ageDrain(source, readSize: 1000)
    }
}
