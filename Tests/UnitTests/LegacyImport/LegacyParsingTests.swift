import Foundation
@testable import LegacyImport
import OpsCore
import OpsSupport
import TestSupport
import Testing

@Suite("LegacyImportParsing") struct LegacyParsingTests {
    @Test(arguments: [
        ("2025-03-01T12:00:00Z", 1_740_830_400, 0),
        ("2025-03-01T12:00:00.123Z", 1_740_830_400, 123_000),
        ("2025-03-01T14:00:00+02:00", 1_740_830_400, 0),
        ("2025-03-01T14:00:00.5+0200", 1_740_830_400, 500_000),
        ("2025-03-01T06:30:00-05:30", 1_740_830_400, 0),
        ("2025-03-01T12:00:00.1234567Z", 1_740_830_400, 123_457),
        ("1970-01-01T00:00:00Z", 0, 0),
        ("2024-02-29T23:59:59.999999Z", 1_709_251_199, 999_999),
    ])
    func iso8601TimestampsParseWithOrWithoutMillisecondsAndWithZOrAnOffset(text: String, seconds: Int64, micros: Int) {
        let parsed = LegacyTimestamp.parse(text)
        #expect(parsed == LegacyTimestamp(epochSeconds: seconds, microseconds: micros), "\(text)")
    }

    @Test(arguments: ["2025-03-01", "2025-03-01T12:00:00", "2025-02-30T00:00:00Z", "2025-03-01T24:00:00Z",
                      "yesterday", "", "2025-03-01T12:00:00.Z", "2025-03-01T12:00:00+2", "2025-03-01T12:00:00Zjunk"])
    func timestampsWithoutAZoneOrInvalidAreRefused(text: String) {
        #expect(LegacyTimestamp.parse(text) == nil, "\(text)")
    }

    @Test func postgresTextRoundTrips() {
        for text in ["2025-03-01T12:00:00.123000Z", "1999-12-31T23:59:59.000001Z", "2030-06-15T00:00:00.000000Z"] {
            #expect(LegacyTimestamp.parse(text)?.postgresText == text)
        }
        #expect(LegacyTimestamp.parse("2025-03-01T14:00:00+02:00")?.postgresText == "2025-03-01T12:00:00.000000Z")
    }

    @Test func requestStatusFollowsTheIssuesRule() {
        #expect(RequestStatus.of(statusCode: 200, hasError: false) == .completed)
        #expect(RequestStatus.of(statusCode: 299, hasError: false) == .completed)
        #expect(RequestStatus.of(statusCode: 500, hasError: false) == .failed)
        #expect(RequestStatus.of(statusCode: 429, hasError: false) == .failed)
        #expect(RequestStatus.of(statusCode: nil, hasError: true) == .failed)
        #expect(RequestStatus.of(statusCode: 200, hasError: true) == .failed)
        #expect(RequestStatus.of(statusCode: nil, hasError: false) == .pending)
    }

    static func parse(_ line: String, _ kind: RequestRowStream.Kind = .results) throws -> RequestRowStream.LineFields {
        let bytes = Array(line.utf8)
        return try bytes.withUnsafeBytes { try RequestRowStream.parse($0, kind: kind, source: "f.jsonl", number: 7) }
    }

