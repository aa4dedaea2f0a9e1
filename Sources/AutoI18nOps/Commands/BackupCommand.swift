import ArgumentParser
import Backup
import Foundation
import OpsCore

/// `backup create|list|verify|prune|copy`.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Logical backups of a PostgreSQL database, pg_dump-compatible, checksummed and verified.",
        subcommands: [BackupCreateCommand.self, BackupListCommand.self, BackupVerifyCommand.self, BackupPruneCommand.self, BackupCopyCommand.self])
}

