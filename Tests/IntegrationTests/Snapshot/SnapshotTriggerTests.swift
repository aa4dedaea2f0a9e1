import Foundation
import OpsCore
import OpsSupport
import RedisClient
import Snapshot
import Testing

/// `snapshot` against private redis-servers (each test has its own, so they run in parallel).
@Suite("Snapshot trigger against redis-server")
struct SnapshotTriggerTests {
    @Test func aSnapshotAdvancesTheLastSaveAndWritesAValidDumpFile() async throws {
        try await SnapshotTestSupport.withServer { server, admin in
            for i in 0..<100 { try await admin.command(["SET", "session:\(i)", "v\(i)"]) }
            let before = try await SnapshotTestSupport.persistence(admin)
            let serverTimeBefore = try #require(try await admin.command(["TIME"]).array?.first?.int)

            let result = try await SnapshotTestSupport.trigger(server).run()

            let after = try await SnapshotTestSupport.persistence(admin)
            #expect(result.confirmed)
            #expect(result.serverInfo.kind == .redis)
            #expect(after.saveCount == (before.saveCount ?? 0) + 1)
            #expect(after.lastStatus == "ok")
            #expect(try #require(after.lastSuccessTime) >= serverTimeBefore)
            #expect(result.saveTime == after.lastSuccessTime)

            let dump = server.directory.appendingPathComponent("dump.rdb").path
            let files = try #require(result.files)
            #expect(files.reportedPath == dump)
            let size = try #require(try FileManager.default.attributesOfItem(atPath: dump)[.size] as? NSNumber)
            #expect(files.bytes == size.int64Value)
            // Oracle: Redis' own checker reads the file and finds our keys.
            let check = try await SnapshotTestSupport.run("/usr/bin/redis-check-rdb", [dump])
            #expect(check.status == 0)
            #expect(check.output.contains("100 keys read"))
            #expect(result.details["server"] == .string("redis"))
            #expect(result.details["file"] == .string(dump))
        }
    }

    @Test func aSnapshotRequestedDuringARunningSaveWaitsThenMakesItsOwn() async throws {
        try await SnapshotTestSupport.withServer { server, admin in
            // A save that cannot end by itself during the test (200 s): it runs until this test ends it,
            // so it is certainly still running when the trigger looks, however loaded the machine.
            try await SnapshotTestSupport.makeSavesSlow(admin, keys: 2_000, microseconds: 100_000)
            let before = try await SnapshotTestSupport.persistence(admin)
            #expect(try await admin.command(["BGSAVE"]).stringValue == "Background saving started")
            // The running save keeps its slowness (the child copied the setting); ours will be quick.
            try await admin.command(["CONFIG", "SET", "rdb-key-save-delay", "0"])
            try await SnapshotTestSupport.waitUntil(admin) { $0.saving }
            let adminID = try #require(try await admin.command(["CLIENT", "ID"]).int)

            let trigger = try SnapshotTestSupport.trigger(server)
            let run = Task { try await trigger.run() }
            // The trigger found the save running and polls it (its connection's last command is INFO).
            try await waitUntil("the trigger waits for the running save") {
                let clients = try await admin.command(["CLIENT", "LIST"]).stringValue ?? ""
                return clients.split(separator: "\n").contains { $0.contains(" cmd=info ") && !$0.hasPrefix("id=\(adminID) ") }
            }
            // End the running save (its child killed: it fails), so the trigger can make its own.
            let children = SnapshotTestSupport.children(of: server)
            try #require(children.count == 1, "save children: \(children)")
            kill(children[0], SIGKILL)
            let result = try await run.value

            let after = try await SnapshotTestSupport.persistence(admin)
            #expect(result.confirmed)
            #expect(result.waitedForRunningSave)
            // Two saves ran: the one already running, then ours, which started after the first had ended.
            #expect(after.saveCount == (before.saveCount ?? 0) + 2)
            #expect(SnapshotTestSupport.logLines(server, containing: "Background saving started") == 2)
            #expect(SnapshotTestSupport.logLines(server, containing: "Background saving terminated by signal 9") == 1)
            #expect(SnapshotTestSupport.logLines(server, containing: "Background saving terminated with success") == 1)
            #expect(try #require(result.saveTime) >= Int64(result.triggerTime.rounded(.down)))
        }
    }

