import OpsCore

/// The jobs a schedule may name. The executable supplies it: it knows the command types, so a schedule
/// line's arguments are parsed exactly as the same command on the shell would parse them. This module
/// knows nothing about backups or retention.
package protocol JobCatalog: Sendable {
    /// The job names a schedule line may use (its word after the time fields).
    var jobNames: [String] { get }

    /// Builds the job a schedule line names.
    ///
    /// - Parameters:
    ///   - name: one of ``jobNames``.
    ///   - arguments: the words after the job name on the line.
    /// - Throws: any error whose description says what is wrong with the arguments; the schedule
    ///   reports it with the file and line.
    func makeJob(_ name: String, arguments: [String]) throws -> any OpsJob
}
