import AgeEncryption
import Foundation
import ObjectStore
import OpsCore
import OpsSupport
import Repository

/// The backup repository, `--repo` / `$BACKUP_REPO` (a directory or `s3://bucket/prefix`): one
/// directory (prefix) per database holding, per backup, `<id>.tar.zst` (or `.tar.gz` / `.tar`, each
/// optionally `.age`-encrypted), `<id>.manifest.json` and, once verified, `<id>.verified.json`.
///
/// A backup is complete, and listed, only when both its archive and its manifest are present: the
/// archive is published first and the manifest last (the repository's publication rule), so a killed
/// run leaves at most `*.partial` files, an unfinished multipart upload or an archive without
/// manifest, which `removeLeftovers` deletes.
///
/// Every method blocks (disk, network): call from `BlockingIO.run`.
package struct BackupRepository: Sendable {
    package let store: any ObjectRepository

    package static let archiveExtensions = ["tar.zst", "tar.gz", "tar"]
    static let manifestSuffix = ".manifest.json"
    static let verifiedSuffix = ".verified.json"
    /// Multipart uploads older than this are abandoned: no backup or copy runs for a day.
    package static let staleUploadAge: TimeInterval = 24 * 3600

    package init(store: any ObjectRepository) {
        self.store = store
    }

    /// A local repository at `root`.
    package init(root: String) {
        self.init(store: LocalRepository(root: root))
    }

    /// The repository at `url` (`--repo`, else `BACKUP_REPO`), with the transfer settings given.
    package static func open(_ url: String, setting: String, options: RepositoryOptions = RepositoryOptions()) throws -> BackupRepository {
        do { return BackupRepository(store: try Repositories.open(url, setting: setting, options: options)) }
        catch let error as RepositoryError { throw BackupError(error) }
    }

    /// The repository's URL as the user wrote it.
    package var root: String { store.url.description }

    /// One complete backup.
    package struct Entry: Sendable {
        package var id: String
        package var database: String
        /// The repository (or, for an archive named by path or URL, its directory) holding it.
        package var store: any ObjectRepository
        package var archiveName: String
        /// Empty for a lone archive (no manifest beside it).
        package var manifestName: String
        package var manifest: BackupManifest
        /// The archive's stored size.
        package var archiveBytes: Int64
        package var verification: BackupVerification?

        /// When the backup was taken, from its id.
        package var date: Date { BackupRepository.date(fromID: id) ?? manifest.snapshotStart }
        /// The archive's path or URL.
        package var archivePath: String { store.display(archiveName) }
        package var manifestPath: String { manifestName.isEmpty ? "" : store.display(manifestName) }
        package var verifiedName: String {
            let directory = archiveName.split(separator: "/").dropLast().joined(separator: "/")
            return (directory.isEmpty ? "" : directory + "/") + "\(id)\(BackupRepository.verifiedSuffix)"
        }
        package var verifiedPath: String { store.display(verifiedName) }
        package var isEncrypted: Bool { RepositoryEncryption.isEncrypted(archiveName) }

        /// The archive as an object to read, decrypting with `identities`.
        package func object(identities: [AgeX25519Identity]?) -> BackupObject {
            BackupObject(store: store, name: archiveName, identities: identities)
        }
    }

    /// The archive extension of `file` (`tar.zst`, `tar.gz.age`, ...), or nil when it is not an archive.
    package static func archiveExtension(of file: String) -> String? {
        for ext in archiveExtensions {
            for candidate in [ext + RepositoryEncryption.suffix, ext] where file.hasSuffix("." + candidate) { return candidate }
        }
        return nil
    }

    /// Whether `spec` names an archive object (by path or URL) rather than an id or `latest`.
    package static func isObjectReference(_ spec: String) -> Bool {
        spec.contains("/") || archiveExtension(of: spec) != nil
    }

    /// An archive named by path or URL on its own (its manifest not beside it): the entry made from
    /// its embedded manifest, as `restore PATH` takes it.
    package static func lone(_ object: BackupObject) throws -> Entry {
        let manifest = try ArchiveChecker.embeddedManifest(object)
        let size = (try? object.store.stat(object.name))??.size ?? 0
        return Entry(id: manifest.id, database: manifest.database, store: object.store, archiveName: object.name, manifestName: "",
                     manifest: manifest, archiveBytes: size, verification: nil)
    }

    /// An archive file on its own, by local path.
    package static func lone(archive path: String) throws -> Entry {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw BackupError(.notFound, "cannot read \(path): no such file or no permission")
        }
        return try lone(.local(path: path))
    }

    /// The object a path or URL names: its directory as a repository, and its base name.
    package static func object(_ spec: String, options: RepositoryOptions = RepositoryOptions(), identities: [AgeX25519Identity]? = nil) throws -> BackupObject {
        let url: RepositoryURL
        do { url = try RepositoryURL(parsing: spec, setting: "the backup \(spec.prefix(200))") }
        catch let error as RepositoryError { throw BackupError(error) }
        switch url {
        case .local(let path):
            return .local(path: (path as NSString).standardizingPath, identities: identities)
        case .s3(let location):
            let parts = location.prefix.split(separator: "/")
            guard let last = parts.last else {
                throw BackupError(.usage, "\(spec) names a bucket, not an object: give s3://bucket/prefix/<database>/<id>.tar.zst")
            }
            let parent = "s3://\(location.bucket)" + (parts.count > 1 ? "/" + parts.dropLast().joined(separator: "/") : "")
            do { return BackupObject(store: try Repositories.open(parent, options: options), name: String(last), identities: identities) }
            catch let error as RepositoryError { throw BackupError(error) }
        }
    }

    /// `[ID|latest|PATH|URL]` as `restore` and `backup verify` take it: a repository backup, an
    /// archive with its manifest beside it, or a lone archive.
    package func resolveAny(_ spec: String?, database: String?, options: RepositoryOptions = RepositoryOptions()) throws -> Entry {
        if let spec, Self.isObjectReference(spec) {
            let object = try Self.object(spec, options: options)
            if let entry = try Self.besideManifest(object) { return entry }
            do { try object.checkReadable() } catch { throw BackupError.from(error, "cannot read \(object.label)") }
            return try Self.lone(object)
        }
        return try resolve(spec, database: database)
    }

    /// The entry of an archive whose `<id>.manifest.json` is beside it, or nil.
    static func besideManifest(_ object: BackupObject) throws -> Entry? {
        guard let ext = archiveExtension(of: object.baseName) else { return nil }
        let id = String(object.baseName.dropLast(ext.count + 1))
        let directory = object.name.split(separator: "/").dropLast().joined(separator: "/")
        let manifestName = (directory.isEmpty ? "" : directory + "/") + id + manifestSuffix
        return try BackupRepository(store: object.store).entry(id: id, archiveName: object.name, manifestName: manifestName)
    }

    /// `backup list` and the like on a repository that does not exist: say so (exit 2).
    package func requireExists() throws {
        do { try store.requireExists() }
        catch let error as RepositoryError {
            if error.code == .notFound, case .local(let path) = store.url {
                throw BackupError(.notFound, "backup repository \(path) does not exist (BACKUP_REPO or --repo); check the path, or mount the backup volume")
            }
            throw BackupError(error)
        }
    }

    /// The directory (prefix) of a database's backups, relative to the repository.
    package func directoryName(database: String) -> String { Self.safeDirectoryName(database) }

    /// The local directory of a database's backups (local repositories).
    package func directory(database: String) -> String { store.display(directoryName(database: database)) }

    /// Databases with a directory in the repository.
    package func databases() throws -> [String] {
        try mapped { try store.directories().filter { !$0.hasPrefix(".") && !Self.otherDirectories.contains($0) } }
    }

    /// Directories other features keep in the backup repository, never taken for a database when
    /// none is named: `dragonfly` (snapshot copies) and `archive` (retention's batch archives from
    /// before `ARCHIVE_REPO`). A database of either name is reached with `--database`.
    package static let otherDirectories: Set<String> = ["archive", "dragonfly"]

    /// Complete backups, oldest first. Unreadable manifests are skipped (reported by `verify`).
    /// - Parameter database: only this database's; all when nil.
    package func list(database: String? = nil) throws -> [Entry] {
        let names = try database.map { [Self.safeDirectoryName($0)] } ?? databases()
        var entries: [Entry] = []
        for name in names {
            let objects = try mapped { try store.list(in: name) }
            let files = Dictionary(objects.map { ($0.baseName, $0) }, uniquingKeysWith: { first, _ in first })
            for file in files.keys.sorted() where file.hasSuffix(Self.manifestSuffix) {
                let id = String(file.dropLast(Self.manifestSuffix.count))
                guard let archive = Self.archiveExtensions.flatMap({ ["\(id).\($0)", "\(id).\($0)\(RepositoryEncryption.suffix)"] })
                    .first(where: { files[$0] != nil }) else { continue }
                if let entry = try entry(id: id, archiveName: name + "/" + archive, manifestName: name + "/" + file, size: files[archive]?.size,
                                         verified: files[id + Self.verifiedSuffix] != nil) {
                    entries.append(entry)
                }
            }
        }
        return entries.sorted { ($0.database, $0.id) < ($1.database, $1.id) }
    }

    /// The entry for an archive and manifest, or nil when the manifest is missing or unreadable.
    private func entry(id: String, archiveName: String, manifestName: String, size: Int64? = nil, verified: Bool? = nil) throws -> Entry? {
        guard let data = try mapped({ try store.read(manifestName, limit: 256 << 20) }),
              let manifest = try? BackupManifest.decode(Data(data), source: store.display(manifestName)) else { return nil }
        guard let size = try size ?? mapped({ try store.stat(archiveName)?.size }) else { return nil }
        var entry = Entry(id: id, database: manifest.database, store: store, archiveName: archiveName, manifestName: manifestName,
                          manifest: manifest, archiveBytes: size, verification: nil)
        if verified ?? true, let data = try mapped({ try store.read(entry.verifiedName, limit: 1 << 20) }) {
            entry.verification = try? BackupVerification.decode(Data(data))
        }
        return entry
    }

    /// Finds a backup by `latest`, by id, or by the path or URL of its archive.
    /// - Parameters:
    ///   - spec: `latest` (or nil), an id such as `20261126T090412Z`, or a path / `s3://` URL.
    ///   - database: the database whose backups `latest` and ids refer to; when nil, the only database
    ///     in the repository.
    package func resolve(_ spec: String?, database: String?) throws -> Entry {
        let spec = spec ?? "latest"
        if Self.isObjectReference(spec) {
            guard Self.archiveExtension(of: spec) != nil else {
                throw BackupError(.notFound, "\(spec) is not a backup archive (expected .tar.zst, .tar.gz or .tar, optionally .age)")
            }
            let object = try Self.object(spec)
            if let entry = try Self.besideManifest(object) { return entry }
            throw BackupError(.notFound, "no complete backup at \(spec): the archive or its manifest is missing")
        }
        let database = try database ?? onlyDatabase()
        let entries = try list(database: database)
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

    /// The database `latest` and ids refer to when none is named: the only one in the repository.
    package func onlyDatabase() throws -> String {
        let names = try databases()
        guard names.count == 1 else {
            throw BackupError(.usage, names.isEmpty ? "no backups in \(root)" : "\(root) holds backups of several databases (\(names.joined(separator: ", "))); pass --database NAME")
        }
        return names[0]
    }

    /// Removes what killed runs left in `database`'s directory: `*.partial` files whose writer is
    /// gone, multipart uploads initiated before `staleBefore`, and archives whose manifest never got
    /// published (older than a minute locally, ten minutes on S3, so a run finishing right now is left
    /// alone).
    /// - Returns: the removed paths or keys.
    @discardableResult
    package func removeLeftovers(database: String, staleBefore: Date = Date().addingTimeInterval(-BackupRepository.staleUploadAge)) throws -> [String] {
        let directory = directoryName(database: database)
        var removed = try mapped { try store.removeLeftovers(in: directory, initiatedBefore: staleBefore) }
        let objects = try mapped { try store.list(in: directory) }
        let names = Set(objects.map(\.baseName))
        let orphanBefore = Date().addingTimeInterval(store.url.isS3 ? -600 : -60)
        for object in objects {
            guard let ext = Self.archiveExtension(of: object.baseName) else { continue }
            let id = String(object.baseName.dropLast(ext.count + 1))
            guard !names.contains(id + Self.manifestSuffix), (object.modified ?? .distantPast) < orphanBefore else { continue }
            try mapped { try store.delete(object.name) }
            removed.append(store.display(object.name))
        }
        return removed
    }

    /// Deletes a backup: the manifest first, so it stops being listed at once, then the rest.
    package func delete(_ entry: Entry) throws {
        for name in [entry.manifestName, entry.archiveName, entry.verifiedName] where !name.isEmpty {
            try mapped { try entry.store.delete(name) }
        }
    }

    /// Runs a repository operation, turning its errors into `BackupError`s.
    private func mapped<T>(_ body: () throws -> T) throws -> T {
        do { return try body() }
        catch let error as RepositoryError { throw BackupError(error) }
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
