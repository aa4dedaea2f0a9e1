extension RestorePreflight {
    static let connectingRoleSQL = """
        SELECT current_user AS name, r.rolsuper AS superuser, r.rolcreatedb AS createdb,
               pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE') AS create_here,
               EXISTS (SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1) AS target_exists
        FROM pg_catalog.pg_roles r WHERE r.rolname = current_user
        """
}
