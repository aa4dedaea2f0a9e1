import Foundation
import OpsCore
import OpsSupport

/// node_exporter textfile-collector output for one-shot runs (`--textfile-dir`), so system cron runs are
/// alertable like the daemon's. One file per job, `auto_i18n_ops_<job>.prom`, replaced atomically
/// (temp file, fsync, rename), mode 0644 so node_exporter can read it.
///
/// The gauges have the daemon's names and the `ops_job` label (see ``OpsMetrics``), so one set of alert
/// rules serves both deployments. Figures of the last *successful* run (its end time, a backup's size)
/// survive failed and skipped runs: they are carried over from the previous file, and so is the count of
/// consecutive failures (the previous file is the state between one-shot processes).
///
/// The store series (`postgres_up`, `redis_up`, their pings, `metrics_refresh_timestamp_seconds`) have no
/// `ops_job` label, exactly as the daemon exports them, so they live in one shared file,
/// `auto_i18n_ops_stores.prom`, that every run replaces with what it saw last (node_exporter refuses the
/// same series in two files).
package enum TextfileExporter {
    /// The shared store file's name.
    package static let storesFile = "auto_i18n_ops_stores.prom"

    /// Writes the metrics of `report` to `<directory>/auto_i18n_ops_<job>.prom` and, when `stores` is
    /// given, the store series to `<directory>/auto_i18n_ops_stores.prom`.
    ///
    /// - Parameters:
    ///   - report: the run.
    ///   - exitCode: the process's exit status for this run.
    ///   - stores: what the run saw of the stores (nil: nothing known, e.g. the configuration did not load).
    ///   - directory: node_exporter's `--collector.textfile.directory`; created (0755) if missing.
    ///   - now: the run's end.
    package static func write(_ report: JobRunner.Report, exitCode: Int32? = nil, stores: StoreProbe.Status? = nil,
                              to directory: String, now: Date = Date()) throws {
        let safeJob = report.job.map { $0.isLetter || $0.isNumber ? $0 : "_" }
        let path = (directory as NSString).appendingPathComponent("auto_i18n_ops_\(String(safeJob)).prom")
        // node_exporter runs as another user: the directory (when we create it) and the file must be readable.
        try AtomicFile.makeDirectories(directory, mode: 0o755)
        let text = render(report, exitCode: exitCode ?? defaultExitCode(report), now: now, previous: previousSamples(at: path))
        try AtomicFile.write(Data(text.utf8), to: path, mode: 0o644)
        if let stores {
            try AtomicFile.write(Data(renderStores(stores, now: now).utf8),
                                 to: (directory as NSString).appendingPathComponent(storesFile), mode: 0o644)
        }
    }

    /// The exit status a report ends the process with (Main's mapping, README "Exit codes").
    package static func defaultExitCode(_ report: JobRunner.Report) -> Int32 {
        switch report.status {
        case .succeeded, .running: return ExitCode.ok
        case .warning: return ExitCode.warning
        case .skipped, .failed, .interrupted:
            if let error = report.error.map(Stores.opsError) as? OpsError { return error.code.exitCode }
            return ExitCode.failure
        }
    }

    /// The store file's text: the daemon's names, no job label.
    static func renderStores(_ stores: StoreProbe.Status, now: Date) -> String {
        var lines: [String] = []
        func metric(_ family: OpsMetrics.Family, _ value: Double) {
            lines.append("# HELP auto_i18n_ops_\(family.name) \(family.help)")
            lines.append("# TYPE auto_i18n_ops_\(family.name) gauge")
            lines.append("auto_i18n_ops_\(family.name) \(format(value))")
        }
        if let postgres = stores.postgres {
            metric(OpsMetrics.postgresUp, postgres.up ? 1 : 0)
            metric(OpsMetrics.postgresPing, postgres.ping)
        }
        if let redis = stores.redis {
            metric(OpsMetrics.redisUp, redis.up ? 1 : 0)
            metric(OpsMetrics.redisPing, redis.ping)
        }
        if let space = stores.repository {
            metric(OpsMetrics.repositoryAvailable, Double(space.availableBytes))
            metric(OpsMetrics.repositorySize, Double(space.sizeBytes))
        }
        metric(OpsMetrics.refreshTimestamp, now.timeIntervalSince1970)
        return lines.joined(separator: "\n") + "\n"
    }

    /// The file's text for `report`, carrying success figures over from `previous` samples.
    static func render(_ report: JobRunner.Report, exitCode: Int32? = nil, now: Date, previous: [String: Double]) -> String {
        let job = escape(report.job)
        let jobLabel = "ops_job=\"\(job)\""
        let succeeded = report.status == .succeeded || report.status == .warning
        let ran = report.status != .skipped
        var lines: [String] = []
        func metric(_ name: String, _ help: String, _ samples: [(String, Double)]) {
            lines.append("# HELP auto_i18n_ops_\(name) \(help)")
            lines.append("# TYPE auto_i18n_ops_\(name) gauge")
            for (labels, value) in samples {
                lines.append("auto_i18n_ops_\(name)\(labels.isEmpty ? "" : "{\(labels)}") \(format(value))")
            }
        }
        /// This run's value, or the previous file's when this run does not count (failed, skipped).
        func carried(_ name: String, _ labels: String, current: Double?, counts: Bool) -> Double {
            if counts, let current { return current }
            return previous["auto_i18n_ops_\(name){\(labels)}"] ?? 0
        }

        metric("job_last_run_timestamp_seconds", "When the job's last run (succeeded, warning or failed) ended; 0 = never.",
               [(jobLabel, carried("job_last_run_timestamp_seconds", jobLabel, current: now.timeIntervalSince1970, counts: ran))])
        metric("job_last_success_timestamp_seconds", "When the job last ended successfully (succeeded or warning); 0 = never.",
               [(jobLabel, carried("job_last_success_timestamp_seconds", jobLabel, current: now.timeIntervalSince1970, counts: succeeded))])
        metric("job_last_duration_seconds", "Duration of the job's last run that ended.",
               [(jobLabel, carried("job_last_duration_seconds", jobLabel, current: seconds(report.duration), counts: ran))])
        let failures: Double = switch report.status {
        case .failed, .interrupted: (previous["auto_i18n_ops_job_consecutive_failures{\(jobLabel)}"] ?? 0) + 1
        case .succeeded, .warning: 0
        case .skipped, .running: previous["auto_i18n_ops_job_consecutive_failures{\(jobLabel)}"] ?? 0
        }
        metric(OpsMetrics.jobConsecutiveFailures.name, OpsMetrics.jobConsecutiveFailures.help, [(jobLabel, failures)])
        metric("job_last_exit_code", "Exit status of the job's last one-shot run (README, Exit codes).",
               [(jobLabel, Double(exitCode ?? defaultExitCode(report)))])
        metric("job_last_status", "1 for the status of the job's last one-shot run, 0 for the others.",
               JobRunStatus.allCases.filter { $0 != .running && $0 != .interrupted }.map { ("\(jobLabel),status=\"\($0.rawValue)\"", $0 == report.status ? 1 : 0) })

        let details = report.outcome?.details
        switch report.job {
        case "backup", "snapshot":
            let prefix = report.job
            let what = report.job == "backup" ? "backup" : "cache snapshot"
            metric("\(prefix)_last_success_timestamp_seconds", "When the last successful \(what) ended; 0 = never.",
                   [("", carried("\(prefix)_last_success_timestamp_seconds", "", current: now.timeIntervalSince1970, counts: succeeded))])
            metric("\(prefix)_last_size_bytes", "Size of the last successful \(what)\(report.job == "snapshot" ? " file" : "").",
                   [("", carried("\(prefix)_last_size_bytes", "", current: details?["bytes"]?.doubleValue, counts: succeeded))])
            metric("\(prefix)_last_duration_seconds", "Duration of the last successful \(what).",
                   [("", carried("\(prefix)_last_duration_seconds", "", current: details?["duration_seconds"]?.doubleValue ?? seconds(report.duration), counts: succeeded))])
        default:
            break
        }
        if let details {
            let figures = flatten(details).sorted { $0.0 < $1.0 }
            if !figures.isEmpty {
                metric("job_last_detail", "Numeric figures the job's last one-shot run reported (e.g. deleted_sessions).",
                       figures.map { ("\(jobLabel),detail=\"\(escape($0.0))\"", $0.1) })
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Numeric leaves of a details object, nested keys joined with `_` (`deleted.sessions` → `deleted_sessions`).
    static func flatten(_ value: JSONValue, prefix: String = "") -> [(String, Double)] {
        switch value {
        case .object(let fields):
            return fields.flatMap { key, child in flatten(child, prefix: prefix.isEmpty ? key : "\(prefix)_\(key)") }
        case .bool:
            return []
        default:
            guard !prefix.isEmpty, let number = value.doubleValue, number.isFinite else { return [] }
            return [(prefix, number)]
        }
    }

    /// The previous file's samples, `name{labels}` → value.
    static func previousSamples(at path: String) -> [String: Double] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            var key = String(line[..<space])
            if !key.contains("{") { key += "{}" }
            samples[key] = value
        }
        return samples
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func format(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    static func seconds(_ duration: Duration) -> Double { duration.inSeconds }
}
