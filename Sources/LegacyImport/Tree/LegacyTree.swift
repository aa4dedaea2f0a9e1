import Foundation
import OpsCore

/// The service's `tmp/` tree (README, "import legacy"): one folder per sender at the top, `logs/`
/// folders skipped. Opening it checks that DIR is such a tree (exit 2 otherwise) before any database work.
package struct LegacyTree: Sendable {
    /// The tree's root, absolute, without a trailing slash.
    package let root: String
    /// Sender folders to import, sorted (all of them, or those `--sender` named).
    package let senders: [String]
    /// Top-level entries that are neither sender folders nor skipped files (listed in the report).
    package let ignored: [String]
    /// Stray files at the top (`.DS_Store` and other hidden files), skipped and counted.
    package let strayFiles: Int

    /// Files the service never writes on purpose: skipped and counted wherever they are.
    package static func isStray(_ name: String) -> Bool {
        name.hasPrefix(".") || name == "Thumbs.db" || name == "desktop.ini" || name.hasSuffix("~")
    }

    /// - Parameters:
    ///   - path: DIR as given.
    ///   - only: `--sender` values (empty: every sender).
    package static func open(_ path: String, only: [String] = []) throws -> LegacyTree {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        switch FileStatus.of(absolute) {
        case .directory: break
        case .missing: throw OpsError(.usage, "\(path) does not exist: pass the service's tmp/ folder")
        default: throw OpsError(.usage, "\(path) is not a directory: pass the service's tmp/ folder")
        }
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: absolute) } catch {
            throw OpsError(.usage, "cannot list \(path): \(error.localizedDescription)")
        }
        var senders: [String] = [], ignored: [String] = []
        var stray = 0
        for name in entries.sorted() {
            if isStray(name) { stray += 1; continue }
            if name == "logs" { continue }
            let full = absolute + "/" + name
            guard FileStatus.of(full) == .directory else { ignored.append(name); continue }
            if isSenderFolder(full) { senders.append(name) } else { ignored.append(name + "/") }
        }
        guard !senders.isEmpty else {
            throw OpsError(.usage, "\(path) is not a legacy tree: no {senderId}/metadata.json in it (pass the service's tmp/ folder)")
        }
        if !only.isEmpty {
            let present = Set(senders)
            for sender in only where !present.contains(sender) {
                throw OpsError(.usage, "--sender \(sender): no \(path)/\(sender)/metadata.json in the tree")
            }
            let wanted = Set(only)
            senders = senders.filter { wanted.contains($0) }
        }
        return LegacyTree(root: absolute, senders: senders, ignored: ignored, strayFiles: stray)
    }

    /// A folder with `metadata.json` or `changes/metadata.json` is a sender's session.
    static func isSenderFolder(_ path: String) -> Bool {
        if case .file = FileStatus.of(path + "/metadata.json") { return true }
        if case .file = FileStatus.of(path + "/changes/metadata.json") { return true }
        return false
    }

    /// Files and bytes below `sender`'s folder (progress totals), without keeping the listing.
    package func measure(sender: String) -> (files: Int, bytes: Int64) {
        var files = 0
        var bytes: Int64 = 0
        func walk(_ path: String) {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
            for name in names {
                let full = path + "/" + name
                switch FileStatus.of(full) {
                case .directory: walk(full)
                case .file(let size): files += 1; bytes += size
                default: break
                }
            }
        }
        walk(root + "/" + sender)
        return (files, bytes)
    }
}
