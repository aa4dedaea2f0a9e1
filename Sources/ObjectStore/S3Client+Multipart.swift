import Crypto
import Foundation
import HTTPClient

/// An unfinished multipart upload.
package struct S3MultipartUpload: Sendable, Equatable {
    package var key: String
    package var uploadId: String
    package var initiated: Date?
}

extension S3Client {
    /// CreateMultipartUpload; returns the upload id.
    package func createMultipartUpload(bucket: String, key: String, contentType: String = "application/octet-stream") throws -> String {
        let response = try send("CreateMultipartUpload", method: "POST", bucket: bucket, key: key, query: [("uploads", "")],
                                headers: [("Content-Type", contentType)])
        let root = try XMLElementNode.parse(response.body, what: "CreateMultipartUpload")
        guard let id = root.value("UploadId"), !id.isEmpty else {
            throw S3Error(.failed, "CreateMultipartUpload s3://\(bucket)/\(key): the store sent no UploadId")
        }
        return id
    }

    /// UploadPart of an in-memory part (signed SHA-256 and Content-MD5, so the store checks it);
    /// returns the part's ETag.
    package func uploadPart(bucket: String, key: String, uploadId: String, partNumber: Int, bytes: [UInt8]) throws -> String {
        guard (1...10_000).contains(partNumber) else {
            throw S3Error(.tooLarge, "UploadPart s3://\(bucket)/\(key): part number \(partNumber) is outside 1-10000")
        }
        let md5 = Data(Insecure.MD5.hash(data: bytes)).base64EncodedString()
        let response = try send("UploadPart", method: "PUT", bucket: bucket, key: key,
                                query: [("partNumber", String(partNumber)), ("uploadId", uploadId)],
                                headers: [("Content-MD5", md5)], body: .bytes(bytes))
        guard let etag = response.head.header("ETag") else {
            throw S3Error(.failed, "UploadPart s3://\(bucket)/\(key) part \(partNumber): the store sent no ETag")
        }
        return etag
    }

    /// CompleteMultipartUpload with `parts` (number, ETag) in ascending order. S3 may answer 200
    /// with an `<Error>` body; that is an error too.
    @discardableResult
    package func completeMultipartUpload(bucket: String, key: String, uploadId: String, parts: [(number: Int, etag: String)]) throws -> String? {
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts.sorted(by: { $0.number < $1.number }) {
            xml += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(part.etag.xmlEscaped)</ETag></Part>"
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
