import PGClient
import RedisClient

/// Opens connections to the two stores and turns their errors into one-line `OpsError`s.
package enum Stores {
    /// Connects to PostgreSQL.
    ///
    /// - Parameters:
    ///   - configuration: settings holding `DATABASE_URL`.
    ///   - database: connect to this database on the same server instead of the URL's.
    package static func postgres(_ configuration: OpsConfiguration, database: String? = nil) async throws -> PostgresConnection {
        do {
            var target = try PostgresConfiguration(try configuration.requireDatabaseURL(), connectTimeoutSeconds: configuration.connectTimeoutSeconds)
            if let database { target = try target.withDatabase(database) }
            return try await PostgresConnection.connect(target)
        } catch {
            throw opsError(error)
        }
    }

    /// Runs `body` with a new PostgreSQL connection and closes it afterwards, whatever `body` does:
    /// the one place connections are closed (as postgres-nio's `withConnection`).
    ///
    /// - Parameters:
    ///   - configuration: settings holding `DATABASE_URL`.
    ///   - database: connect to this database on the same server instead of the URL's.
    package static func withPostgres<T>(_ configuration: OpsConfiguration, database: String? = nil,
                                        _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await postgres(configuration, database: database)
        return try await connection.closing(body)
    }

    /// Runs `body` with a new Redis connection (connect retried as `redis(_:)` does) and closes it afterwards.
    package static func withRedis<T>(_ configuration: OpsConfiguration, commandTimeout: Duration = .seconds(10),
                                     _ body: (RedisConnection) async throws -> T) async throws -> T {
        let connection = try await redis(configuration, commandTimeout: commandTimeout)
        defer { connection.close() }
        return try await body(connection)
    }

    /// The parsed, validated PostgreSQL target (for messages and scratch databases).
    package static func postgresTarget(_ configuration: OpsConfiguration) throws -> PostgresConfiguration {
        do { return try PostgresConfiguration(try configuration.requireDatabaseURL(), connectTimeoutSeconds: configuration.connectTimeoutSeconds) }
        catch { throw opsError(error) }
    }

    /// Checks that the configured URLs parse, so a typo is a configuration error (exit 2), not an outage.
    ///
    /// - Parameters:
    ///   - requireRedis: also require `REDIS_URL` to be set.
    package static func validate(_ configuration: OpsConfiguration, requireRedis: Bool = false) throws {
        _ = try postgresTarget(configuration)
        if let url = configuration.redisURL {
            do { _ = try RedisURL(url) } catch { throw opsError(error) }
        } else if requireRedis {
            _ = try configuration.requireRedisURL()
        }
    }

    /// Checks that `REDIS_URL` is set and parses (a usage error, exit 2, before any lock is taken), for
    /// jobs that need only the Redis server.
    package static func validateRedis(_ configuration: OpsConfiguration) throws {
        do { _ = try RedisURL(try configuration.requireRedisURL()) } catch { throw opsError(error) }
    }

    /// Connects to the Redis-compatible server, retrying a failed connect up to `REDIS_MAX_RETRIES` times.
    package static func redis(_ configuration: OpsConfiguration, commandTimeout: Duration = .seconds(10)) async throws -> RedisConnection {
        do {
            let url = try RedisURL(try configuration.requireRedisURL())
            var attempt = 0
            while true {
                do {
                    return try await RedisConnection.connect(url, connectTimeout: .seconds(configuration.connectTimeoutSeconds), commandTimeout: commandTimeout)
                } catch let error as RedisError where error.code == .connectionFailed && attempt < configuration.redisMaxRetries {
                    attempt += 1
                    try await Task.sleep(for: .milliseconds(100 * (1 << min(attempt, 5))))
                }
            }
        } catch {
            throw opsError(error)
        }
    }

    /// Maps a client error to the error users see, keeping its one-line, password-free message.
    package static func opsError(_ error: any Error) -> any Error {
        switch error {
        case let error as OpsError:
            return error
        case let error as PostgresError:
            switch error.code {
            case .invalidConfiguration: return OpsError(.configuration, error.description)
            case .connectionFailed, .authenticationFailed, .connectionLost, .closed:
                return OpsError(.storeUnavailable, error.description)
            default:
                if error.isTransient { return OpsError(.storeUnavailable, error.description) }
                return OpsError(.jobFailed, error.description)
            }
        case let error as RedisError:
            switch error.code {
            case .invalidURL: return OpsError(.configuration, error.description)
            case .connectionFailed, .timeout, .connectionLost, .connectionClosed, .authenticationFailed, .databaseUnavailable:
                return OpsError(.storeUnavailable, error.description)
            default: return OpsError(.jobFailed, error.description)
            }
        case is CancellationError:
            return error
        default:
            return OpsError(.jobFailed, String(describing: error))
        }
    }
}
