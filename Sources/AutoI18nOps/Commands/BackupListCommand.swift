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
    @Option(help: "Only this database's backups (default: all).") var database: String?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try global.bootstrapLogging()
        let configuration = try global.configuration()
        let repository = BackupRepository(root: configuration.backupRepository)
        do { try repository.requireExists() } catch let error as BackupError { throw error.opsError }
        let entries = repository.list(database: database)
        if json {
            let objects: [JSONValue] = entries.map { entry in
                var object: [String: JSONValue] = [
                    "id": .string(entry.id), "database": .string(entry.database),
                    "time": .string(entry.manifest.snapshotStart.formatted(.iso8601)),
                    "bytes": .int(entry.archiveBytes), "uncompressed_bytes": .int(entry.manifest.totalBytes),
                    "duration_seconds": .double(entry.manifest.durationSeconds), "tables": .int(Int64(entry.manifest.tables.count)),
                    "rows": .int(entry.manifest.totalRows), "path": .string(entry.archivePath),
                    "verified": .bool(entry.verification != nil),
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
            print("no backups in \(configuration.backupRepository)")
            return
        }
        print("ID                DATABASE          TIME (UTC)            SIZE        DURATION  VERIFIED")
        for entry in entries {
            let verified = entry.verification.map { $0.restoreTest ? "restore-tested" : "checksums" } ?? "no"
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
