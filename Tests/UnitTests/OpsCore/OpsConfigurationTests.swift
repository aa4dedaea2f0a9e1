import OpsCore
import Testing

@Suite("Configuration from the environment")
struct OpsConfigurationTests {
    @Test func defaultsMatchTheSeed() throws {
        let configuration = try OpsConfiguration(environment: [:])
        #expect(configuration.sessionExpiryDays == 30)
        #expect(configuration.batchArchiveDays == 7)
        #expect(configuration.enableCache)
        #expect(configuration.backupRepository == "Backups")
        #expect(configuration.postgresMaxConnections == 10)
        #expect(configuration.redisMaxRetries == 3)
        #expect(configuration.databaseURL == nil)
    }

    @Test func valuesAreRead() throws {
        let configuration = try OpsConfiguration(environment: [
            "DATABASE_URL": "postgresql://a@b/c", "REDIS_URL": "redis://x:1", "SESSION_EXPIRY_DAYS": "10",
            "BATCH_ARCHIVE_DAYS": "0", "ENABLE_CACHE": "false", "BACKUP_REPO": "/srv/backups", "POSTGRES_MAX_CONNECTIONS": "4",
        ])
        #expect(configuration.databaseURL == "postgresql://a@b/c")
        #expect(configuration.sessionExpiryDays == 10)
        #expect(configuration.batchArchiveDays == 0)
        #expect(!configuration.enableCache)
        #expect(configuration.backupRepository == "/srv/backups")
        #expect(configuration.postgresMaxConnections == 4)
    }

    @Test(arguments: [("SESSION_EXPIRY_DAYS", "abc"), ("SESSION_EXPIRY_DAYS", "0"), ("ENABLE_CACHE", "maybe"), ("REDIS_MAX_RETRIES", "-1")])
    func badValuesAreOneLineConfigurationErrorsNamingTheVariable(key: String, value: String) {
        let error = #expect(throws: OpsError.self) { try OpsConfiguration(environment: [key: value]) }
        #expect(error?.code == .configuration)
        #expect(error?.message.contains(key) == true)
        #expect(error?.code.exitCode == ExitCode.usage)
    }

    @Test func missingURLsSayHowToSetThem() throws {
        let configuration = try OpsConfiguration(environment: [:])
        #expect((try? configuration.requireDatabaseURL()) == nil)
        let error = #expect(throws: OpsError.self) { try configuration.requireDatabaseURL() }
        #expect(error?.message.contains("DATABASE_URL") == true)
    }

    @Test func printingAConfigurationNeverShowsAURLOrItsPassword() throws {
        let configuration = try OpsConfiguration(environment: [
            "DATABASE_URL": "postgresql://ops:pg-s3cret@db.internal:5432/auto_i18n",
            "REDIS_URL": "redis://:redis-s3cret@cache.internal:6379/0",
        ])
        var dumped = ""
        dump(configuration, to: &dumped)
        for text in ["\(configuration)", String(reflecting: configuration), dumped] {
            #expect(!text.contains("s3cret"))
            #expect(!text.contains("db.internal"))
            #expect(text.contains("databaseURL"))
            #expect(text.contains("set"))
        }
        #expect(try configuration.requireDatabaseURL().contains("pg-s3cret"))  // the value itself is intact
    }

    @Test func advisoryLockKeysAreStable() {
        // Fixed values: replicas built from different versions must contend for the same lock.
        // Pinned literals (FNV-1a 64 of `auto-i18n-ops:<name>`, computed independently): a change here
        // would let two versions run one job at once.
        #expect(AdvisoryLockKey.forName("job:backup").value == 132_374_613_394_753_119)
        #expect(AdvisoryLockKey.forName("job:retention").value == 7_318_479_282_647_811_409)
        #expect(AdvisoryLockKey.forName("job:snapshot").value == -834_038_256_699_800_627)
        #expect(AdvisoryLockKey.forName("job:backup").value != AdvisoryLockKey.forName("job:retention").value)
        #expect(AdvisoryLockKey.forName("schema-migrate").value == 8_906_726_005_448_757_045)
    }

    @Test func exitCodesAreTheDocumentedOnes() {
        #expect(OpsError.Code.usage.exitCode == 2)
        #expect(OpsError.Code.storeUnavailable.exitCode == 3)
        #expect(OpsError.Code.jobFailed.exitCode == 1)
        #expect(OpsError.Code.skipped.exitCode == 75)
        #expect(OpsError.Code.warning.exitCode == 10)
        #expect(OpsError.Code.schemaTooNew.exitCode == 4)
    }
}
