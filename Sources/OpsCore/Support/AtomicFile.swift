import Foundation

/// Publishes files the durable way: write to a temporary name in the target directory, fsync, rename
/// over the final name, fsync the directory. A crash at any point leaves either nothing or the whole
/// file under the final name; leftovers carry the `.partial` suffix and can be removed by the next run.
///
/// Files are created 0600 and directories 0700, since backups and archives hold application data.
///
/// `@unchecked Sendable` so a file opened on a blocking-I/O thread can be handed to the task that writes
/// it; it has one owner at a time and is never written from two threads at once.
public final class AtomicFile: @unchecked Sendable {
    /// The name the file gets once published.
    public let finalPath: String
    /// Where it is written meanwhile: `<final>.<pid>.partial`.
    public let temporaryPath: String
    /// Open for writing until `publish()` or `discard()`.
    public let fileDescriptor: Int32
    private var open = true

    public static let partialSuffix = ".partial"

    /// Creates the parent directories (0700) and the temporary file (0600, exclusive).
    ///
    /// - Parameters:
    ///   - finalPath: the name the file gets once published.
    ///   - mode: the file's permissions, set before anything is written (0600 unless the file must be
    ///     readable by another user, e.g. node_exporter's textfile collector).
    public init(finalPath: String, mode: mode_t = 0o600) throws {
        self.finalPath = finalPath
        let directory = (finalPath as NSString).deletingLastPathComponent
        try AtomicFile.makeDirectories(directory)
        temporaryPath = "\(finalPath).\(getpid())\(AtomicFile.partialSuffix)"
        unlink(temporaryPath)
        let fd = Foundation.open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw OpsError(.jobFailed, "cannot create \(temporaryPath): \(String(cString: strerror(errno)))")
        }
        if mode != 0o600 && fchmod(fd, mode) != 0 {
            let reason = String(cString: strerror(errno))
            close(fd)
            unlink(temporaryPath)
            throw OpsError(.jobFailed, "cannot set the mode of \(temporaryPath): \(reason)")
        }
        fileDescriptor = fd
    }

    /// Writes all of `bytes` (retrying short writes).
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Foundation.write(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw OpsError(.jobFailed, "cannot write \(temporaryPath): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    public func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    /// fsyncs the file, renames it to its final name, and fsyncs the directory.
    public func publish() throws {
        guard open else { throw OpsError(.jobFailed, "\(finalPath) was already published or discarded") }
        open = false
        defer { close(fileDescriptor) }
        guard fsync(fileDescriptor) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw OpsError(.jobFailed, "cannot fsync \(temporaryPath): \(reason)")
        }
        guard rename(temporaryPath, finalPath) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw OpsError(.jobFailed, "cannot rename \(temporaryPath) to \(finalPath): \(reason)")
        }
        try AtomicFile.syncDirectory((finalPath as NSString).deletingLastPathComponent)
    }

    /// Removes the temporary file.
    public func discard() {
        guard open else { return }
        open = false
        close(fileDescriptor)
        unlink(temporaryPath)
    }

    deinit {
        if open {
            close(fileDescriptor)
            unlink(temporaryPath)
        }
    }

    /// Writes `data` to `path` atomically in one go.
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o600) throws {
        let file = try AtomicFile(finalPath: path, mode: mode)
        try file.write(data)
        try file.publish()
    }

    /// `mkdir -p` with mode 0700 (or `mode`) for every directory it creates.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o700) throws {
        guard !path.isEmpty else { return }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw OpsError(.jobFailed, "\(path) exists and is not a directory") }
            return
        }
        try makeDirectories((path as NSString).deletingLastPathComponent, mode: mode)
        if mkdir(path, mode) != 0 && errno != EEXIST {
            throw OpsError(.jobFailed, "cannot create directory \(path): \(String(cString: strerror(errno)))")
        }
        try syncDirectory((path as NSString).deletingLastPathComponent)
    }

    /// fsync on a directory makes a rename or a new entry in it durable.
    public static func syncDirectory(_ path: String) throws {
        let fd = Foundation.open(path.isEmpty ? "." : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw OpsError(.jobFailed, "cannot open directory \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw OpsError(.jobFailed, "cannot fsync directory \(path): \(String(cString: strerror(errno)))") }
    }

    /// Removes `*.partial` leftovers of earlier runs in `directory` (and below it when `recursive`)
    /// whose writer process is gone.
    /// - Returns: the removed paths.
    @discardableResult
    public static func removeLeftovers(in directory: String, recursive: Bool = true) -> [String] {
        let names: [String]
        if recursive {
            guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
            names = enumerator.compactMap { $0 as? String }
        } else {
            names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        }
        var removed: [String] = []
        for relative in names where relative.hasSuffix(partialSuffix) {
            let name = (relative as NSString).lastPathComponent
            let parts = name.dropLast(partialSuffix.count).split(separator: ".")
            if let pid = parts.last.flatMap({ Int32($0) }), pid != getpid(), kill(pid, 0) == 0 { continue }  // writer still alive
            let path = (directory as NSString).appendingPathComponent(relative)
            if unlink(path) == 0 { removed.append(path) }
        }
        return removed
    }
}
