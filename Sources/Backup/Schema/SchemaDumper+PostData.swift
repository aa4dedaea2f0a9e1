// Constraints, indexes and triggers (post-data).
extension SchemaDumper.Builder {
    mutating func addConstraints() {
        let indexesByOID = Dictionary(catalog.indexes.map { ($0.oid, $0) }, uniquingKeysWith: { first, _ in first })
        let childIndexes = Dictionary(grouping: catalog.indexes.filter { $0.parent != nil }) { $0.parent ?? 0 }
        for constraint in catalog.constraints {
            guard let relation = relation(constraint.relid) else { continue }
            let key = Key("pg_constraint", constraint.oid)
            let priority: Int
            var extra: Set<Key> = []
            var sql: String
            switch constraint.kind {
            case "c":
                // Valid CHECK constraints are part of CREATE TABLE; a NOT VALID one is added after the
                // data, on the table that declares it (partitions inherit it from there).
                guard !constraint.validated, constraint.isLocal else { continue }
                priority = Priority.constraint
                sql = "ALTER TABLE \(relation.qname)\n    ADD CONSTRAINT \(constraint.ident) \(constraint.definition);\n"
            case "f":
                // A partition's copy of its parent's foreign key comes with the parent's.
                guard constraint.parent == nil else { continue }
                priority = Priority.foreignKey
                sql = "ALTER TABLE \(relation.kind == "p" ? "" : "ONLY ")\(relation.qname)\n"
                    + "    ADD CONSTRAINT \(constraint.ident) \(constraint.definition);\n"
                // A partitioned table's unique index is usable by a foreign key only once every partition's
                // index is attached to it (pg_dump's addConstrChildIdxDeps).
                if let referenced = constraint.index { extra = attachments(below: referenced, children: childIndexes) }
            default:
                priority = Priority.constraint
                sql = "ALTER TABLE ONLY \(relation.qname)\n    ADD CONSTRAINT \(constraint.ident) \(constraint.definition);\n"
                if let indexOID = constraint.index, let index = indexesByOID[indexOID] {
                    aliases[CatalogRef(catalog: "pg_class", oid: index.oid)] = key
                    sql += indexSettingsSQL(index, table: relation)
                }
            }
            sql += commentSQL("CONSTRAINT \(constraint.ident) ON \(relation.qname)", constraint.comment)
            graph.add(.init(key: key, kind: constraint.kind == "f" ? "FK CONSTRAINT" : "CONSTRAINT", schema: relation.schema,
                            name: "\(relation.name) \(constraint.name)", sql: sql, section: .postData, priority: priority,
                            dependencies: extra.union([Key("pg_class", relation.oid)])))
        }
    }

    /// The `ALTER INDEX … ATTACH PARTITION` nodes of every index below `index` in its partition tree.
    private func attachments(below index: OID, children: [OID: [CatalogSnapshot.Index]]) -> Set<Key> {
        var keys = Set<Key>()
        var pending = [index]
        while let next = pending.popLast() {
            for child in children[next] ?? [] {
                keys.insert(Key("pg_class", child.oid, part: "attach"))
                pending.append(child.oid)
            }
        }
        return keys
    }

    mutating func addIndexes() {
        for index in catalog.indexes {
            guard let table = relation(index.relid) else { continue }
            let key = Key("pg_class", index.oid)
            if index.constraint == nil {
                let sql = index.definition + ";\n" + indexSettingsSQL(index, table: table)
                    + commentSQL("INDEX \(index.qname)", index.comment)
                graph.add(.init(key: key, kind: "INDEX", schema: index.schema, name: index.name, sql: sql,
                                section: .postData, priority: Priority.index, dependencies: [Key("pg_class", table.oid)]))
            }
            if let parent = index.parent, let parentName = index.parentQname {
                let own = index.constraint.map { Key("pg_constraint", $0) } ?? key
                let parentIndex = catalog.indexes.first { $0.oid == parent }
                let parentKey = parentIndex?.constraint.map { Key("pg_constraint", $0) } ?? Key("pg_class", parent)
                graph.add(.init(key: Key("pg_class", index.oid, part: "attach"), kind: "INDEX ATTACH", schema: index.schema,
                                name: index.name, sql: "ALTER INDEX \(parentName) ATTACH PARTITION \(index.qname);\n",
                                section: .postData, priority: Priority.indexAttach, dependencies: [own, parentKey]))
            }
        }
    }

    /// `CLUSTER ON`, `REPLICA IDENTITY USING INDEX` and per-column statistics targets of an index.
    private func indexSettingsSQL(_ index: CatalogSnapshot.Index, table: CatalogSnapshot.Relation) -> String {
        var sql = ""
        if index.isClustered { sql += "ALTER TABLE \(table.qname) CLUSTER ON \(index.ident);\n" }
        if index.isReplicaIdentity { sql += "ALTER TABLE ONLY \(table.qname) REPLICA IDENTITY USING INDEX \(index.ident);\n" }
        if let statistics = index.statistics { sql += statistics + "\n" }
        return sql
    }

    mutating func addTriggers() {
        for trigger in catalog.triggers {
            guard let table = relation(trigger.relid) else { continue }
            let key = Key("pg_trigger", trigger.oid)
            let state: String
            switch trigger.enabled {
            case "D": state = "DISABLE TRIGGER"
            case "A": state = "ENABLE ALWAYS TRIGGER"
            case "R": state = "ENABLE REPLICA TRIGGER"
            default: state = "ENABLE TRIGGER"
            }
            let stateSQL = "ALTER TABLE \(table.qname) \(state) \(trigger.ident);\n"
            if let parent = trigger.parent {
                // A partition's clone of its parent's trigger is created with the parent's; only a
                // different enabled state is its own.
                guard trigger.enabled != trigger.parentEnabled else { continue }
                graph.add(.init(key: key, kind: "TRIGGER", schema: table.schema, name: "\(table.name) \(trigger.ident)",
                                sql: stateSQL, section: .postData, priority: Priority.trigger,
                                dependencies: [Key("pg_trigger", parent), Key("pg_class", table.oid)]))
                continue
            }
            var sql = trigger.definition + ";\n"
            if trigger.enabled != "O" { sql += stateSQL }
            sql += commentSQL("TRIGGER \(trigger.ident) ON \(table.qname)", trigger.comment)
            graph.add(.init(key: key, kind: "TRIGGER", schema: table.schema, name: "\(table.name) \(trigger.ident)",
                            sql: sql, section: .postData, priority: Priority.trigger, dependencies: [Key("pg_class", table.oid)]))
        }
    }
}
