import PGClient

/// The database a restore writes into: checks that it is empty, or empties it (`--clean`).
struct RestoreTarget {
    let connection: PostgresConnection

    /// Schemas that belong to the server, never to a dump.
    static let systemSchemaFilter = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'"

    /// User objects in the target: schemas other than `public`, relations, routines, types, extensions.
    func objectCount() async throws -> Int {
        let row = try await connection.query("""
            SELECT (SELECT count(*) FROM pg_catalog.pg_namespace n WHERE \(Self.systemSchemaFilter) AND n.nspname <> 'public')
                 + (SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE \(Self.systemSchemaFilter))
                 + (SELECT count(*) FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE \(Self.systemSchemaFilter))
                 + (SELECT count(*) FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
                    WHERE \(Self.systemSchemaFilter) AND t.typtype IN ('e', 'd', 'r', 'm'))
                 + (SELECT count(*) FROM pg_catalog.pg_extension WHERE extname <> 'plpgsql') AS objects
            """).first
        return try row?.decode(Int.self, "objects") ?? 0
    }

    /// Which of `tables` (`schema.name`) exist in the target.
    func existing(tables: [BackupManifest.Table]) async throws -> [BackupManifest.Table] {
        var found: [BackupManifest.Table] = []
        for table in tables {
            // The name is rebuilt from the manifest's schema and name, never taken from its text.
            let name = try await connection.quoteQualifiedName(schema: table.schema, name: table.name)
            let row = try await connection.query("SELECT to_regclass($1) IS NOT NULL AS present", [name]).first
            if try row?.decode(Bool.self, "present") == true { found.append(table) }
        }
        return found
    }

    /// Every table of the target (`schema.name`, unquoted, as the manifest names tables).
    func tableNames() async throws -> Set<String> {
        let result = try await connection.query(Self.tableNamesSQL)
        return Set(try result.rows.map { try $0.decode(String.self, "name") })
    }

    /// `--clean`: drops every non-system schema with everything in it (`DROP SCHEMA … CASCADE`), and
    /// recreates `public` as PostgreSQL 15 creates it (owned by `pg_database_owner`, USAGE for all),
    /// since pg_dump scripts assume it exists. Roles, and objects outside schemas (extensions in
    /// `pg_catalog`, publications, event triggers), are left alone.
    func clean() async throws {
        let schemas = try await connection.query("""
            SELECT quote_ident(n.nspname) AS name FROM pg_catalog.pg_namespace n WHERE \(Self.systemSchemaFilter) ORDER BY 1
            """)
        for row in schemas.rows {
            try await connection.execute("DROP SCHEMA \(try row.decode(String.self, "name")) CASCADE")
        }
        let version = try await connection.serverVersion()
        if version >= 150000 {
            try await connection.execute("CREATE SCHEMA public AUTHORIZATION pg_database_owner; GRANT USAGE ON SCHEMA public TO PUBLIC; COMMENT ON SCHEMA public IS 'standard public schema'")
        } else {
            try await connection.execute("CREATE SCHEMA public; GRANT ALL ON SCHEMA public TO PUBLIC; COMMENT ON SCHEMA public IS 'standard public schema'")
        }
    }

    /// What dropping `tables` with CASCADE also drops (not restored by `--table`), one phrase each.
    func dependents(of tables: [BackupManifest.Table]) async throws -> [String] {
        var names: [String] = []
        for table in tables { names.append(try await connection.quoteQualifiedName(schema: table.schema, name: table.name)) }
        let result = try await connection.query(Self.dependentsSQL, [RestorePreflight.pgArray(names)])
        return try result.rows.map { try $0.decode(String.self, "what") }
    }

    /// `--clean --table`: drops just the selected tables.
    func drop(tables: [BackupManifest.Table]) async throws {
        for table in tables {
            let name = try await connection.quoteQualifiedName(schema: table.schema, name: table.name)
            try await connection.execute("DROP TABLE IF EXISTS \(name) CASCADE")
        }
    }
}
