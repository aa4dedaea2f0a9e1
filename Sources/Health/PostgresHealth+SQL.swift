extension PostgresHealth {
    /// Version, connections, database size and the oldest open client transaction, in one round trip.
    static let factsSQL = """
        SELECT current_setting('server_version') AS version,
               current_setting('max_connections')::int AS max_connections,
               (SELECT count(*) FROM pg_stat_activity) AS connections,
               pg_database_size(current_database()) AS size,
               COALESCE((SELECT extract(epoch FROM max(now() - xact_start)) FROM pg_stat_activity
                         WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid() AND backend_type = 'client backend'), 0)::float8 AS oldest_xact
        """
}
