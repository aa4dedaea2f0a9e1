import Foundation

/// A crontab-style schedule file: which job runs when.
///
/// ```
/// # m  h  dom mon dow  job        arguments
/// CRON_TZ=Europe/Berlin
/// 30   2  *   *   *    backup     --full
/// @hourly              retention  "keep last 24"
/// ```
/// - Blank lines and lines whose first non-blank character is `#` are ignored (a `#` later in a
///   line is an ordinary character, as in cron).
/// - `CRON_TZ=Zone` sets the time zone of the lines after it, up to the next `CRON_TZ`; an empty value
///   goes back to the default zone. Any other `NAME=value` line is an error: this is not a shell
///   environment, and a silently ignored `MAILTO=` would mislead.
/// - A job line is five time fields or an `@` macro (see ``CronExpression``), the job name, then
///   arguments split on whitespace; `"…"` groups words into one argument, with `\"` and `\\` inside.
/// - Between the time fields and the job name, `name=value` words set the line's policy options
///   (`0 3 * * * timeout=2h retries=3 backup`); this type collects them, ``JobPolicy`` interprets them.
package struct CronScheduleFile: Sendable, Equatable {
    /// One job line.
    package struct Entry: Sendable, Equatable {
        /// 1-based line number in the file.
        package var line: Int
        package var expression: CronExpression
        /// The `CRON_TZ` in force for this line, or the file's default zone.
        package var timeZone: TimeZone
        package var job: String
        package var arguments: [String]
        /// `name=value` words before the job name, in file order.
        package var options: [Option]

        /// One `name=value` policy option.
        package struct Option: Sendable, Equatable {
            package var name: String
            package var value: String

            package init(name: String, value: String) {
                self.name = name
                self.value = value
            }
        }

        package init(line: Int, expression: CronExpression, timeZone: TimeZone, job: String, arguments: [String],
                    options: [Option] = []) {
            self.line = line
            self.expression = expression
            self.timeZone = timeZone
            self.job = job
            self.arguments = arguments
            self.options = options
        }

        /// The entry's next fire time strictly after `date`, in the entry's time zone.
        package func next(after date: Date) -> Date? {
            expression.next(after: date, in: timeZone)
        }
    }

    /// The job lines, in file order.
    package var entries: [Entry]

    /// Parses a schedule file's text.
    /// - Parameters:
    ///   - text: the whole file.
    ///   - file: the name used in error messages, e.g. `Cron/schedule`.
    ///   - defaultTimeZone: the zone of lines before any `CRON_TZ`.
    ///   - knownJobs: the job names the caller can run; `nil` accepts any well-formed name.
    /// - Throws: the first ``CronError``, located at its line: `Cron/schedule:7: field 3 (day-of-month):
    ///   32 is out of range 1-31`.
    package init(
        parsing text: String, file: String = "schedule", defaultTimeZone: TimeZone,
        knownJobs: Set<String>? = nil
    ) throws(CronError) {
        var entries: [Entry] = []
        var timeZone = defaultTimeZone
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\r")))
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            do {
                if let (name, value) = Self.setting(line) {
                    timeZone = try Self.apply(name: name, value: value, default: defaultTimeZone)
                } else {
                    entries.append(try Self.entry(line, number: index + 1, timeZone: timeZone, knownJobs: knownJobs))
                }
            } catch {
                throw error.located(file: file, line: index + 1)
            }
        }
        self.entries = entries
    }

    package init(entries: [Entry]) {
        self.entries = entries
    }

    /// `NAME=value` (spaces around `=` allowed, value optionally quoted), as cronie's `load_env` reads it.
    private static func setting(_ line: String) -> (name: String, value: String)? {
        guard let equals = line.firstIndex(of: "=") else { return nil }
        let name = line[..<equals].trimmingCharacters(in: .whitespaces)
        guard let first = name.first, first.isASCII, first.isLetter || first == "_",
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
        else { return nil }
        var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        if value.count >= 2, let quote = value.first, quote == "\"" || quote == "'", value.last == quote {
            value = String(value.dropFirst().dropLast())
        }
        return (name, value)
    }

    private static func apply(name: String, value: String, default: TimeZone) throws(CronError) -> TimeZone {
        guard name == "CRON_TZ" else {
            throw CronError(.unknownSetting, "unknown setting '\(name)' (only CRON_TZ is supported)")
        }
        if value.isEmpty { return `default` }
        guard let zone = TimeZone(identifier: value) else {
            throw CronError(.invalidTimeZone, "CRON_TZ: unknown time zone '\(value)' (e.g. Europe/Berlin, UTC)")
        }
        return zone
    }

    private static func entry(
        _ line: String, number: Int, timeZone: TimeZone, knownJobs: Set<String>?
    ) throws(CronError) -> Entry {
        var words = try splitWords(line)[...]
        let expression: CronExpression
        if words.first?.hasPrefix("@") == true {
            expression = try CronExpression(words.removeFirst())
        } else {
            guard words.count >= 5 else {
                throw CronError(
                    .wrongFieldCount,
                    "expected 5 fields (\(CronExpression.fieldNames)) and a job, found \(words.count) words")
            }
            expression = try CronExpression(fields: Array(words.prefix(5)))
            words = words.dropFirst(5)
        }
        guard expression.canFire else {
            throw CronError(.invalidField, "'\(expression)' can never fire: none of its months has that day", field: .dayOfMonth)
        }
        var options: [Entry.Option] = []
        while let word = words.first, let option = option(word) {
            if options.contains(where: { $0.name == option.name }) {
                throw CronError(.invalidOption, "option '\(option.name)' is given twice")
            }
            options.append(option)
            words = words.dropFirst()
        }
        guard let job = words.popFirst() else {
            throw CronError(.invalidLine, "missing job name after '\(expression)'")
        }
        try validate(job: job, knownJobs: knownJobs)
        return Entry(line: number, expression: expression, timeZone: timeZone, job: job, arguments: Array(words), options: options)
    }

    /// `name=value` where name is lower-case letters and dashes: a policy option, not a job name.
    private static func option(_ word: String) -> Entry.Option? {
        guard let equals = word.firstIndex(of: "="), equals != word.startIndex else { return nil }
        let name = word[..<equals]
        guard name.first?.isLetter == true, name.allSatisfy({ ($0.isASCII && $0.isLowercase) || $0 == "-" }) else { return nil }
        return Entry.Option(name: String(name), value: String(word[word.index(after: equals)...]))
    }

    private static func validate(job: String, knownJobs: Set<String>?) throws(CronError) {
        guard let first = job.first, first.isASCII, first.isLetter,
              job.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) })
        else {
            // cronie's "common typo" check: a sixth time field (seconds, or a year) where the command goes.
            let hint = job.first.map { $0 == "*" || $0.isNumber } == true
                ? ": a schedule has 5 time fields, is there a sixth?" : ""
            throw CronError(.invalidLine, "'\(job)' is not a job name\(hint)")
        }
        if let knownJobs, !knownJobs.contains(job) {
            throw CronError(
                .unknownJob, "unknown job '\(job)' (known: \(knownJobs.sorted().joined(separator: ", ")))")
        }
    }

    /// Whitespace-separated words; `"…"` keeps spaces and may be glued to other text (`a"b c"` is
    /// `ab c`); inside quotes `\"` and `\\` escape.
    static func splitWords(_ line: String) throws(CronError) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var inQuotes = false
        var escaping = false
        for character in line {
            if inQuotes {
                if escaping {
                    if character != "\"" && character != "\\" { current.append("\\") }
                    current.append(character)
                    escaping = false
                } else if character == "\\" {
                    escaping = true
                } else if character == "\"" {
                    inQuotes = false
                } else {
                    current.append(character)
                }
            } else if character == " " || character == "\t" {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else if character == "\"" {
                inQuotes = true
                inWord = true
            } else {
                current.append(character)
                inWord = true
            }
        }
        guard !inQuotes else { throw CronError(.invalidLine, "unterminated '\"'") }
        if inWord { words.append(current) }
        return words
    }
}
