import Foundation
import ObjectStore
import OpsSupport
import Repository
import Testing

@Suite("Repository URLs")
struct RepositoryURLTests {
    @Test("Directories, file:// and s3:// URLs parse to their kind", arguments: [
        ("/var/lib/auto-i18n-ops/backups", "local:/var/lib/auto-i18n-ops/backups"),
        ("/var/backups/", "local:/var/backups"),
        ("Backups", "local:Backups"),
        ("/", "local:/"),
        ("file:///srv/backups", "local:/srv/backups"),
        ("s3://my-bucket", "s3:my-bucket:"),
        ("s3://my-bucket/", "s3:my-bucket:"),
        ("s3://my-bucket/off-site/db/", "s3:my-bucket:off-site/db"),
        ("S3://my.bucket/a b/ü", "s3:my.bucket:a b/ü"),
    ])
    func parses(text: String, expected: String) throws {
        let url = try RepositoryURL(parsing: text)
        switch url {
        case .local(let path): #expect("local:\(path)" == expected)
        case .s3(let location): #expect("s3:\(location.bucket):\(location.prefix)" == expected)
        }
    }

    @Test("Malformed URLs are one usage line naming the setting", arguments: [
        ("", "is empty"),
        ("   ", "is empty"),
        ("s3://", "no bucket"),
        ("s3://AB/x", "bucket name"),
        ("s3://bucket/a//b", "empty path segment"),
        ("s3://bucket/../x", "'..'"),
        ("gs://bucket/x", "unsupported scheme 'gs://'"),
        ("file://relative/x", "absolute path"),
        ("/var/back\nups", "control character"),
    ])
    func malformed(text: String, fragment: String) {
        #expect {
            _ = try RepositoryURL(parsing: text, setting: "BACKUP_REPO")
        } throws: { error in
            guard let error = error as? RepositoryError else { return false }
            return error.code == .usage && error.message.contains("BACKUP_REPO") && error.message.contains(fragment) && !error.message.contains("\n")
        }
    }

    @Test("A sibling is beside the repository: same parent directory or prefix")
    func siblings() throws {
        #expect(try RepositoryURL(parsing: "/var/lib/ops/backups").sibling("archive").description == "/var/lib/ops/archive")
        #expect(try RepositoryURL(parsing: "Backups").sibling("archive").description == "archive")
        #expect(try RepositoryURL(parsing: "s3://b-1/site/backups").sibling("archive").description == "s3://b-1/site/archive")
        #expect(try RepositoryURL(parsing: "s3://b-1/backups").sibling("archive").description == "s3://b-1/archive")
        #expect(try RepositoryURL(parsing: "s3://b-1").sibling("archive").description == "s3://b-1/archive")
    }

    @Test("display names an object by path or by s3:// URL")
    func display() throws {
        #expect(try RepositoryURL(parsing: "/r").display("db/1.tar.zst") == "/r/db/1.tar.zst")
        #expect(try RepositoryURL(parsing: "s3://bkt/p").display("db/1.tar.zst") == "s3://bkt/p/db/1.tar.zst")
    }

    @Test("An S3 repository without credentials is a usage error naming the variables; nothing is contacted")
    func s3WithoutCredentials() {
        #expect {
            _ = try Repositories.open("s3://bucket/x", options: RepositoryOptions(environment: ["HOME": "/nonexistent"]))
        } throws: { error in
            (error as? RepositoryError).map { $0.code == .usage && $0.message.contains("AWS_ACCESS_KEY_ID") } ?? false
        }
    }
}

@Suite("Local repository")
struct LocalRepositoryTests {
    func withRoot<T>(_ body: (String) throws -> T) throws -> T {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("repo-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        return try body(root)
    }

    @Test("Objects appear only once published, as 0600 files in 0700 directories, and list with their sizes")
    func publishListReadDelete() throws {
        try withRoot { root in
            let repository = try Repositories.open(root)
            let sink = try repository.create("db/1.tar.zst")
            try sink.write(Array(repeating: 7, count: 100_000))
            #expect(try repository.list(in: "db").isEmpty, "a partial file is not listed")
            #expect(try !repository.exists("db/1.tar.zst"))
            try sink.publish()
            try repository.write("db/1.manifest.json", contents: Array("{}".utf8))
            #expect(try repository.list(in: "db").map(\.name) == ["db/1.manifest.json", "db/1.tar.zst"])
            #expect(try repository.list(in: "db").map(\.size) == [2, 100_000])
            #expect(try repository.directories() == ["db"])
            #expect(try repository.read("db/1.manifest.json") == Array("{}".utf8))
            #expect(try repository.read("db/missing.json") == nil)

            let attributes = try FileManager.default.attributesOfItem(atPath: root + "/db/1.tar.zst")
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            let directory = try FileManager.default.attributesOfItem(atPath: root + "/db")
            #expect((directory[.posixPermissions] as? NSNumber)?.intValue == 0o700)

            let source = try repository.open("db/1.tar.zst")
            defer { source.close() }
            var buffer = [UInt8](repeating: 0, count: 300_000)
            let n = try buffer.withUnsafeMutableBytes { try source.readFully(into: $0) }
            #expect(n == 100_000 && buffer[0..<n].allSatisfy { $0 == 7 })

            try repository.delete("db/1.tar.zst")
            try repository.delete("db/1.tar.zst")
            #expect(try repository.list(in: "db").map(\.name) == ["db/1.manifest.json"])
        }
    }

    @Test("A discarded sink leaves nothing; a missing object opens as notFound; bad names are usage errors")
    func discardMissingAndBadNames() throws {
        try withRoot { root in
            let repository = try Repositories.open(root)
            let sink = try repository.create("db/2.tar")
            try sink.write([1, 2, 3])
            sink.discard()
            #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/db").isEmpty)
            #expect { _ = try repository.open("db/none.tar") } throws: { ($0 as? RepositoryError)?.code == .notFound }
            for bad in ["", "/abs", "a/../b", "a//b", "./a"] {
                #expect { _ = try repository.create(bad) } throws: { ($0 as? RepositoryError)?.code == .usage }
            }
            #expect(throws: Never.self) { try repository.requireExists() }
            #expect { try Repositories.open(root + "/nope").requireExists() } throws: { ($0 as? RepositoryError)?.code == .notFound }
        }
    }

    @Test("A leftover partial file of a writer that is gone is removed; a live writer's is kept")
    func leftovers() throws {
        try withRoot { root in
            let repository = try Repositories.open(root)
            try AtomicFile.makeDirectories(root + "/db")
            // pid 2^22+1 is above Linux's pid_max limit: no such process.
            let dead = root + "/db/3.tar.zst.4194305.partial"
            _ = FileManager.default.createFile(atPath: dead, contents: Data([1]))
            // A live writer: another process, still running.
            let writer = Process()
            writer.executableURL = URL(fileURLWithPath: "/bin/sleep")
            writer.arguments = ["60"]
            try writer.run()
            defer { kill(writer.processIdentifier, SIGKILL); writer.waitUntilExit() }
            let live = root + "/db/4.tar.zst.\(writer.processIdentifier).partial"
            _ = FileManager.default.createFile(atPath: live, contents: Data([2]))
            let removed = try repository.removeLeftovers(in: "db", initiatedBefore: Date())
            #expect(removed == [dead])
            #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/db") == [(live as NSString).lastPathComponent])
        }
    }
}
