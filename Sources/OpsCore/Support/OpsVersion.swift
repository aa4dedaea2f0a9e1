/// The tool's version, recorded in backups' manifests and shown by `--version`.
public enum OpsVersion {
    public static let current = "0.1.0"
}
