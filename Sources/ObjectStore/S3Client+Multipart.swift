import Crypto
import Foundation
import HTTPClient

/// An unfinished multipart upload.
package struct S3MultipartUpload: Sendable, Equatable {
    package var key: String
    package var uploadId: String
    package var initiated: Date?
}

/// A part uploaded, as CompleteMultipartUpload lists it.
package struct S3UploadedPart: Sendable, Equatable {
    package var number: Int
    package var etag: String
    /// The part's SHA-256 additional checksum (base64), when the upload declared one.
    package var checksumSHA256: String?

    package init(number: Int, etag: String, checksumSHA256: String? = nil) {
        self.number = number
        self.etag = etag
        self.checksumSHA256 = checksumSHA256
    }
}

extension S3Client {
    /// Whether uploads carry S3's SHA-256 additional checksum (`AWS_REQUEST_CHECKSUM_CALCULATION`).
    var sendsChecksums: Bool { configuration.checksumCalculation == .whenSupported }

    /// CreateMultipartUpload; returns the upload id. Declares the SHA-256 additional checksum
    /// unless checksums are off: every part then carries its own, and the object keeps their
    /// composite (`<base64>-<parts>`).
    package func createMultipartUpload(bucket: String, key: String, contentType: String = "application/octet-stream") throws -> String {
        var headers: [(name: String, value: String)] = [("Content-Type", contentType)]
        if sendsChecksums { headers.append(("x-amz-checksum-algorithm", "SHA256")) }
        let response = try send("CreateMultipartUpload", method: "POST", bucket: bucket, key: key, query: [("uploads", "")],
                                headers: headers)
        let root = try XMLElementNode.parse(response.body, what: "CreateMultipartUpload")
        guard let id = root.value("UploadId"), !id.isEmpty else {
            throw S3Error(.failed, "CreateMultipartUpload s3://\(bucket)/\(key): the store sent no UploadId")
        }
        return id
    }

    /// UploadPart of an in-memory part, signed with its SHA-256 and carrying it as the part's
    /// additional checksum (or `Content-MD5` when checksums are off), so the store checks the body.
    package func uploadPart(bucket: String, key: String, uploadId: String, partNumber: Int, bytes: [UInt8]) throws -> S3UploadedPart {
        guard (1...10_000).contains(partNumber) else {
            throw S3Error(.tooLarge, "UploadPart s3://\(bucket)/\(key): part number \(partNumber) is outside 1-10000")
        }
        let checksums = sendsChecksums
        let headers: [(name: String, value: String)] = checksums ? [] : [("Content-MD5", Data(Insecure.MD5.hash(data: bytes)).base64EncodedString())]
        let response = try send("UploadPart", method: "PUT", bucket: bucket, key: key,
                                query: [("partNumber", String(partNumber)), ("uploadId", uploadId)],
                                headers: headers, body: .bytes(bytes), checksumSHA256: checksums)
        guard let etag = response.head.header("ETag") else {
            throw S3Error(.failed, "UploadPart s3://\(bucket)/\(key) part \(partNumber): the store sent no ETag")
        }
        return S3UploadedPart(number: partNumber, etag: etag, checksumSHA256: response.checksumSHA256)
    }

    /// CompleteMultipartUpload with `parts` (any order; listed ascending). S3 may answer 200
    /// with an `<Error>` body; that is an error too.
    @discardableResult
    package func completeMultipartUpload(bucket: String, key: String, uploadId: String, parts: [S3UploadedPart]) throws -> String? {
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts.sorted(by: { $0.number < $1.number }) {
            xml += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(part.etag.xmlEscaped)</ETag>"
            if let checksum = part.checksumSHA256 { xml += "<ChecksumSHA256>\(checksum.xmlEscaped)</ChecksumSHA256>" }
            xml += "</Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let response = try send("CompleteMultipartUpload", method: "POST", bucket: bucket, key: key, query: [("uploadId", uploadId)],
                                headers: [("Content-Type", "application/xml")], body: .bytes(Array(xml.utf8)))
        let root = try XMLElementNode.parse(response.body, what: "CompleteMultipartUpload")
        if root.name == "Error" {
            let doc = S3ErrorDocument(response.body)
            throw S3Error(.failed, "CompleteMultipartUpload s3://\(bucket)/\(key) failed: \(doc.code ?? "error"): \(doc.message ?? "")",
                          s3Code: doc.code, requestId: doc.requestId, httpStatus: response.head.status)
        }
        return root.value("ETag")
    }

    /// AbortMultipartUpload; an upload that no longer exists counts as aborted.
    package func abortMultipartUpload(bucket: String, key: String, uploadId: String) throws {
        do {
            _ = try send("AbortMultipartUpload", method: "DELETE", bucket: bucket, key: key, query: [("uploadId", uploadId)])
        } catch let error as S3Error where error.code == .notFound {
            return
        }
    }

    /// Every unfinished multipart upload under `prefix` (all pages).
    package func listMultipartUploads(bucket: String, prefix: String) throws -> [S3MultipartUpload] {
        var uploads: [S3MultipartUpload] = []
        var keyMarker: String?
        var idMarker: String?
        while true {
            var query: [(name: String, value: String)] = [("uploads", ""), ("prefix", prefix)]
            if let keyMarker { query.append(("key-marker", keyMarker)) }
            if let idMarker { query.append(("upload-id-marker", idMarker)) }
            let response = try send("ListMultipartUploads", method: "GET", bucket: bucket, query: query)
            let root = try XMLElementNode.parse(response.body, what: "ListMultipartUploads")
            for u in root.children("Upload") {
                guard let key = u.value("Key"), let id = u.value("UploadId") else { continue }
                uploads.append(S3MultipartUpload(key: key, uploadId: id, initiated: u.value("Initiated").flatMap(S3Date.parse)))
            }
            guard root.value("IsTruncated") == "true" else { break }
            let nextKey = root.value("NextKeyMarker"), nextId = root.value("NextUploadIdMarker")
            guard nextKey != nil || nextId != nil, nextKey != keyMarker || nextId != idMarker else { break }
            keyMarker = nextKey
            idMarker = nextId
        }
        return uploads
    }

    /// The stale-upload sweeper: aborts every unfinished multipart upload under `prefix` initiated
    /// before `cutoff` (a run killed mid-upload leaves one behind; it is never listed as an object,
    /// but it is billed). Uploads without an initiation time are left alone.
    /// - Returns: the uploads aborted.
    @discardableResult
    package func abortStaleUploads(bucket: String, prefix: String, initiatedBefore cutoff: Date) throws -> [S3MultipartUpload] {
        let stale = try listMultipartUploads(bucket: bucket, prefix: prefix).filter { ($0.initiated ?? .distantFuture) < cutoff }
        for upload in stale {
            try abortMultipartUpload(bucket: bucket, key: upload.key, uploadId: upload.uploadId)
        }
        return stale
    }
}
