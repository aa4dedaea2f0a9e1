import PGClient

// ACLs, compared with each object's default the way pg_dump's buildACLCommands does: whole ACL items of the
// default that are gone are revoked, items that are not in the default are granted, in ACL order.
extension CatalogSnapshot {
    mutating func readPrivileges(_ connection: PostgresConnection) async throws {
        let rows = try await connection.query("""
            WITH objects(catalog, oid, col, acl, base, owner) AS (
                SELECT 'pg_namespace', n.oid, 0, n.nspacl,
                       coalesce((SELECT ip.initprivs FROM pg_init_privs ip WHERE ip.objoid = n.oid
                                   AND ip.classoid = 'pg_namespace'::regclass AND ip.objsubid = 0),
                                acldefault('n', n.nspowner)),
                       n.nspowner
                FROM pg_namespace n WHERE n.nspacl IS NOT NULL AND \(Self.userSchema)
              UNION ALL
                SELECT 'pg_class', c.oid, 0, c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner), c.relowner
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relacl IS NOT NULL AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND \(Self.userSchema)
              UNION ALL
                SELECT 'pg_class', c.oid, a.attnum, a.attacl, '{}'::aclitem[], c.relowner
                FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm')
                  AND \(Self.userSchema)
              UNION ALL
                SELECT 'pg_proc', p.oid, 0, p.proacl, acldefault('f', p.proowner), p.proowner
                FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE p.proacl IS NOT NULL AND \(Self.userSchema)
              UNION ALL
                SELECT 'pg_type', t.oid, 0, t.typacl, acldefault('T', t.typowner), t.typowner
                FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                WHERE t.typacl IS NOT NULL AND \(Self.userSchema)
              UNION ALL
                SELECT 'pg_default_acl', d.oid, 0, d.defaclacl,
                       CASE WHEN d.defaclnamespace = 0
                            THEN acldefault(CASE WHEN d.defaclobjtype = 'S' THEN 's' ELSE d.defaclobjtype END::"char", d.defaclrole)
                            ELSE '{}'::aclitem[] END,
                       d.defaclrole
                FROM pg_default_acl d
            ),
            changes AS (
                SELECT o.catalog, o.oid, o.col, o.owner, true AS is_grant, a.item, a.position
                FROM objects o, unnest(o.acl) WITH ORDINALITY AS a(item, position)
                WHERE NOT a.item = ANY (o.base)
              UNION ALL
                SELECT o.catalog, o.oid, o.col, o.owner, false, b.item, b.position
                FROM objects o, unnest(o.base) WITH ORDINALITY AS b(item, position)
                WHERE NOT b.item = ANY (o.acl)
            )
            SELECT ch.catalog, ch.oid, ch.col, ch.is_grant, ch.position,
                   CASE WHEN x.grantor = ch.owner THEN NULL ELSE quote_ident(pg_get_userbyid(x.grantor)) END AS grantor,
                   CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(x.grantee)) END AS grantee,
                   string_agg(x.privilege_type, ',') FILTER (WHERE NOT x.is_grantable) AS privileges,
                   string_agg(x.privilege_type, ',') FILTER (WHERE x.is_grantable) AS grantable
            FROM changes ch, aclexplode(ARRAY[ch.item]) AS x
            GROUP BY ch.catalog, ch.oid, ch.col, ch.is_grant, ch.position, ch.owner, x.grantor, x.grantee
            ORDER BY ch.catalog, ch.oid, ch.col, ch.is_grant, ch.position
            """).rows
        privileges = try rows.map { row in
            PrivilegeChange(catalog: try row.text("catalog"), oid: try row.int64("oid"), column: Int(try row.int64("col")),
                            isGrant: try row.bool("is_grant"), grantor: row.optionalText("grantor") ?? "",
                            grantee: try row.text("grantee"),
                            privileges: row.optionalText("privileges")?.split(separator: ",").map(String.init) ?? [],
                            grantablePrivileges: row.optionalText("grantable")?.split(separator: ",").map(String.init) ?? [])
        }

        let defaults = try await connection.query("""
            SELECT d.oid, quote_ident(pg_get_userbyid(d.defaclrole)) AS role, quote_ident(n.nspname) AS schema_ident, d.defaclobjtype
            FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
            ORDER BY 2, 3 NULLS FIRST, d.defaclobjtype
            """).rows
        defaultPrivileges = try defaults.map { row in
            DefaultPrivileges(oid: try row.int64("oid"), role: try row.text("role"), schemaIdent: row.optionalText("schema_ident"),
                              objectType: row.character("defaclobjtype") ?? "r")
        }
    }
}
