import Logging
import OpsCore
import RedisClient

/// Removes the cache entries of deleted sessions from DragonflyDB: `session:{senderId}` for each one
/// and `stats:dashboard` once per run (the application's key names).
///
/// The cache is an optimisation with a 1-hour TTL on these keys, so a Redis outage must not stop
/// database retention: the first failure is remembered as a warning, and later keys are not attempted.
package final class CacheInvalidator {
    package enum State: String {
        /// Nothing attempted yet (or nothing to do).
        case skipped
        case ok
        case failed
        /// `ENABLE_CACHE=false`: the application does not cache, so there is nothing to invalidate.
        case disabled
    }

    private let configuration: OpsConfiguration
    private let logger: Logger
    private var connection: RedisConnection?
    package private(set) var state: State
    package private(set) var keysDeleted: Int64 = 0
    /// Keys we could not delete after a failure.
    package private(set) var keysMissed: Int64 = 0
    private(set) var failure: String?
    private var dashboardDone = false

    /// Keys per pipeline: one round trip for a whole retention batch.
    static let pipelineDepth = 1000

    package init(configuration: OpsConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.state = configuration.enableCache ? .skipped : .disabled
    }

    /// False with `ENABLE_CACHE=false`: callers need not even collect keys.
    package var isEnabled: Bool { state != .disabled }

    static func sessionKey(_ senderID: String) -> String { "session:\(senderID)" }
    static let dashboardKey = "stats:dashboard"

    /// Deletes `session:{senderId}` for each sender, pipelined.
    package func invalidateSessions(_ senderIDs: [String]) async {
        await delete(senderIDs.map(Self.sessionKey))
    }

    /// Deletes `stats:dashboard` (once per run, whatever calls it).
    package func invalidateDashboard() async {
        guard !dashboardDone else { return }
        dashboardDone = true
        await delete([Self.dashboardKey])
    }

    /// The warning for the run, if invalidation failed.
    package var warning: String? {
        guard state == .failed, let failure else { return nil }
        return "cache invalidation failed (\(failure)); \(keysMissed) keys were not deleted and expire by their 1-hour TTL"
    }

    package func close() {
        connection?.close()
        connection = nil
    }

    private func delete(_ keys: [String]) async {
        guard !keys.isEmpty, state != .disabled else { return }
        guard state != .failed else { keysMissed += Int64(keys.count); return }
        do {
            let connection = try await connect()
            var start = 0
            while start < keys.count {
                let chunk = keys[start..<min(start + Self.pipelineDepth, keys.count)]
                let replies = try await connection.pipeline(chunk.map { ["DEL", $0] })
                for reply in replies {
                    if case .integer(let removed) = reply { keysDeleted += Int64(removed) }
                    else if case .error(let text) = reply { throw OpsError(.jobFailed, "DEL answered: \(text)") }
                }
                start += chunk.count
            }
            state = .ok
        } catch {
            state = .failed
            failure = String(describing: Stores.opsError(error))
            keysMissed += Int64(keys.count)
            logger.warning("cache invalidation failed; session keys expire by their TTL", metadata: ["error": "\(failure ?? "")"])
            close()
        }
    }

    private func connect() async throws -> RedisConnection {
        if let connection { return connection }
        let connection = try await Stores.redis(configuration, commandTimeout: .seconds(5))
        self.connection = connection
        return connection
    }
}
