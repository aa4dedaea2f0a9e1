import OpsCore
import OpsSupport

/// What `import legacy` was asked to do (README, "import legacy").
package struct LegacyImportOptions: Sendable {
    package static let jobsRange = 1...32

    package var directory: String
    package var mode: ImportMode = .apply
    /// `--sender` values; empty: every sender of the tree.
    package var senders: [String] = []
    package var includeExpired = false
    /// Sessions imported in parallel, each over its own connection.
    package var jobs = 1
    package var progress: ImportProgress.Display = .none

    package init(directory: String) {
        self.directory = directory
    }

    /// Range checks, also for options built in code (tests).
    package func validate(maxConnections: Int = 1000) throws -> LegacyImportOptions {
        guard Self.jobsRange.contains(jobs) else {
            throw OpsError(.usage, "--jobs \(jobs) is not valid: use a whole number from \(Self.jobsRange.lowerBound) to \(Self.jobsRange.upperBound)")
        }
        guard jobs < maxConnections else {
            throw OpsError(.usage, "--jobs \(jobs) needs \(jobs + 1) connections but POSTGRES_MAX_CONNECTIONS is \(maxConnections)")
        }
        for sender in senders where sender.isEmpty || sender.contains("/") || sender == "." || sender == ".." {
            throw OpsError(.usage, "--sender '\(sender)' is not valid: give a sender id (a folder name of the tree)")
        }
        return self
    }
}
