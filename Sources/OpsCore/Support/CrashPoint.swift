import Foundation

/// A test-only hook for crash-injection tests: when the environment variable `OPS_TEST_CRASH_AFTER`
/// names a point the process reaches, the process kills itself with SIGKILL there, exactly as
/// `kill -9` or a power cut would (no cleanup, no flush, no rollback sent). Unset in production, where
/// reaching a point costs one dictionary lookup.
///
/// Points: `archive-published` (a batch archive is on disk, its rows not yet deleted), `archive-written`
/// (a batch archive's rows are in its temporary file), `backup-data-member-written` (a backup's first
/// data member is in the temporary archive).
package enum CrashPoint {
    package static let variable = "OPS_TEST_CRASH_AFTER"

    package static func reach(_ point: String) {
        guard ProcessInfo.processInfo.environment[variable] == point else { return }
        raise(SIGKILL)
    }
}
