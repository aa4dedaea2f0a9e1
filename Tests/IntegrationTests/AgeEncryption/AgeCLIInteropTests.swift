import AgeEncryption
import Foundation
import Testing

/// Interoperability both ways with the real `age` tool: the format code is ours, so age is the oracle.
@Suite("AgeCLIInterop")
struct AgeCLIInteropTests {
    static let sizes = [0, 1, 65535, 65536, 65537, 1_000_003]

    @Test(arguments: sizes)
    func filesWeEncryptDecryptWithAgeDashD(size: Int) async throws {
        let dir = try AgeScratchDirectory()
        try await AgeCLI.succeed("age-keygen", ["-o", dir.path("key.txt")])
        let identities = try AgeKeyFiles.readIdentityFile(atPath: dir.path("key.txt"))
        let plaintext = AgeFiles.random(size, seed: UInt64(size))
        try AgeFiles.write(plaintext, dir.path("plain"))
        try AgeFiles.encrypt(plaintext, to: identities.map(\.recipient), path: dir.path("ours.age"))
        try await AgeCLI.succeed("age", ["-d", "-i", dir.path("key.txt"), dir.path("ours.age")], stdoutTo: dir.path("out"))
        #expect(try AgeFiles.bytes(dir.path("out")) == plaintext)
    }

