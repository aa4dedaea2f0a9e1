import Foundation
import Logging
import OpsCore
import OpsSupport
import RedisClient

/// Triggers one snapshot and, with `wait`, proves that a save which started after the trigger has
/// finished successfully (see ``SaveVerdict`` for the rule).
///
/// The loop: read `INFO PERSISTENCE`; if a save runs, wait for it; if the server is loading, back off;
/// read the server's `TIME`; send `BGSAVE`; on "already saving" or "loading" go round again; once
/// accepted, poll until the save's outcome is recorded. Everything is bounded by `options.timeout`.
package struct SnapshotTrigger: Sendable {
    package let configuration: OpsConfiguration
    package let options: SnapshotOptions
    package let logger: Logger

    package init(configuration: OpsConfiguration, options: SnapshotOptions, logger: Logger) {
        self.configuration = configuration
        self.options = options
        self.logger = logger
    }

    /// - Throws: `OpsError`: `.storeUnavailable` (exit 3) when the server cannot be reached, refuses
    ///   the credentials or goes away mid-wait; `.jobFailed` (exit 1) when the save fails, the server
    ///   refuses `BGSAVE`, or the timeout passes; `.configuration` (exit 2) for a malformed URL.
    package func run() async throws -> SnapshotResult {
        let clock = ContinuousClock()
        let deadline = clock.now + options.timeout
        var loadingRetries = 0
        let connection = try await connect(deadline: deadline, loadingRetries: &loadingRetries)
        defer { connection.close() }
        let server = connection.url.server

        let serverInfo = SnapshotServer(info: try await step("reading INFO SERVER", connection) { try await connection.info("server") })
        if serverInfo.kind == .redis && options.format == .df {
            logger.notice("--format df ignored: Redis writes RDB files only")
        }
        let format: SnapshotFormat? = serverInfo.kind == .redis ? .rdb : options.format
        let arguments = Self.backgroundSaveCommand(kind: serverInfo.kind, format: options.format)

        // Trigger: wait out running saves and loading until the server accepts our BGSAVE.
        var waitedForRunningSave = false
        var backoff = Backoff()
        let before: PersistenceState
        let triggerTime: Double
        let acceptedAt: ContinuousClock.Instant
        while true {
            let state = try await persistence(connection)
            if state.loading {
                loadingRetries += 1
                try await sleep(backoff.next(), until: deadline, waitingFor: "\(server) to finish loading its dataset")
                continue
            }
            if state.saving {
                if !waitedForRunningSave { logger.info("a save is already running on \(server); waiting for it before triggering ours") }
                waitedForRunningSave = true
                try await sleep(options.pollInterval, until: deadline, waitingFor: "the save already running on \(server) to finish")
                continue
            }
            let time = try await serverTime(connection)
            let reply: BackgroundSaveReply
            do {
                let answer = try await connection.command(arguments)
                reply = BackgroundSaveReply(status: answer.stringValue ?? "\(answer)")
            } catch let error as RedisError where error.code == .serverError {
                reply = BackgroundSaveReply(error: error.message)
            } catch {
                throw failure(error, while: "sending BGSAVE")
            }
            switch reply {
            case .started:
                before = state
                triggerTime = time
                acceptedAt = clock.now
            case .busy(let text):
                logger.info("\(server) is busy saving (\(text)); waiting to trigger ours")
                waitedForRunningSave = true
                try await sleep(options.pollInterval, until: deadline, waitingFor: "the save already running on \(server) to finish")
                continue
            case .loading(let text):
                loadingRetries += 1
                logger.info("\(server) is loading (\(text)); retrying")
                try await sleep(backoff.next(), until: deadline, waitingFor: "\(server) to finish loading its dataset")
                continue
            case .refused(let text):
                throw OpsError(.jobFailed, "snapshot failed: \(server) refused BGSAVE: \(text)")
            }
            break
        }
        logger.info("BGSAVE accepted by \(server) (\(serverInfo.product)) at server time \(triggerTime)")

        var result = SnapshotResult(
            server: server, serverInfo: serverInfo, format: format, triggerTime: triggerTime,
            waitedForRunningSave: waitedForRunningSave, loadingRetries: loadingRetries, confirmed: false,
            duration: clock.now - acceptedAt)
        guard options.wait else { return result }

        // Wait for the outcome of our save. Poll quickly at first (small saves end within one server
        // tick), then every `pollInterval`.
        var interval = min(Duration.milliseconds(25), options.pollInterval)
        while true {
            let now = try await persistence(connection, waitingForSave: true)
            switch SaveVerdict.evaluate(kind: serverInfo.kind, before: before, triggerTime: triggerTime, now: now) {
            case .inProgress:
                try await sleep(interval, until: deadline, waitingFor: "the save started at server time \(Int64(triggerTime)) on \(server) to finish (it goes on running there)")
                interval = min(interval * 2, options.pollInterval)
                continue
            case .failed(let reason):
                throw OpsError(.jobFailed, "snapshot failed on \(server): \(reason)")
            case .succeeded(let time):
                result.confirmed = true
                result.saveTime = time
                result.duration = clock.now - acceptedAt
                result.serverDurationSeconds = now.lastDurationSeconds
                result.files = await files(connection, kind: serverInfo.kind, state: now, triggerTime: triggerTime)
                return result
            }
        }
    }

    /// `BGSAVE`, with `DF`/`RDB` for Dragonfly only: Redis' `BGSAVE` takes no format (its one optional
    /// argument, `SCHEDULE`, means something else).
    package static func backgroundSaveCommand(kind: SnapshotServerKind, format: SnapshotFormat?) -> [String] {
        guard kind == .dragonfly, let format else { return ["BGSAVE"] }
        return ["BGSAVE", format.argument]
    }

    // MARK: - Steps

    /// `INFO PERSISTENCE` (Dragonfly only shows the section when asked by name).
    private func persistence(_ connection: RedisConnection, waitingForSave: Bool = false) async throws -> PersistenceState {
        let doing = waitingForSave ? "waiting for the save to finish (its outcome is unknown)" : "reading INFO PERSISTENCE"
        return PersistenceState(info: try await step(doing, connection) { try await connection.info("persistence") })
    }

    /// The server's clock (`TIME`), so the "started after the trigger" rule never compares two clocks.
    private func serverTime(_ connection: RedisConnection) async throws -> Double {
        let reply = try await step("reading TIME", connection) { try await connection.command(["TIME"]) }
        guard let parts = reply.array, parts.count == 2, let seconds = parts[0].int, let micros = parts[1].int else {
            throw OpsError(.jobFailed, "snapshot failed: \(connection.url.server) answered TIME with \(reply)")
        }
        return Double(seconds) + Double(micros) / 1_000_000
    }

    /// The snapshot's files from `CONFIG GET dir`/`dbfilename` and `last_saved_file`; `nil` when the
    /// server does not say (e.g. `CONFIG` denied by an ACL).
    private func files(_ connection: RedisConnection, kind: SnapshotServerKind, state: PersistenceState, triggerTime: Double) async -> SnapshotFileSet? {
        func config(_ name: String) async -> String? {
            guard let reply = try? await connection.command(["CONFIG", "GET", name]), let items = reply.array, items.count >= 2 else { return nil }
            return items[1].stringValue
        }
        let directory = await config("dir")
        let dbfilename = kind == .redis ? await config("dbfilename") : nil
        return SnapshotFileLocator.locate(kind: kind, directory: directory, dbfilename: dbfilename,
                                          lastSavedFile: state.lastSavedFile, notBefore: triggerTime)
    }

    /// Runs one command, turning client errors into one-line `OpsError`s that say what was going on.
    private func step<T: Sendable>(_ doing: String, _ connection: RedisConnection, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch { throw failure(error, while: doing) }
    }

    func failure(_ error: any Error, while doing: String) -> any Error {
        guard let redis = error as? RedisError else { return Stores.opsError(error) }
        switch redis.code {
        case .connectionLost, .connectionClosed, .timeout, .connectionFailed, .authenticationFailed:
            return OpsError(.storeUnavailable, "snapshot not confirmed: \(redis.description) while \(doing)")
        default:
            return OpsError(.jobFailed, "snapshot failed: \(redis.description) while \(doing)")
        }
    }

    /// Sleeps `interval`, or fails with a timeout when the deadline would pass first.
    func sleep(_ interval: Duration, until deadline: ContinuousClock.Instant, waitingFor what: String) async throws {
        let now = ContinuousClock.now
        guard now < deadline else {
            throw OpsError(.jobFailed, "snapshot timed out after \(DurationText.format(options.timeout)) waiting for \(what); raise --timeout if saves take longer")
        }
        try await Task.sleep(for: min(interval, deadline - now))
    }
}

/// 100 ms, doubling to at most 2 s: for a loading server.
struct Backoff {
    private var current: Duration = .milliseconds(100)
    mutating func next() -> Duration {
        defer { current = min(current * 2, .seconds(2)) }
        return current
    }
}
