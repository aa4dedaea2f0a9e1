// Sequences, tables, partitions, views and materialized views (pre-data).
extension SchemaDumper.Builder {
    mutating func addSequences() {
        for sequence in catalog.sequences {
            let key = Key("pg_class", sequence.oid)
            if sequence.isIdentity, let table = sequence.ownedBy {
                // Created by its table's ALTER TABLE … ADD GENERATED … AS IDENTITY.
                aliases[CatalogRef(catalog: "pg_class", oid: sequence.oid)] = Key("pg_class", table)
                continue
            }
            let sql = "CREATE \(sequence.unlogged ? "UNLOGGED " : "")SEQUENCE \(sequence.qname)\n"
                + "    AS \(sequence.type)\n" + sequenceOptions(sequence) + ";\n"
                + ownerSQL("SEQUENCE \(sequence.qname)", sequence.owner)
                + commentSQL("SEQUENCE \(sequence.qname)", sequence.comment)
                + privilegesSQL(catalog: "pg_class", oid: sequence.oid, objectType: "SEQUENCE", name: sequence.qname)
            graph.add(.init(key: key, kind: "SEQUENCE", schema: sequence.schema, name: sequence.name,
                            sql: sql, section: .preData, priority: Priority.sequence))
            if let table = sequence.ownedBy, let tableName = sequence.ownedByQname, let column = sequence.ownedByColumn {
                graph.add(.init(key: Key("pg_class", sequence.oid, part: "owned by"), kind: "SEQUENCE OWNED BY",
                                schema: sequence.schema, name: sequence.name,
                                sql: "ALTER SEQUENCE \(sequence.qname) OWNED BY \(tableName).\(column);\n",
                                section: .preData, priority: Priority.sequenceOwnedBy,
                                dependencies: [key, Key("pg_class", table)]))
            }
        }
    }

    private func sequenceOptions(_ sequence: CatalogSnapshot.Sequence) -> String {
        "    START WITH \(sequence.start)\n    INCREMENT BY \(sequence.increment)\n"
            + "    MINVALUE \(sequence.minValue)\n    MAXVALUE \(sequence.maxValue)\n    CACHE \(sequence.cache)"
            + (sequence.cycle ? "\n    CYCLE" : "")
    }

