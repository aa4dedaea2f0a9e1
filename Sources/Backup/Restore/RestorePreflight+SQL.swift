extension RestorePreflight {
    static let connectingRoleSQL = """
        SELECT current_user AS name, r.rolsuper AS superuser, r.rolcreatedb AS createdb,
               pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE') AS create_here,
               EXISTS (SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1) AS target_exists,
               (SELECT pg_catalog.has_schema_privilege(n.oid, 'CREATE') FROM pg_catalog.pg_namespace n WHERE n.nspname = 'public') AS create_public,
               (SELECT pg_catalog.pg_has_role(d.datdba, 'USAGE') FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()) AS owner_member
        FROM pg_catalog.pg_roles r WHERE r.rolname = current_user
        """
}
