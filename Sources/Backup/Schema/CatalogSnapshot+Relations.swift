import PGClient

// Tables, views, materialized views, their columns, constraints, indexes and triggers.
extension CatalogSnapshot {
    mutating func readRelations(_ connection: PostgresConnection) async throws {
        // Storage parameters come back as pg_dump prints them: name='value'; a view's check_option is a
        // clause of its own (WITH … CHECK OPTION), not a parameter.
        let rows = try await connection.query("""
            SELECT c.oid, c.relkind, n.nspname, c.relname, format('%I.%I', n.nspname, c.relname) AS qname,
                   quote_ident(pg_get_userbyid(c.relowner)) AS owner, quote_literal(obj_description(c.oid, 'pg_class')) AS comment,
                   c.relpersistence = 'u' AS unlogged, c.relispartition, c.relispopulated, c.relreplident,
                   array_to_string(ARRAY(SELECT format('%s=%L', o.option_name, o.option_value) FROM pg_options_to_table(c.reloptions) o
                                         WHERE o.option_name <> 'check_option'), ', ') AS options,
                   array_to_string(ARRAY(SELECT format('toast.%s=%L', o.option_name, o.option_value)
                                         FROM pg_class tc, pg_options_to_table(tc.reloptions) o WHERE tc.oid = c.reltoastrelid), ', ') AS toast_options,
                   (SELECT upper(o.option_value) FROM pg_options_to_table(c.reloptions) o WHERE o.option_name = 'check_option') AS check_option,
                   CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key,
                   CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS partition_bound,
                   i.inhparent AS parent,
                   (SELECT format('%I.%I', pn.nspname, pc.relname) FROM pg_class pc JOIN pg_namespace pn ON pn.oid = pc.relnamespace
                     WHERE pc.oid = i.inhparent) AS parent_qname,
                   CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END AS view_definition,
                   CASE WHEN c.relkind = 'r' THEN pg_relation_size(c.oid) ELSE 0 END AS size
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_inherits i ON i.inhrelid = c.oid AND c.relispartition
            WHERE c.relkind IN ('r', 'p', 'v', 'm') AND \(Self.userSchema) AND \(Self.notExtensionMember("pg_class", "c.oid"))
            ORDER BY n.nspname, c.relname
            """).rows
        relations = try rows.map { row in
            Relation(oid: try row.int64("oid"), kind: row.character("relkind") ?? "?", schema: try row.text("nspname"),
                     name: try row.text("relname"), qname: try row.text("qname"), owner: try row.text("owner"),
                     comment: row.optionalText("comment"), unlogged: try row.bool("unlogged"),
                     isPartition: try row.bool("relispartition"), isPopulated: try row.bool("relispopulated"),
                     replicaIdentity: row.character("relreplident") ?? "d", options: try row.text("options"),
                     toastOptions: try row.text("toast_options"), checkOption: row.optionalText("check_option"),
                     partitionKey: row.optionalText("partition_key"), partitionBound: row.optionalText("partition_bound"),
                     parent: row.optionalInt64("parent"), parentQname: row.optionalText("parent_qname"),
                     viewDefinition: row.optionalText("view_definition"), size: try row.int64("size"))
        }
        var position: [OID: Int] = [:]
        for (index, relation) in relations.enumerated() { position[relation.oid] = index }

        let columns = try await connection.query("""
            SELECT a.attrelid, a.attnum, quote_ident(a.attname) AS ident, format_type(a.atttypid, a.atttypmod) AS type,
                   a.attnotnull, nullif(a.attgenerated, '') AS generated, nullif(a.attidentity, '') AS identity,
                   \(Self.collationName("a.attcollation", differsFrom: "t.typcollation")) AS collation,
                   pg_get_expr(d.adbin, d.adrelid) AS default_expr, d.oid AS default_oid,
                   coalesce(a.attstattarget::int, -1) AS statistics_target,
                   CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage END AS storage,
                   coalesce(array_to_string(a.attoptions, ', '), '') AS options, nullif(a.attcompression, '') AS compression,
                   quote_literal(col_description(a.attrelid, a.attnum)) AS comment
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm') AND \(Self.userSchema)
            ORDER BY a.attrelid, a.attnum
            """).rows
        for row in columns {
            guard let index = position[try row.int64("attrelid")] else { continue }
            relations[index].columns.append(Column(
                attnum: Int(try row.int64("attnum")), ident: try row.text("ident"), type: try row.text("type"),
                notNull: try row.bool("attnotnull"), generated: row.character("generated"), identity: row.character("identity"),
                collation: row.optionalText("collation"), defaultExpr: row.optionalText("default_expr"),
                defaultOID: row.optionalInt64("default_oid"), statisticsTarget: Int(try row.int64("statistics_target")),
                storage: row.character("storage"), options: try row.text("options"), compression: row.character("compression"),
                comment: row.optionalText("comment")))
        }

        let rules = try await connection.query("SELECT oid, ev_class FROM pg_rewrite WHERE oid >= 16384").rows
        for row in rules { ruleOwners[try row.int64("oid")] = try row.int64("ev_class") }
    }

