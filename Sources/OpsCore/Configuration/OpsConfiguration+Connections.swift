import Logging

extension OpsConfiguration {
    /// `requested` connections (a `--jobs` value), capped by `POSTGRES_MAX_CONNECTIONS`, with a
    /// notice naming both when capped: `restore --jobs 60` must not open 60 connections on a server
    /// budgeted for 10.
    ///
    /// - Parameters:
    ///   - requested: what the option asks for.
    ///   - option: the option's name, for the notice.
    ///   - logger: where the notice goes.
    package func cappedConnections(_ requested: Int, option: String = "--jobs", logger: Logger) -> Int {
        guard requested > postgresMaxConnections else { return requested }
        logger.notice("\(option) \(requested) capped to \(postgresMaxConnections) connections by POSTGRES_MAX_CONNECTIONS")
        return postgresMaxConnections
    }
}
