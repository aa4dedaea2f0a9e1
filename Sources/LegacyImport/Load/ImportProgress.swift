import Logging
import OpsSupport

/// Sessions, files and bytes done of the totals, shared by the workers: the import's `ProgressMeter`.
package final class ImportProgress: Sendable {
    package typealias Display = ProgressMeter.Display

    package let meter: ProgressMeter

    package init(sessions: Int, files: Int, bytes: Int64, display: Display, logger: Logger) {
        meter = ProgressMeter(label: "import", quantities: [
            .init("sessions", total: Int64(sessions)), .init("files", total: Int64(files)), .init("bytes", total: bytes, isBytes: true),
        ], display: display, log: { logger.info("\($0)") })
    }

    package static func defaultDisplay(quiet: Bool) -> Display { ProgressMeter.defaultDisplay(quiet: quiet) }

    package func add(files: Int = 0, bytes: Int64 = 0) {
        meter.add("files", Int64(files))
        meter.add("bytes", bytes)
    }

    package func sessionDone() { meter.add("sessions", 1) }

    package func line() -> String { meter.line() }

    /// Redraws until cancelled; then clears the terminal line.
    package func run() async { await meter.run() }

    static func bytes(_ value: Int64) -> String { ByteCount.format(value) }
}