    mutating func readConstraints(_ connection: PostgresConnection) async throws {
        let rows = try await connection.query("""
            SELECT co.oid, co.conrelid, co.contype, co.conname, quote_ident(co.conname) AS ident,
                   pg_get_constraintdef(co.oid) AS definition, co.convalidated, co.conislocal,
                   nullif(co.conparentid, 0) AS parent, nullif(co.conindid, 0) AS index,
                   quote_literal(obj_description(co.oid, 'pg_constraint')) AS comment
            FROM pg_constraint co
            JOIN pg_class c ON c.oid = co.conrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE co.contype IN ('c', 'p', 'u', 'x', 'f') AND c.relkind IN ('r', 'p') AND \(Self.userSchema)
            ORDER BY co.conrelid, co.conname
            """).rows
        constraints = try rows.map { row in
            TableConstraint(oid: try row.int64("oid"), relid: try row.int64("conrelid"), kind: row.character("contype") ?? "?",
                            name: try row.text("conname"), ident: try row.text("ident"), definition: try row.text("definition"),
                            validated: try row.bool("convalidated"), isLocal: try row.bool("conislocal"),
                            parent: row.optionalInt64("parent"), index: row.optionalInt64("index"), comment: row.optionalText("comment"))
        }
    }

    mutating func readIndexes(_ connection: PostgresConnection) async throws {
        // Invalid indexes (a failed CREATE INDEX CONCURRENTLY) are skipped, as pg_dump does; partitioned
        // indexes stay, since they are only invalid until every partition's index is attached.
        let rows = try await connection.query("""
            SELECT i.indexrelid, i.indrelid, ic.relname, quote_ident(ic.relname) AS ident, n.nspname,
                   format('%I.%I', n.nspname, ic.relname) AS qname, pg_get_indexdef(i.indexrelid) AS definition,
                   i.indisclustered, i.indisreplident,
                   (SELECT co.oid FROM pg_constraint co WHERE co.conindid = i.indexrelid AND co.conrelid = i.indrelid
                     AND co.contype IN ('p', 'u', 'x')) AS constraint_oid,
                   inh.inhparent AS parent,
                   (SELECT format('%I.%I', pn.nspname, pc.relname) FROM pg_class pc JOIN pg_namespace pn ON pn.oid = pc.relnamespace
                     WHERE pc.oid = inh.inhparent) AS parent_qname,
                   quote_literal(obj_description(i.indexrelid, 'pg_class')) AS comment,
                   (SELECT string_agg(format('ALTER INDEX %I.%I ALTER COLUMN %s SET STATISTICS %s;', n.nspname, ic.relname, a.attnum, a.attstattarget), E'\\n' ORDER BY a.attnum)
                     FROM pg_attribute a WHERE a.attrelid = i.indexrelid AND coalesce(a.attstattarget::int, -1) >= 0) AS statistics
            FROM pg_index i
            JOIN pg_class ic ON ic.oid = i.indexrelid
            JOIN pg_class c ON c.oid = i.indrelid
            JOIN pg_namespace n ON n.oid = ic.relnamespace
            LEFT JOIN pg_inherits inh ON inh.inhrelid = i.indexrelid
            WHERE c.relkind IN ('r', 'p', 'm') AND \(Self.userSchema) AND (i.indisvalid OR c.relkind = 'p') AND i.indisready
              AND \(Self.notExtensionMember("pg_class", "c.oid"))
            ORDER BY n.nspname, ic.relname
            """).rows
        indexes = try rows.map { row in
            Index(oid: try row.int64("indexrelid"), relid: try row.int64("indrelid"), name: try row.text("relname"),
                  ident: try row.text("ident"), qname: try row.text("qname"), schema: try row.text("nspname"),
                  definition: try row.text("definition"), isClustered: try row.bool("indisclustered"),
                  isReplicaIdentity: try row.bool("indisreplident"), constraint: row.optionalInt64("constraint_oid"),
                  parent: row.optionalInt64("parent"), parentQname: row.optionalText("parent_qname"),
                  comment: row.optionalText("comment"), statistics: row.optionalText("statistics"))
        }
    }

    mutating func readTriggers(_ connection: PostgresConnection) async throws {
        let rows = try await connection.query("""
            SELECT t.oid, t.tgrelid, quote_ident(t.tgname) AS ident, pg_get_triggerdef(t.oid, false) AS definition,
                   t.tgenabled, nullif(t.tgparentid, 0) AS parent,
                   (SELECT pt.tgenabled FROM pg_trigger pt WHERE pt.oid = t.tgparentid) AS parent_enabled,
                   quote_literal(obj_description(t.oid, 'pg_trigger')) AS comment
            FROM pg_trigger t
            JOIN pg_class c ON c.oid = t.tgrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE NOT t.tgisinternal AND \(Self.userSchema) AND \(Self.notExtensionMember("pg_class", "c.oid"))
            ORDER BY n.nspname, c.relname, t.tgname
            """).rows
        triggers = try rows.map { row in
            Trigger(oid: try row.int64("oid"), relid: try row.int64("tgrelid"), ident: try row.text("ident"),
                    definition: try row.text("definition"), enabled: row.character("tgenabled") ?? "O",
                    parent: row.optionalInt64("parent"), parentEnabled: row.character("parent_enabled"),
                    comment: row.optionalText("comment"))
        }
    }

    mutating func readDependencies(_ connection: PostgresConnection) async throws {
        let rows = try await connection.query("""
            SELECT d.classid::regclass::text AS catalog, d.objid, d.refclassid::regclass::text AS ref_catalog, d.refobjid
            FROM pg_depend d
            WHERE d.deptype IN ('n', 'a') AND d.objid >= 16384 AND d.refobjid >= 16384
            """).rows
        dependencies = try rows.map { row in
            Dependency(catalog: try row.text("catalog"), oid: try row.int64("objid"),
                       refCatalog: try row.text("ref_catalog"), refOid: try row.int64("refobjid"))
        }
    }
}
