/// Why a cron expression or a schedule file was rejected.
///
/// Modelled on `OpsError`: `Code` is a struct over a private enum so new codes never break callers.
/// `description` is one line a human can act on, e.g.
/// `Cron/schedule:7: field 3 (day-of-month): 32 is out of range 1-31`.
package struct CronError: Error, Sendable, Hashable, CustomStringConvertible {
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case invalidField, wrongFieldCount, unsupported, invalidLine, unknownJob, unknownSetting,
                 invalidTimeZone, invalidOption, invalidArguments
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// One of the five fields is malformed or out of range.
        package static let invalidField = Code(.invalidField)
        /// The expression does not have exactly five fields.
        package static let wrongFieldCount = Code(.wrongFieldCount)
        /// Valid cron syntax this scheduler deliberately does not implement (`@reboot`, `~`).
        package static let unsupported = Code(.unsupported)
        /// A schedule-file line that is neither a comment, a setting nor a job line.
        package static let invalidLine = Code(.invalidLine)
        /// The job name is not one the caller knows.
        package static let unknownJob = Code(.unknownJob)
        /// A `NAME=value` line other than `CRON_TZ`.
        package static let unknownSetting = Code(.unknownSetting)
        /// `CRON_TZ` names no time zone in the system's database.
        package static let invalidTimeZone = Code(.invalidTimeZone)
        /// A `name=value` policy option before the job name is unknown or has a bad value.
        package static let invalidOption = Code(.invalidOption)
        /// The job's command rejected the arguments on the line.
        package static let invalidArguments = Code(.invalidArguments)

        package var description: String { base.rawValue }
    }

    package var code: Code
    /// The field at fault, when one is.
    package var field: CronExpression.Field?
    /// What is wrong, without location: `32 is out of range 1-31`.
    package var reason: String
    /// The schedule file's name as the caller gave it, when the error comes from a file.
    package var file: String?
    /// The 1-based line number in `file`.
    package var line: Int?

    package init(
        _ code: Code, _ reason: String, field: CronExpression.Field? = nil, file: String? = nil,
        line: Int? = nil
    ) {
        self.code = code
        self.reason = reason
        self.field = field
        self.file = file
        self.line = line
    }

    /// The message without the file location: `field 2 (hour): 24 is out of range 0-23`.
    package var message: String {
        guard let field else { return reason }
        return "field \(field.rawValue) (\(field.name)): \(reason)"
    }

    package var description: String {
        switch (file, line) {
        case let (file?, line?): return "\(file):\(line): \(message)"
        case let (nil, line?): return "line \(line): \(message)"
        case let (file?, nil): return "\(file): \(message)"
        case (nil, nil): return message
        }
    }

    /// The same error, located at `line` of `file`.
    package func located(file: String, line: Int) -> CronError {
        var copy = self
        copy.file = file
        copy.line = line
        return copy
    }
}
