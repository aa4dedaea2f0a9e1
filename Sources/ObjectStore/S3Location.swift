/// A repository location `s3://bucket/prefix`.
///
/// The bucket follows S3's naming rules (3–63 characters: lowercase letters, digits, `.` and `-`,
/// starting and ending with a letter or digit). The prefix is taken literally (no percent-decoding,
/// as the AWS CLI does), without leading or trailing `/`; it may be empty.
package struct S3Location: Sendable, Hashable, CustomStringConvertible {
    package let bucket: String
    package let prefix: String

    package init(bucket: String, prefix: String) throws {
        try Self.checkBucket(bucket, url: "s3://\(bucket)")
        self.bucket = bucket
        self.prefix = try Self.normalizedPrefix(prefix, url: "s3://\(bucket)/\(prefix)")
    }

    /// Parses `s3://bucket` or `s3://bucket/some/prefix/`.
    package init(parsing url: String) throws {
        let shown = url.count > 200 ? String(url.prefix(200)) + "…" : url
        guard url.lowercased().hasPrefix("s3://") else {
            throw S3Error(.configuration, "invalid S3 URL '\(shown)': it must start with s3:// (s3://bucket/prefix)")
        }
        let rest = url.dropFirst(5)
        let bucketEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let bucket = String(rest[..<bucketEnd])
        guard !bucket.isEmpty else {
            throw S3Error(.configuration, "invalid S3 URL '\(shown)': no bucket name (use s3://bucket/prefix)")
        }
        try Self.checkBucket(bucket, url: shown)
        let path = bucketEnd == rest.endIndex ? "" : String(rest[rest.index(after: bucketEnd)...])
        self.bucket = bucket
        self.prefix = try Self.normalizedPrefix(path, url: shown)
    }

    /// The object key for `name` under the prefix.
    package func key(_ name: String) -> String { prefix.isEmpty ? name : prefix + "/" + name }

    /// The prefix with a trailing `/` for listings (empty for the bucket root).
    package var listingPrefix: String { prefix.isEmpty ? "" : prefix + "/" }

    package var description: String { prefix.isEmpty ? "s3://\(bucket)" : "s3://\(bucket)/\(prefix)" }

    private static func checkBucket(_ bucket: String, url: String) throws {
        func bad(_ why: String) -> S3Error {
            S3Error(.configuration, "invalid S3 URL '\(url)': bucket name \(why) (S3 bucket names are 3-63 characters of a-z, 0-9, '.' and '-')")
        }
        guard (3...63).contains(bucket.utf8.count) else { throw bad("must be 3 to 63 characters long") }
        let allowed = bucket.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 45 }
        guard allowed else { throw bad("'\(bucket)' holds a character other than a-z, 0-9, '.' or '-'") }
        guard let first = bucket.utf8.first, let last = bucket.utf8.last,
              first != 46, first != 45, last != 46, last != 45 else { throw bad("must start and end with a letter or digit") }
        guard !bucket.contains("..") else { throw bad("must not contain '..'") }
    }

    private static func normalizedPrefix(_ raw: String, url: String) throws -> String {
        var p = Substring(raw)
        while p.hasSuffix("/") { p = p.dropLast() }
        guard !p.hasPrefix("/"), !p.contains("//") else {
            throw S3Error(.configuration, "invalid S3 URL '\(url)': the prefix holds an empty path segment ('//')")
        }
        guard !p.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw S3Error(.configuration, "invalid S3 URL '\(url)': the prefix holds a control character")
        }
        guard !p.contains("?"), !p.contains("#") else {
            throw S3Error(.configuration, "invalid S3 URL '\(url)': '?' and '#' are not allowed in a repository prefix")
        }
        guard p.split(separator: "/").allSatisfy({ $0 != "." && $0 != ".." }) else {
            throw S3Error(.configuration, "invalid S3 URL '\(url)': '.' and '..' segments are not allowed in a repository prefix")
        }
        // Leave room for object names below the prefix within S3's 1024-byte key limit.
        guard p.utf8.count <= 512 else {
            throw S3Error(.configuration, "invalid S3 URL '\(url)': the prefix is longer than 512 bytes")
        }
        return String(p)
    }
}
