extension Restorer {
    static let maintenanceWorkMemSQL = """
        SELECT set_config('maintenance_work_mem', '256MB', false)
        WHERE pg_catalog.pg_size_bytes(current_setting('maintenance_work_mem')) < 268435456
        """

    /// Autovacuum starts on the freshly loaded tables during a restore, and a statement that needs a
    /// conflicting lock (a key, a foreign key, ANALYZE) cancels it only after waiting
    /// `deadlock_timeout` (1 s by default), each time. A superuser's restore sessions wait 100 ms.
    /// Others cannot change the setting (it is superuser-only) and keep the server's.
    static let deadlockTimeoutSQL = """
        SELECT set_config('deadlock_timeout', '100ms', false)
        WHERE (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)
          AND pg_catalog.current_setting('deadlock_timeout')::interval > interval '100 ms'
        """

    /// Values over about 2 KB are compressed as they load. The server's built-in default, `pglz`,
    /// costs several times the CPU of `lz4` (on the benchmark database the whole restore took about 10 %
    /// longer with it, for a slightly larger result), so restore sessions use `lz4` when the server
    /// has it and `default_toast_compression` is still at its built-in value; a value the DBA set
    /// (configuration file, `ALTER SYSTEM`, `ALTER DATABASE`/`ROLE`) is kept, and so is a column's own
    /// `SET COMPRESSION` from the backup. Reading is the same either way.
    static let toastCompressionSQL = """
        SELECT set_config('default_toast_compression', 'lz4', false)
        FROM pg_catalog.pg_settings
        WHERE name = 'default_toast_compression' AND source = 'default' AND 'lz4' = ANY (enumvals)
        """
}
