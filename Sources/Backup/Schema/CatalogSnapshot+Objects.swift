import PGClient

// Schemas, extensions, types, functions, statistics objects and sequences. Every query is set-based:
// one statement per kind, whatever the number of objects.
extension CatalogSnapshot {
    /// Schemas the dump covers: everything but `pg_*` and `information_schema`.
    static let userSchema = #"n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'"#

    /// SQL that is true when `oid` (a row of `catalog`) does not belong to an extension.
    static func notExtensionMember(_ catalog: String, _ oid: String) -> String {
        "NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '\(catalog)'::regclass AND e.objid = \(oid) AND e.deptype = 'e')"
    }

    /// SQL that is true when `oid` is not an internal part of another object (a range type's constructor
    /// functions and casts), which comes back with that object.
    static func notInternal(_ catalog: String, _ oid: String) -> String {
        "NOT EXISTS (SELECT 1 FROM pg_depend i WHERE i.classid = '\(catalog)'::regclass AND i.objid = \(oid) AND i.deptype = 'i')"
    }

    /// `schema.name` of a collation, when it differs from `defaultCollation`.
    static func collationName(_ collation: String, differsFrom defaultCollation: String) -> String {
        """
        (SELECT format('%I.%I', cn.nspname, co.collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
          WHERE co.oid = \(collation) AND \(collation) <> 0 AND \(collation) <> \(defaultCollation))
        """
    }

    mutating func readSchemas(_ connection: PostgresConnection) async throws {
        let rows = try await connection.query("""
            SELECT n.oid, n.nspname, quote_ident(n.nspname) AS ident, quote_ident(pg_get_userbyid(n.nspowner)) AS owner,
                   n.nspowner = 'pg_database_owner'::regrole AS owner_is_default,
                   quote_literal(obj_description(n.oid, 'pg_namespace')) AS comment,
                   obj_description(n.oid, 'pg_namespace') AS raw_comment
            FROM pg_namespace n
            WHERE \(Self.userSchema) AND \(Self.notExtensionMember("pg_namespace", "n.oid"))
            ORDER BY n.nspname
            """).rows
        schemas = try rows.map { row in
            Schema(oid: try row.int64("oid"), name: try row.text("nspname"), ident: try row.text("ident"),
                   owner: try row.text("owner"), ownerIsDefault: try row.bool("owner_is_default"),
                   comment: row.optionalText("comment"), rawComment: row.optionalText("raw_comment"))
        }
    }

    mutating func readExtensions(_ connection: PostgresConnection) async throws {
        // Extensions below FirstNormalObjectId (plpgsql) come with every database; pg_dump skips them too.
        let rows = try await connection.query("""
            SELECT x.oid, x.extname, quote_ident(x.extname) AS ident, quote_ident(n.nspname) AS schema_ident,
                   quote_literal(obj_description(x.oid, 'pg_extension')) AS comment
            FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace
            WHERE x.oid >= 16384
            ORDER BY x.extname
            """).rows
        extensions = try rows.map { row in
            Extension(oid: try row.int64("oid"), name: try row.text("extname"), ident: try row.text("ident"),
                      schemaIdent: try row.text("schema_ident"), comment: row.optionalText("comment"))
        }
        let members = try await connection.query("""
            SELECT d.classid::regclass::text AS catalog, d.objid, d.refobjid
            FROM pg_depend d WHERE d.deptype = 'e' AND d.refclassid = 'pg_extension'::regclass
            """).rows
        for row in members {
            extensionMembers[CatalogRef(catalog: try row.text("catalog"), oid: try row.int64("objid"))] = try row.int64("refobjid")
        }
    }

