import AgeEncryption
import Foundation
import Testing

@Suite("AgeKeys")
struct AgeKeyTests {
    static let secret = "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0"

    func code(_ body: () throws -> Void) -> AgeError.Code? {
        do {
            try body()
            return nil
        } catch let error as AgeError {
            #expect(!ageMessageLeaksKey(error.message), "error quotes a secret key: \(error)")
            #expect(!error.message.contains("\n"))
            return error.code
        } catch {
            Issue.record("not an AgeError: \(error)")
            return nil
        }
    }

    @Test func generatedIdentitiesRoundTripAndDiffer() throws {
        let a = AgeX25519Identity.generate(), b = AgeX25519Identity.generate()
        #expect(a.recipient != b.recipient)
        let parsed = try AgeX25519Identity(parsing: a.encodedSecretKey())
        #expect(parsed.recipient == a.recipient)
        #expect(a.encodedSecretKey().hasPrefix("AGE-SECRET-KEY-1"))
        #expect(a.encodedSecretKey() == a.encodedSecretKey().uppercased())
        #expect(!String(describing: a).contains("AGE-SECRET-KEY"))
    }

    @Test func recipientStringsOfOtherKindsAreNamedAndRejected() {
        let identity = AgeX25519Identity.generate()
        let good = identity.recipient.encoded
        #expect(code { _ = try AgeX25519Recipient(parsing: good) } == nil)
        #expect(code { _ = try AgeX25519Recipient(parsing: good.uppercased()) } == .invalidRecipient)
        #expect(code { _ = try AgeX25519Recipient(parsing: String(good.dropLast()) + (good.last == "q" ? "p" : "q")) } == .invalidRecipient)
        #expect(code { _ = try AgeX25519Recipient(parsing: "") } == .invalidRecipient)
        #expect(code { _ = try AgeX25519Recipient(parsing: " " + good) } == .invalidRecipient)
        #expect(code { _ = try AgeX25519Recipient(parsing: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG1eD1YpuBvdnD5c6cbLRhjEsOm3KPzkEnIHcVYcHWzM user@host") } == .unsupportedRecipientType)
        #expect(code { _ = try AgeX25519Recipient(parsing: identity.encodedSecretKey()) } == .invalidRecipient)
        // A plugin recipient: a valid Bech32 string under the HRP age1yubikey.
        #expect(code { _ = try AgeX25519Recipient(parsing: Bech32Probe.encode(hrp: "age1yubikey", bytes: 33)) } == .unsupportedRecipientType)
        // A wrong key length under the right HRP.
        #expect(code { _ = try AgeX25519Recipient(parsing: Bech32Probe.encode(hrp: "age", bytes: 31)) } == .invalidRecipient)
    }

    @Test func identityStringsOfOtherKindsAreNamedAndRejected() {
        #expect(code { _ = try AgeX25519Identity(parsing: Self.secret) } == nil)
        #expect(code { _ = try AgeX25519Identity(parsing: Self.secret.lowercased()) } == .invalidIdentity)
        #expect(code { _ = try AgeX25519Identity(parsing: String(Self.secret.dropLast()) + "1") } == .invalidIdentity)
        #expect(code { _ = try AgeX25519Identity(parsing: "AGE-SECRET-KEY-PQ-1HZLGZUPT4ETPKDEV8HSGFDCYZ4E522W0A7PU2LHT8EH9W6YLNC3SW78XKG") } == .unsupportedRecipientType)
        #expect(code { _ = try AgeX25519Identity(parsing: "AGE-PLUGIN-YUBIKEY-1QQQQQQ") } == .unsupportedRecipientType)
        #expect(code { _ = try AgeX25519Identity(parsing: AgeX25519Identity.generate().recipient.encoded) } == .invalidIdentity)
    }

    @Test func recipientsFilesReadLikeAgeDashR() throws {
        let a = AgeX25519Identity.generate().recipient, b = AgeX25519Identity.generate().recipient
        let text = "# team keys\n\n\(a.encoded)\r\n# old laptop\n\(b.encoded)"
        #expect(try AgeKeyFiles.parseRecipients(text, source: "r.txt") == [a, b])
    }

