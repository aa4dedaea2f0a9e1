import Foundation
import OpsCore

/// A loaded schedule: each line's timing, policy and ready-to-run job.
package struct Schedule: Sendable {
    /// One schedule line, resolved.
    package struct Item: Sendable {
        package let entry: CronScheduleFile.Entry
        package let policy: JobPolicy
        package let job: any OpsJob

        /// The job name, as on the line.
        package var name: String { entry.job }
    }

    /// The file's name as given (for messages).
    package let file: String
    package let items: [Item]

    /// Parses a schedule and builds every line's job, so a bad line fails here, not at 03:00.
    ///
    /// - Parameters:
    ///   - text: the file's text.
    ///   - file: the name used in messages.
    ///   - catalog: the jobs the lines may name.
    ///   - defaultTimeZone: the zone of lines before any `CRON_TZ` (the daemon uses the system zone).
    /// - Throws: ``CronError`` located at the line: a cron field, an unknown job, a bad option, or
    ///   arguments the job's command rejects.
    package init(parsing text: String, file: String, catalog: some JobCatalog, defaultTimeZone: TimeZone) throws(CronError) {
        let parsed = try CronScheduleFile(parsing: text, file: file, defaultTimeZone: defaultTimeZone, knownJobs: Set(catalog.jobNames))
        var items: [Item] = []
        for entry in parsed.entries {
            let policy: JobPolicy
            do { policy = try JobPolicy.resolve(entry) } catch { throw error.located(file: file, line: entry.line) }
            let job: any OpsJob
            do {
                job = try catalog.makeJob(entry.job, arguments: entry.arguments)
            } catch {
                let reason = (error as? OpsError)?.message ?? String(describing: error)
                throw CronError(.invalidArguments, "\(entry.job): \(reason)", file: file, line: entry.line)
            }
            items.append(Item(entry: entry, policy: policy, job: job))
        }
        self.file = file
        self.items = items
    }

    /// Reads and parses the schedule file at `path`.
    ///
    /// - Throws: `OpsError` `.usage` (exit 2) with the one-line reason: unreadable file or a bad line.
    package static func load(path: String, catalog: some JobCatalog, defaultTimeZone: TimeZone = .current) throws -> Schedule {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw OpsError(.usage, "cannot read the schedule \(path): \(POSIXErrorDescription.describe(error))")
        }
        do {
            return try Schedule(parsing: text, file: path, catalog: catalog, defaultTimeZone: defaultTimeZone)
        } catch {
            throw OpsError(.usage, "invalid schedule: \(error)")
        }
    }

    /// The job names the schedule uses, without duplicates, in file order.
    package var jobNames: [String] {
        var seen = Set<String>()
        return items.map(\.name).filter { seen.insert($0).inserted }
    }
}

/// A short reason for a file error ("No such file or directory") instead of Foundation's long text.
enum POSIXErrorDescription {
    static func describe(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
           let message = strerror(Int32(underlying.code)) {
            return String(cString: message)
        }
        if nsError.domain == NSCocoaErrorDomain && nsError.code == NSFileReadNoSuchFileError { return "No such file or directory" }
        return nsError.localizedDescription
    }
}
