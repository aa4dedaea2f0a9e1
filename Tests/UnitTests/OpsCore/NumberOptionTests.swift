import OpsCore
import Testing

@Suite("Numeric option range checks")
struct NumberOptionTests {
    private func message(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch let error as OpsError { #expect(error.code == .usage); return error.message } catch { return "\(error)" }
    }

    @Test func integersOutsideTheirRangeNameTheOptionAndTheBound() throws {
        #expect(try NumberOption.int(1, "--jobs", range: 1...1000) == 1)
        #expect(try NumberOption.int(1000, "--jobs", range: 1...1000) == 1000)
        #expect(message { _ = try NumberOption.int(-1, "--jobs", range: 1...1000) } == "--jobs -1 is not valid: must be at least 1 (and at most 1000)")
        #expect(message { _ = try NumberOption.int(0, "--jobs", range: 1...Int.max) } == "--jobs 0 is not valid: must be at least 1")
        #expect(message { _ = try NumberOption.int(1001, "--jobs", range: 1...1000) } == "--jobs 1001 is not valid: must be at most 1000")
        #expect(message { _ = try NumberOption.int(.min, "--count", range: NumberOption.fireTimes) } != nil)
        #expect(message { _ = try NumberOption.int(.max, "--count", range: NumberOption.fireTimes) } == "--count \(Int.max) is not valid: must be at most 10000")
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity, -0.01, 1.01, .greatestFiniteMagnitude])
    func sharesMustBeFiniteFromZeroToOne(value: Double) {
        #expect(message { _ = try NumberOption.share(value, "--memory-warn") } == "--memory-warn \(value) is not valid: use a share from 0 to 1 (e.g. 0.8)")
    }

    @Test func aShareInRangeIsKept() throws {
        #expect(try NumberOption.share(0, "--x") == 0)
        #expect(try NumberOption.share(1, "--x") == 1)
        #expect(try NumberOption.share(0.8, "--x") == 0.8)
    }

    @Test func aWarnAboveItsFailIsRefusedAndEqualIsAllowed() throws {
        try NumberOption.ordered(warn: 0.9, "--memory-warn", fail: 0.9, "--memory-fail")
        #expect(message { try NumberOption.ordered(warn: 0.95, "--memory-warn", fail: 0.9, "--memory-fail") }
                == "--memory-warn must not be above --memory-fail: a check warns before it fails")
    }
}
