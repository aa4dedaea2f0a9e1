/// The tool's version, recorded in backups' manifests and shown by `--version`.
package enum OpsVersion {
    package static let current = "0.1.0"
}
