import ArgumentParser
import Backup

/// `--repo URL` and `--max-rate RATE`: the repository a backup command reads or writes, over
/// `BACKUP_REPO` and `BACKUP_MAX_RATE`.
struct RepositoryOptionGroup: ParsableArguments {
    @Option(name: .customLong("repo"), help: ArgumentHelp("The repository: a directory or s3://bucket/prefix (default: $BACKUP_REPO).", valueName: "url"))
    var repo: String?

    @Option(help: ArgumentHelp("Cap transfers to and from the repository, e.g. 50MB/s or 10MiB/s (default: $BACKUP_MAX_RATE, else none).", valueName: "rate"))
    var maxRate: String?

    /// The settings, checked (a malformed URL or rate is exit 2 before anything runs).
    func settings(recipients: [String] = [], identity: String? = nil) throws -> RepositorySettings {
        let settings = RepositorySettings(repo: repo, maxRate: maxRate, recipients: recipients, identity: identity)
        try settings.validate()
        return settings
    }
}
