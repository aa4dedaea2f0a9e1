extension BackupSnapshot {
    static let snapshotSQL = """
        SELECT current_database() AS database, current_setting('server_version') AS version,
               current_setting('server_version_num')::int AS number, pg_export_snapshot() AS snapshot
        """

    static let lockTablesSQL = """
        SELECT n.nspname AS schema, c.relname AS name, format('%I.%I', n.nspname, c.relname) AS qualified
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't'
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
        ORDER BY 1, 2
        """
}
