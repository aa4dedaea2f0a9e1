import Foundation
import OpsCore
import OpsSupport

/// What one `snapshot` run established.
package struct SnapshotResult: Sendable {
    /// The server as `redis://host:port` (never with a password).
    package var server: String
    package var serverInfo: SnapshotServer
    /// The format Dragonfly was asked for; `rdb` on Redis.
    package var format: SnapshotFormat?
    /// The server's `TIME` just before the accepted `BGSAVE`, in Unix seconds.
    package var triggerTime: Double
    /// Whether the run waited for a save that was already running before triggering its own.
    package var waitedForRunningSave: Bool
    /// How many times `BGSAVE` or the connection was retried because the server was loading.
    package var loadingRetries: Int
    /// `false` for `--no-wait`: the save was accepted but not awaited.
    package var confirmed: Bool
    /// The server's timestamp of the confirmed save (Redis: completion; Dragonfly: start).
    package var saveTime: Int64?
    /// From the accepted `BGSAVE` to the poll that confirmed the save (our clock).
    package var duration: Duration
    /// The server's own measure of the save (whole seconds), when it reports one.
    package var serverDurationSeconds: Int64?
    /// The snapshot's files, when known.
    package var files: SnapshotFileSet?

    /// `ops.job_runs.details` (brief keys: duration_seconds, bytes, file, server).
    package var details: [String: JSONValue] {
        var details: [String: JSONValue] = [
            "server": .string(serverInfo.kind.rawValue),
            "server_version": .string(serverInfo.version),
            "duration_seconds": .double((duration.inSeconds * 1000).rounded() / 1000),
            "confirmed": .bool(confirmed),
            "waited_for_running_save": .bool(waitedForRunningSave),
            "loading_retries": .int(Int64(loadingRetries)),
            "trigger_time": .double(triggerTime),
        ]
        if let format { details["format"] = .string(format.rawValue) }
        if let saveTime { details["last_save_timestamp_seconds"] = .int(saveTime) }
        if let serverDurationSeconds { details["server_duration_seconds"] = .int(serverDurationSeconds) }
        if let files {
            details["file"] = .string(files.reportedPath)
            if let bytes = files.bytes { details["bytes"] = .int(bytes) }
        }
        return details
    }

    /// One line for the terminal.
    package var summary: String {
        guard confirmed else {
            return "snapshot triggered on \(server) (\(serverInfo.product)); not waiting for it to finish (--no-wait)"
        }
        var line = "snapshot saved on \(server) (\(serverInfo.product))"
        if let files {
            line += ": \(files.reportedPath)"
            if let bytes = files.bytes { line += " (\(ByteCount.format(bytes)))" }
        }
        line += " in \(DurationText.format(duration))"
        if waitedForRunningSave { line += ", after waiting for a save already running" }
        return line
    }
}

