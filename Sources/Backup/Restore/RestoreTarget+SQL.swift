extension RestoreTarget {
    /// Tables, partitioned tables and foreign tables outside the system schemas, as `schema.name`.
    static let tableNamesSQL = """
        SELECT n.nspname || '.' || c.relname AS name
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'f') AND \(systemSchemaFilter)
        """
}
