import Foundation

/// Publishes files the durable way: write to a temporary name in the target directory, fsync, rename
/// over the final name, fsync the directory. A crash at any point leaves either nothing or the whole
/// file under the final name; leftovers carry the `.partial` suffix and can be removed by the next run.
///
/// Files are created 0600 and directories 0700, since backups and archives hold application data.
/// Every POSIX call goes through `SystemCall`, so failures are `SystemError`s naming the path.
///
/// `@unchecked Sendable` so a file opened on a blocking-I/O thread can be handed to the task that writes
/// it; it has one owner at a time and is never written from two threads at once.
package final class AtomicFile: ByteSink, @unchecked Sendable {
    /// The name the file gets once published.
    package let finalPath: String
    /// Where it is written meanwhile: `<final>.<pid>.partial`.
    package let temporaryPath: String
    /// Open for writing until `publish()` or `discard()`.
    package let fileDescriptor: Int32
    private var open = true

    package static let partialSuffix = ".partial"

    /// Creates the parent directories (0700) and the temporary file (0600, exclusive).
    ///
    /// - Parameters:
    ///   - finalPath: the name the file gets once published.
    ///   - mode: the file's permissions, set before anything is written (0600 unless the file must be
    ///     readable by another user, e.g. node_exporter's textfile collector).
    package init(finalPath: String, mode: mode_t = 0o600) throws {
        self.finalPath = finalPath
        let directory = (finalPath as NSString).deletingLastPathComponent
        try AtomicFile.makeDirectories(directory)
        temporaryPath = "\(finalPath).\(SystemCall.processID)\(AtomicFile.partialSuffix)"
        SystemCall.unlinkIfPresent(temporaryPath)
        let fd = try SystemCall.open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600, operation: "create")
        if mode != 0o600 {
            do {
                try SystemCall.run("set the mode of", path: temporaryPath) { fchmod(fd, mode) }
            } catch {
                SystemCall.close(fd)
                SystemCall.unlinkIfPresent(temporaryPath)
                throw error
            }
        }
        fileDescriptor = fd
    }

    /// Writes all of `bytes` (retrying short writes).
    package func write(_ bytes: UnsafeRawBufferPointer) throws {
        try SystemCall.writeAll(fileDescriptor, bytes, path: temporaryPath)
    }

    package func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    /// fsyncs the file, renames it to its final name, and fsyncs the directory.
    package func publish() throws {
        guard open else { throw SystemError("publish", path: finalPath, errno: EALREADY) }
        open = false
        defer { SystemCall.close(fileDescriptor) }
        do {
            try SystemCall.fsync(fileDescriptor, path: temporaryPath)
            try SystemCall.rename(temporaryPath, to: finalPath)
        } catch {
            SystemCall.unlinkIfPresent(temporaryPath)
            throw error
        }
        try AtomicFile.syncDirectory((finalPath as NSString).deletingLastPathComponent)
    }

    /// Removes the temporary file.
    package func discard() {
        guard open else { return }
        open = false
        SystemCall.close(fileDescriptor)
        SystemCall.unlinkIfPresent(temporaryPath)
    }

    deinit {
        if open {
            SystemCall.close(fileDescriptor)
            SystemCall.unlinkIfPresent(temporaryPath)
        }
    }

    /// Writes `data` to `path` atomically in one go.
    package static func write(_ data: Data, to path: String, mode: mode_t = 0o600) throws {
        let file = try AtomicFile(finalPath: path, mode: mode)
        try file.write(data)
        try file.publish()
    }

    /// `mkdir -p` with mode 0700 (or `mode`) for every directory it creates.
    package static func makeDirectories(_ path: String, mode: mode_t = 0o700) throws {
        guard !path.isEmpty else { return }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw SystemError("create directory", path: path, errno: ENOTDIR) }
            return
        }
        try makeDirectories((path as NSString).deletingLastPathComponent, mode: mode)
        do {
            try SystemCall.run("create directory", path: path) { mkdir(path, mode) }
        } catch let error as SystemError where error.errno == EEXIST {
            // Created meanwhile by another process: fine.
        }
        try syncDirectory((path as NSString).deletingLastPathComponent)
    }

    /// fsync on a directory makes a rename or a new entry in it durable.
    package static func syncDirectory(_ path: String) throws {
        let directory = path.isEmpty ? "." : path
        let fd = try SystemCall.open(directory, O_RDONLY | O_DIRECTORY, operation: "open directory")
        defer { SystemCall.close(fd) }
        try SystemCall.run("fsync directory", path: directory) { fsync(fd) }
    }

    /// Removes `*.partial` leftovers of earlier runs in `directory` (and below it when `recursive`)
    /// whose writer process is gone.
    /// - Returns: the removed paths.
    @discardableResult
    package static func removeLeftovers(in directory: String, recursive: Bool = true) -> [String] {
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
            if let pid = parts.last.flatMap({ Int32($0) }), pid != SystemCall.processID, SystemCall.processExists(pid) { continue }  // writer still alive
            let path = (directory as NSString).appendingPathComponent(relative)
            if unlink(path) == 0 { removed.append(path) }
        }
        return removed
    }
}
