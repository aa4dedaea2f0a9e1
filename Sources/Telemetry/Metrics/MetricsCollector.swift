import Foundation
import Logging
import OpsCore
import OpsSupport
import PGClient
import Prometheus

/// Serves the `/metrics` exposition from a cache that is refreshed from the databases at most once per
/// `refreshInterval`, however many scrapes arrive.
///
/// A scrape that finds the cache older than the interval starts a refresh, unless one is in flight
/// (single flight: concurrent scrapes share it), and waits for it at most `maxScrapeWait`; then it
/// serves the newest exposition it has. A store that hangs therefore slows a scrape by at most that
/// bound, and scrapes between refreshes cost one dictionary read, no query.
package actor MetricsCollector {
    package let metrics: OpsMetrics
    private let configuration: OpsConfiguration
    private let refreshInterval: Duration
    private let maxScrapeWait: Duration
    private let logger: Logger
    private let redis: RedisPinger?

    private var cached: [UInt8]
    private var refreshedAt: ContinuousClock.Instant?
    private var inFlight: Task<Void, Never>?
    private var connection: PostgresConnection?
    private var tracker: JobRunTracker?
    private let clock = ContinuousClock()
    /// Runs that ended before this instant are history, not counted (counters start at 0 with the process).
    private let processStart = Date()

    /// - Parameters:
    ///   - configuration: the stores to read.
    ///   - jobs: job names whose series exist from the start (more via ``register(jobs:)``).
    ///   - refreshInterval: the least time between two refreshes.
    ///   - maxScrapeWait: how long a scrape waits for a refresh before serving the previous figures.
    ///   - logger: for refresh errors.
    package init(configuration: OpsConfiguration, jobs: [String], refreshInterval: Duration = .seconds(15),
                maxScrapeWait: Duration = .seconds(2), logger: Logger) {
        self.metrics = OpsMetrics()
        self.configuration = configuration
        self.refreshInterval = refreshInterval
        self.maxScrapeWait = maxScrapeWait
        self.logger = logger
        self.redis = configuration.redisURL != nil ? RedisPinger(configuration: configuration) : nil
        metrics.register(jobs: jobs)
        if redis != nil { metrics.registerRedis() }
        cached = metrics.render()
    }

    /// Adds the series of more jobs (a reloaded schedule).
    package nonisolated func register(jobs: [String]) {
        metrics.register(jobs: jobs)
    }

    /// Counts slots the scheduler skipped without a row in `ops.job_runs` (`claimed`, `missed`, `unclaimed`).
    package nonisolated func recordSkip(job: String, reason: String, count: Int = 1) {
        metrics.register(jobs: [job])
        metrics.counter(OpsMetrics.jobSkipped, [job, reason]).increment(by: Int64(count))
    }

    /// The exposition (text format 0.0.4), refreshed first if it is older than the interval.
    package func exposition() async -> [UInt8] {
        if refreshedAt.map({ clock.now - $0 >= refreshInterval }) ?? true {
            let task = inFlight ?? startRefresh()
            let wait = maxScrapeWait
            // Wait for the refresh, but not longer than the bound.
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await task.value }
                group.addTask { try? await Task.sleep(for: wait) }
                await group.next()
                group.cancelAll()
            }
        }
        return cached
    }

    /// Refreshes now (tests, start-up) and waits for it.
    package func refresh() async {
        await (inFlight ?? startRefresh()).value
    }

    private func startRefresh() -> Task<Void, Never> {
        let task = Task { await self.performRefresh() }
        inFlight = task
        return task
    }

    private func performRefresh() async {
        let begin = clock.now
        var failed = false
        async let redisResult = pingRedis()
        do {
            let connection: PostgresConnection
            do {
                connection = try await pingedPostgres()
            } catch {
                // The kept connection died with a server restart or a terminated backend: reconnect
                // once before declaring PostgreSQL down (issue 14).
                guard let stale = self.connection else { throw error }
                logger.info("metrics refresh: reconnecting to PostgreSQL after: \(Stores.opsError(error))")
                await stale.close()
                self.connection = nil
                connection = try await pingedPostgres()
            }
            metrics.set(OpsMetrics.postgresUp, 1)
            failed = await refreshFromDatabase(connection) || failed
        } catch {
            metrics.set(OpsMetrics.postgresUp, 0)
            logger.warning("metrics refresh: PostgreSQL unavailable: \(Stores.opsError(error))")
            if let connection { await connection.close() }
            connection = nil
            failed = true
        }
        if let ping = await redisResult {
            switch ping {
            case .success(let duration):
                metrics.set(OpsMetrics.redisUp, 1)
                metrics.set(OpsMetrics.redisPing, seconds(duration))
            case .failure(let error):
                metrics.set(OpsMetrics.redisUp, 0)
                logger.warning("metrics refresh: Redis unavailable: \(error)")
                failed = true
            }
        }
        if let space = await StoreProbe.repositorySpace(configuration) {
            metrics.set(OpsMetrics.repositoryAvailable, Double(space.availableBytes))
            metrics.set(OpsMetrics.repositorySize, Double(space.sizeBytes))
        }
        if failed { metrics.counter(OpsMetrics.refreshErrors).increment() }
        metrics.set(OpsMetrics.refreshTimestamp, Date().timeIntervalSince1970)
        metrics.set(OpsMetrics.refreshDuration, seconds(clock.now - begin))
        cached = metrics.render()
        refreshedAt = clock.now
        inFlight = nil
    }

    private func pingRedis() async -> Result<Duration, any Error>? {
        guard let redis else { return nil }
        do { return .success(try await redis.ping()) } catch { return .failure(error) }
    }

    /// The kept (or a new) connection after a `SELECT 1`, whose round trip is the ping gauge.
    private func pingedPostgres() async throws -> PostgresConnection {
        let connection = try await postgres()
        let start = clock.now
        try await connection.query("SELECT 1")
        metrics.set(OpsMetrics.postgresPing, seconds(clock.now - start))
        return connection
    }

    private func postgres() async throws -> PostgresConnection {
        if let connection { return connection }
        let fresh = try await Stores.postgres(configuration)
        connection = fresh
        return fresh
    }

    /// Runs the refresh queries; returns true when one failed (each failure is logged, the rest go on).
    private func refreshFromDatabase(_ connection: PostgresConnection) async -> Bool {
        var failed = false
        let queries = MetricsQueries(connection: connection, metrics: metrics)
        let jobs = metrics.jobs
        do {
            if tracker == nil { tracker = try await queries.startTracker(processStart: processStart) }
            if var tracker {
                try await queries.countNewRuns(&tracker, processStart: processStart)
                self.tracker = tracker
            }
            try await queries.jobGauges(jobs: jobs)
        } catch {
            // An unmigrated database has no ops.job_runs yet; say so once per refresh at debug level.
            logger.debug("metrics refresh: job history unavailable: \(Stores.opsError(error))")
            failed = true
        }
        do {
            try await queries.applicationGauges(batchArchiveDays: configuration.batchArchiveDays)
        } catch {
            logger.debug("metrics refresh: application tables unavailable: \(Stores.opsError(error))")
            failed = true
        }
        return failed
    }

    private func seconds(_ duration: Duration) -> Double { duration.inSeconds }
}
