import AgeEncryption
import Foundation
import ObjectStore
import OpsCore
import OpsSupport
import Repository

/// Where retention publishes batch archives: the archive repository, `ARCHIVE_REPO` (any repository
/// URL: a directory or `s3://bucket/prefix`), by default the directory or prefix `archive` beside
/// `BACKUP_REPO` (`/var/lib/auto-i18n-ops/backups` → `/var/lib/auto-i18n-ops/archive`,
/// `s3://bucket/site/backups` → `s3://bucket/site/archive`). Never inside the backup repository, so
/// `backup list` and `restore latest` never see an archive.
///
/// Objects are `batches/YYYY/MM/<batch_id>.tar.zst`, `.tar.zst.age` when encrypted to the backup
/// recipients (`BACKUP_RECIPIENTS`, `--recipient`). `archive_uri` records the full URL:
/// `file:///…` (the absolute path) or `s3://bucket/key`.
struct BatchArchiveRepository: Sendable {
    let store: any ObjectRepository
    let recipients: [AgeX25519Recipient]?

    /// The directory (prefix) of the archives, inside the archive repository.
    static let directory = "batches"
    /// Unfinished multipart uploads older than this are a killed run's (retention runs one at a time,
    /// under its advisory lock; the margin covers clock skew between this host and the store).
    static let staleUploadAge: TimeInterval = 3600

    /// `ARCHIVE_REPO`, else `archive` beside `BACKUP_REPO`; local paths made absolute.
    /// - Throws: `OpsError(.configuration)` (exit 2) for a malformed URL, or an archive repository
    ///   that would lie inside the backup repository.
    static func url(_ configuration: OpsConfiguration) throws -> RepositoryURL {
        do {
            let backup = try RepositoryURL(parsing: configuration.backupRepository, setting: "BACKUP_REPO").absolute()
            if let text = configuration.archiveRepository {
                let url = try RepositoryURL(parsing: text, setting: "ARCHIVE_REPO").absolute()
                guard !url.isInside(backup) else {
                    throw OpsError(.configuration, "ARCHIVE_REPO \(url) is inside BACKUP_REPO \(backup): batch archives need their own place, or restore would take them for a database; set ARCHIVE_REPO beside it, e.g. \(backup.sibling("archive"))")
                }
                return url
            }
            let url = backup.sibling("archive")
            guard !url.isInside(backup) else {
                throw OpsError(.configuration, "BACKUP_REPO \(backup) has no parent for the default archive repository beside it: set ARCHIVE_REPO to a directory or s3://bucket/prefix outside it")
            }
            return url
        } catch let error as RepositoryError {
            throw OpsError(exitCode: error.exitCode, error.message)
        }
    }

    /// Repository settings shared by the archive and unarchive side: the `BACKUP_MAX_RATE` cap and the
    /// process environment (`AWS_*`).
    static func options(_ configuration: OpsConfiguration,
                        environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RepositoryOptions {
        guard let text = configuration.backupMaxRate else { return RepositoryOptions(environment: environment) }
        do { return RepositoryOptions(rateLimit: try RateLimit(parsing: text), environment: environment) }
        catch let error as S3Error { throw OpsError(.configuration, "BACKUP_MAX_RATE: \(error.message)") }
    }

    /// The archive repository with the recipients to encrypt to (`--recipient` values and the
    /// `BACKUP_RECIPIENTS` file; none: plain archives). Nothing is contacted yet.
    static func open(_ configuration: OpsConfiguration, recipients arguments: [String],
                     environment: [String: String] = ProcessInfo.processInfo.environment) throws -> BatchArchiveRepository {
        let url = try url(configuration)
        do {
            let store = try Repositories.open(url, options: try options(configuration, environment: environment))
            let recipients = try RepositoryEncryption.recipients(arguments: arguments, file: configuration.backupRecipientsFile)
            return BatchArchiveRepository(store: store, recipients: recipients)
        } catch let error as RepositoryError {
            throw OpsError(exitCode: error.exitCode, error.message)
        }
    }

    /// Runs `body`, turning repository, S3, age and file errors into the one-line `OpsError`s the job
    /// runner reports (exit 2, 3 or 1, as `RepositoryError` decides), prefixed with `context` unless
    /// the store refused us or could not be reached (those name the store themselves).
    static func mapped<T>(_ context: String, _ body: () async throws -> T) async throws -> T {
        do { return try await body() }
        catch let error as OpsError { throw error }
        catch {
            guard let classified = RepositoryError.classify(error) else { throw error }
            let message = classified.exitCode == 3 || classified.code == .identity ? classified.message : "\(context): \(classified.message)"
            throw OpsError(exitCode: classified.exitCode, message)
        }
    }

    /// The object name of a batch's archive: `batches/<yearMonth>/<file name>.tar.zst[.age]`.
    func name(yearMonth: String, batchID: String) -> String {
        "\(Self.directory)/\(yearMonth)/\(BatchArchive.fileName(batchID)).tar.zst" + (recipients == nil ? "" : RepositoryEncryption.suffix)
    }

    /// The `archive_uri` of object `name`: `file://` + the absolute path, or `s3://bucket/key`.
    func uri(_ name: String) -> String {
        switch store.url {
        case .local: return BatchArchive.uri(path: store.display(name))
        case .s3: return store.display(name)
        }
    }
}

extension RepositoryURL {
    /// A local path made absolute (against the working directory) and standardized; S3 unchanged.
    func absolute() -> RepositoryURL {
        if case .local(let path) = self { return .local(path: BatchArchive.absolute(path)) }
        return self
    }

    /// Whether this repository is `other` or lies below it (absolute local paths; same bucket and a
    /// prefix at or below `other`'s).
    func isInside(_ other: RepositoryURL) -> Bool {
        switch (self, other) {
        case (.local(let path), .local(let parent)):
            return path == parent || parent == "/" || path.hasPrefix(parent.hasSuffix("/") ? parent : parent + "/")
        case (.s3(let location), .s3(let parent)):
            guard location.bucket == parent.bucket else { return false }
            return parent.prefix.isEmpty || location.prefix == parent.prefix || location.prefix.hasPrefix(parent.prefix + "/")
        default:
            return false
        }
    }
}