    @Test func recipientsFileErrorsNameTheLineButNotItsContent() throws {
        let a = AgeX25519Identity.generate()
        let bad = "# keys\n\(a.recipient.encoded)\n\(a.encodedSecretKey())\n"
        do {
            _ = try AgeKeyFiles.parseRecipients(bad, source: "r.txt")
            Issue.record("a secret key in a recipients file was accepted")
        } catch let error as AgeError {
            #expect(error.code == .invalidRecipient)
            #expect(error.message.contains("r.txt, line 3"))
            #expect(!error.message.contains(a.encodedSecretKey()))
        }
        #expect(code { _ = try AgeKeyFiles.parseRecipients("# nothing\n\n", source: "r.txt") } == .noRecipients)
        #expect(code { _ = try AgeKeyFiles.parseRecipients("age1 x\n", source: "r.txt") } == .invalidRecipient)
        #expect(code { _ = try AgeKeyFiles.parseRecipients("ssh-rsa AAAAB3NzaC1yc2E x\n", source: "r.txt") } == .unsupportedRecipientType)
    }

    @Test func identityFilesReadLikeAgeDashI() throws {
        let a = AgeX25519Identity.generate(), b = AgeX25519Identity.generate()
        let text = a.keyFileContents() + "\n" + b.keyFileContents().replacingOccurrences(of: "\n", with: "\r\n")
        let parsed = try AgeKeyFiles.parseIdentities(text, source: "k.txt")
        #expect(parsed.map(\.recipient) == [a.recipient, b.recipient])
        #expect(a.keyFileContents().hasPrefix("# created: "))
        #expect(a.keyFileContents().contains("# public key: \(a.recipient.encoded)\n"))
    }

    @Test func identityFileErrorsNameTheLineButNotItsContent() throws {
        let a = AgeX25519Identity.generate()
        let mangled = String(a.encodedSecretKey().dropLast(2)) + "QQ"
        let text = "# created: x\n\(a.encodedSecretKey())\n\n\(mangled)\n"
        do {
            _ = try AgeKeyFiles.parseIdentities(text, source: "k.txt")
            Issue.record("a mangled identity was accepted")
        } catch let error as AgeError {
            #expect(error.code == .invalidIdentity)
            #expect(error.message.contains("k.txt, line 4"))
            #expect(!error.message.contains(mangled))
            #expect(!error.message.contains(a.encodedSecretKey()))
        }
        #expect(code { _ = try AgeKeyFiles.parseIdentities("# only comments\n", source: "k.txt") } == .noIdentities)
        #expect(code { _ = try AgeKeyFiles.parseIdentities("age-encryption.org/v1\n-> scrypt x 18\n", source: "k.txt") } == .unsupportedRecipientType)
        #expect(code { _ = try AgeKeyFiles.parseIdentities("-----BEGIN OPENSSH PRIVATE KEY-----\n", source: "k.txt") } == .unsupportedRecipientType)
        #expect(code { _ = try AgeKeyFiles.parseIdentities("  \(a.encodedSecretKey())\n", source: "k.txt") } == .invalidIdentity)
    }

    @Test func keyFilesOnDiskAreReadAndMissingOnesNamed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("age-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let identity = AgeX25519Identity.generate()
        let keyPath = directory.appendingPathComponent("key.txt").path
        try identity.keyFileContents().write(toFile: keyPath, atomically: true, encoding: .utf8)
        let recipientsPath = directory.appendingPathComponent("recipients.txt").path
        try "\(identity.recipient.encoded)\n".write(toFile: recipientsPath, atomically: true, encoding: .utf8)
        #expect(try AgeKeyFiles.readIdentityFile(atPath: keyPath).map(\.recipient) == [identity.recipient])
        #expect(try AgeKeyFiles.readRecipientsFile(atPath: recipientsPath) == [identity.recipient])
        #expect(code { _ = try AgeKeyFiles.readIdentityFile(atPath: directory.appendingPathComponent("none").path) } == .keyFileUnreadable)
        try Data([0xff, 0xfe, 0x00]).write(to: directory.appendingPathComponent("bin"))
        #expect(code { _ = try AgeKeyFiles.readRecipientsFile(atPath: directory.appendingPathComponent("bin").path) } == .keyFileUnreadable)
    }
}

/// Builds Bech32 strings of arbitrary HRP and length for the negative tests.
enum Bech32Probe {
    static func encode(hrp: String, bytes count: Int) -> String {
        Bech32.encode(hrp: hrp, data: [UInt8](repeating: 7, count: count))
    }
}
