import Foundation
import OpsCore

/// node_exporter textfile-collector output for one-shot runs (`--textfile-dir`), so system cron runs are
/// alertable like the daemon's. One file per job, `auto_i18n_ops_<job>.prom`, replaced atomically.
public enum TextfileExporter {
    /// Writes the metrics of `report` to `<directory>/auto_i18n_ops_<job>.prom` (temp file + rename).
    ///
    /// The last-success timestamp survives failed runs: it is carried over from the previous file.
    public static func write(_ report: JobRunner.Report, to directory: String, now: Date = Date()) throws {
        let safeJob = report.job.map { $0.isLetter || $0.isNumber ? $0 : "_" }
        let path = (directory as NSString).appendingPathComponent("auto_i18n_ops_\(String(safeJob)).prom")
        let previousSuccess = lastSuccess(in: path)
        let succeeded = report.status == .succeeded || report.status == .warning
        let lastSuccess = succeeded ? now.timeIntervalSince1970 : previousSuccess
        let job = escape(report.job)
        var lines: [String] = []
        func metric(_ name: String, _ help: String, _ type: String, _ samples: [(String, Double)]) {
            lines.append("# HELP auto_i18n_ops_\(name) \(help)")
            lines.append("# TYPE auto_i18n_ops_\(name) \(type)")
            for (labels, value) in samples { lines.append("auto_i18n_ops_\(name){\(labels)} \(format(value))") }
        }
        metric("textfile_job_last_run_timestamp_seconds", "When the last one-shot run of the job finished.", "gauge",
               [("job=\"\(job)\"", now.timeIntervalSince1970)])
        metric("textfile_job_last_success_timestamp_seconds", "When the job last finished successfully (0 = never).", "gauge",
               [("job=\"\(job)\"", lastSuccess ?? 0)])
        metric("textfile_job_last_duration_seconds", "Duration of the last one-shot run.", "gauge",
               [("job=\"\(job)\"", seconds(report.duration))])
        metric("textfile_job_last_status", "1 for the status of the last one-shot run, 0 for the others.", "gauge",
               JobRunStatus.allCases.filter { $0 != .running }.map { ("job=\"\(job)\",status=\"\($0.rawValue)\"", $0 == report.status ? 1 : 0) })
        if let details = report.outcome?.details, case .object(let fields) = details {
            let numeric = fields.compactMap { key, value in value.doubleValue.map { (key, $0) } }.sorted { $0.0 < $1.0 }
            if !numeric.isEmpty {
                metric("textfile_job_last_detail", "Numeric figures the last run reported (e.g. rows deleted).", "gauge",
                       numeric.map { ("job=\"\(job)\",detail=\"\(escape($0.0))\"", $0.1) })
            }
        }
        try AtomicFile.makeDirectories(directory)
        try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: path)
        // node_exporter must be able to read it.
        chmod(path, 0o644)
    }

    private static func lastSuccess(in path: String) -> Double? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("auto_i18n_ops_textfile_job_last_success_timestamp_seconds{") {
            if let value = line.split(separator: " ").last.flatMap({ Double($0) }), value > 0 { return value }
        }
        return nil
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func format(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
