import Foundation

/// Finds the files of the snapshot just confirmed, from what the server says (`CONFIG GET dir`,
/// `CONFIG GET dbfilename`, Dragonfly's `last_saved_file`).
///
/// A path only counts as "this snapshot, readable here" when the file exists on this host and was
/// modified at or after the trigger (server clock, less one second of slack): a remote server whose
/// `dir` happens to exist here with an older dump is not mistaken for a local one.
package enum SnapshotFileLocator {
    /// - Parameters:
    ///   - kind: which server wrote the snapshot.
    ///   - directory: `CONFIG GET dir`, if the server answered it.
    ///   - dbfilename: `CONFIG GET dbfilename` (Redis).
    ///   - lastSavedFile: Dragonfly's `last_saved_file`.
    ///   - notBefore: the server's time of the trigger, Unix seconds.
    package static func locate(kind: SnapshotServerKind, directory: String?, dbfilename: String?, lastSavedFile: String?,
                              notBefore: Double) -> SnapshotFileSet? {
        let threshold = Date(timeIntervalSince1970: notBefore.rounded(.down) - 1)
        switch kind {
        case .redis:
            guard let dbfilename, !dbfilename.isEmpty else { return nil }
            let path = join(directory, dbfilename)
            guard let file = stat(path), file.modificationTime >= threshold else {
                return SnapshotFileSet(reportedPath: path, localFiles: [], unavailableReason: reason(path, directory: directory))
            }
            return SnapshotFileSet(reportedPath: path, localFiles: [file])

        case .dragonfly:
            if let lastSavedFile {
                let path = lastSavedFile.hasPrefix("/") ? lastSavedFile : join(directory, lastSavedFile)
                let files = dragonflyFiles(for: path).compactMap(stat)
                guard !files.isEmpty, files.allSatisfy({ $0.modificationTime >= threshold }) else {
                    return SnapshotFileSet(reportedPath: path, localFiles: [], unavailableReason: reason(path, directory: directory))
                }
                return SnapshotFileSet(reportedPath: path, localFiles: files)
            }
            // No name from the server: the newest summary or RDB file written since the trigger.
            guard let directory, let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
            let candidates = names.filter { $0.hasSuffix("-summary.dfs") || $0.hasSuffix(".rdb") }
                .compactMap { stat(join(directory, $0)) }
                .filter { $0.modificationTime >= threshold }
                .sorted { $0.modificationTime > $1.modificationTime }
            guard let newest = candidates.first else { return nil }
            let files = dragonflyFiles(for: newest.path).compactMap(stat)
            return SnapshotFileSet(reportedPath: newest.path, localFiles: files)
        }
    }

    /// For `<base>-summary.dfs`: the summary and every `<base>-NNNN.dfs` shard file beside it, sorted;
    /// for any other name, just that file.
    static func dragonflyFiles(for path: String) -> [String] {
        let suffix = "-summary.dfs"
        guard path.hasSuffix(suffix) else { return [path] }
        let directory = (path as NSString).deletingLastPathComponent
        let base = String((path as NSString).lastPathComponent.dropLast(suffix.count))
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
        let shards = names.filter { name in
            guard name.hasPrefix(base + "-"), name.hasSuffix(".dfs") else { return false }
            let middle = name.dropFirst(base.count + 1).dropLast(4)
            return !middle.isEmpty && middle.allSatisfy(\.isNumber)
        }.sorted()
        return [path] + shards.map { join(directory, $0) }
    }

    static func stat(_ path: String) -> SnapshotFileSet.LocalFile? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              (attributes[.type] as? FileAttributeType) == .typeRegular,
              let size = (attributes[.size] as? NSNumber)?.int64Value,
              let modified = attributes[.modificationDate] as? Date,
              FileManager.default.isReadableFile(atPath: path)
        else { return nil }
        return SnapshotFileSet.LocalFile(path: path, size: size, modificationTime: modified)
    }

    private static func join(_ directory: String?, _ name: String) -> String {
        guard let directory, !directory.isEmpty, !name.hasPrefix("/") else { return name }
        return (directory as NSString).appendingPathComponent(name)
    }

    private static func reason(_ path: String, directory: String?) -> String {
        if let directory, !FileManager.default.fileExists(atPath: directory) {
            return "the server's dir \(directory) does not exist on this host (is the server remote?)"
        }
        if !FileManager.default.fileExists(atPath: path) { return "\(path) does not exist on this host" }
        if !FileManager.default.isReadableFile(atPath: path) { return "\(path) is not readable by this user" }
        return "\(path) on this host is older than the snapshot (is the server remote, with a different disk?)"
    }
}