    mutating func readTypes(_ connection: PostgresConnection) async throws {
        let rows = try await connection.query("""
            SELECT t.oid, t.typtype, n.nspname, t.typname, format('%I.%I', n.nspname, t.typname) AS qname,
                   quote_ident(pg_get_userbyid(t.typowner)) AS owner, quote_literal(obj_description(t.oid, 'pg_type')) AS comment,
                   t.typrelid, t.typnotnull,
                   CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS base_type,
                   CASE WHEN t.typtype = 'd' THEN \(Self.collationName("t.typcollation", differsFrom: "(SELECT bt.typcollation FROM pg_type bt WHERE bt.oid = t.typbasetype)")) END AS collation,
                   CASE WHEN t.typtype = 'd' THEN coalesce(pg_get_expr(t.typdefaultbin, 'pg_type'::regclass), t.typdefault) END AS default_expr,
                   format_type(r.rngsubtype, NULL) AS range_subtype,
                   (SELECT format('%I.%I', ocn.nspname, oc.opcname) FROM pg_opclass oc JOIN pg_namespace ocn ON ocn.oid = oc.opcnamespace
                     WHERE oc.oid = r.rngsubopc AND NOT oc.opcdefault) AS range_opclass,
                   \(Self.collationName("r.rngcollation", differsFrom: "(SELECT st.typcollation FROM pg_type st WHERE st.oid = r.rngsubtype)")) AS range_collation,
                   (SELECT format('%I.%I', pn.nspname, p.proname) FROM pg_proc p JOIN pg_namespace pn ON pn.oid = p.pronamespace
                     WHERE p.oid = r.rngsubdiff) AS range_subdiff,
                   (SELECT format('%I.%I', mn.nspname, mt.typname) FROM pg_type mt JOIN pg_namespace mn ON mn.oid = mt.typnamespace
                     WHERE mt.oid = r.rngmultitypid) AS multirange_name
            FROM pg_type t
            JOIN pg_namespace n ON n.oid = t.typnamespace
            LEFT JOIN pg_range r ON r.rngtypid = t.oid
            WHERE \(Self.userSchema) AND \(Self.notExtensionMember("pg_type", "t.oid"))
              AND (t.typtype IN ('e', 'd', 'r')
                   OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'))
            ORDER BY n.nspname, t.typname
            """).rows
        types = try rows.map { row in
            TypeInfo(oid: try row.int64("oid"), kind: row.character("typtype") ?? "?", schema: try row.text("nspname"),
                     name: try row.text("typname"), qname: try row.text("qname"), owner: try row.text("owner"),
                     comment: row.optionalText("comment"), relid: try row.int64("typrelid"),
                     baseType: row.optionalText("base_type"), collation: row.optionalText("collation"),
                     defaultExpr: row.optionalText("default_expr"), notNull: try row.bool("typnotnull"),
                     rangeSubtype: row.optionalText("range_subtype"), rangeOpclass: row.optionalText("range_opclass"),
                     rangeCollation: row.optionalText("range_collation"), rangeSubdiff: row.optionalText("range_subdiff"),
                     multirangeName: row.optionalText("multirange_name"))
        }
        var position: [OID: Int] = [:]
        for (index, type) in types.enumerated() { position[type.oid] = index }

        let labels = try await connection.query("""
            SELECT e.enumtypid, quote_literal(e.enumlabel) AS label FROM pg_enum e
            WHERE e.enumtypid >= 16384 ORDER BY e.enumtypid, e.enumsortorder
            """).rows
        for row in labels {
            if let index = position[try row.int64("enumtypid")] { types[index].enumLabels.append(try row.text("label")) }
        }

        let attributes = try await connection.query("""
            SELECT t.oid AS typid, quote_ident(a.attname) AS ident, format_type(a.atttypid, a.atttypmod) AS type,
                   \(Self.collationName("a.attcollation", differsFrom: "(SELECT at.typcollation FROM pg_type at WHERE at.oid = a.atttypid)")) AS collation,
                   quote_literal(col_description(t.typrelid, a.attnum)) AS comment
            FROM pg_type t JOIN pg_attribute a ON a.attrelid = t.typrelid
            WHERE t.typtype = 'c' AND t.oid >= 16384 AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY t.oid, a.attnum
            """).rows
        for row in attributes {
            guard let index = position[try row.int64("typid")] else { continue }
            types[index].attributes.append(TypeAttribute(ident: try row.text("ident"), type: try row.text("type"),
                                                         collation: row.optionalText("collation"), comment: row.optionalText("comment")))
        }

        let constraints = try await connection.query("""
            SELECT c.oid, c.contypid, quote_ident(c.conname) AS ident, pg_get_constraintdef(c.oid) AS definition,
                   c.convalidated, quote_literal(obj_description(c.oid, 'pg_constraint')) AS comment
            FROM pg_constraint c WHERE c.contypid >= 16384 AND c.contype = 'c'
            ORDER BY c.contypid, c.conname
            """).rows
        for row in constraints {
            guard let index = position[try row.int64("contypid")] else { continue }
            types[index].constraints.append(DomainConstraint(oid: try row.int64("oid"), ident: try row.text("ident"),
                                                             definition: try row.text("definition"),
                                                             validated: try row.bool("convalidated"), comment: row.optionalText("comment")))
        }

        // Implicit types resolve to what makes them: arrays to their element, row types to their relation,
        // multiranges to their range.
        let implicit = try await connection.query("""
            SELECT t.oid, el.oid AS element, CASE WHEN t.typrelid <> 0 THEN t.typrelid END AS relation, r.rngtypid AS range
            FROM pg_type t
            LEFT JOIN pg_type el ON el.oid = t.typelem AND el.typarray = t.oid
            LEFT JOIN pg_range r ON r.rngmultitypid = t.oid
            WHERE t.oid >= 16384 AND (el.oid IS NOT NULL OR t.typrelid <> 0 OR r.rngtypid IS NOT NULL)
            """).rows
        for row in implicit {
            let oid = try row.int64("oid")
            if let element = row.optionalInt64("element") {
                typeOwners[oid] = CatalogRef(catalog: "pg_type", oid: element)
            } else if let relation = row.optionalInt64("relation") {
                typeOwners[oid] = CatalogRef(catalog: "pg_class", oid: relation)
            } else if let range = row.optionalInt64("range") {
                typeOwners[oid] = CatalogRef(catalog: "pg_type", oid: range)
            }
        }
    }

