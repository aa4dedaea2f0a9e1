import Foundation
import ObjectStore
import OpsSupport

/// A repository under `s3://bucket/prefix`: objects are keys `prefix/name`, written with
/// `S3UploadSink` (multipart from a bounded part pool; one PutObject below one part) and read with
/// `S3ObjectSource` (streaming GET, resumed with Range + If-Match).
package final class S3Repository: ObjectRepository {
    package let location: S3Location
    package let client: S3Client
    private let upload: S3UploadOptions

    package init(location: S3Location, client: S3Client, upload: S3UploadOptions = S3UploadOptions()) {
        self.location = location
        self.client = client
        self.upload = upload
    }

    package var url: RepositoryURL { .s3(location) }

    package func key(_ name: String) -> String { location.key(name) }

    package func create(_ name: String) throws -> any ByteSink {
        try Repositories.check(name)
        return S3UploadSink(client: client, bucket: location.bucket, key: key(name), options: upload)
    }

    package func open(_ name: String) throws -> any ByteSource {
        try Repositories.check(name)
        return S3ObjectSource(client: client, bucket: location.bucket, key: key(name))
    }

    package func read(_ name: String, limit: Int) throws -> [UInt8]? {
        try Repositories.check(name)
        do {
            var bytes: [UInt8] = []
            try client.getObject(bucket: location.bucket, key: key(name)) { _, chunk in
                guard bytes.count + chunk.count <= limit else {
                    throw RepositoryError(.io, "\(display(name)) is larger than \(limit) bytes, too large to read whole")
                }
                bytes += chunk
            }
            return bytes
        } catch let error as S3Error where error.code == .notFound {
            return nil
        } catch {
            throw RepositoryError.classify(error) ?? error
        }
    }

    package func write(_ name: String, contents: [UInt8]) throws {
        try Repositories.check(name)
        try wrap { _ = try client.putObject(bucket: location.bucket, key: key(name), bytes: contents) }
    }

    package func list(in directory: String) throws -> [RepositoryObject] {
        try Repositories.checkDirectory(directory)
        let prefix = directory.isEmpty ? location.listingPrefix : key(directory) + "/"
        return try wrap {
            var objects: [RepositoryObject] = []
            var token: String?
            repeat {
                let page = try client.listObjectsPage(bucket: location.bucket, prefix: prefix, delimiter: "/", continuationToken: token)
                for object in page.objects where object.key.hasPrefix(prefix) && object.key.count > prefix.count {
                    let rest = object.key.dropFirst(prefix.count)
                    objects.append(RepositoryObject(name: directory.isEmpty ? String(rest) : directory + "/" + rest,
                                                    size: object.size, modified: object.lastModified))
                }
                token = page.nextContinuationToken
            } while token != nil
            return objects.sorted { $0.name < $1.name }
        }
    }

    package func directories() throws -> [String] {
        let prefix = location.listingPrefix
        return try wrap {
            var names: [String] = []
            var token: String?
            repeat {
                let page = try client.listObjectsPage(bucket: location.bucket, prefix: prefix, delimiter: "/", continuationToken: token)
                for common in page.commonPrefixes where common.hasPrefix(prefix) {
                    let name = common.dropFirst(prefix.count).dropLast(common.hasSuffix("/") ? 1 : 0)
                    if !name.isEmpty { names.append(String(name)) }
                }
                token = page.nextContinuationToken
            } while token != nil
            return names.sorted()
        }
    }

    package func stat(_ name: String) throws -> RepositoryObject? {
        try Repositories.check(name)
        return try wrap {
            try client.headObject(bucket: location.bucket, key: key(name)).map {
                RepositoryObject(name: name, size: $0.size, modified: $0.lastModified)
            }
        }
    }

    package func abandon(_ name: String) {}

    package func delete(_ name: String) throws {
        try Repositories.check(name)
        try wrap { try client.deleteObject(bucket: location.bucket, key: key(name)) }
    }

    package func removeLeftovers(in directory: String, initiatedBefore cutoff: Date) throws -> [String] {
        try Repositories.checkDirectory(directory)
        let prefix = directory.isEmpty ? location.listingPrefix : key(directory) + "/"
        return try wrap {
            try client.abortStaleUploads(bucket: location.bucket, prefix: prefix, initiatedBefore: cutoff)
                .map { "s3://\(location.bucket)/\($0.key) (upload \($0.uploadId.prefix(12))…)" }
        }
    }

    package func requireExists() throws {
        do {
            _ = try client.listObjectsPage(bucket: location.bucket, prefix: location.listingPrefix, maxKeys: 1)
        } catch let error as S3Error where error.code == .notFound {
            throw RepositoryError(.notFound, "repository \(location) does not exist: no bucket \(location.bucket) at \(client.configuration.endpointDescription) (create it, or check AWS_ENDPOINT_URL_S3 / AWS_REGION)")
        } catch {
            throw RepositoryError.classify(error) ?? error
        }
    }

    private func wrap<T>(_ body: () throws -> T) throws -> T {
        do { return try body() }
        catch { throw RepositoryError.classify(error) ?? error }
    }
}
