import AgeEncryption
import ArchiveIO
import Foundation
import OpsSupport

/// How `backup create` runs.
package struct BackupOptions: Sendable {
    /// The archive's compression filter.
    package enum Compression: String, Sendable, CaseIterable {
        case zstd, gzip, none

        /// The level used when `--level` is not given: zstd's and gzip's own defaults.
        package var defaultLevel: Int {
            switch self {
            case .zstd: return 3
            case .gzip: return 6
            case .none: return 0
            }
        }

        /// The valid `--level` values.
        package var levels: ClosedRange<Int> {
            switch self {
            case .zstd: return 1...19
            case .gzip: return 0...9
            case .none: return 0...0
            }
        }
    }

    /// Which objects and rows are dumped (`--no-owner`, `--no-privileges`, `--exclude-table-data`).
    package var dump: DumpOptions
    package var compression: Compression
    /// Compression level; nil for the filter's default.
    package var level: Int?
    /// Connections copying tables at once (`--jobs`): the first holds the snapshot, the others join it.
    /// Capped by `POSTGRES_MAX_CONNECTIONS`.
    package var jobs: Int
    /// How long to wait for each table's ACCESS SHARE lock (`--lock-wait-timeout`, seconds).
    package var lockWaitTimeout: Double
    /// Data members are cut after this many bytes (at a row boundary). The member buffers take about
    /// `(2 × jobs + 2) × chunkBytes`, whatever the size of the tables (a single row larger than that is
    /// held whole).
    package var chunkBytes: Int
    /// Whether `chunkBytes` was given rather than derived from `jobs` (see `defaultChunkBytes`).
    package private(set) var chunkBytesGiven = false
    /// zstd worker threads; 0 compresses on the archive thread.
    package var compressionThreads: Int
    /// The progress line: tables, rows and data bytes copied of the catalog's estimate (`--quiet`: none).
    package var progress: ProgressMeter.Display = .none
    /// Encrypt the archive to these age recipients (`--recipient`, `BACKUP_RECIPIENTS`): it is
    /// stored as `<id>.tar.zst.age`. Nil: stored plain.
    package var recipients: [AgeX25519Recipient]?

    package init(dump: DumpOptions = DumpOptions(), compression: Compression = .zstd, level: Int? = nil,
                jobs: Int = BackupOptions.defaultJobs, lockWaitTimeout: Double = 5, chunkBytes: Int? = nil,
                compressionThreads: Int = BackupOptions.defaultCompressionThreads, recipients: [AgeX25519Recipient]? = nil) {
        self.recipients = recipients
        self.dump = dump
        self.compression = compression
        self.level = level
        self.jobs = jobs
        self.lockWaitTimeout = lockWaitTimeout
        self.chunkBytes = chunkBytes ?? Self.defaultChunkBytes(jobs: jobs)
        self.chunkBytesGiven = chunkBytes != nil
        self.compressionThreads = compressionThreads
    }

    /// The number of cores, as pg_dump users usually pick for `-j`.
    package static var defaultJobs: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// The member size for `jobs` connections: the member buffers share a 32 MiB budget, each between
    /// 1 and 4 MiB (4 MiB for 1–3 jobs, 1 MiB from 15). Into object storage the budget is 16 MiB, since
    /// the multipart upload holds part buffers of its own (8 MiB filling, up to two uploading), so
    /// that the backup's peak stays within 128 MiB (2.7 MiB members for 2 jobs).
    package static func defaultChunkBytes(jobs: Int, objectStorage: Bool = false) -> Int {
        let budget = objectStorage ? 16 << 20 : 32 << 20
        return min(4 << 20, max(1 << 20, budget / (2 * max(1, jobs) + 2)))
    }

    /// zstd workers when `--compression-threads` is not given: the number of cores, at most 2. Each
    /// worker holds zstd's job buffers (about 20 MiB at level 3), and two already compress faster than
    /// PostgreSQL sends COPY data to a few connections.
    package static var defaultCompressionThreads: Int { min(2, defaultJobs) }

    /// The level actually used.
    package var effectiveLevel: Int { level ?? compression.defaultLevel }

    /// Checks the level against the filter.
    package func validate() throws {
        guard compression.levels.contains(effectiveLevel) else {
            throw BackupError(.usage, "--level \(effectiveLevel) is not valid for --compression \(compression.rawValue): use \(compression.levels.lowerBound)...\(compression.levels.upperBound)")
        }
        guard jobs >= 1 else { throw BackupError(.usage, "--jobs must be at least 1") }
        guard (0...64).contains(compressionThreads) else { throw BackupError(.usage, "--compression-threads must be from 0 to 64") }
        guard lockWaitTimeout > 0 else { throw BackupError(.usage, "--lock-wait-timeout must be more than 0 seconds") }
    }

    var archiveCompression: ArchiveCompression {
        switch compression {
        case .zstd: return .zstd(level: effectiveLevel, threads: compressionThreads)
        case .gzip: return .gzip(level: effectiveLevel)
        case .none: return .none
        }
    }
}
