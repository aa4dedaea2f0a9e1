extension RestoreTarget {
    /// Tables, partitioned tables and foreign tables outside the system schemas, as `schema.name`.
    static let tableNamesSQL = """
        SELECT n.nspname || '.' || c.relname AS name
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'f') AND \(systemSchemaFilter)
        """

    /// What `DROP TABLE … CASCADE` of the tables `$1` (quoted names) drops besides them: other tables'
    /// foreign keys to them, views on them, tables inheriting from them.
    static let dependentsSQL = """
        WITH t AS (SELECT pg_catalog.unnest($1::text[])::pg_catalog.regclass AS oid)
        SELECT pg_catalog.format('foreign key %I of %s', con.conname, con.conrelid::pg_catalog.regclass) AS what
        FROM pg_catalog.pg_constraint con
        WHERE con.contype = 'f' AND con.confrelid IN (SELECT oid FROM t) AND con.conrelid NOT IN (SELECT oid FROM t)
        UNION
        SELECT pg_catalog.format('%s %s', CASE c.relkind WHEN 'm' THEN 'materialized view' ELSE 'view' END, c.oid::pg_catalog.regclass)
        FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
        WHERE d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.refobjid IN (SELECT oid FROM t) AND c.oid NOT IN (SELECT oid FROM t)
        UNION
        SELECT pg_catalog.format('table %s (inherits)', i.inhrelid::pg_catalog.regclass)
        FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent IN (SELECT oid FROM t) AND i.inhrelid NOT IN (SELECT oid FROM t) AND NOT c.relispartition
        ORDER BY 1
        """
}
