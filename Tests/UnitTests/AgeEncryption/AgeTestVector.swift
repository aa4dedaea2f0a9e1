import Foundation
import TestSupport

/// One C2SP/CCTV age test vector: a textual header, an empty line, the age file (maybe zlib-compressed).
struct AgeTestVector: CustomStringConvertible {
    let name: String
    let expect: String
    let payloadHash: String?
    let identities: [String]
    let passphrases: [String]
    let armored: Bool
    let comment: String?
    let file: [UInt8]

    var description: String { name }

    /// `../shared/testdata/age-cctv/` from the package root, which `RepositoryPath` finds from its own
    /// source file (#filePath), so any clone placed next to `shared/` works.
    static let directory: URL = RepositoryPath.url("../shared/testdata/age-cctv").standardizedFileURL

    static func loadAll() throws -> [AgeTestVector] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0 != "README.md" && !$0.hasPrefix(".") }
            .sorted()
        return try names.map { try load(name: $0) }
    }

    static func load(name: String) throws -> AgeTestVector {
        let data = try [UInt8](Data(contentsOf: directory.appendingPathComponent(name)))
        guard let split = (0..<(data.count - 1)).first(where: { data[$0] == 0x0a && data[$0 + 1] == 0x0a }) else {
            throw AgeTestZlib.Failure(description: "\(name): no empty line after the vector header")
        }
        var fields: [(String, String)] = []
        for line in String(decoding: data[..<split], as: UTF8.self).split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields.append((String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
        }
        func all(_ key: String) -> [String] { fields.filter { $0.0 == key }.map(\.1) }
        var body = Array(data[(split + 2)...])
        if let compression = all("compressed").first {
            guard compression == "zlib" else { throw AgeTestZlib.Failure(description: "\(name): unknown compression \(compression)") }
            body = try AgeTestZlib.decompress(body)
        }
        guard let expect = all("expect").first else { throw AgeTestZlib.Failure(description: "\(name): no expect field") }
        return AgeTestVector(
            name: name, expect: expect, payloadHash: all("payload").first, identities: all("identity"),
            passphrases: all("passphrase"), armored: all("armored").first == "yes", comment: all("comment").first, file: body)
    }

    /// Why we do not run this vector (a feature we do not offer), or nil if we run it.
    var skipReason: String? {
        if armored { return "ASCII armor" }
        let x25519 = identities.filter { $0.hasPrefix("AGE-SECRET-KEY-1") }
        if x25519.isEmpty, !passphrases.isEmpty { return "scrypt passphrase" }
        if x25519.isEmpty, !identities.isEmpty { return "hybrid (ML-KEM) identity" }
        return nil
    }
}
