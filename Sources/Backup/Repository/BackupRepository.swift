import Foundation
import OpsCore
import OpsSupport

/// The backup repository, `$BACKUP_REPO`: one directory per database holding, per backup,
/// `<id>.tar.zst` (or `.tar.gz` / `.tar`), `<id>.manifest.json` and, once verified, `<id>.verified.json`.
///
/// A backup is complete, and listed, only when both its archive and its manifest are present: the
/// archive is published first and the manifest last, each atomically (`AtomicFile`), so a killed run
/// leaves at most `*.partial` files or an archive without manifest, which `removeLeftovers` deletes.
package struct BackupRepository: Sendable {
    /// The repository's root directory.
    package let root: String

    package static let archiveExtensions = ["tar.zst", "tar.gz", "tar"]
    static let manifestSuffix = ".manifest.json"
    static let verifiedSuffix = ".verified.json"

    package init(root: String) {
        self.root = root
    }

    /// One complete backup.
    package struct Entry: Sendable {
        package var id: String
        package var database: String
        package var archivePath: String
        package var manifestPath: String
        package var manifest: BackupManifest
        /// The archive's size on disk.
        package var archiveBytes: Int64
        package var verification: BackupVerification?

        /// When the backup was taken, from its id.
        package var date: Date { BackupRepository.date(fromID: id) ?? manifest.snapshotStart }
        package var verifiedPath: String { (archivePath as NSString).deletingLastPathComponent + "/\(id)\(BackupRepository.verifiedSuffix)" }
    }

    /// An archive file on its own (copied out of the repository, its manifest not beside it): the
    /// entry made from its embedded manifest, as `restore PATH` takes it.
    package static func lone(archive path: String) throws -> Entry {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw BackupError(.notFound, "cannot read \(path): no such file or no permission")
        }
        let manifest = try ArchiveChecker.embeddedManifest(path: path)
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        return Entry(id: manifest.id, database: manifest.database, archivePath: path, manifestPath: "", manifest: manifest,
                     archiveBytes: size, verification: nil)
    }

    /// `[ID|latest|PATH]` as `restore` and `backup verify` take it: a repository backup, an archive
    /// path with its manifest beside it, or a lone archive file.
    package func resolveAny(_ spec: String?, database: String?) throws -> Entry {
        if let spec, spec.contains("/") || Self.archiveExtensions.contains(where: { spec.hasSuffix(".\($0)") }),
           FileManager.default.fileExists(atPath: spec) {
            if let entry = try? BackupRepository(root: ".").resolve(spec, database: nil) { return entry }
            return try Self.lone(archive: spec)
        }
        return try resolve(spec, database: database)
    }

    /// `backup list` and the like on a repository path that does not exist: say so (exit 2).
    package func requireExists() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw BackupError(.notFound, "backup repository \(root) does not exist (BACKUP_REPO); check the path, or mount the backup volume")
        }
    }

    package func directory(database: String) -> String {
        (root as NSString).appendingPathComponent(Self.safeDirectoryName(database))
    }

    /// Databases with a directory in the repository.
    package func databases() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { name in
            var isDirectory: ObjCBool = false
            return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: (root as NSString).appendingPathComponent(name), isDirectory: &isDirectory) && isDirectory.boolValue
        }.sorted()
    }

    /// Complete backups, oldest first. Unreadable manifests are skipped (reported by `verify`).
    /// - Parameter database: only this database's; all when nil.
    package func list(database: String? = nil) -> [Entry] {
        let names = database.map { [Self.safeDirectoryName($0)] } ?? databases()
        var entries: [Entry] = []
        for name in names {
            let directory = (root as NSString).appendingPathComponent(name)
            let files = Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            for file in files where file.hasSuffix(Self.manifestSuffix) {
                let id = String(file.dropLast(Self.manifestSuffix.count))
                guard let archive = Self.archiveExtensions.map({ "\(id).\($0)" }).first(where: files.contains) else { continue }
                let manifestPath = (directory as NSString).appendingPathComponent(file)
                let archivePath = (directory as NSString).appendingPathComponent(archive)
                guard let data = FileManager.default.contents(atPath: manifestPath),
                      let manifest = try? BackupManifest.decode(data, source: manifestPath) else { continue }
                let size = (try? FileManager.default.attributesOfItem(atPath: archivePath)[.size] as? NSNumber)?.int64Value ?? 0
                var entry = Entry(id: id, database: manifest.database, archivePath: archivePath, manifestPath: manifestPath,
                                  manifest: manifest, archiveBytes: size, verification: nil)
                if let data = FileManager.default.contents(atPath: entry.verifiedPath) {
                    entry.verification = try? BackupVerification.decode(data)
                }
                entries.append(entry)
            }
        }
        return entries.sorted { ($0.database, $0.id) < ($1.database, $1.id) }
    }

    /// Finds a backup by `latest`, by id, or by the path of its archive.
    /// - Parameters:
    ///   - spec: `latest` (or nil), an id such as `20261126T090412Z`, or a path.
    ///   - database: the database whose backups `latest` and ids refer to; when nil, the only database
    ///     in the repository.
    package func resolve(_ spec: String?, database: String?) throws -> Entry {
        let spec = spec ?? "latest"
        if spec.contains("/") || Self.archiveExtensions.contains(where: { spec.hasSuffix(".\($0)") }) {
            let path = (spec as NSString).standardizingPath
            let directory = (path as NSString).deletingLastPathComponent
            let file = (path as NSString).lastPathComponent
            guard let ext = Self.archiveExtensions.first(where: { file.hasSuffix(".\($0)") }) else {
                throw BackupError(.notFound, "\(spec) is not a backup archive (expected .tar.zst, .tar.gz or .tar)")
            }
            let id = String(file.dropLast(ext.count + 1))
            let repository = BackupRepository(root: (directory as NSString).deletingLastPathComponent)
            if let entry = repository.list(database: (directory as NSString).lastPathComponent).first(where: { $0.id == id }) {
                return entry
            }
            throw BackupError(.notFound, "no complete backup at \(spec): the archive or its \(id)\(Self.manifestSuffix) is missing")
        }
        let database = try database ?? onlyDatabase()
        let entries = list(database: database)
        if spec == "latest" {
            guard let last = entries.last else {
                throw BackupError(.notFound, "no backups of database \(database) in \(root); run 'auto-i18n-ops backup create' first")
            }
            return last
        }
        guard let entry = entries.first(where: { $0.id == spec }) else {
            throw BackupError(.notFound, "no backup \(spec) of database \(database) in \(root); 'auto-i18n-ops backup list' shows the ids")
        }
        return entry
    }

    private func onlyDatabase() throws -> String {
        let names = databases()
        guard names.count == 1 else {
            throw BackupError(.usage, names.isEmpty ? "no backups in \(root)" : "\(root) holds backups of several databases (\(names.joined(separator: ", "))); pass --database NAME")
        }
        return names[0]
    }

    /// Removes what killed runs left in `database`'s directory: `*.partial` files whose writer is gone,
    /// and archives whose manifest never got published (older than a minute, so a run finishing
    /// right now is left alone).
    /// - Returns: the removed paths.
    @discardableResult
    package func removeLeftovers(database: String) -> [String] {
        let directory = directory(database: database)
        var removed = AtomicFile.removeLeftovers(in: directory)
        let files = Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        for file in files {
            guard let ext = Self.archiveExtensions.first(where: { file.hasSuffix(".\($0)") }) else { continue }
            let id = String(file.dropLast(ext.count + 1))
            guard !files.contains(id + Self.manifestSuffix) else { continue }
            let path = (directory as NSString).appendingPathComponent(file)
            let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? .distantPast
            if modified < Date().addingTimeInterval(-60), unlink(path) == 0 { removed.append(path) }
        }
        return removed
    }

    /// Deletes a backup: the manifest first, so it stops being listed at once, then the rest.
    package func delete(_ entry: Entry) throws {
        for path in [entry.manifestPath, entry.archivePath, entry.verifiedPath] {
            if unlink(path) != 0 && errno != ENOENT {
                throw BackupError(.io, "cannot delete \(path): \(String(cString: strerror(errno)))")
            }
        }
        try? AtomicFile.syncDirectory((entry.manifestPath as NSString).deletingLastPathComponent)
    }

    // MARK: - Ids

    /// The id of a backup started at `date`: `yyyyMMdd'T'HHmmss'Z'` in UTC.
    package static func id(for date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(c.year, 4))\(pad(c.month, 2))\(pad(c.day, 2))T\(pad(c.hour, 2))\(pad(c.minute, 2))\(pad(c.second, 2))Z"
    }

    /// The UTC time an id names, or nil when it is not an id.
    package static func date(fromID id: String) -> Date? {
        let digits = Array(id.utf8)
        guard digits.count == 16, digits[8] == UInt8(ascii: "T"), digits[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? { Int(String(decoding: digits[range], as: UTF8.self)) }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8),
              let hour = number(9..<11), let minute = number(11..<13), let second = number(13..<15) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))
    }

    /// A database name as a directory name: `/` and a leading dot cannot be part of one.
    static func safeDirectoryName(_ database: String) -> String {
        var name = database.replacingOccurrences(of: "/", with: "_")
        if name.hasPrefix(".") { name = "_" + name.dropFirst() }
        return name.isEmpty ? "_" : name
    }
}