    @Test(arguments: sizes)
    func filesAgeDashREncryptsDecryptWithUs(size: Int) async throws {
        let dir = try AgeScratchDirectory()
        try await AgeCLI.succeed("age-keygen", ["-o", dir.path("key.txt")])
        let recipient = try await AgeCLI.succeed("age-keygen", ["-y", dir.path("key.txt")]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let plaintext = AgeFiles.random(size, seed: UInt64(size) + 1)
        try AgeFiles.write(plaintext, dir.path("plain"))
        try await AgeCLI.succeed("age", ["-r", recipient, "-o", dir.path("theirs.age"), dir.path("plain")])
        let identities = try AgeKeyFiles.readIdentityFile(atPath: dir.path("key.txt"))
        #expect(try AgeFiles.decrypt(path: dir.path("theirs.age"), identities: identities) == plaintext)
    }

    @Test func aRecipientsFileReadByAgeDashRDecryptsWithEachIdentity() async throws {
        let dir = try AgeScratchDirectory()
        try await AgeCLI.succeed("age-keygen", ["-o", dir.path("a.txt")])
        try await AgeCLI.succeed("age-keygen", ["-o", dir.path("b.txt")])
        let ours = AgeX25519Identity.generate()
        let a = try await AgeCLI.succeed("age-keygen", ["-y", dir.path("a.txt")]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let b = try await AgeCLI.succeed("age-keygen", ["-y", dir.path("b.txt")]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let recipientsFile = "# backup recipients\n\(a)\n\n# second operator\n\(b)\n\(ours.recipient.encoded)\n"
        try recipientsFile.write(toFile: dir.path("recipients.txt"), atomically: true, encoding: .utf8)
        // We read the same file as age -R does.
        #expect(try AgeKeyFiles.readRecipientsFile(atPath: dir.path("recipients.txt")).map(\.encoded) == [a, b, ours.recipient.encoded])

        let plaintext = AgeFiles.random(200_000, seed: 5)
        try AgeFiles.write(plaintext, dir.path("plain"))
        try await AgeCLI.succeed("age", ["-R", dir.path("recipients.txt"), "-o", dir.path("theirs.age"), dir.path("plain")])
        for key in ["a.txt", "b.txt"] {
            let identities = try AgeKeyFiles.readIdentityFile(atPath: dir.path(key))
            #expect(try AgeFiles.decrypt(path: dir.path("theirs.age"), identities: identities) == plaintext)
        }
        #expect(try AgeFiles.decrypt(path: dir.path("theirs.age"), identities: [ours]) == plaintext)

        // And the other way: our file to the same three, opened by age with each of its keys.
        let recipients = try AgeKeyFiles.readRecipientsFile(atPath: dir.path("recipients.txt"))
        try AgeFiles.encrypt(plaintext, to: recipients, path: dir.path("ours.age"))
        for key in ["a.txt", "b.txt"] {
            try await AgeCLI.succeed("age", ["-d", "-i", dir.path(key), dir.path("ours.age")], stdoutTo: dir.path("out-\(key)"))
            #expect(try AgeFiles.bytes(dir.path("out-\(key)")) == plaintext)
        }
    }

    @Test func keysWeGenerateWorkWithAgeAndAgeKeygen() async throws {
        let dir = try AgeScratchDirectory()
        let identity = AgeX25519Identity.generate()
        try #require(FileManager.default.createFile(atPath: dir.path("ours.txt"), contents: Data(identity.keyFileContents().utf8), attributes: [.posixPermissions: 0o600]))
        // age-keygen derives the same public key from our secret key (Bech32 and X25519 agree).
        let derived = try await AgeCLI.succeed("age-keygen", ["-y", dir.path("ours.txt")]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(derived == identity.recipient.encoded)

        let plaintext = Array("rotated key check\n".utf8)
        try AgeFiles.write(plaintext, dir.path("plain"))
        try await AgeCLI.succeed("age", ["-r", identity.recipient.encoded, "-o", dir.path("theirs.age"), dir.path("plain")])
        try await AgeCLI.succeed("age", ["-d", "-i", dir.path("ours.txt"), dir.path("theirs.age")], stdoutTo: dir.path("out1"))
        #expect(try AgeFiles.bytes(dir.path("out1")) == plaintext)
        #expect(try AgeFiles.decrypt(path: dir.path("theirs.age"), identities: [identity]) == plaintext)
    }

    @Test func keysAgeKeygenWritesParseWithUs() async throws {
        let dir = try AgeScratchDirectory()
        let output = try await AgeCLI.succeed("age-keygen", ["-o", dir.path("key.txt")])
        let recipient = try await AgeCLI.succeed("age-keygen", ["-y", dir.path("key.txt")]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let identities = try AgeKeyFiles.readIdentityFile(atPath: dir.path("key.txt"))
        #expect(identities.count == 1)
        #expect(identities[0].recipient.encoded == recipient)
        #expect(try AgeX25519Recipient(parsing: recipient).encoded == recipient)
        // age-keygen also prints the public key on stderr.
        #expect(output.stderr.contains(recipient))
        // The secret line round-trips byte for byte.
        let secretLine = try String(contentsOfFile: dir.path("key.txt"), encoding: .utf8).split(separator: "\n").first { $0.hasPrefix("AGE-SECRET-KEY-1") }
        #expect(identities[0].encodedSecretKey() == secretLine.map(String.init))
    }

    @Test func wrongIdentitiesAndArmorAreClearErrors() async throws {
        let dir = try AgeScratchDirectory()
        try await AgeCLI.succeed("age-keygen", ["-o", dir.path("key.txt")])
        let recipient = try await AgeCLI.succeed("age-keygen", ["-y", dir.path("key.txt")]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try AgeFiles.write(Array("secret rows\n".utf8), dir.path("plain"))
        try await AgeCLI.succeed("age", ["-r", recipient, "-o", dir.path("theirs.age"), dir.path("plain")])
        try await AgeCLI.succeed("age", ["-a", "-r", recipient, "-o", dir.path("armored.age"), dir.path("plain")])
        let stranger = AgeX25519Identity.generate()
        #expect(throws: AgeError.self) { try AgeFiles.decrypt(path: dir.path("theirs.age"), identities: [stranger]) }
        do {
            _ = try AgeFiles.decrypt(path: dir.path("theirs.age"), identities: [stranger])
        } catch let error as AgeError {
            #expect(error.code == .noIdentityMatched)
            #expect(error.description == "the identity does not match any recipient of this file; use the key file of one of the recipients it was encrypted to")
        }
        let identities = try AgeKeyFiles.readIdentityFile(atPath: dir.path("key.txt"))
        do {
            _ = try AgeFiles.decrypt(path: dir.path("armored.age"), identities: identities)
            Issue.record("an armored file was accepted")
        } catch let error as AgeError {
            #expect(error.code == .unsupportedFormat)
        }
        // Files from age are recognised by the cheap detector; armored ones are not (not offered).
        #expect(AgeFormat.looksLikeAge(prefix: try AgeFiles.bytes(dir.path("theirs.age")).prefix(64)))
        #expect(!AgeFormat.looksLikeAge(prefix: try AgeFiles.bytes(dir.path("armored.age")).prefix(64)))
    }

    @Test func damageIsRejectedByAgeAndByUsAlike() async throws {
        let dir = try AgeScratchDirectory()
        let identity = AgeX25519Identity.generate()
        try #require(FileManager.default.createFile(atPath: dir.path("key.txt"), contents: Data(identity.keyFileContents().utf8), attributes: [.posixPermissions: 0o600]))
        let plaintext = AgeFiles.random(150_000, seed: 9)
        try AgeFiles.encrypt(plaintext, to: [identity.recipient], path: dir.path("ours.age"))
        let file = try AgeFiles.bytes(dir.path("ours.age"))
        var flipped = file
        flipped[file.count - 100] ^= 0x80
        let damaged: [(String, [UInt8])] = [
            ("truncated", Array(file.prefix(file.count - (150_000 - 2 * 65536) - 16))),
            ("flipped", flipped),
            ("trailing", file + [0x0a]),
        ]
        for (name, bytes) in damaged {
            try AgeFiles.write(bytes, dir.path(name))
            let age = try await AgeCLI.run("age", ["-d", "-i", dir.path("key.txt"), dir.path(name)], stdoutTo: dir.path("\(name).out"))
            #expect(age.status != 0, "age accepted the \(name) file")
            #expect(throws: AgeError.self, "we accepted the \(name) file") { try AgeFiles.decrypt(path: dir.path(name), identities: [identity]) }
        }
    }
}
