import Foundation
import OpsCore
import OpsSupport

/// `$BACKUP_REPO/dragonfly/`: snapshot copies named `<UTC timestamp>.tar.zst`, each with its
/// `<id>.manifest.json` beside it. The directory is 0700 and the files 0600 (they hold cache data).
package struct SnapshotRepository: Sendable {
    /// One copy in the repository.
    package struct Entry: Sendable, Hashable {
        /// `20261126T091400Z` (a `-N` suffix when two copies fall in the same second).
        package var id: String
        /// The time in the id.
        package var date: Date
        package var archivePath: String
        package var manifestPath: String
    }

    package static let archiveSuffix = ".tar.zst"
    package static let manifestSuffix = ".manifest.json"

    /// `$BACKUP_REPO/dragonfly`.
    package let directory: String

    /// - Parameter backupRepository: `$BACKUP_REPO`.
    package init(backupRepository: String) {
        directory = (backupRepository as NSString).appendingPathComponent("dragonfly")
    }

    /// The copies present, newest first. Files whose name is not an id are ignored, never deleted.
    package func entries() throws -> [Entry] {
        guard FileManager.default.fileExists(atPath: directory) else { return [] }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw OpsError(.jobFailed, "cannot list \(directory): \(error.localizedDescription)")
        }
        return names.compactMap { name -> Entry? in
            guard name.hasSuffix(Self.archiveSuffix) else { return nil }
            let id = String(name.dropLast(Self.archiveSuffix.count))
            guard let date = Self.date(ofID: id) else { return nil }
            return Entry(id: id, date: date, archivePath: path(id, Self.archiveSuffix), manifestPath: path(id, Self.manifestSuffix))
        }.sorted { $0.date != $1.date ? $0.date > $1.date : $0.id > $1.id }
    }

    /// A new id for `date` that no copy uses yet.
    package func newID(for date: Date) -> String {
        let base = Self.formatter.string(from: date)
        var id = base
        var n = 1
        while FileManager.default.fileExists(atPath: path(id, Self.archiveSuffix)) || FileManager.default.fileExists(atPath: path(id, Self.manifestSuffix)) {
            n += 1
            id = "\(base)-\(n)"
        }
        return id
    }

    /// Deletes the copies `policy` does not keep (archive first, then its manifest), newest first.
    ///
    /// - Returns: the ids deleted.
    @discardableResult
    package func prune(_ policy: GFSPolicy) throws -> [String] {
        guard !policy.isEmpty else { return [] }
        let (_, delete) = policy.partition(try entries()) { $0.date }
        for entry in delete {
            for file in [entry.archivePath, entry.manifestPath] where FileManager.default.fileExists(atPath: file) {
                guard unlink(file) == 0 else {
                    throw OpsError(.jobFailed, "cannot delete \(file) while pruning: \(String(cString: strerror(errno)))")
                }
            }
        }
        if !delete.isEmpty { try AtomicFile.syncDirectory(directory) }
        return delete.map(\.id)
    }

    func path(_ id: String, _ suffix: String) -> String {
        (directory as NSString).appendingPathComponent(id + suffix)
    }

    /// The time in an id (`yyyyMMdd'T'HHmmss'Z'`, optionally `-N`), or `nil` when it is not one.
    package static func date(ofID id: String) -> Date? {
        let stamp = id.split(separator: "-", maxSplits: 1).first.map(String.init) ?? id
        guard stamp.count == 16 else { return nil }
        if let suffix = id.split(separator: "-", maxSplits: 1).dropFirst().first, Int(suffix) == nil { return nil }
        return formatter.date(from: stamp)
    }

    static let formatter: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter
    }()
}
