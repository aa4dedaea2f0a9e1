import Foundation
import ObjectStore
import OpsSupport

/// An object in a repository listing.
package struct RepositoryObject: Sendable, Hashable {
    /// The name relative to the repository root, `/`-separated (`auto_i18n/20261126T090412Z.tar.zst`).
    package var name: String
    package var size: Int64
    package var modified: Date?

    package init(name: String, size: Int64, modified: Date?) {
        self.name = name
        self.size = size
        self.modified = modified
    }

    /// The last path component.
    package var baseName: String { name.split(separator: "/").last.map(String.init) ?? name }
}

/// A repository: a local directory or an S3 prefix holding objects by `/`-separated name, with one
/// set of operations for both, so backups, batch archives and snapshot copies are written and read
/// the same way wherever they live.
///
/// **Publication rule.** An object becomes visible under its name only when its sink is published
/// (local: temp + fsync + rename + directory fsync; S3: CompleteMultipartUpload or one PutObject),
/// and a set of objects (an archive and its manifest) is published member by member with the
/// manifest **last**: readers list sets by their manifest, so an interrupted run is never listed.
/// What an interrupted run leaves (`*.partial` files, unfinished multipart uploads) is removed by
/// `removeLeftovers`.
///
/// Every operation blocks (disk, network): call them from `BlockingIO.run` or a dedicated thread,
/// never from Swift's cooperative pool. Errors are `RepositoryError`s; the sinks and sources throw
/// their own errors (`S3Error`, `SystemError`), which `RepositoryError.classify` maps.
package protocol ObjectRepository: AnyObject, Sendable {
    /// Where the repository lives.
    var url: RepositoryURL { get }

    /// A sink for a new object `name`: nothing is visible until its `publish()`, which replaces any
    /// object of that name. Local files are 0600 in 0700 directories.
    func create(_ name: String) throws -> any ByteSink
    /// Streams object `name` from its start (a `.notFound` error when it does not exist; for S3 at the
    /// first read). The caller closes it.
    func open(_ name: String) throws -> any ByteSource
    /// A small object (manifest, verification record) whole; nil when it does not exist.
    func read(_ name: String, limit: Int) throws -> [UInt8]?
    /// Writes a small object whole and publishes it.
    func write(_ name: String, contents: [UInt8]) throws
    /// The published objects directly inside `directory` ("" for the root), sorted by name.
    func list(in directory: String) throws -> [RepositoryObject]
    /// The names of the directories (S3: common prefixes) directly inside the root, sorted.
    func directories() throws -> [String]
    /// The object's listing entry, or nil.
    func stat(_ name: String) throws -> RepositoryObject?
    /// Deletes object `name`; deleting a missing object succeeds.
    func delete(_ name: String) throws
    /// Takes back, at once, what a writer of `name` in this process has written so far, while that
    /// writer may still be busy on another thread (a cancelled run that will not wait for its
    /// compressor): local, the temporary file is unlinked (its descriptor stays valid until the writer
    /// discards it); S3, nothing (the upload is aborted when the writer is discarded, or by the next
    /// run's sweep). Never throws.
    func abandon(_ name: String)
    /// Removes what interrupted writers left under `directory`: local `*.partial` files whose writer
    /// process is gone; S3 multipart uploads initiated before `cutoff`. Returns what was removed
    /// (paths or keys).
    func removeLeftovers(in directory: String, initiatedBefore cutoff: Date) throws -> [String]
    /// Throws `.notFound` unless the repository's root exists (local directory; S3 bucket).
    func requireExists() throws
}

extension ObjectRepository {
    package func exists(_ name: String) throws -> Bool { try stat(name) != nil }

    package func read(_ name: String) throws -> [UInt8]? { try read(name, limit: 64 << 20) }

    /// `name` as the user sees it (path or `s3://` URL).
    package func display(_ name: String) -> String { url.display(name) }
}

/// Settings for opening a repository.
package struct RepositoryOptions: Sendable {
    /// Caps the bandwidth of transfers to and from the repository (`--max-rate`); nil for none.
    package var rateLimit: RateLimit?
    /// The process environment, for the S3 settings (`AWS_*`).
    package var environment: [String: String]
    /// S3 transfer settings other than the rate (retries, timeouts); tests shorten them.
    package var s3Settings: S3TransferSettings
    /// S3 part size and part pool.
    package var s3Upload: S3UploadOptions

    package init(rateLimit: RateLimit? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
                 s3Settings: S3TransferSettings = S3TransferSettings(), s3Upload: S3UploadOptions = S3UploadOptions()) {
        self.rateLimit = rateLimit
        self.environment = environment
        self.s3Settings = s3Settings
        self.s3Upload = s3Upload
    }
}

/// Opens repositories by URL.
package enum Repositories {
    /// The repository at `url`. For S3, reads the AWS settings from `options.environment` (a missing
    /// or malformed setting is a `.usage` error naming it); nothing is contacted yet.
    package static func open(_ url: RepositoryURL, options: RepositoryOptions = RepositoryOptions()) throws -> any ObjectRepository {
        switch url {
        case .local(let path):
            return LocalRepository(root: path, rateLimit: options.rateLimit)
        case .s3(let location):
            let configuration: S3Configuration
            do { configuration = try S3Configuration(environment: options.environment) }
            catch { throw RepositoryError.classify(error) ?? RepositoryError(.usage, "\(error)") }
            var settings = options.s3Settings
            settings.rateLimit = options.rateLimit ?? settings.rateLimit
            return S3Repository(location: location, client: S3Client(configuration: configuration, settings: settings),
                                upload: options.s3Upload)
        }
    }

    /// Parses `text` and opens it.
    package static func open(_ text: String, setting: String = "--repo", options: RepositoryOptions = RepositoryOptions()) throws -> any ObjectRepository {
        try open(RepositoryURL(parsing: text, setting: setting), options: options)
    }

    /// Checks an object name: relative, `/`-separated, no empty, `.` or `..` segment, no control
    /// character, at most 512 bytes.
    static func check(_ name: String) throws {
        let segments = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !name.isEmpty, name.utf8.count <= 512, segments.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }),
              !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw RepositoryError(.usage, "invalid object name '\(name.prefix(200))' in a repository (a relative path without empty, '.' or '..' segments)")
        }
    }

    static func checkDirectory(_ directory: String) throws {
        if !directory.isEmpty { try check(directory) }
    }
}
