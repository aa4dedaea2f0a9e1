/// The environment variables a command reads, listed at the end of its `--help` (README, "Configuration").
enum EnvironmentHelp {
    static let database = ["DATABASE_URL", "CONNECT_TIMEOUT"]
    static let redis = ["REDIS_URL", "REDIS_MAX_RETRIES", "CONNECT_TIMEOUT"]
    static let repository = ["BACKUP_REPO", "BACKUP_MAX_RATE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
                             "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_S3_ADDRESSING_STYLE", "AWS_CA_BUNDLE", "AWS_REQUEST_CHECKSUM_CALCULATION"]
    static let encryption = ["BACKUP_RECIPIENTS"]
    static let decryption = ["BACKUP_IDENTITY"]
    static let connections = ["POSTGRES_MAX_CONNECTIONS"]

    /// `discussion` followed by `Environment: A, B, C.` (each variable once, in first-seen order).
    static func discussion(_ text: String = "", _ groups: [String]...) -> String {
        var seen: [String] = []
        for name in groups.joined() where !seen.contains(name) { seen.append(name) }
        let line = "Environment: " + seen.joined(separator: ", ") + " (values given as options win)."
        return text.isEmpty ? line : text + "\n\n" + line
    }
}
