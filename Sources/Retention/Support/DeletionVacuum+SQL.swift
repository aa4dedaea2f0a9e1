extension DeletionVacuum {
    static let tableSizesSQL = """
        SELECT c.relname, greatest(c.reltuples, 0)::bigint AS rows
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relname = ANY ($1::text[])
        """

    static let ownedTablesSQL = """
        SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relname = ANY ($1::text[])
          AND (pg_catalog.pg_has_role(current_user, c.relowner, 'USAGE')
               OR pg_catalog.pg_has_role(current_user, (SELECT datdba FROM pg_catalog.pg_database WHERE datname = current_database()), 'USAGE'))
        """
}
