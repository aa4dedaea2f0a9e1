import Crypto

/// One recipient stanza: `-> TYPE ARG…` and a body.
struct AgeStanza: Sendable, Equatable {
    var type: String
    var arguments: [String]
    var body: [UInt8]
}

/// The parsed header of an age file.
struct AgeHeader: Sendable {
    var stanzas: [AgeStanza]
    /// The 32-byte MAC from the `---` line.
    var mac: [UInt8]
    /// The header bytes the MAC covers: from the version line up to and including `---`.
    var macInput: [UInt8]

    private static let footerPrefix = Array("---".utf8)
    private static let stanzaPrefix = Array("->".utf8)
    private static let bytesPerLine = 48  // 64 base64 columns

    /// Encodes the stanzas and MAC line for `fileKey`.
    static func encode(stanzas: [AgeStanza], fileKey: SymmetricKey) -> [UInt8] {
        var out = AgeFormat.versionLine
        for stanza in stanzas {
            out += Array("->".utf8)
            for argument in [stanza.type] + stanza.arguments { out += [0x20] + Array(argument.utf8) }
            out.append(0x0a)
            let encoded = StrictBase64.encode(stanza.body)
            var index = 0
            // Full 64-column lines, then one short (possibly empty) final line.
            while encoded.count - index >= 64 {
                out += encoded[index..<(index + 64)] + [0x0a]
                index += 64
            }
            out += encoded[index...] + [0x0a]
        }
        out += footerPrefix
        let mac = headerMAC(fileKey: fileKey, macInput: out)
        out += [0x20] + StrictBase64.encode(mac) + [0x0a]
        return out
    }

    static func headerMAC(fileKey: SymmetricKey, macInput: [UInt8]) -> [UInt8] {
        let key = HKDF<SHA256>.deriveKey(inputKeyMaterial: fileKey, salt: [UInt8](), info: Array("header".utf8), outputByteCount: 32)
        return Array(HMAC<SHA256>.authenticationCode(for: macInput, using: key))
    }

    /// Parses a header with the rules of the spec (and of the reference implementation), consuming
    /// exactly the header bytes from `reader`.
    static func parse(from reader: AgeBufferedReader) throws -> AgeHeader {
        var consumed: [UInt8] = []
        func readLine(_ what: String) throws -> [UInt8] {
            guard let line = try reader.readLine(limit: AgeFormat.maximumHeaderSize - consumed.count) else {
                if reader.hitLimit {
                    throw AgeError(.headerMalformed, "the age header is larger than 1 MiB; the file is corrupt or not an age file")
                }
                throw AgeError(.headerMalformed, "the age header ends unexpectedly (\(what)); the file is truncated or corrupt")
            }
            consumed += line
            return Array(line.dropLast())
        }

        guard let first = try reader.readLine(limit: 256) else {
            if reader.hitLimit || reader.pendingCount > 0 {
                throw AgeError(.headerMalformed, "not an age file (it does not start with the line age-encryption.org/v1)")
            }
            throw AgeError(.headerMalformed, "the file is empty, not an age file")
        }
        consumed += first
        guard first == AgeFormat.versionLine else {
            let text = Array(first.dropLast())
            if text.starts(with: Array("-----BEGIN AGE ENCRYPTED FILE-----".utf8)) {
                throw AgeError(.unsupportedFormat, "this is an ASCII-armored age file, which is not supported; convert it with `age -d` and re-encrypt without -a")
            }
            if text.starts(with: Array("age-encryption.org/".utf8)), !text.contains(0x0d) {
                throw AgeError(.unsupportedVersion, "unsupported age format version (only age-encryption.org/v1 is read)")
            }
            throw AgeError(.headerMalformed, "not an age v1 file (its first line is not exactly age-encryption.org/v1)")
        }

        var stanzas: [AgeStanza] = []
        while true {
            if try reader.peek(3) == footerPrefix {
                let line = try readLine("MAC line")
                let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
                guard parts.count == 2, Array(parts[0]) == footerPrefix,
                      let mac = StrictBase64.decode(parts[1]), mac.count == 32
                else {
                    throw AgeError(.headerMalformed, "the age header's MAC line is malformed (expected \"--- \" and 43 base64 characters)")
                }
                let macInput = Array(consumed.dropLast(line.count + 1 - footerPrefix.count))
                return AgeHeader(stanzas: stanzas, mac: mac, macInput: macInput)
            }
            let line = try readLine("stanza \(stanzas.count + 1)")
            let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
            guard parts.count >= 2, Array(parts[0]) == stanzaPrefix else {
                throw AgeError(.headerMalformed, "age header stanza \(stanzas.count + 1) has a malformed opening line (expected \"-> TYPE …\")")
            }
            for argument in parts.dropFirst() {
                guard !argument.isEmpty, argument.allSatisfy({ (0x21...0x7e).contains($0) }) else {
                    throw AgeError(.headerMalformed, "age header stanza \(stanzas.count + 1) has an empty or non-printable argument")
                }
            }
            var body: [UInt8] = []
            while true {
                let bodyLine = try readLine("body of stanza \(stanzas.count + 1)")
                guard let decoded = StrictBase64.decode(bodyLine), decoded.count <= bytesPerLine else {
                    throw AgeError(.headerMalformed, "age header stanza \(stanzas.count + 1) has a malformed body line (canonical unpadded base64, 64 columns, ending with a short line)")
                }
                body += decoded
                if decoded.count < bytesPerLine { break }
            }
            let strings = parts.dropFirst().map { String(decoding: $0, as: UTF8.self) }
            stanzas.append(AgeStanza(type: strings[0], arguments: Array(strings.dropFirst()), body: body))
        }
    }
}