    mutating func readFunctions(_ connection: PostgresConnection) async throws {
        let rows = try await connection.query("""
            SELECT p.oid, p.prokind, n.nspname, format('%I(%s)', p.proname, pg_get_function_identity_arguments(p.oid)) AS name,
                   format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) AS signature,
                   pg_get_functiondef(p.oid) AS definition, quote_ident(pg_get_userbyid(p.proowner)) AS owner,
                   quote_literal(obj_description(p.oid, 'pg_proc')) AS comment
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE \(Self.userSchema) AND \(Self.notExtensionMember("pg_proc", "p.oid")) AND \(Self.notInternal("pg_proc", "p.oid"))
              AND p.prokind IN ('f', 'p', 'w')
            ORDER BY n.nspname, p.proname, p.oid
            """).rows
        functions = try rows.map { row in
            Function(oid: try row.int64("oid"), isProcedure: row.character("prokind") == "p", schema: try row.text("nspname"),
                     name: try row.text("name"), signature: try row.text("signature"), definition: try row.text("definition"),
                     owner: try row.text("owner"), comment: row.optionalText("comment"))
        }
    }

    mutating func readStatistics(_ connection: PostgresConnection) async throws {
        let rows = try await connection.query("""
            SELECT s.oid, n.nspname, s.stxname, format('%I.%I', n.nspname, s.stxname) AS qname,
                   pg_get_statisticsobjdef(s.oid) AS definition, coalesce(s.stxstattarget::int, -1) AS target,
                   quote_ident(pg_get_userbyid(s.stxowner)) AS owner,
                   quote_literal(obj_description(s.oid, 'pg_statistic_ext')) AS comment
            FROM pg_statistic_ext s JOIN pg_namespace n ON n.oid = s.stxnamespace
            WHERE \(Self.userSchema) AND \(Self.notExtensionMember("pg_statistic_ext", "s.oid"))
            ORDER BY n.nspname, s.stxname
            """).rows
        statistics = try rows.map { row in
            Statistics(oid: try row.int64("oid"), schema: try row.text("nspname"), name: try row.text("stxname"),
                       qname: try row.text("qname"), definition: try row.text("definition"), target: Int(try row.int64("target")),
                       owner: try row.text("owner"), comment: row.optionalText("comment"))
        }
    }

    mutating func readSequences(_ connection: PostgresConnection) async throws {
        let rows = try await connection.query("""
            SELECT c.oid, n.nspname, c.relname, format('%I.%I', n.nspname, c.relname) AS qname,
                   quote_literal(format('%I.%I', n.nspname, c.relname)) AS qname_literal,
                   format_type(s.seqtypid, NULL) AS type, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
                   c.relpersistence = 'u' AS unlogged, quote_ident(pg_get_userbyid(c.relowner)) AS owner,
                   quote_literal(obj_description(c.oid, 'pg_class')) AS comment,
                   d.refobjid AS owned_by, d.deptype = 'i' AS is_identity, quote_ident(a.attname) AS owned_by_column,
                   (SELECT format('%I.%I', tn.nspname, tc.relname) FROM pg_class tc JOIN pg_namespace tn ON tn.oid = tc.relnamespace
                     WHERE tc.oid = d.refobjid) AS owned_by_qname
            FROM pg_sequence s
            JOIN pg_class c ON c.oid = s.seqrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass
                                 AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0
            LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
            WHERE \(Self.userSchema) AND \(Self.notExtensionMember("pg_class", "c.oid"))
            ORDER BY n.nspname, c.relname
            """).rows
        sequences = try rows.map { row in
            Sequence(oid: try row.int64("oid"), schema: try row.text("nspname"), name: try row.text("relname"),
                     qname: try row.text("qname"), qnameLiteral: try row.text("qname_literal"), type: try row.text("type"), start: try row.text("seqstart"),
                     increment: try row.text("seqincrement"), minValue: try row.text("seqmin"), maxValue: try row.text("seqmax"),
                     cache: try row.text("seqcache"), cycle: try row.bool("seqcycle"), unlogged: try row.bool("unlogged"),
                     owner: try row.text("owner"), comment: row.optionalText("comment"), ownedBy: row.optionalInt64("owned_by"),
                     ownedByColumn: row.optionalText("owned_by_column"), ownedByQname: row.optionalText("owned_by_qname"),
                     isIdentity: (try? row.bool("is_identity")) ?? false)
        }
        // Current values: one UNION ALL over every sequence, naming each by its server-quoted name.
        var position: [OID: Int] = [:]
        for (index, sequence) in sequences.enumerated() { position[sequence.oid] = index }
        for chunk in stride(from: 0, to: sequences.count, by: 500) {
            let part = sequences[chunk..<min(chunk + 500, sequences.count)]
            let sql = part.map { "SELECT \($0.oid)::oid AS oid, last_value::text AS last_value, is_called FROM \($0.qname)" }
                .joined(separator: "\nUNION ALL\n")
            for row in try await connection.query(sql).rows {
                guard let index = position[try row.int64("oid")] else { continue }
                sequences[index].lastValue = row.optionalText("last_value")
                sequences[index].isCalled = try row.bool("is_called")
            }
        }
    }
}
