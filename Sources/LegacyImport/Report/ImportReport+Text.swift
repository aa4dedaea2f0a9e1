import OpsCore
import OpsSupport

extension ImportReport {
    /// The human report, from the JSON form (so `ops.job_runs.details` and the terminal say the same).
    package static func summary(_ details: JSONValue) -> String {
        func int(_ value: JSONValue?) -> Int64 { value?.intValue ?? 0 }
        let sessions = details["sessions"] ?? [:]
        let mode = details["mode"]?.stringValue ?? "import"
        var lines: [String] = []
        let title = mode == "dry-run" ? "import legacy (dry run: nothing was written)" : mode == "verify" ? "import legacy --verify" : "import legacy"
        lines.append("\(title): \(details["tree"]?.stringValue ?? "")")
        if mode == "verify" {
            lines.append("sessions: \(int(sessions["in_tree"])) in the tree, \(int(sessions["unchanged"])) compared, \(int(sessions["refused"])) not importable, \(int(sessions["skipped_expired"])) expired (skipped)")
        } else {
            lines.append("sessions: \(int(sessions["in_tree"])) in the tree; \(int(sessions["inserted"])) new, \(int(sessions["updated"])) updated, \(int(sessions["unchanged"])) unchanged, \(int(sessions["refused"])) refused, \(int(sessions["skipped_expired"])) expired (skipped)")
            lines.append("rows              inserted    updated  unchanged")
            for table in ImportTable.allCases {
                let counts = details["rows"]?[table.rawValue] ?? [:]
                func pad(_ value: Int64) -> String { let text = String(value); return String(repeating: " ", count: max(0, 11 - text.count)) + text }
                let name = table.rawValue + String(repeating: " ", count: max(0, 16 - table.rawValue.count))
                lines.append("  \(name)\(pad(int(counts["inserted"])))\(pad(int(counts["updated"])))\(pad(int(counts["unchanged"])))")
            }
        }
        lines.append("files: \(int(details["files"])) (\(ImportProgress.bytes(int(details["file_bytes"])))); stray files skipped: \(int(details["stray_files_skipped"]))")
        if case .array(let ignored)? = details["ignored"], !ignored.isEmpty {
            lines.append("ignored (not part of the tree's layout, not imported): \(int(details["ignored_count"]))")
            for entry in ignored.prefix(20) { lines.append("  \(entry.stringValue ?? "")") }
            if int(details["ignored_count"]) > 20 { lines.append("  … and \(int(details["ignored_count"]) - 20) more (see --json)") }
        }
        if case .array(let refused)? = details["refused"], !refused.isEmpty {
            lines.append(mode == "verify" ? "not importable:" : "refused (rolled back, nothing of these sessions was written):")
            for entry in refused {
                let line = entry["line"]?.intValue.map { " line \($0)" } ?? ""
                lines.append("  \(entry["sender_id"]?.stringValue ?? ""): \(entry["file"]?.stringValue ?? "")\(line): \(entry["reason"]?.stringValue ?? "")")
            }
            if int(sessions["refused"]) > Int64(refused.count) { lines.append("  … and \(int(sessions["refused"]) - Int64(refused.count)) more") }
        }
        if case .array(let expired)? = details["skipped_expired"], !expired.isEmpty {
            lines.append("expired, skipped (retention would delete them at once; --include-expired imports them): \(expired.compactMap(\.stringValue).prefix(20).joined(separator: ", "))\(expired.count > 20 ? ", …" : "")")
        }
        if mode == "verify" {
            let count = int(details["difference_count"])
            if count == 0 {
                lines.append("verify: the database matches the tree (every file's SHA-256, every request's presence and status)")
            } else {
                lines.append("verify: \(count) difference(s):")
                if case .array(let differences)? = details["differences"] {
                    for entry in differences {
                        lines.append("  \(entry["sender_id"]?.stringValue ?? ""): \(entry["item"]?.stringValue ?? ""): \(entry["problem"]?.stringValue ?? "")")
                    }
                    if count > Int64(differences.count) { lines.append("  … and \(count - Int64(differences.count)) more") }
                }
            }
        } else if details["nothing_to_import"] == .bool(true) {
            lines.append("nothing to import: the database already holds the tree as it is")
        }
        return lines.joined(separator: "\n")
    }
}