    @Test func jsonlLinesGiveStatusesFromResponseAndError() throws {
        #expect(try Self.parse(#"{"id":"r1","custom_id":"a","response":{"status_code":200,"request_id":"x","body":{}},"error":null}"#).status == .completed)
        #expect(try Self.parse(#"{"id":"r1","custom_id":"a","response":{"status_code":503,"body":{}},"error":null}"#).status == .failed)
        #expect(try Self.parse(#"{"id":"r1","custom_id":"a","response":null,"error":{"code":"x","message":"y"}}"#).status == .failed)
        #expect(try Self.parse(#"{"custom_id":"a","response":null,"error":null}"#).status == .pending)
        let fields = try Self.parse(#"{"custom_id":"caf\u00e9 \ud83d\ude00","response":{"status_code":201},"error":null}"#)
        #expect(fields.customId == "café 😀")
        #expect(fields.error == nil)
        #expect(try Self.parse(#"{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{}}"#, .input).customId == "a")
    }

    @Test func badJsonlLinesAreRefusedWithTheirLine() {
        for line in [#"{"custom_id": "a", "body": {"#, #"{"method":"POST"}"#, #"["custom_id"]"#, #"{"custom_id":"a\u0000"}"#,
                     #"{"custom_id":"\ud800"}"#, "{\"custom_id\":\"a\tb\"}", #"{"custom_id":"a"} x"#, #"{"custom_id":1}"#,
                     #"{"custom_id":"a","response":{"status_code":"200"}}"#] {
            #expect(throws: ImportRefusal.self, "\(line)") { try Self.parse(line) }
            do { _ = try Self.parse(line) } catch let refusal as ImportRefusal {
                #expect(refusal.line == 7)
                #expect(refusal.file == "f.jsonl")
            } catch {}
        }
        let invalid: [UInt8] = Array(#"{"custom_id":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect(throws: ImportRefusal.self) { try invalid.withUnsafeBytes { try RequestRowStream.parse($0, kind: .input, source: "f", number: 1) } }
    }

    @Test func utf8ValidatorAcceptsValidTextAcrossChunksAndRejectsInvalid() {
        let text = Array("héllo 日本語 עברית 😀 ascii padding to pass the fast path".utf8)
        for split in 0...text.count {
            var validator = UTF8Validator()
            text[..<split].withUnsafeBytes { _ = validator.feed($0) }
            text[split...].withUnsafeBytes { _ = validator.feed($0) }
            let valid = validator.finish()
            #expect(valid, "split at \(split)")
        }
        for bad: [UInt8] in [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x41, 0x80]] {
            var validator = UTF8Validator()
            bad.withUnsafeBytes { _ = validator.feed($0) }
            let valid = validator.finish()
            #expect(!valid, "\(bad)")
        }
        var validator = UTF8Validator()
        Array("abcdefghijklmnop\u{FF}".utf8).withUnsafeBytes { _ = validator.feed($0) }
        Array([UInt8(0xFF)]).withUnsafeBytes { _ = validator.feed($0) }
        #expect(validator.firstInvalidOffset == 18)
    }

    @Test func metadataMapsKnownKeysAndKeepsTheRest() throws {
        let top: JSONValue = ["senderId": "s1", "status": "active", "sourceLocale": "en", "targetLocales": ["de", "ja"],
                              "createdAt": "2025-01-01T00:00:00Z", "clientVersion": "1.2",
                              "jobs": [["jobId": "j1", "type": "upload", "status": "completed", "createdAt": "2025-01-01T00:00:00.5Z",
                                        "progress": 50, "retries": 2]]]
        let changes: JSONValue = ["senderId": "s1", "status": "processing", "repository": "acme/site", "commit": "abc"]
        let (session, jobs) = try MetadataMapper.session(folder: "s1", top: (top, "s1/metadata.json"),
                                                         changes: (changes, "s1/changes/metadata.json"), expiryDays: 30)
        #expect(session.sessionType == "changes")
        #expect(session.status == "processing")
        #expect(session.metadata["clientVersion"] == "1.2")
        #expect(session.metadata["changes"] == ["repository": "acme/site", "commit": "abc"])
        #expect(session.expiresAt == LegacyTimestamp.parse("2025-01-31T00:00:00Z"))
        #expect(jobs.first?.progress == ["value": 50, "_legacy": ["retries": 2]])
        #expect(throws: ImportRefusal.self) {
            try MetadataMapper.session(folder: "other", top: (top, "other/metadata.json"), changes: nil, expiryDays: 30)
        }
        var bad = top
        if case .object(var fields) = bad { fields["status"] = "uploaded"; bad = .object(fields) }
        #expect(throws: ImportRefusal.self) { try MetadataMapper.session(folder: "s1", top: (bad, "s1/metadata.json"), changes: nil, expiryDays: 30) }
    }

    @Test func jsonSyntaxErrorsNameLineAndColumn() throws {
        let text = Array("{\n  \"a\": 1,\n  \"b\": tru\n}".utf8)
        text.withUnsafeBufferPointer { buffer in
            do {
                _ = try JSONScanner.parse(buffer)
                Issue.record("accepted invalid JSON")
            } catch let error as JSONSyntaxError {
                let position = error.position(in: buffer)
                #expect(position.line == 3)
                #expect(position.column == 8)
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        #expect(try JSONScanner.parse(Array(#"{"a":[1,2.5,-3e2,true,false,null,"x\n"]}"#.utf8)) ==
                ["a": [1, 2.5, -300.0, true, false, .null, "x\n"]])
    }

    /// Bounded fuzz: mutated and random documents never crash the parsers (they parse or throw).
    @Test func mutatedDocumentsNeverCrashTheParsers() throws {
        var rng = SplitMix64(seed: 0x5EED)
        let seeds = [#"{"custom_id":"a","response":{"status_code":200,"body":{"x":[1,2,{"y":"z"}]}},"error":null}"#,
                     #"{"senderId":"s","status":"active","sourceLocale":"en","createdAt":"2025-01-01T00:00:00Z","jobs":[{"jobId":"j"}]}"#,
                     #"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"#]
        let alphabet = Array(#"{}[]":,\-+.eE0123456789 truefalsnul\u00"#.utf8) + [0x0A, 0x00, 0xFF, 0xC3, 0xA9]
        for iteration in 0..<4000 {
            var bytes = Array(seeds[iteration % seeds.count].utf8)
            for _ in 0..<(1 + Int(rng.next() % 6)) {
                let position = Int(rng.next() % UInt64(bytes.count + 1))
                switch rng.next() % 3 {
                case 0: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: position)
                case 1: if position < bytes.count { bytes.remove(at: position) }
                default: if position < bytes.count { bytes[position] = alphabet[Int(rng.next() % UInt64(alphabet.count))] }
                }
            }
            _ = try? JSONScanner.parse(bytes)
            _ = try? bytes.withUnsafeBytes { try RequestRowStream.parse($0, kind: .results, source: "f", number: 1) }
            if let value = try? JSONScanner.parse(bytes) {
                _ = try? MetadataMapper.session(folder: "s", top: (value, "s/metadata.json"), changes: nil, expiryDays: 30)
                _ = try? MetadataMapper.batch(value, file: "m", folder: "b")
            }
            _ = LegacyTimestamp.parse(String(decoding: bytes.prefix(30), as: UTF8.self))
        }
        let deep = Array(repeating: UInt8(ascii: "["), count: 100_000)
        #expect(throws: JSONSyntaxError.self) { try JSONScanner.parse(deep) }
    }
}

