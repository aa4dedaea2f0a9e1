import OpsSupport
import Testing

@Suite("The one duration grammar")
struct DurationTextTests {
    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)), ("30s", .seconds(30)), ("15m", .seconds(900)), ("6h", .seconds(21_600)),
        ("1d", .seconds(86_400)), ("1h30m", .seconds(5_400)), ("2d12h", .seconds(216_000)), ("1m30s500ms", .milliseconds(90_500)),
        ("90", .seconds(90)), ("2.5", .milliseconds(2_500)), ("1.5s", .milliseconds(1_500)), ("0.5h", .seconds(1_800)),
        (" 10M ", .seconds(600)), ("0", .zero), ("0s", .zero), ("1H30M", .seconds(5_400)),
    ])
    func everyFormParses(text: String, expected: Duration) {
        #expect(DurationText.parse(text) == expected)
    }

    @Test(arguments: ["", " ", "ms", "s", "10 minutes", "1 h", "-5s", "+5s", "1e3s", "1e300", "inf", "nan", "abc", "5w", "1.s",
                      ".5s", "1h30", "1..5s", "5sm", "0x10", "99999999999999h", "9999999999999999h", "4000d", "١٢s"])
    func malformedOrHugeValuesAreRejected(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test func aBareNumberTakesTheOptionsBareUnit() {
        #expect(DurationText.parse("250", bareUnit: .milliseconds) == .milliseconds(250))
        #expect(DurationText.parse("1s", bareUnit: .milliseconds) == .seconds(1))
    }

    @Test func theErrorNamesTheOptionAndTheAcceptedForms() throws {
        let error = try #require(throws: DurationSyntaxError.self) { try DurationText.parse("1x", subject: "--max-runtime") }
        #expect(error.description == "--max-runtime 1x: expected a duration such as 500ms, 30s, 15m, 1h30m or 1d (a bare number is seconds)")
        let policy = try #require(throws: DurationSyntaxError.self) { try DurationText.parse("1x", subject: "timeout=") }
        #expect(policy.description.hasPrefix("timeout=1x: expected a duration"))
    }

    @Test func aValueOutsideTheRangeNamesTheRange() throws {
        let error = try #require(throws: DurationSyntaxError.self) {
            try DurationText.parse("30d", subject: "--lock-timeout", range: .milliseconds(1) ... .seconds(86_400))
        }
        #expect(error.description == "--lock-timeout 30d: must be between 1 ms and 1 d")
    }

    @Test func theMaximumConvertsToMillisecondsWithoutOverflow() throws {
        let maximum = try #require(DurationText.parse("3660d"))
        #expect(maximum == DurationText.maximum)
        #expect(DurationText.postgres(maximum) == "316224000000ms")
        #expect(DurationText.parse("3660d1ms") == nil)
    }

    @Test(arguments: [(Duration.milliseconds(120), "120 ms"), (.milliseconds(2_500), "2.5 s"), (.seconds(200), "3 min 20 s"),
                      (.seconds(7_200), "2 h"), (.seconds(90_000), "1 d 1 h")])
    func durationsFormatForMessages(duration: Duration, text: String) {
        #expect(DurationText.format(duration) == text)
    }

    /// Bounded fuzz: random strings over the grammar's alphabet never crash the parser, and whatever
    /// parses is within the maximum and formats back to a value that parses to the same duration.
    @Test func randomInputNeverCrashesAndParsedValuesAreBounded() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789.msdhMSDH -+exinf")
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...14, using: &generator)
            let text = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
            if let value = DurationText.parse(text) {
                #expect(value >= .zero && value <= DurationText.maximum, "\(text)")
                #expect(DurationText.parse(DurationText.postgres(value)) == .milliseconds(DurationText.wholeMilliseconds(value)), "\(text)")
            }
        }
    }
}
