import AgeEncryption
import ObjectStore
import OpsCore
import OpsSupport
import Repository

/// The repository options every backup command takes, over their environment defaults:
/// `--repo URL` (`BACKUP_REPO`), `--max-rate RATE` (`BACKUP_MAX_RATE`), `--recipient age1…`
/// (`BACKUP_RECIPIENTS`, a file) and `--identity FILE` (`BACKUP_IDENTITY`).
package struct RepositorySettings: Sendable {
    package var repo: String?
    package var maxRate: String?
    package var recipients: [String]
    package var identity: String?

    package init(repo: String? = nil, maxRate: String? = nil, recipients: [String] = [], identity: String? = nil) {
        self.repo = repo
        self.maxRate = maxRate
        self.recipients = recipients
        self.identity = identity
    }

    /// Checks what can be checked before the job runs (URL and rate syntax): exit 2 on bad input.
    package func validate() throws {
        do {
            if let repo { _ = try RepositoryURL(parsing: repo, setting: "--repo") }
            if let maxRate { _ = try RateLimit(parsing: maxRate) }
        } catch let error as RepositoryError {
            throw BackupError(error).opsError
        } catch let error as S3Error {
            throw OpsError(.usage, "--max-rate: \(error.message)")
        }
    }

    /// The rate cap: `--max-rate`, else `BACKUP_MAX_RATE`, else none.
    package func rateLimit(_ configuration: OpsConfiguration) throws -> RateLimit? {
        let (text, setting) = maxRate.map { ($0, "--max-rate") } ?? (configuration.backupMaxRate.map { ($0, "BACKUP_MAX_RATE") } ?? (nil, ""))
        guard let text else { return nil }
        do { return try RateLimit(parsing: text) }
        catch let error as S3Error { throw BackupError(.usage, "\(setting): \(error.message)") }
    }

    package func repositoryOptions(_ configuration: OpsConfiguration) throws -> RepositoryOptions {
        RepositoryOptions(rateLimit: try rateLimit(configuration))
    }

    /// The repository: `--repo`, else `BACKUP_REPO` (else the layout's default directory).
    package func repository(_ configuration: OpsConfiguration) throws -> BackupRepository {
        let (url, setting) = repo.map { ($0, "--repo") } ?? (configuration.backupRepository, "BACKUP_REPO")
        return try BackupRepository.open(url, setting: setting, options: try repositoryOptions(configuration))
    }

    /// The recipients to encrypt to: `--recipient` values and the `BACKUP_RECIPIENTS` file; nil for none.
    package func recipients(_ configuration: OpsConfiguration) throws -> [AgeX25519Recipient]? {
        do { return try RepositoryEncryption.recipients(arguments: recipients, file: configuration.backupRecipientsFile) }
        catch let error as RepositoryError { throw BackupError(error) }
    }

    /// The identities to decrypt with: `--identity`, else `BACKUP_IDENTITY`; nil when neither is set.
    package func identities(_ configuration: OpsConfiguration) throws -> [AgeX25519Identity]? {
        guard let file = identity ?? configuration.backupIdentityFile else { return nil }
        do { return try RepositoryEncryption.identities(file: file) }
        catch let error as RepositoryError { throw BackupError(error) }
    }
}
