import Foundation
import PGClient
import RedisClient
import Scheduler
import Testing

/// Bounded fuzz of the parsers a hostile operator or a broken config management feeds (issue 14):
/// cron expressions, schedule files and store URLs. Each run takes well under a few seconds, is part of
/// the normal test command, and is reproducible: the seed is fixed unless `OPS_FUZZ_SEED` is set, and
/// every failure message names it.
@Suite("Parser fuzz (seeded, bounded)")
struct ParserFuzzTests {
    /// SplitMix64: a tiny, well-known seeded generator, so a failure can be replayed.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let seed: UInt64 = ProcessInfo.processInfo.environment["OPS_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x1414_2026

    /// A random string of `1...maxLength` pieces drawn from `alphabet` (pieces may be words).
    static func text(_ alphabet: [String], maxLength: Int, using generator: inout SeededGenerator) -> String {
        let length = Int.random(in: 1...maxLength, using: &generator)
        return (0..<length).map { _ in alphabet.randomElement(using: &generator)! }.joined()
    }

    static let cronPieces = ["0", "1", "2", "5", "7", "9", "12", "15", "23", "24", "29", "30", "31", "59", "60", "99",
                             "*", "*/", "/", "-", ",", " ", " ", " ", "\t", "jan", "feb", "dec", "mon", "fri", "sun", "sat",
                             "@daily", "@hourly", "@reboot", "@", "L", "W", "#", "?", "~", "9999999999999999999", "-1", "é"]

    static let zones = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Chatham"]

    @Test func cronExpressionsNeverCrashAndFireTimesIncrease() throws {
        var generator = SeededGenerator(state: Self.seed)
        var parsed = 0
        for iteration in 0..<4000 {
            let text = Self.text(Self.cronPieces, maxLength: 14, using: &generator)
            let expression: CronExpression
            do { expression = try CronExpression(text) } catch { continue }
            parsed += 1
            // The normalised text parses to the same schedule.
            let again = try CronExpression(expression.description)
            #expect(again == expression, "seed \(Self.seed) iteration \(iteration): '\(text)'")
            let zone = TimeZone(identifier: Self.zones.randomElement(using: &generator)!)!
            let start = Date(timeIntervalSince1970: Double(Int64.random(in: 0...4_102_444_800, using: &generator)))
            let dates = expression.nextDates(after: start, count: 3, in: zone)
            if !expression.canFire { #expect(dates.isEmpty, "seed \(Self.seed): '\(text)' cannot fire but fired") }
            var previous = start
            for date in dates {
                #expect(date > previous, "seed \(Self.seed) iteration \(iteration): '\(text)' in \(zone.identifier) went back")
                // Every zone here has whole-minute offsets and transitions: fire times are whole minutes.
                #expect(date.timeIntervalSince1970.truncatingRemainder(dividingBy: 60) == 0,
                        "seed \(Self.seed): '\(text)' in \(zone.identifier) fired off a minute boundary")
                previous = date
            }
        }
        #expect(parsed > 10, "the generator should produce some valid expressions (seed \(Self.seed))")
    }

    static let lineStarts = ["", "# comment", "CRON_TZ=", "CRON_TZ=Europe/Berlin", "CRON_TZ=Mars/Base", "MAILTO=x", "  ", "\t"]
    static let linePieces = cronPieces + ["backup", "retention", "health", " --jobs ", " 4", "timeout=", "retries=", "jitter=",
                                          "1h", "inf", "nan", "\"", "'", "\\", "=", "catch-up=", "backoff=", "5m", "0"]

    @Test func scheduleFilesNeverCrashAndErrorsAreLocated() {
        var generator = SeededGenerator(state: Self.seed ^ 0xF11E)
        for iteration in 0..<1500 {
            let lineCount = Int.random(in: 1...6, using: &generator)
            let lines = (0..<lineCount).map { _ in
                Self.lineStarts.randomElement(using: &generator)! + Self.text(Self.linePieces, maxLength: 16, using: &generator)
            }
            let text = lines.joined(separator: "\n")
            do {
                let file = try CronScheduleFile(parsing: text, file: "fuzz", defaultTimeZone: .gmt, knownJobs: ["backup", "retention", "health"])
                for entry in file.entries {
                    #expect((1...lineCount).contains(entry.line), "seed \(Self.seed) iteration \(iteration)")
                    #expect(entry.expression.canFire, "seed \(Self.seed) iteration \(iteration): a line that can never fire was accepted")
                }
            } catch {
                // Every rejection is one line that says where.
                #expect(!error.description.contains("\n"), "seed \(Self.seed) iteration \(iteration): \(error)")
                if let line = error.line { #expect((1...lineCount).contains(line), "seed \(Self.seed) iteration \(iteration): \(error)") }
            }
        }
    }

    static let urlPieces = ["redis://", "rediss://", "postgresql://", "postgres://", "http://", "user", ":", "@", "p@ss", "%",
                            "%40", "%zz", "127.0.0.1", "[::1]", "[", "]", "localhost", "/", "0", "1", "15", "65535", "65536",
                            "99999999999999999999", "-1", "?", "sslmode=require", "&", "#", " ", "host=", "port=", "dbname=x",
                            "'", "\\", "=", "é", "\u{0}"]

    @Test func storeURLsNeverCrashAndAcceptedPortsAreInRange() {
        var generator = SeededGenerator(state: Self.seed ^ 0x0512)
        for iteration in 0..<3000 {
            let text = Self.text(Self.urlPieces, maxLength: 10, using: &generator)
            if let url = try? RedisURL(text) {
                #expect((1...65535).contains(url.port), "seed \(Self.seed) iteration \(iteration): '\(text)'")
                #expect(url.database >= 0, "seed \(Self.seed) iteration \(iteration): '\(text)'")
            }
            if let configuration = try? PostgresConfiguration(text) {
                for port in configuration.port.split(separator: ",") where !port.isEmpty {
                    #expect(Int(port).map { (1...65535).contains($0) } == true, "seed \(Self.seed) iteration \(iteration): '\(text)' port \(port)")
                }
            }
        }
    }
}
