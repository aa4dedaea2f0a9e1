import Foundation
import ObjectStore

/// Where a repository lives, as `--repo` / `BACKUP_REPO` (and `ARCHIVE_REPO`) take it: a local
/// directory (`/var/backups/db`, `Backups`, `file:///var/backups/db`) or `s3://bucket/prefix`.
///
/// Parsed once, where the option or variable is read; a malformed value is one line naming the
/// setting and what to write instead (`RepositoryError.usage`, exit 2).
package enum RepositoryURL: Sendable, Hashable, CustomStringConvertible {
    case local(path: String)
    case s3(S3Location)

    /// - Parameters:
    ///   - text: the value as given.
    ///   - setting: names the option or variable in errors (`--repo`, `BACKUP_REPO`).
    package init(parsing text: String, setting: String = "--repo") throws {
        let trimmed = text.trimmingSpaces()
        guard !trimmed.isEmpty else {
            throw RepositoryError(.usage, "\(setting) is empty: give a directory or s3://bucket/prefix")
        }
        guard !trimmed.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw RepositoryError(.usage, "\(setting) holds a control character: give a directory or s3://bucket/prefix")
        }
        let lowered = trimmed.lowercased()
        if lowered.hasPrefix("s3://") {
            do { self = .s3(try S3Location(parsing: trimmed)) }
            catch let error as S3Error { throw RepositoryError(.usage, "\(setting): \(error.message)") }
            return
        }
        if lowered.hasPrefix("file://") {
            let path = String(trimmed.dropFirst("file://".count))
            guard path.hasPrefix("/") else {
                throw RepositoryError(.usage, "\(setting) '\(trimmed)': a file:// URL needs an absolute path (file:///var/backups)")
            }
            self = .local(path: Self.trimmedPath(path))
            return
        }
        if let scheme = Self.scheme(of: trimmed) {
            throw RepositoryError(.usage, "\(setting) '\(Self.shown(trimmed))': unsupported scheme '\(scheme)://'; give a directory or s3://bucket/prefix")
        }
        self = .local(path: Self.trimmedPath(trimmed))
    }

    package var isS3: Bool {
        if case .s3 = self { return true }
        return false
    }

    /// The URL as the user would write it: the path, or `s3://bucket/prefix`.
    package var description: String {
        switch self {
        case .local(let path): return path
        case .s3(let location): return location.description
        }
    }

    /// `name` inside the repository, for messages and `archive_uri`s.
    package func display(_ name: String) -> String {
        switch self {
        case .local(let path): return path.hasSuffix("/") ? path + name : path + "/" + name
        case .s3(let location): return "s3://\(location.bucket)/\(location.key(name))"
        }
    }

    /// A sibling repository named `name` (e.g. `archive` beside `backups`): the same parent
    /// directory or parent prefix. At a bucket's root, a prefix `name` in the same bucket.
    package func sibling(_ name: String) -> RepositoryURL {
        switch self {
        case .local(let path):
            let parts = path.split(separator: "/", omittingEmptySubsequences: false)
            let parent = parts.dropLast().joined(separator: "/")
            if parts.count <= 1 { return .local(path: name) }
            return .local(path: parent.isEmpty ? "/" + name : parent + "/" + name)
        case .s3(let location):
            let parts = location.prefix.split(separator: "/")
            let parent = parts.dropLast().joined(separator: "/")
            // The name was checked by the caller; S3Location only refuses what a bucket and prefix cannot hold.
            let prefix = parent.isEmpty ? name : parent + "/" + name
            return (try? S3Location(bucket: location.bucket, prefix: prefix)).map(RepositoryURL.s3) ?? self
        }
    }

    private static func trimmedPath(_ path: String) -> String {
        var p = Substring(path)
        while p.count > 1 && p.hasSuffix("/") { p = p.dropLast() }
        return String(p)
    }

    /// `gs` for `gs://…`: letters, digits, `+ - .` before `://`.
    private static func scheme(of text: String) -> String? {
        guard let range = text.range(of: "://") else { return nil }
        let scheme = text[..<range.lowerBound]
        guard let first = scheme.first, first.isASCII, first.isLetter,
              scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }) else { return nil }
        return String(scheme)
    }

    private static func shown(_ text: String) -> String {
        text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return String(s)
    }
}
