import Foundation
import ObjectStore
import OpsSupport

/// A repository in a local directory: objects are files under `root` (0600, directories 0700),
/// written through `AtomicFile` (temp `*.<pid>.partial` + fsync + rename + directory fsync).
package final class LocalRepository: ObjectRepository {
    package let root: String
    private let rateLimit: RateLimit?

    package init(root: String, rateLimit: RateLimit? = nil) {
        self.root = root
        self.rateLimit = rateLimit
    }

    package var url: RepositoryURL { .local(path: root) }

    /// The file of object `name`.
    package func path(_ name: String) -> String {
        name.isEmpty ? root : (root as NSString).appendingPathComponent(name)
    }

    package func create(_ name: String) throws -> any ByteSink {
        try Repositories.check(name)
        let file = try wrap { try AtomicFile(finalPath: path(name)) }
        return rateLimit.map { ThrottledSink(file, limit: $0) } ?? file
    }

    package func abandon(_ name: String) {
        guard (try? Repositories.check(name)) != nil else { return }
        SystemCall.unlinkIfPresent("\(path(name)).\(SystemCall.processID)\(AtomicFile.partialSuffix)")
    }

    package func open(_ name: String) throws -> any ByteSource {
        try Repositories.check(name)
        let reader = try wrap { try FileReader(path: path(name)) }
        return rateLimit.map { ThrottledSource(reader, limit: $0) } ?? reader
    }

    package func read(_ name: String, limit: Int) throws -> [UInt8]? {
        try Repositories.check(name)
        let file = path(name)
        let reader: FileReader
        do { reader = try FileReader(path: file) }
        catch let error as SystemError where error.errno == ENOENT { return nil }
        catch { throw RepositoryError.classify(error)! }
        defer { reader.close() }
        var bytes: [UInt8] = []
        try wrap {
            try reader.forEachChunk { chunk in
                guard bytes.count + chunk.count <= limit else {
                    throw RepositoryError(.io, "\(file) is larger than \(limit) bytes, too large to read whole")
                }
                bytes += chunk
            }
        }
        return bytes
    }

    package func write(_ name: String, contents: [UInt8]) throws {
        try Repositories.check(name)
        try wrap { try AtomicFile.write(Data(contents), to: path(name)) }
    }

    package func list(in directory: String) throws -> [RepositoryObject] {
        try Repositories.checkDirectory(directory)
        let base = path(directory)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
        var objects: [RepositoryObject] = []
        for name in names where !name.hasPrefix(".") && !name.hasSuffix(AtomicFile.partialSuffix) {
            guard let (size, modified) = Self.regularFile((base as NSString).appendingPathComponent(name)) else { continue }
            objects.append(RepositoryObject(name: directory.isEmpty ? name : directory + "/" + name, size: size, modified: modified))
        }
        return objects.sorted { $0.name < $1.name }
    }

    package func directories() throws -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { name in
            var isDirectory: ObjCBool = false
            return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: path(name), isDirectory: &isDirectory) && isDirectory.boolValue
        }.sorted()
    }

    package func stat(_ name: String) throws -> RepositoryObject? {
        try Repositories.check(name)
        guard let (size, modified) = Self.regularFile(path(name)) else { return nil }
        return RepositoryObject(name: name, size: size, modified: modified)
    }

    package func delete(_ name: String) throws {
        try Repositories.check(name)
        let file = path(name)
        if unlink(file) != 0 && errno != ENOENT {
            throw RepositoryError(.io, SystemError("delete", path: file, errno: errno).description)
        }
        try? AtomicFile.syncDirectory((file as NSString).deletingLastPathComponent)
    }

    package func removeLeftovers(in directory: String, initiatedBefore cutoff: Date) throws -> [String] {
        try Repositories.checkDirectory(directory)
        // A *.partial file names its writer's pid: removed once that process is gone, whatever its age.
        return AtomicFile.removeLeftovers(in: path(directory), recursive: false)
    }

    package func requireExists() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RepositoryError(.notFound, "repository \(root) does not exist; check the path, or mount the backup volume")
        }
    }

    /// Size and modification time of a regular file (symlinks followed), or nil.
    private static func regularFile(_ path: String) -> (Int64, Date?)? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: (path as NSString).resolvingSymlinksInPath),
              attributes[.type] as? FileAttributeType == .typeRegular else { return nil }
        return ((attributes[.size] as? NSNumber)?.int64Value ?? 0, attributes[.modificationDate] as? Date)
    }

    private func wrap<T>(_ body: () throws -> T) throws -> T {
        do { return try body() }
        catch { throw RepositoryError.classify(error) ?? error }
    }
}

#if canImport(Glibc)
import Glibc
#endif
