import Foundation

/// One sender folder, listed and checked before any database work: the metadata files, every file
/// to import with its columns, every batch with its JSONL files. Listing refuses the session for an
/// unknown content-type folder, a file of another kind, a file over the size limit or a symbolic link.
package struct SessionPlan: Sendable {
    /// The files table's content limit (the plan's 10 MB; larger files belong in object storage).
    package static let maxFileBytes: Int64 = 10 * 1024 * 1024

    package static let fileTypes: [(folder: String, type: String)] = [
        ("uploads", "upload"), ("translations", "translation"), ("deltas", "delta"),
    ]
    package static let contentTypes: Set<String> = ["content", "global", "page"]

    package struct PlannedFile: Sendable, Hashable {
        /// Path relative to the tree's root (for reports).
        package var source: String
        package var fileType: String
        package var contentType: String
        package var locale: String
        package var relativePath: String
        package var fileName: String
        package var format: String
        package var size: Int64
    }

    package struct PlannedBatch: Sendable, Hashable {
        package var folder: String
        /// Paths relative to the tree's root.
        package var manifest: String
        package var input: String?
        package var outputs: [String]
        package var errors: [String]
    }

    package let sender: String
    package var topMetadata: String?
    package var changesMetadata: String?
    package var files: [PlannedFile] = []
    package var batches: [PlannedBatch] = []
    /// `.DS_Store` and other hidden files, skipped.
    package var strayFiles = 0
    /// Entries the tree's layout does not name (reported, not imported).
    package var ignored: [String] = []
    package var fileBytes: Int64 = 0

    /// Lists `sender`'s folder below `root`.
    package static func list(root: String, sender: String) throws -> SessionPlan {
        var plan = SessionPlan(sender: sender)
        let base = root + "/" + sender
        func relative(_ path: String) -> String { String(path.dropFirst(root.count + 1)) }
        func names(_ path: String) throws -> [String] {
            do { return try FileManager.default.contentsOfDirectory(atPath: path).sorted() } catch {
                throw ImportRefusal(file: relative(path), "cannot list the folder: \(error.localizedDescription)")
            }
        }
        for name in try names(base) {
            let full = base + "/" + name
            if LegacyTree.isStray(name) { plan.strayFiles += 1; continue }
            let status = FileStatus.of(full)
            if status == .symlink { throw ImportRefusal(file: relative(full), "is a symbolic link (not followed); replace it with the file") }
            switch (name, status) {
            case ("metadata.json", .file):
                plan.topMetadata = relative(full)
            case ("logs", .directory):
                continue
            case ("changes", .directory):
                for inner in try names(full) {
                    let path = full + "/" + inner
                    if LegacyTree.isStray(inner) { plan.strayFiles += 1; continue }
                    switch (inner, FileStatus.of(path)) {
                    case ("metadata.json", .file): plan.changesMetadata = relative(path)
                    case ("original", .directory): try plan.listFiles(typeFolder: path, fileType: "original", root: root)
                    case ("logs", .directory): continue
                    case (_, .symlink): throw ImportRefusal(file: relative(path), "is a symbolic link (not followed); replace it with the file")
                    default: plan.ignored.append(relative(path))
                    }
                }
            case ("batches", .directory):
                for folder in try names(full) {
                    let path = full + "/" + folder
                    if LegacyTree.isStray(folder) { plan.strayFiles += 1; continue }
                    guard FileStatus.of(path) == .directory else { plan.ignored.append(relative(path)); continue }
                    plan.batches.append(try listBatch(path, folder: folder, root: root, plan: &plan))
                }
            case (_, .directory):
                if let type = fileTypes.first(where: { $0.folder == name })?.type {
                    try plan.listFiles(typeFolder: full, fileType: type, root: root)
                } else {
                    plan.ignored.append(relative(full) + "/")
                }
            default:
                plan.ignored.append(relative(full))
            }
        }
        return plan
    }

    private static func listBatch(_ path: String, folder: String, root: String, plan: inout SessionPlan) throws -> PlannedBatch {
        func relative(_ path: String) -> String { String(path.dropFirst(root.count + 1)) }
        var batch = PlannedBatch(folder: folder, manifest: relative(path + "/manifest.json"), input: nil, outputs: [], errors: [])
        var hasManifest = false
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: path).sorted() } catch {
            throw ImportRefusal(file: relative(path), "cannot list the folder: \(error.localizedDescription)")
        }
        for name in names {
            let full = path + "/" + name
            if LegacyTree.isStray(name) { plan.strayFiles += 1; continue }
            let status = FileStatus.of(full)
            if status == .symlink { throw ImportRefusal(file: relative(full), "is a symbolic link (not followed); replace it with the file") }
            guard case .file = status else { plan.ignored.append(relative(full)); continue }
            if name == "manifest.json" { hasManifest = true }
            else if name == "input.jsonl" { batch.input = relative(full) }
            else if name.hasSuffix("_output.jsonl") { batch.outputs.append(relative(full)) }
            else if name.hasSuffix("_error.jsonl") { batch.errors.append(relative(full)) }
            else { plan.ignored.append(relative(full)) }
        }
        guard hasManifest else { throw ImportRefusal(file: relative(path) + "/manifest.json", "is missing: every batch folder needs its manifest") }
        return batch
    }

    /// `{typeFolder}/{locale}/{content|global|page}/**`.
    private mutating func listFiles(typeFolder: String, fileType: String, root: String) throws {
        func relative(_ path: String) -> String { String(path.dropFirst(root.count + 1)) }
        func names(_ path: String) throws -> [String] {
            do { return try FileManager.default.contentsOfDirectory(atPath: path).sorted() } catch {
                throw ImportRefusal(file: relative(path), "cannot list the folder: \(error.localizedDescription)")
            }
        }
        for locale in try names(typeFolder) {
            let localePath = typeFolder + "/" + locale
            if LegacyTree.isStray(locale) { strayFiles += 1; continue }
            guard FileStatus.of(localePath) == .directory else {
                throw ImportRefusal(file: relative(localePath), "is not inside a {locale}/{content|global|page} folder")
            }
            for contentType in try names(localePath) {
                let typePath = localePath + "/" + contentType
                if LegacyTree.isStray(contentType) { strayFiles += 1; continue }
                guard FileStatus.of(typePath) == .directory else {
                    throw ImportRefusal(file: relative(typePath), "is not inside a content-type folder (content, global or page)")
                }
                guard Self.contentTypes.contains(contentType) else {
                    throw ImportRefusal(file: relative(typePath) + "/", "unknown content-type folder '\(contentType)' (expected content, global or page)")
                }
                try walk(typePath, below: "", fileType: fileType, contentType: contentType, locale: locale, root: root)
            }
        }
    }

    private mutating func walk(_ path: String, below: String, fileType: String, contentType: String, locale: String, root: String) throws {
        func relative(_ path: String) -> String { String(path.dropFirst(root.count + 1)) }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: path).sorted() } catch {
            throw ImportRefusal(file: relative(path), "cannot list the folder: \(error.localizedDescription)")
        }
        for name in names {
            let full = path + "/" + name
            let inner = below.isEmpty ? name : below + "/" + name
            if LegacyTree.isStray(name) { strayFiles += 1; continue }
            switch FileStatus.of(full) {
            case .directory:
                try walk(full, below: inner, fileType: fileType, contentType: contentType, locale: locale, root: root)
            case .file(let size):
                let lower = name.lowercased()
                let format: String
                if lower.hasSuffix(".md") || lower.hasSuffix(".mdx") { format = "markdown" }
                else if lower.hasSuffix(".json") { format = "json" }
                else { throw ImportRefusal(file: relative(full), "is neither Markdown (.md, .mdx) nor JSON (.json)") }
                guard size <= Self.maxFileBytes else {
                    throw ImportRefusal(file: relative(full), "is \(size) bytes, over the 10 MiB limit of the files table (keep it in object storage)")
                }
                files.append(PlannedFile(source: relative(full), fileType: fileType, contentType: contentType, locale: locale,
                                         relativePath: inner, fileName: name, format: format, size: size))
                fileBytes += size
            case .symlink:
                throw ImportRefusal(file: relative(full), "is a symbolic link (not followed); replace it with the file")
            default:
                throw ImportRefusal(file: relative(full), "is not a regular file")
            }
        }
    }
}
