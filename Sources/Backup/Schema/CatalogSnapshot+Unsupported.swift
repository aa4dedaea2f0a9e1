import OpsCore
import PGClient

// Objects the dumper cannot reproduce. A backup that silently left them out would restore into a different
// database, so their presence fails the backup with a message naming them.
extension CatalogSnapshot {
    /// Finds objects outside the supported set (see `SchemaDumper`).
    ///
    /// - Parameters:
    ///   - checkExtensionPrivileges: also reject extension members whose privileges were changed after
    ///     `CREATE EXTENSION` (pg_dump would dump those GRANTs; skipped under `--no-privileges`).
    /// - Returns: `kind name` descriptions, e.g. `rule protect on public.files`, sorted.
    static func unsupportedObjects(_ connection: PostgresConnection, checkExtensionPrivileges: Bool) async throws -> [String] {
        let user = userSchema
        func notMember(_ catalog: String, _ oid: String) -> String { notExtensionMember(catalog, oid) }
        let relationName = "format('%I.%I', n.nspname, c.relname)"
        var checks: [String] = [
            """
            SELECT 'rule', format('%I on %s', r.rulename, \(relationName))
            FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE r.rulename <> '_RETURN' AND \(user) AND \(notMember("pg_rewrite", "r.oid")) AND \(notMember("pg_class", "c.oid"))
            """,
            """
            SELECT 'policy', format('%I on %s', p.polname, \(relationName))
            FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE \(user)
            """,
            """
            SELECT 'row-level security on table', \(relationName)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE (c.relrowsecurity OR c.relforcerowsecurity) AND \(user)
            """,
            """
            SELECT CASE c.relkind WHEN 'f' THEN 'foreign table' ELSE 'relation of kind ' || c.relkind::text END, \(relationName)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind NOT IN ('r', 'p', 'v', 'm', 'S', 'c', 'i', 'I', 't') AND \(user) AND \(notMember("pg_class", "c.oid"))
            """,
            """
            SELECT 'table inheritance parent', format('%s (inherited by %I.%I)', \(relationName), chn.nspname, ch.relname)
            FROM pg_inherits i
            JOIN pg_class c ON c.oid = i.inhparent JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_class ch ON ch.oid = i.inhrelid JOIN pg_namespace chn ON chn.oid = ch.relnamespace
            WHERE c.relkind IN ('r', 'f') AND NOT ch.relispartition
            """,
            """
            SELECT 'typed table', \(relationName)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.reloftype <> 0 AND \(user) AND \(notMember("pg_class", "c.oid"))
            """,
            """
            SELECT 'relation in tablespace ' || quote_ident(ts.spcname), \(relationName)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_tablespace ts ON ts.oid = c.reltablespace
            WHERE c.reltablespace <> 0 AND c.relkind IN ('r', 'p', 'm', 'i', 'I') AND \(user) AND \(notMember("pg_class", "c.oid"))
            """,
            """
            SELECT 'table using access method ' || quote_ident(am.amname), \(relationName)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am am ON am.oid = c.relam
            WHERE c.relkind IN ('r', 'm') AND am.amname <> 'heap' AND \(user) AND \(notMember("pg_class", "c.oid"))
            """,
            """
            SELECT CASE p.prokind WHEN 'a' THEN 'aggregate' ELSE 'routine of kind ' || p.prokind::text END,
                   format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid))
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE p.prokind NOT IN ('f', 'p', 'w') AND \(user) AND \(notMember("pg_proc", "p.oid")) AND \(notInternal("pg_proc", "p.oid"))
            """,
            """
            SELECT CASE WHEN t.typtype = 'p' THEN 'shell type' WHEN t.typtype = 'b' THEN 'base type' ELSE 'type of kind ' || t.typtype::text END,
                   format('%I.%I', n.nspname, t.typname)
            FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
            WHERE t.typtype NOT IN ('e', 'd', 'c', 'r', 'm') AND \(user) AND \(notMember("pg_type", "t.oid"))
              AND NOT EXISTS (SELECT 1 FROM pg_type el WHERE el.oid = t.typelem AND el.typarray = t.oid)
            """,
            """
            SELECT 'range type with a canonical function', format('%I.%I', n.nspname, t.typname)
            FROM pg_range r JOIN pg_type t ON t.oid = r.rngtypid JOIN pg_namespace n ON n.oid = t.typnamespace
            WHERE r.rngcanonical <> 0 AND \(user) AND \(notMember("pg_type", "t.oid"))
            """,
            """
            SELECT 'operator', format('%I.%s(%s, %s)', n.nspname, o.oprname, format_type(o.oprleft, NULL), format_type(o.oprright, NULL))
            FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace
            WHERE o.oid >= 16384 AND \(notMember("pg_operator", "o.oid"))
            """,
            """
            SELECT 'cast', format('(%s AS %s)', format_type(o.castsource, NULL), format_type(o.casttarget, NULL))
            FROM pg_cast o WHERE o.oid >= 16384 AND \(notMember("pg_cast", "o.oid")) AND \(notInternal("pg_cast", "o.oid"))
            """,
            """
            SELECT 'transform', format('FOR %s LANGUAGE %I', format_type(o.trftype, NULL), l.lanname)
            FROM pg_transform o JOIN pg_language l ON l.oid = o.trflang WHERE o.oid >= 16384 AND \(notMember("pg_transform", "o.oid"))
            """,
            """
            SELECT 'language', quote_ident(o.lanname) FROM pg_language o WHERE o.oid >= 16384 AND \(notMember("pg_language", "o.oid"))
            """,
            """
            SELECT 'access method', quote_ident(o.amname) FROM pg_am o WHERE o.oid >= 16384 AND \(notMember("pg_am", "o.oid"))
            """,
            """
            SELECT 'event trigger', quote_ident(o.evtname) FROM pg_event_trigger o WHERE \(notMember("pg_event_trigger", "o.oid"))
            """,
            """
            SELECT 'foreign-data wrapper', quote_ident(o.fdwname)
            FROM pg_foreign_data_wrapper o WHERE \(notMember("pg_foreign_data_wrapper", "o.oid"))
            """,
            """
            SELECT 'foreign server', quote_ident(o.srvname) FROM pg_foreign_server o WHERE \(notMember("pg_foreign_server", "o.oid"))
            """,
            """
            SELECT 'publication', quote_ident(o.pubname) FROM pg_publication o
            """,
            """
            SELECT 'subscription', quote_ident(o.subname) FROM pg_subscription o
            WHERE o.subdbid = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
            """,
            """
            SELECT 'large object', o.oid::text FROM pg_largeobject_metadata o
            """,
            """
            SELECT 'security label on ' || lower(o.objtype), o.objname FROM pg_seclabels o
            WHERE o.objtype NOT IN ('role', 'database', 'tablespace')
            """,
            """
            SELECT 'extension with configuration tables', quote_ident(x.extname) FROM pg_extension x WHERE x.extconfig IS NOT NULL
            """,
        ]
        // Schema-qualified objects created by users (OID past initdb's), one kind per catalog.
        let named: [(kind: String, catalog: String, name: String, namespace: String)] = [
            ("operator class", "pg_opclass", "opcname", "opcnamespace"),
            ("operator family", "pg_opfamily", "opfname", "opfnamespace"),
            ("collation", "pg_collation", "collname", "collnamespace"),
            ("conversion", "pg_conversion", "conname", "connamespace"),
            ("text search configuration", "pg_ts_config", "cfgname", "cfgnamespace"),
            ("text search dictionary", "pg_ts_dict", "dictname", "dictnamespace"),
            ("text search parser", "pg_ts_parser", "prsname", "prsnamespace"),
            ("text search template", "pg_ts_template", "tmplname", "tmplnamespace"),
        ]
        checks += named.map { object in
            """
            SELECT '\(object.kind)', format('%I.%I', n.nspname, o.\(object.name))
            FROM \(object.catalog) o JOIN pg_namespace n ON n.oid = o.\(object.namespace)
            WHERE o.oid >= 16384 AND \(notMember(object.catalog, "o.oid"))
            """
        }
        if checkExtensionPrivileges {
            checks.append("""
                SELECT 'changed privileges on extension member', \(relationName)
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                JOIN pg_depend e ON e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e'
                WHERE c.relacl IS DISTINCT FROM (SELECT ip.initprivs FROM pg_init_privs ip
                  WHERE ip.objoid = c.oid AND ip.classoid = 'pg_class'::regclass AND ip.objsubid = 0)
                """)
            checks.append("""
                SELECT 'changed privileges on extension member', format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid))
                FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                JOIN pg_depend e ON e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e'
                WHERE p.proacl IS DISTINCT FROM (SELECT ip.initprivs FROM pg_init_privs ip
                  WHERE ip.objoid = p.oid AND ip.classoid = 'pg_proc'::regclass AND ip.objsubid = 0)
                """)
        }
        let sql = "SELECT kind, name FROM (\n" + checks.map { "(\($0))" }.joined(separator: "\nUNION ALL\n")
            + "\n) AS unsupported(kind, name) ORDER BY kind, name"
        return try await connection.query(sql).rows.map { row in "\(row["kind"] ?? "object") \(row["name"] ?? "?")" }
    }
}
