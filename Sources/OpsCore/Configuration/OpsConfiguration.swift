import Foundation

/// Settings from the environment (README, "Configuration"), overridable by command-line options.
///
/// Parsing never echoes a URL's password: URL errors are reported by the store clients, which mask it.
package struct OpsConfiguration: Sendable {
    /// `DATABASE_URL`: PostgreSQL URL or conninfo string.
    package var databaseURL: String?
    /// `POSTGRES_MAX_CONNECTIONS` (10): the most connections one command opens (e.g. backup `--jobs`).
    package var postgresMaxConnections: Int
    /// `REDIS_URL`: the DragonflyDB / Redis server, `redis://[:password@]host:port[/db]`.
    package var redisURL: String?
    /// `REDIS_MAX_RETRIES` (3): attempts for a Redis connection before giving up.
    package var redisMaxRetries: Int
    /// `SESSION_EXPIRY_DAYS` (30).
    package var sessionExpiryDays: Int
    /// `BATCH_ARCHIVE_DAYS` (7).
    package var batchArchiveDays: Int
    /// `ARCHIVE_REPO`: where retention publishes batch archives (a directory or `s3://bucket/prefix`);
    /// nil when unset: then the directory or prefix `archive` beside `BACKUP_REPO` (README, "Retention").
    package var archiveRepository: String?
    /// `ENABLE_CACHE` (true): when false, cache invalidation and cache checks are not attempted.
    package var enableCache: Bool
    /// `BACKUP_REPO`: where backups and batch archives are published. Default: the layout's
    /// (`/var/lib/auto-i18n-ops/backups` installed, `Backups` in a checkout; see `InstallLayout`).
    package var backupRepository: String
    /// `BACKUP_RECIPIENTS`: a file of age recipients (`age -R`); backups are encrypted to them.
    package var backupRecipientsFile: String?
    /// `BACKUP_IDENTITY`: an age identity file (`age -i`) that decrypts encrypted backups. The path
    /// only; the key is read when needed and never printed.
    package var backupIdentityFile: String?
    /// `BACKUP_MAX_RATE`: caps transfers to and from a repository (`50MB/s`); checked where used.
    package var backupMaxRate: String?
    /// Installed or checkout (`OPS_LAYOUT`, else the executable's path): picks the default paths.
    package var layout: InstallLayout
    /// `CONNECT_TIMEOUT` seconds (5) for both stores.
    package var connectTimeoutSeconds: Int
    /// `METRICS_LISTEN`: where the daemon serves /metrics, /healthz and /readyz (`host:port`); nil = its default.
    package var metricsListen: String?
    /// `METRICS_TOKEN`: the bearer token /metrics requires; nil = none. Never printed.
    package var metricsToken: String?
    /// `NOTIFY_WEBHOOK_URL`: receives a JSON POST when a job fails and when it recovers. Never printed.
    package var notifyWebhookURL: URL?

    package init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func value(_ key: String) -> String? {
            guard let raw = environment[key]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        func integer(_ key: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
            guard let raw = value(key) else { return fallback }
            guard let number = Int(raw), range.contains(number) else {
                throw OpsError(.configuration, "\(key)=\(raw) is not valid: expected a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return number
        }
        func boolean(_ key: String, default fallback: Bool) throws -> Bool {
            guard let raw = value(key)?.lowercased() else { return fallback }
            switch raw {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off": return false
            default: throw OpsError(.configuration, "\(key)=\(raw) is not valid: expected true or false")
            }
        }
        databaseURL = value("DATABASE_URL")
        postgresMaxConnections = try integer("POSTGRES_MAX_CONNECTIONS", default: 10, range: 1...1000)
        redisURL = value("REDIS_URL")
        redisMaxRetries = try integer("REDIS_MAX_RETRIES", default: 3, range: 0...100)
        sessionExpiryDays = try integer("SESSION_EXPIRY_DAYS", default: 30, range: 1...36500)
        batchArchiveDays = try integer("BATCH_ARCHIVE_DAYS", default: 7, range: 0...36500)
        archiveRepository = value("ARCHIVE_REPO")
        enableCache = try boolean("ENABLE_CACHE", default: true)
        layout = try InstallLayout.current(environment: environment)
        backupRepository = value("BACKUP_REPO") ?? layout.backupRepository
        backupRecipientsFile = value("BACKUP_RECIPIENTS")
        backupIdentityFile = value("BACKUP_IDENTITY")
        backupMaxRate = value("BACKUP_MAX_RATE")
        connectTimeoutSeconds = try integer("CONNECT_TIMEOUT", default: 5, range: 1...600)
        metricsListen = value("METRICS_LISTEN")
        metricsToken = value("METRICS_TOKEN")
        if let raw = value("NOTIFY_WEBHOOK_URL") {
            guard let url = URL(string: raw), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host?.isEmpty == false else {
                throw OpsError(.configuration, "NOTIFY_WEBHOOK_URL is not valid: expected an http:// or https:// URL with a host")
            }
            notifyWebhookURL = url
        }
    }

    /// The database URL, or a usage error saying how to provide it.
    package func requireDatabaseURL() throws -> String {
        guard let databaseURL else {
            throw OpsError(.configuration, "no PostgreSQL configured: set DATABASE_URL or pass --database-url postgresql://user:password@host:port/database")
        }
        return databaseURL
    }

    /// The Redis URL, or a usage error saying how to provide it.
    package func requireRedisURL() throws -> String {
        guard let redisURL else {
            throw OpsError(.configuration, "no Redis server configured: set REDIS_URL or pass --redis-url redis://[:password@]host:port[/db]")
        }
        return redisURL
    }
}

/// Printing a configuration (`"\(configuration)"`, `dump`, `String(reflecting:)`) never shows a URL, so
/// a password in `DATABASE_URL` or `REDIS_URL` cannot reach a log line or an error by accident: the
/// URLs appear only as `set` or `not set`.
extension OpsConfiguration: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private var visibleFields: KeyValuePairs<String, Any> {
        [
            "databaseURL": databaseURL == nil ? "not set" : "set",
            "postgresMaxConnections": postgresMaxConnections,
            "redisURL": redisURL == nil ? "not set" : "set",
            "redisMaxRetries": redisMaxRetries,
            "sessionExpiryDays": sessionExpiryDays,
            "batchArchiveDays": batchArchiveDays,
            "archiveRepository": archiveRepository ?? "beside backupRepository",
            "enableCache": enableCache,
            "backupRepository": backupRepository,
            "backupRecipients": backupRecipientsFile ?? "not set",
            "backupIdentity": backupIdentityFile == nil ? "not set" : "set",
            "backupMaxRate": backupMaxRate ?? "not set",
            "layout": layout.rawValue,
            "connectTimeoutSeconds": connectTimeoutSeconds,
            "metricsListen": metricsListen ?? "default",
            "metricsToken": metricsToken == nil ? "not set" : "set",
            "notifyWebhookURL": notifyWebhookURL == nil ? "not set" : "set",
        ]
    }

    package var description: String {
        "OpsConfiguration(" + visibleFields.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")"
    }

    package var debugDescription: String { description }

    package var customMirror: Mirror { Mirror(self, children: visibleFields, displayStyle: .struct) }
}
