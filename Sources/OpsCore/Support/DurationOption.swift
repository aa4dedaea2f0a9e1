import OpsSupport

extension DurationText {
    /// PostgreSQL's timeouts (`lock_timeout`, `statement_timeout`) take at most `INT_MAX` milliseconds.
    package static let postgresTimeoutRange: ClosedRange<Duration> = .milliseconds(1) ... .milliseconds(Int64(Int32.max))

    /// Parses a command-line option's duration with the one grammar, as a usage error (exit 2) naming
    /// the option and the accepted forms or its range.
    /// - Parameters:
    ///   - text: the option's value.
    ///   - option: `--timeout`.
    ///   - range: what the option allows (default: more than zero, at most ten years).
    ///   - bareUnit: the unit of a number without one (seconds unless the option documents another).
    package static func option(_ text: String, _ option: String, range: ClosedRange<Duration> = .milliseconds(1)...maximum,
                               bareUnit: Unit = .seconds) throws -> Duration {
        do {
            return try parse(text, subject: option, range: range, bareUnit: bareUnit)
        } catch {
            throw OpsError(.usage, error.description)
        }
    }
}
