import ArgumentParser
import Backup
import Foundation
import OpsCore
import OpsSupport

struct BackupListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List complete backups in $BACKUP_REPO: id, time, database, size, duration, verified state.",
        discussion: EnvironmentHelp.discussion("", EnvironmentHelp.repository))
    @OptionGroup var global: GlobalOptions
    @OptionGroup var repositoryOptions: RepositoryOptionGroup
    @Option(help: "Only this database's backups (default: all).") var database: String?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try global.bootstrapLogging()
        let configuration = try global.configuration()
        let settings = try repositoryOptions.settings()
        let database = self.database
        let (entries, root): ([BackupRepository.Entry], String)
        do {
            (entries, root) = try await BlockingIO.run(name: "backup-list") {
                let repository = try settings.repository(configuration)
                try repository.requireExists()
                return (try repository.list(database: database), repository.root)
            }
        } catch let error as BackupError { throw error.opsError }
        if json {
            let objects: [JSONValue] = entries.map { entry in
                var object: [String: JSONValue] = [
                    "id": .string(entry.id), "database": .string(entry.database),
                    "time": .string(entry.manifest.snapshotStart.formatted(.iso8601)),
                    "bytes": .int(entry.archiveBytes), "uncompressed_bytes": .int(entry.manifest.totalBytes),
                    "duration_seconds": .double(entry.manifest.durationSeconds), "tables": .int(Int64(entry.manifest.tables.count)),
                    "rows": .int(entry.manifest.totalRows), "path": .string(entry.archivePath),
                    "verified": .bool(entry.verification != nil), "encrypted": .bool(entry.isEncrypted),
                ]
                if let verification = entry.verification {
                    object["verified_at"] = .string(verification.verifiedAt.formatted(.iso8601))
                    object["restore_tested"] = .bool(verification.restoreTest)
                }
                return .object(object)
            }
            print(JSONValue.array(objects).jsonString(pretty: true))
            return
        }
        guard !entries.isEmpty else {
            print("no backups in \(root)")
            return
        }
        print("ID                DATABASE          TIME (UTC)            SIZE        DURATION  VERIFIED")
        for entry in entries {
            let verified = entry.verification.map { $0.restoreTest ? "restore-tested" : ($0.storedObjectOnly == true ? "stored" : "checksums") } ?? "no"
            let time = entry.manifest.snapshotStart.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).dateTimeSeparator(.space))
            print([entry.id.padding(toLength: 16, withPad: " ", startingAt: 0),
                   entry.database.padding(toLength: 16, withPad: " ", startingAt: 0),
                   time.padding(toLength: 20, withPad: " ", startingAt: 0),
                   ByteCount.format(entry.archiveBytes).padding(toLength: 10, withPad: " ", startingAt: 0),
                   String(format: "%7.1fs", entry.manifest.durationSeconds),
                   verified].joined(separator: "  "))
        }
    }
}
