import Foundation
import Logging
import OpsCore
import RedisClient

extension SnapshotTrigger {
    /// Connects to `REDIS_URL`: retries a refused connection `REDIS_MAX_RETRIES` times (as `Stores` does)
    /// and a server that answers `-LOADING` with backoff until the deadline.
    ///
    /// - Throws: `OpsError(.configuration)` for a missing or malformed URL, `.storeUnavailable` when the
    ///   server is down or refuses the credentials (wrong password, `NOAUTH`), `.jobFailed` on timeout
    ///   while the server is loading.
    func connect(deadline: ContinuousClock.Instant, loadingRetries: inout Int) async throws -> RedisConnection {
        let url: RedisURL
        do { url = try RedisURL(try configuration.requireRedisURL()) } catch { throw Stores.opsError(error) }
        var attempt = 0
        var backoff = Backoff()
        while true {
            do {
                return try await RedisConnection.connect(url, connectTimeout: .seconds(configuration.connectTimeoutSeconds), commandTimeout: .seconds(10))
            } catch let error as RedisError where error.code == .connectionFailed && attempt < configuration.redisMaxRetries {
                attempt += 1
                try await sleep(.milliseconds(100 * (1 << min(attempt, 5))), until: deadline, waitingFor: "\(url.server) to accept connections")
            } catch let error as RedisError where error.code == .serverError && BackgroundSaveReply(error: error.message) == .loading(error.message) {
                loadingRetries += 1
                logger.info("\(url.server) is loading its dataset; retrying")
                try await sleep(backoff.next(), until: deadline, waitingFor: "\(url.server) to finish loading its dataset")
            } catch let error as RedisError {
                let code: OpsError.Code = error.code == .invalidURL ? .configuration : error.code == .serverError ? .jobFailed : .storeUnavailable
                throw OpsError(code, "snapshot not possible: \(error.description)")
            }
        }
    }
}
