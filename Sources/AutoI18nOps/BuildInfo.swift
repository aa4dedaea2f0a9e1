import OpsCore

/// What `auto-i18n-ops --version` prints: the version and the git commit the binary was built from.
///
/// `Scripts/package` rewrites the `commit` line below to the checkout's `git describe`-style commit for
/// the release build and restores the file afterwards (no build plugin needed); a plain `swift build`
/// keeps `nil` and says "unknown commit".
enum BuildInfo {
    static let commit: String? = nil  // AUTO_I18N_OPS_BUILD_COMMIT (rewritten by Scripts/package)

    static var versionText: String {
        "\(OpsVersion.current) (\(commit.map { "commit \($0)" } ?? "unknown commit"))"
    }
}
