import Crypto
import Foundation
import HTTPClient

/// An object as HeadObject / GetObject describe it.
package struct S3ObjectInfo: Sendable, Equatable {
    package var key: String
    package var size: Int64
    package var etag: String?
    package var lastModified: Date?
}

/// One page of ListObjectsV2.
package struct S3ListPage: Sendable {
    package var objects: [S3ObjectInfo]
    package var commonPrefixes: [String]
    package var nextContinuationToken: String?
}

extension S3Client {
    /// PutObject of a small object held in memory, signed with its SHA-256 and carrying it as the
    /// object's additional checksum (or `Content-MD5` when checksums are off).
    /// - Returns: the ETag.
    @discardableResult
    package func putObject(bucket: String, key: String, bytes: [UInt8], contentType: String = "application/octet-stream") throws -> String? {
        var headers: [(name: String, value: String)] = [("Content-Type", contentType)]
        let checksums = sendsChecksums
        if !checksums { headers.append(("Content-MD5", Data(Insecure.MD5.hash(data: bytes)).base64EncodedString())) }
        let response = try send("PutObject", method: "PUT", bucket: bucket, key: key, headers: headers, body: .bytes(bytes),
                                checksumSHA256: checksums)
        return response.head.header("ETag")
    }

    /// GetObject, streaming the body to `onBody`.
    ///
    /// - Parameters:
    ///   - range: inclusive byte range (`Range: bytes=a-b`), or `lowerBound...` via `from:`.
    ///   - from: first byte to read to the end (`Range: bytes=n-`); ignored when `range` is set.
    ///   - ifMatch: ETag the object must still have (a resumed read of the same object).
    ///   - onHead: called once with the response head before any body byte.
    /// - Returns: the response head.
    @discardableResult
    package func getObject(bucket: String, key: String, range: ClosedRange<Int64>? = nil, from: Int64? = nil, ifMatch: String? = nil,
                           onBody: (HTTPResponseHead, UnsafeRawBufferPointer) throws -> Void) throws -> HTTPResponseHead {
        var headers: [(name: String, value: String)] = []
        if let range { headers.append(("Range", "bytes=\(range.lowerBound)-\(range.upperBound)")) } else if let from { headers.append(("Range", "bytes=\(from)-")) }
        if let ifMatch { headers.append(("If-Match", ifMatch)) }
        return try withoutActuallyEscaping(onBody) { onBody in
            try send("GetObject", method: "GET", bucket: bucket, key: key, headers: headers, onBody: onBody).head
        }
    }

    /// GetObject of a small object (or range) into memory.
    package func getObjectBytes(bucket: String, key: String, range: ClosedRange<Int64>? = nil) throws -> [UInt8] {
        var out: [UInt8] = []
        try getObject(bucket: bucket, key: key, range: range) { _, chunk in out.append(contentsOf: chunk) }
        return out
    }

    /// HeadObject; nil when the object does not exist.
    package func headObject(bucket: String, key: String) throws -> S3ObjectInfo? {
        do {
            let head = try send("HeadObject", method: "HEAD", bucket: bucket, key: key).head
            return S3ObjectInfo(key: key, size: Int64(head.header("Content-Length") ?? "") ?? 0, etag: head.header("ETag"),
                                lastModified: head.header("Last-Modified").flatMap(Self.httpDate))
        } catch let error as S3Error where error.code == .notFound {
            return nil
        }
    }

    /// One page of ListObjectsV2 under `prefix`.
    package func listObjectsPage(bucket: String, prefix: String, delimiter: String? = nil, continuationToken: String? = nil,
                                 maxKeys: Int = 1000) throws -> S3ListPage {
        var query: [(name: String, value: String)] = [("list-type", "2"), ("prefix", prefix), ("max-keys", String(maxKeys))]
        if let delimiter { query.append(("delimiter", delimiter)) }
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        let response = try send("ListObjectsV2", method: "GET", bucket: bucket, query: query)
        let root = try XMLElementNode.parse(response.body, what: "ListObjectsV2")
        let objects = root.children("Contents").compactMap { c -> S3ObjectInfo? in
            guard let key = c.value("Key") else { return nil }
            return S3ObjectInfo(key: key, size: Int64(c.value("Size") ?? "") ?? 0, etag: c.value("ETag"),
                                lastModified: c.value("LastModified").flatMap(S3Date.parse))
        }
        let prefixes = root.children("CommonPrefixes").compactMap { $0.value("Prefix") }
        let truncated = root.value("IsTruncated") == "true"
        let token = truncated ? root.value("NextContinuationToken") : nil
        if truncated && token == nil {
            throw S3Error(.failed, "ListObjectsV2 s3://\(bucket)/\(prefix): the store said the listing is truncated but sent no continuation token")
        }
        return S3ListPage(objects: objects, commonPrefixes: prefixes, nextContinuationToken: token)
    }

    /// Every object under `prefix` (all pages), in key order.
    package func listObjects(bucket: String, prefix: String, pageSize: Int = 1000) throws -> [S3ObjectInfo] {
        var all: [S3ObjectInfo] = []
        var token: String?
        repeat {
            let page = try listObjectsPage(bucket: bucket, prefix: prefix, continuationToken: token, maxKeys: pageSize)
            all += page.objects
            token = page.nextContinuationToken
        } while token != nil
        return all
    }

    /// DeleteObject (succeeds when the key does not exist, as S3 does).
    package func deleteObject(bucket: String, key: String) throws {
        _ = try send("DeleteObject", method: "DELETE", bucket: bucket, key: key)
    }

    /// DeleteObjects in batches of 1000; throws when any key could not be deleted.
    package func deleteObjects(bucket: String, keys: [String]) throws {
        var start = 0
        while start < keys.count {
            let batch = keys[start..<min(keys.count, start + 1000)]
            start += batch.count
            var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>"
            for key in batch { xml += "<Object><Key>\(key.xmlEscaped)</Key></Object>" }
            xml += "</Delete>"
            let bytes = Array(xml.utf8)
            let md5 = Data(Insecure.MD5.hash(data: bytes)).base64EncodedString()
            let response = try send("DeleteObjects", method: "POST", bucket: bucket, query: [("delete", "")],
                                    headers: [("Content-Type", "application/xml"), ("Content-MD5", md5)], body: .bytes(bytes))
            let root = try XMLElementNode.parse(response.body, what: "DeleteObjects")
            let errors = root.children("Error")
            if let first = errors.first {
                throw S3Error(.failed, "DeleteObjects s3://\(bucket): \(errors.count) key(s) not deleted, first \(first.value("Key") ?? "?"): \(first.value("Code") ?? "?") \(first.value("Message") ?? "")",
                              s3Code: first.value("Code"))
            }
        }
    }

    static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}
