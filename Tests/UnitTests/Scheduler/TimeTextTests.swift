import Foundation
import Testing
@testable import Scheduler

@Suite("Times on the command line")
struct TimeTextTests {
    @Test func timesAreWrittenWithTheZonesOffsetAtThatInstant() throws {
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        #expect(TimeText.iso8601(try Date("2026-03-29T01:00:00Z", strategy: .iso8601), in: berlin) == "2026-03-29T03:00:00+02:00")
        #expect(TimeText.iso8601(try Date("2026-01-01T00:00:00Z", strategy: .iso8601), in: .gmt) == "2026-01-01T00:00:00+00:00")
        let newYork = TimeZone(identifier: "America/New_York")!
        #expect(TimeText.iso8601(try Date("2026-11-01T06:30:00Z", strategy: .iso8601), in: newYork) == "2026-11-01T01:30:00-05:00")
        #expect(TimeText.iso8601(try Date("2026-01-01T00:00:00Z", strategy: .iso8601), in: TimeZone(identifier: "Asia/Kolkata")!) == "2026-01-01T05:30:00+05:30")
    }

    @Test(arguments: ["2026-03-29T01:30:00+01:00", "2026-03-29T00:30:00Z", "2026-03-29T00:30Z", "2026-03-29T01:30", "2026-03-29 01:30:00"])
    func timesAreReadWithOrWithoutOffset(_ text: String) throws {
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        #expect(try TimeText.parseISO8601(text, defaultTimeZone: berlin) == Date("2026-03-29T00:30:00Z", strategy: .iso8601))
    }
}
