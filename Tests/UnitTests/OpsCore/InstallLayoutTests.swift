import Foundation
import OpsCore
import Testing

/// Installed defaults are absolute; the checkout's stay relative (issue 12, "Defaults are absolute when installed").
@Suite("Install layout and its defaults")
struct InstallLayoutTests {
    @Test func anExecutableUnderUsrIsInstalledAnyOtherIsACheckout() throws {
        #expect(try InstallLayout.current(environment: [:], executablePath: "/usr/bin/auto-i18n-ops") == .installed)
        #expect(try InstallLayout.current(environment: [:], executablePath: "/usr/local/bin/auto-i18n-ops") == .installed)
        #expect(try InstallLayout.current(environment: [:], executablePath: "/work/repo/.build/release/auto-i18n-ops") == .checkout)
        #expect(try InstallLayout.current(environment: [:], executablePath: nil) == .checkout)
    }

    @Test func opsLayoutOverridesTheDetection() throws {
        #expect(try InstallLayout.current(environment: ["OPS_LAYOUT": "installed"], executablePath: "/home/me/.build/debug/x") == .installed)
        #expect(try InstallLayout.current(environment: ["OPS_LAYOUT": " Checkout "], executablePath: "/usr/bin/auto-i18n-ops") == .checkout)
        #expect(try InstallLayout.current(environment: ["OPS_LAYOUT": ""], executablePath: "/usr/bin/auto-i18n-ops") == .installed)
    }

    @Test func aBadOpsLayoutIsAConfigurationErrorNamingTheChoices() throws {
        let error = try #require(throws: OpsError.self) { try InstallLayout.current(environment: ["OPS_LAYOUT": "system"], executablePath: nil) }
        #expect(error.code == .configuration)
        #expect(error.message.contains("OPS_LAYOUT=system") && error.message.contains("installed or checkout"))
        #expect(throws: OpsError.self) { try OpsConfiguration(environment: ["OPS_LAYOUT": "system"]) }
    }

    @Test func installedDefaultsAreAbsoluteAndCheckoutOnesRelative() {
        for path in [InstallLayout.installed.backupRepository, InstallLayout.installed.scheduleFile, InstallLayout.installed.stateDirectory] {
            #expect(path.hasPrefix("/"), "\(path)")
        }
        #expect(InstallLayout.installed.backupRepository == "/var/lib/auto-i18n-ops/backups")
        #expect(InstallLayout.installed.backupRepository.hasPrefix(InstallLayout.installed.stateDirectory + "/"))
        #expect(InstallLayout.installed.scheduleFile == "/etc/auto-i18n-ops/schedule")
        #expect(InstallLayout.checkout.backupRepository == "Backups")
        #expect(InstallLayout.checkout.scheduleFile == "Cron/schedule")
    }

    @Test func theBackupRepositoryDefaultFollowsTheLayoutAndBackupRepoWins() throws {
        #expect(try OpsConfiguration(environment: ["OPS_LAYOUT": "installed"]).backupRepository == "/var/lib/auto-i18n-ops/backups")
        #expect(try OpsConfiguration(environment: ["OPS_LAYOUT": "checkout"]).backupRepository == "Backups")
        #expect(try OpsConfiguration(environment: ["OPS_LAYOUT": "installed", "BACKUP_REPO": "/srv/b"]).backupRepository == "/srv/b")
        // The test binary runs from .build/, i.e. a checkout.
        #expect(try OpsConfiguration(environment: [:]).layout == .checkout)
    }
}