    mutating func addRelations() {
        var checks = Dictionary(grouping: catalog.constraints.filter { $0.kind == "c" && $0.validated }, by: \.relid)
        let identities = Dictionary(grouping: catalog.sequences.filter(\.isIdentity)) { $0.ownedBy ?? 0 }
        // A table's default that calls a dumped function is set by its own ALTER TABLE, after the table,
        // as pg_dump does when it must: the function may take the table's row type (a cycle otherwise).
        let functionDefaults = Set(catalog.dependencies.filter { dependency in
            dependency.catalog == "pg_attrdef" && dependency.refCatalog == "pg_proc" && graph.contains(Key("pg_proc", dependency.refOid))
        }.map(\.oid))
        // Likewise a plain table's CHECK constraint that calls a dumped function (partitions keep theirs
        // inline: ATTACH PARTITION needs them).
        let functionChecks = Set(catalog.dependencies.filter { dependency in
            dependency.catalog == "pg_constraint" && dependency.refCatalog == "pg_proc" && graph.contains(Key("pg_proc", dependency.refOid))
        }.map(\.oid))
        for relation in catalog.relations where relation.kind == "r" && !relation.isPartition {
            guard let own = checks[relation.oid], own.contains(where: { functionChecks.contains($0.oid) }) else { continue }
            checks[relation.oid] = own.filter { !functionChecks.contains($0.oid) }
            for check in own where functionChecks.contains(check.oid) {
                graph.add(.init(key: Key("pg_constraint", check.oid), kind: "CHECK CONSTRAINT", schema: relation.schema,
                                name: "\(relation.name) \(check.name)",
                                sql: "ALTER TABLE \(relation.qname)\n    ADD CONSTRAINT \(check.ident) \(check.definition);\n"
                                    + commentSQL("CONSTRAINT \(check.ident) ON \(relation.qname)", check.comment),
                                section: .preData, priority: Priority.columnDefault, dependencies: [Key("pg_class", relation.oid)]))
            }
        }
        for relation in catalog.relations {
            let key = Key("pg_class", relation.oid)
            var sql: String
            let kind: String
            switch relation.kind {
            case "v":
                kind = "VIEW"
                sql = viewSQL(relation)
            case "m":
                kind = "MATERIALIZED VIEW"
                sql = viewSQL(relation)
            default:
                kind = "TABLE"
                sql = tableSQL(relation, checks: checks[relation.oid] ?? [], identities: identities[relation.oid] ?? [],
                               separateDefaults: functionDefaults)
            }
            for column in relation.columns {
                guard let oid = column.defaultOID, let expression = column.defaultExpr else { continue }
                if kind == "TABLE", column.generated == nil, functionDefaults.contains(oid) {
                    graph.add(.init(key: Key("pg_attrdef", oid), kind: "DEFAULT", schema: relation.schema,
                                    name: "\(relation.name) \(column.ident)",
                                    sql: "ALTER TABLE ONLY \(relation.qname) ALTER COLUMN \(column.ident) SET DEFAULT \(expression);\n",
                                    section: .preData, priority: Priority.columnDefault, dependencies: [key]))
                } else {
                    aliases[CatalogRef(catalog: "pg_attrdef", oid: oid)] = key
                }
            }
            for check in checks[relation.oid] ?? [] { aliases[CatalogRef(catalog: "pg_constraint", oid: check.oid)] = key }
            graph.add(.init(key: key, kind: kind, schema: relation.schema, name: relation.name, sql: sql,
                            section: .preData, priority: kind == "TABLE" ? Priority.table : Priority.view))

            if let parent = relation.parent, let parentName = relation.parentQname, let bound = relation.partitionBound {
                // pg_dump 15 creates a partition as a table of its own, then attaches it.
                graph.add(.init(key: Key("pg_class", relation.oid, part: "attach"), kind: "TABLE ATTACH",
                                schema: relation.schema, name: relation.name,
                                sql: "ALTER TABLE ONLY \(parentName) ATTACH PARTITION \(relation.qname) \(bound);\n",
                                section: .preData, priority: Priority.tableAttach,
                                dependencies: [key, Key("pg_class", parent)]))
            }
        }
    }

    private func tableSQL(_ relation: CatalogSnapshot.Relation, checks: [CatalogSnapshot.TableConstraint],
                          identities: [CatalogSnapshot.Sequence], separateDefaults: Set<OID>) -> String {
        var lines = relation.columns.map { column -> String in
            var line = "    \(column.ident) \(column.type)"
            if let collation = column.collation { line += " COLLATE \(collation)" }
            if column.generated != nil, let expression = column.defaultExpr {
                line += " GENERATED ALWAYS AS (\(expression)) STORED"
            } else if let expression = column.defaultExpr, !separateDefaults.contains(column.defaultOID ?? 0) {
                line += " DEFAULT \(expression)"
            }
            if column.notNull { line += " NOT NULL" }
            return line
        }
        // A partition repeats its parent's CHECK constraints: ATTACH PARTITION requires them.
        lines += checks.map { "    CONSTRAINT \($0.ident) \($0.definition)" }
        var sql = "CREATE \(relation.unlogged ? "UNLOGGED " : "")TABLE \(relation.qname) (\n"
            + lines.joined(separator: ",\n") + "\n)"
        if let key = relation.partitionKey { sql += "\nPARTITION BY \(key)" }
        let options = [relation.options, relation.toastOptions].filter { !$0.isEmpty }.joined(separator: ", ")
        if !options.isEmpty { sql += "\nWITH (\(options))" }
        sql += ";\n"
        sql += columnSettingsSQL(relation, alter: "TABLE ONLY")
        switch relation.replicaIdentity {
        case "f": sql += "ALTER TABLE ONLY \(relation.qname) REPLICA IDENTITY FULL;\n"
        case "n": sql += "ALTER TABLE ONLY \(relation.qname) REPLICA IDENTITY NOTHING;\n"
        default: break
        }
        sql += ownerSQL("TABLE \(relation.qname)", relation.owner)
        sql += relationCommentsSQL(relation, word: "TABLE")
        for check in checks {
            sql += commentSQL("CONSTRAINT \(check.ident) ON \(relation.qname)", check.comment)
        }
        sql += relationPrivilegesSQL(relation)
        for column in relation.columns {
            guard let identity = column.identity,
                  let sequence = identities.first(where: { $0.ownedByColumn == column.ident }) else { continue }
            sql += "ALTER TABLE \(relation.qname) ALTER COLUMN \(column.ident) ADD GENERATED "
                + (identity == "a" ? "ALWAYS" : "BY DEFAULT") + " AS IDENTITY (\n"
                + "    SEQUENCE NAME \(sequence.qname)\n" + sequenceOptions(sequence) + "\n);\n"
            sql += commentSQL("SEQUENCE \(sequence.qname)", sequence.comment)
            sql += privilegesSQL(catalog: "pg_class", oid: sequence.oid, objectType: "SEQUENCE", name: sequence.qname)
        }
        return sql
    }