    @Test func stoppingTheServerMidWaitIsAClearFailure() async throws {
        try await SnapshotTestSupport.withServer { server, admin in
            // A save that cannot finish during the test (its child dies with the server).
            try await SnapshotTestSupport.makeSavesSlow(admin, keys: 2_000, microseconds: 100_000)
            let before = try await SnapshotTestSupport.persistence(admin)

            let trigger = try SnapshotTestSupport.trigger(server)
            let run = Task { try await trigger.run() }
            // Our BGSAVE has been accepted and the save runs: the trigger is now waiting for it.
            try await SnapshotTestSupport.waitUntil(admin) { $0.saving && ($0.saveCount ?? 0) > (before.saveCount ?? 0) }
            server.stop()

            let error = try await #require(throws: OpsError.self) { try await run.value }
            #expect(error.code == .storeUnavailable)
            #expect(error.message.contains("redis://127.0.0.1:\(server.port)"))
            #expect(error.message.contains("waiting for the save to finish"))
            #expect(!error.message.contains("\n"))
        }
    }

    @Test func aFailedSaveFailsWithTheServersOwnStatus() async throws {
        try await SnapshotTestSupport.withServer { server, admin in
            try await admin.command(["SET", "k", "v"])
            // Point the server at a directory, then remove it: the save cannot create its temp file.
            let gone = server.directory.appendingPathComponent("gone")
            try FileManager.default.createDirectory(at: gone, withIntermediateDirectories: true)
            try await admin.command(["CONFIG", "SET", "dir", gone.path])
            try FileManager.default.removeItem(at: gone)

            let error = try await #require(throws: OpsError.self) { try await SnapshotTestSupport.trigger(server).run() }
            #expect(error.code == .jobFailed)
            #expect(error.code.exitCode == 1)
            #expect(error.message.contains("rdb_last_bgsave_status:err"))
            #expect(try await SnapshotTestSupport.persistence(admin).lastStatus == "err")
            #expect(SnapshotTestSupport.logLines(server, containing: "Failed opening the temp RDB file") == 1)
        }
    }

    @Test func theTimeoutEndsTheWaitWithAClearMessage() async throws {
        try await SnapshotTestSupport.withServer { server, admin in
            // A save that cannot finish during the test (its child dies with the server).
            try await SnapshotTestSupport.makeSavesSlow(admin, keys: 2_000, microseconds: 100_000)

            let options = SnapshotOptions(timeout: .milliseconds(300), pollInterval: .milliseconds(50))
            let error = try await #require(throws: OpsError.self) { try await SnapshotTestSupport.trigger(server, options: options).run() }
            #expect(error.code == .jobFailed)
            #expect(error.message.contains("timed out after 300 ms"))
            #expect(error.message.contains("--timeout"))
            // The save goes on on the server.
            #expect(try await SnapshotTestSupport.persistence(admin).saving)
        }
    }

    @Test func noWaitReturnsOnceTheServerAcceptedTheSave() async throws {
        try await SnapshotTestSupport.withServer { server, admin in
            try await SnapshotTestSupport.makeSavesSlow(admin, keys: 2_000, microseconds: 100_000)
            let before = try await SnapshotTestSupport.persistence(admin)

            let result = try await SnapshotTestSupport.trigger(server, options: SnapshotOptions(wait: false)).run()

            #expect(!result.confirmed)
            #expect(result.files == nil)
            let now = try await SnapshotTestSupport.persistence(admin)
            #expect(now.saveCount == (before.saveCount ?? 0) + 1)
            #expect(now.saving)
        }
    }

    @Test func aLoadingServerIsRetriedUntilItCanSave() async throws {
        // Server A writes a dump; server B starts on A's dir and loads it slowly.
        let source = try await SnapshotTestSupport.startServer()
        defer { source.stop() }
        let admin = try await RedisConnection.connect(source.url)
        try await admin.command(["DEBUG", "POPULATE", "10000"])
        try await admin.command(["SAVE"])
        admin.close()
        let loading = try await RedisTestServer.start(arguments: [
            "--dir", source.directory.path, "--key-load-delay", "1000", "--loading-process-events-interval-bytes", "1024",
        ])
        defer { loading.stop() }
        // Precondition: it is still loading (it takes seconds; starting it took milliseconds).
        let probe = try await #require(throws: RedisError.self) { try await RedisConnection.connect(loading.url) }
        try #require(probe.message.hasPrefix("LOADING"))

        let result = try await SnapshotTestSupport.trigger(loading).run()

        #expect(result.confirmed)
        #expect(result.loadingRetries > 0)
        let check = try await SnapshotTestSupport.run("/usr/bin/redis-check-rdb", [source.directory.appendingPathComponent("dump.rdb").path])
        #expect(check.output.contains("10000 keys read"))
    }
}
