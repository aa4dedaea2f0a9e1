import Foundation

/// Where the tool's files live by default: absolute system paths when installed (the Debian package,
/// README "Install (Debian package)"), paths relative to the working directory in a checkout's demo.
///
/// Chosen by `OPS_LAYOUT` (`installed` or `checkout`; the packaged systemd units set `installed`), else
/// by where the running executable is: under `/usr/` (e.g. `/usr/bin/auto-i18n-ops`) means installed,
/// anywhere else (e.g. `.build/debug/auto-i18n-ops`) means a checkout.
package enum InstallLayout: String, Sendable, CaseIterable {
    case installed
    case checkout

    /// The environment variable that overrides the detection.
    package static let environmentKey = "OPS_LAYOUT"

    /// The layout for this process: `OPS_LAYOUT` if set, else detected from the executable's path.
    package static func current(environment: [String: String] = ProcessInfo.processInfo.environment,
                               executablePath: String? = InstallLayout.executablePath()) throws -> InstallLayout {
        if let raw = environment[environmentKey]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty {
            guard let layout = InstallLayout(rawValue: raw.lowercased()) else {
                throw OpsError(.configuration, "\(environmentKey)=\(raw) is not valid: use installed or checkout (or unset it to detect from the executable's path)")
            }
            return layout
        }
        guard let executablePath else { return .checkout }
        return executablePath.hasPrefix("/usr/") ? .installed : .checkout
    }

    /// The running executable's real path (symlinks resolved), if the system tells.
    package static func executablePath() -> String? {
        #if os(Linux)
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        #endif
        return Bundle.main.executablePath.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }
    }

    /// The state directory: `/var/lib/auto-i18n-ops` installed (the units' `StateDirectory=`), `.` in a checkout.
    package var stateDirectory: String {
        switch self {
        case .installed: "/var/lib/auto-i18n-ops"
        case .checkout: "."
        }
    }

    /// The default `BACKUP_REPO`: `/var/lib/auto-i18n-ops/backups` installed, `Backups` in a checkout.
    package var backupRepository: String {
        switch self {
        case .installed: "/var/lib/auto-i18n-ops/backups"
        case .checkout: "Backups"
        }
    }

    /// The default `ARCHIVE_REPO` when `BACKUP_REPO` is the default too: the directory `archive` beside
    /// the backups (`/var/lib/auto-i18n-ops/archive` installed, `archive` in a checkout). With
    /// `BACKUP_REPO` set, the default is `archive` beside it instead (Retention's `BatchArchiveRepository`).
    package var archiveRepository: String {
        switch self {
        case .installed: "/var/lib/auto-i18n-ops/archive"
        case .checkout: "archive"
        }
    }

    /// The default schedule file of `run` and `schedule check`: `/etc/auto-i18n-ops/schedule` installed,
    /// `Cron/schedule` in a checkout.
    package var scheduleFile: String {
        switch self {
        case .installed: "/etc/auto-i18n-ops/schedule"
        case .checkout: "Cron/schedule"
        }
    }

    /// Help text naming both defaults, for options whose default depends on the layout.
    package static func defaultsHelp(_ path: KeyPath<InstallLayout, String>) -> String {
        "\(InstallLayout.installed[keyPath: path]) when installed, \(InstallLayout.checkout[keyPath: path]) in a checkout"
    }
}
