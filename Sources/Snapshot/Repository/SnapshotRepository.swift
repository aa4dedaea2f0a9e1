import Foundation
import OpsCore
import OpsSupport
import Repository

/// `dragonfly/` in the backup repository (`$BACKUP_REPO` or `--repo`, a directory or
/// `s3://bucket/prefix`): snapshot copies named `<UTC timestamp>.tar.zst` (`.tar.zst.age` when
/// encrypted), each with its `<id>.manifest.json` beside it, published manifest last: a copy is
/// listed, restored from and pruned only once its manifest exists. Local directories are 0700 and
/// the files 0600 (they hold cache data).
///
/// Every method blocks (disk, network): call it from `BlockingIO.run`.
package struct SnapshotRepository: Sendable {
    /// One copy in the repository.
    package struct Entry: Sendable, Hashable {
        /// `20261126T091400Z` (a `-N` suffix when two copies fall in the same second).
        package var id: String
        /// The time in the id.
        package var date: Date
        /// Object names in the repository.
        package var archiveName: String
        package var manifestName: String
        /// Path or `s3://` URL of the archive and the manifest.
        package var archivePath: String
        package var manifestPath: String
    }

    package static let archiveSuffix = ".tar.zst"
    package static let manifestSuffix = ".manifest.json"
    /// The directory (prefix) of the copies in the repository.
    package static let directoryName = "dragonfly"
    /// An archive without its manifest older than this is a killed run's and removed.
    static let orphanAge: TimeInterval = 3600

    package let store: any ObjectRepository

    package init(store: any ObjectRepository) {
        self.store = store
    }

    /// - Parameter backupRepository: a local `$BACKUP_REPO`.
    package init(backupRepository: String) {
        store = LocalRepository(root: backupRepository)
    }

    /// `$BACKUP_REPO/dragonfly` as a path or `s3://` URL.
    package var directory: String { store.display(Self.directoryName) }

    /// The complete copies (archive and manifest present), newest first. Objects whose name is not
    /// an id are ignored, never deleted.
    package func entries() throws -> [Entry] {
        let objects = try mapped("cannot list \(directory)") { try store.list(in: Self.directoryName) }
        let names = Set(objects.map(\.baseName))
        return names.compactMap { name -> Entry? in
            guard name.hasSuffix(Self.manifestSuffix) else { return nil }
            let id = String(name.dropLast(Self.manifestSuffix.count))
            guard let date = Self.date(ofID: id),
                  let archive = [id + Self.archiveSuffix + RepositoryEncryption.suffix, id + Self.archiveSuffix].first(where: names.contains)
            else { return nil }
            return entry(id: id, date: date, archive: archive)
        }.sorted { $0.date != $1.date ? $0.date > $1.date : $0.id > $1.id }
    }

    /// A new id for `date` that no copy (nor a lone archive or manifest) uses yet.
    package func newID(for date: Date) throws -> String {
        let names = Set(try mapped("cannot list \(directory)") { try store.list(in: Self.directoryName) }.map(\.baseName))
        let base = Self.formatter.string(from: date)
        var id = base
        var n = 1
        while [Self.archiveSuffix, Self.archiveSuffix + RepositoryEncryption.suffix, Self.manifestSuffix].contains(where: { names.contains(id + $0) }) {
            n += 1
            id = "\(base)-\(n)"
        }
        return id
    }

    /// Removes what killed copies left: `*.partial` files whose writer is gone, multipart uploads
    /// initiated over an hour ago, and archives whose manifest was never published, over an hour old.
    /// - Returns: the paths or keys removed.
    @discardableResult
    package func removeLeftovers(now: Date = Date()) throws -> [String] {
        let cutoff = now.addingTimeInterval(-Self.orphanAge)
        var removed = try mapped("cannot clean up \(directory)") { try store.removeLeftovers(in: Self.directoryName, initiatedBefore: cutoff) }
        let objects = try mapped("cannot list \(directory)") { try store.list(in: Self.directoryName) }
        let names = Set(objects.map(\.baseName))
        for object in objects {
            let base = object.baseName
            let archive = base.hasSuffix(Self.archiveSuffix + RepositoryEncryption.suffix) ? Self.archiveSuffix + RepositoryEncryption.suffix
                : base.hasSuffix(Self.archiveSuffix) ? Self.archiveSuffix : nil
            guard let archive else { continue }
            let id = String(base.dropLast(archive.count))
            guard Self.date(ofID: id) != nil, !names.contains(id + Self.manifestSuffix), (object.modified ?? .distantFuture) < cutoff else { continue }
            try mapped("cannot delete \(store.display(object.name))") { try store.delete(object.name) }
            removed.append(store.display(object.name))
        }
        return removed
    }

    /// Deletes the copies `policy` does not keep (manifest first, so the copy stops being listed at
    /// once, then its archive), newest first.
    ///
    /// - Returns: the ids deleted.
    @discardableResult
    package func prune(_ policy: GFSPolicy) throws -> [String] {
        guard !policy.isEmpty else { return [] }
        let (_, delete) = policy.partition(try entries()) { $0.date }
        for entry in delete {
            for name in [entry.manifestName, entry.archiveName] {
                try mapped("cannot delete \(store.display(name)) while pruning") { try store.delete(name) }
            }
        }
        return delete.map(\.id)
    }

    /// The object name of copy `id` with `suffix`.
    func name(_ id: String, _ suffix: String) -> String { Self.directoryName + "/" + id + suffix }

    /// The path or URL of copy `id` with `suffix`.
    func path(_ id: String, _ suffix: String) -> String { store.display(name(id, suffix)) }

    private func entry(id: String, date: Date, archive: String) -> Entry {
        let archiveName = Self.directoryName + "/" + archive
        let manifestName = name(id, Self.manifestSuffix)
        return Entry(id: id, date: date, archiveName: archiveName, manifestName: manifestName,
                     archivePath: store.display(archiveName), manifestPath: store.display(manifestName))
    }

    /// Runs a repository operation, turning its errors into one-line `OpsError`s (exit 2, 3 or 1 as
    /// `RepositoryError` decides).
    func mapped<T>(_ context: String, _ body: () throws -> T) throws -> T {
        do { return try body() }
        catch let error as OpsError { throw error }
        catch {
            guard let classified = RepositoryError.classify(error) else { throw OpsError(.jobFailed, "\(context): \(error)") }
            throw OpsError(exitCode: classified.exitCode, classified.exitCode == 3 ? classified.message : "\(context): \(classified.message)")
        }
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