    private func viewSQL(_ relation: CatalogSnapshot.Relation) -> String {
        var definition = relation.viewDefinition ?? ""
        while let last = definition.last, last == ";" || last.isWhitespace { definition.removeLast() }
        let materialized = relation.kind == "m"
        let word = materialized ? "MATERIALIZED VIEW" : "VIEW"
        var sql = "CREATE \(word) \(relation.qname)"
        if !relation.options.isEmpty { sql += " WITH (\(relation.options))" }
        sql += " AS\n\(definition)"
        if let checkOption = relation.checkOption { sql += "\n  WITH \(checkOption) CHECK OPTION" }
        if materialized { sql += "\n  WITH NO DATA" }
        sql += ";\n"
        if materialized {
            sql += columnSettingsSQL(relation, alter: "MATERIALIZED VIEW")
        } else {
            for column in relation.columns {
                if let expression = column.defaultExpr {
                    sql += "ALTER TABLE ONLY \(relation.qname) ALTER COLUMN \(column.ident) SET DEFAULT \(expression);\n"
                }
            }
        }
        sql += ownerSQL("TABLE \(relation.qname)", relation.owner)
        sql += relationCommentsSQL(relation, word: word)
        sql += relationPrivilegesSQL(relation)
        return sql
    }

    /// Per-column settings pg_dump writes after `CREATE TABLE`: statistics target, attribute options,
    /// storage and compression.
    private func columnSettingsSQL(_ relation: CatalogSnapshot.Relation, alter: String) -> String {
        var sql = ""
        for column in relation.columns {
            let prefix = "ALTER \(alter) \(relation.qname) ALTER COLUMN \(column.ident)"
            if column.statisticsTarget >= 0 { sql += "\(prefix) SET STATISTICS \(column.statisticsTarget);\n" }
            if !column.options.isEmpty { sql += "\(prefix) SET (\(column.options));\n" }
            switch column.storage {
            case "p": sql += "\(prefix) SET STORAGE PLAIN;\n"
            case "e": sql += "\(prefix) SET STORAGE EXTERNAL;\n"
            case "m": sql += "\(prefix) SET STORAGE MAIN;\n"
            case "x": sql += "\(prefix) SET STORAGE EXTENDED;\n"
            default: break
            }
            switch column.compression {
            case "p": sql += "\(prefix) SET COMPRESSION pglz;\n"
            case "l": sql += "\(prefix) SET COMPRESSION lz4;\n"
            default: break
            }
        }
        return sql
    }

    private func relationCommentsSQL(_ relation: CatalogSnapshot.Relation, word: String) -> String {
        var sql = commentSQL("\(word) \(relation.qname)", relation.comment)
        for column in relation.columns {
            sql += commentSQL("COLUMN \(relation.qname).\(column.ident)", column.comment)
        }
        return sql
    }

    private func relationPrivilegesSQL(_ relation: CatalogSnapshot.Relation) -> String {
        let columns = Dictionary(relation.columns.map { ($0.attnum, $0.ident) }, uniquingKeysWith: { first, _ in first })
        return privilegesSQL(catalog: "pg_class", oid: relation.oid, objectType: "TABLE", name: relation.qname, columns: columns)
    }
}
