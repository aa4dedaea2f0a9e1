import Foundation
import Testing

@testable import Scheduler

@Suite("CronScheduleFile")
struct CronScheduleFileTests {
    let utc = CronTime.zone("UTC")

    @Test func parsesEntriesWithLineNumbersZonesAndArguments() throws {
        let text = """
            # nightly jobs
              
            30 2 * * *  backup --full
            CRON_TZ=Europe/Berlin
            @hourly     retention "keep last 24" x\t y
            CRON_TZ = "America/New_York"
            0 9 * * mon-fri  report a"b c"d "say \\"hi\\"" ""
            CRON_TZ=
            */15 * * * * backup\r
            """
        let schedule = try CronScheduleFile(parsing: text, file: "Cron/schedule", defaultTimeZone: utc)
        #expect(schedule.entries.map(\.line) == [3, 5, 7, 9])
        #expect(schedule.entries.map(\.job) == ["backup", "retention", "report", "backup"])
        #expect(schedule.entries.map(\.timeZone) == [utc, CronTime.zone("Europe/Berlin"), CronTime.zone("America/New_York"), utc])
        #expect(schedule.entries.map(\.arguments) == [
            ["--full"], ["keep last 24", "x", "y"], ["ab cd", "say \"hi\"", ""], [],
        ])
        #expect(schedule.entries[1].expression == (try CronExpression("@hourly")))
        #expect(schedule.entries[3].expression.description == "*/15 * * * *")
    }

    @Test func cronTZAppliesToTheLinesAfterItOnly() throws {
        let text = """
            30 2 * * * backup
            CRON_TZ=Europe/Berlin
            30 2 * * * backup
            """
        let schedule = try CronScheduleFile(parsing: text, defaultTimeZone: utc)
        let from = try CronTime.instant("2026-06-01T00:00:00Z")  // 02:00 in Berlin (CEST)
        #expect(schedule.entries.map { CronTime.iso($0.next(after: from)!, in: utc) } == [
            "2026-06-01T02:30:00+00:00", "2026-06-01T00:30:00+00:00",
        ])
    }

    @Test("errors carry the file, the line, the field and the reason", arguments: [
        ("0 3 * * * backup\n\n# ok\n\n\n\n0 3 32 * * backup", "Cron/schedule:7: field 3 (day-of-month): 32 is out of range 1-31"),
        ("0 24 * * * backup", "Cron/schedule:1: field 2 (hour): 24 is out of range 0-23"),
        ("* * 31 feb * backup", "Cron/schedule:1: field 3 (day-of-month): '* * 31 feb *' can never fire: none of its months has that day"),
        ("0 0 31 4,6,9,11 * backup", "Cron/schedule:1: field 3 (day-of-month): '0 0 31 4,6,9,11 *' can never fire: none of its months has that day"),
        ("# x\n@reboot backup", "Cron/schedule:2: @reboot is not supported: this scheduler fires at times of day, not at start-up"),
        ("0 3 * * backup", "Cron/schedule:1: field 5 (day-of-week): unknown name 'backup' (use sun-sat or 0-7)"),
        ("0 3 * backup", "Cron/schedule:1: expected 5 fields (minute hour day-of-month month day-of-week) and a job, found 4 words"),
        ("0 3 * * *", "Cron/schedule:1: missing job name after '0 3 * * *'"),
        ("@daily", "Cron/schedule:1: missing job name after '@daily'"),
        ("0 3 * * * * backup", "Cron/schedule:1: '*' is not a job name: a schedule has 5 time fields, is there a sixth?"),
        ("0 3 * * * 2026 backup", "Cron/schedule:1: '2026' is not a job name: a schedule has 5 time fields, is there a sixth?"),
        ("0 3 * * * /usr/bin/backup", "Cron/schedule:1: '/usr/bin/backup' is not a job name"),
        ("0 3 * * * backpu", "Cron/schedule:1: unknown job 'backpu' (known: backup, retention, vacuum)"),
        ("0 3 * * * backup \"unterminated", "Cron/schedule:1: unterminated '\"'"),
        ("\nCRON_TZ=Mars/Base\n0 3 * * * backup", "Cron/schedule:2: CRON_TZ: unknown time zone 'Mars/Base' (e.g. Europe/Berlin, UTC)"),
        ("MAILTO=ops@example.com", "Cron/schedule:1: unknown setting 'MAILTO' (only CRON_TZ is supported)"),
        ("  SHELL = /bin/sh", "Cron/schedule:1: unknown setting 'SHELL' (only CRON_TZ is supported)"),
    ])
    func invalidFilesAreRejectedAtTheirLine(_ text: String, _ message: String) {
        #expect {
            try CronScheduleFile(
                parsing: text, file: "Cron/schedule", defaultTimeZone: utc,
                knownJobs: ["backup", "retention", "vacuum"])
        } throws: { error in
            (error as? CronError)?.description == message
        }
    }

    @Test func errorsExposeTheirLineAndCode() throws {
        let error = try #require(throws: CronError.self) {
            try CronScheduleFile(parsing: "\n0 3 * * * backpu", defaultTimeZone: utc, knownJobs: ["backup"])
        }
        #expect(error.line == 2)
        #expect(error.file == "schedule")
        #expect(error.code == .unknownJob)
        #expect(error.message == "unknown job 'backpu' (known: backup)")
    }

    @Test func anyWellFormedJobNameIsAcceptedWithoutAKnownSet() throws {
        let schedule = try CronScheduleFile(parsing: "0 3 * * * db.vacuum-full_2 --now", defaultTimeZone: utc)
        #expect(schedule.entries.first?.job == "db.vacuum-full_2")
    }

    @Test func anEmptyFileHasNoEntries() throws {
        #expect(try CronScheduleFile(parsing: "", defaultTimeZone: utc).entries.isEmpty)
        #expect(try CronScheduleFile(parsing: "# only\n   \n\t# comments\n", defaultTimeZone: utc).entries.isEmpty)
    }
}
