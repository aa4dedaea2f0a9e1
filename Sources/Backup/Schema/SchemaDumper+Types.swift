// Schemas, extensions, types and default privileges.
extension SchemaDumper.Builder {
    mutating func addSchemas() {
        for schema in catalog.schemas {
            var sql = ""
            if schema.name == "public" {
                // Every database has public (created by initdb, owned by pg_database_owner): pg_dump only
                // records what differs from that.
                if !schema.ownerIsDefault { sql += ownerSQL("SCHEMA public", schema.owner) }
                if schema.rawComment != "standard public schema" {
                    sql += "COMMENT ON SCHEMA public IS \(schema.comment ?? "NULL");\n"
                }
            } else {
                sql += "CREATE SCHEMA \(schema.ident);\n"
                sql += ownerSQL("SCHEMA \(schema.ident)", schema.owner)
                sql += commentSQL("SCHEMA \(schema.ident)", schema.comment)
            }
            sql += privilegesSQL(catalog: "pg_namespace", oid: schema.oid, objectType: "SCHEMA", name: schema.ident)
            graph.add(.init(key: Key("pg_namespace", schema.oid), kind: "SCHEMA", schema: nil, name: schema.name,
                            sql: sql, section: .preData, priority: Priority.schema))
        }
    }

    mutating func addExtensions() {
        for item in catalog.extensions {
            let sql = "CREATE EXTENSION IF NOT EXISTS \(item.ident) WITH SCHEMA \(item.schemaIdent);\n"
                + commentSQL("EXTENSION \(item.ident)", item.comment)
            graph.add(.init(key: Key("pg_extension", item.oid), kind: "EXTENSION", schema: nil, name: item.name,
                            sql: sql, section: .preData, priority: Priority.extension))
        }
    }

    mutating func addTypes() {
        for type in catalog.types {
            let key = Key("pg_type", type.oid)
            var sql: String
            var alter = "TYPE \(type.qname)"
            switch type.kind {
            case "e":
                sql = "CREATE TYPE \(type.qname) AS ENUM (\n"
                    + type.enumLabels.map { "    \($0)" }.joined(separator: ",\n") + "\n);\n"
            case "c":
                sql = "CREATE TYPE \(type.qname) AS (\n"
                    + type.attributes.map { attribute in
                        "\t\(attribute.ident) \(attribute.type)" + (attribute.collation.map { " COLLATE \($0)" } ?? "")
                    }.joined(separator: ",\n") + "\n);\n"
                aliases[CatalogRef(catalog: "pg_class", oid: type.relid)] = key
            case "r":
                var parameters = ["    subtype = \(type.rangeSubtype ?? "")"]
                if let opclass = type.rangeOpclass { parameters.append("    subtype_opclass = \(opclass)") }
                if let collation = type.rangeCollation { parameters.append("    collation = \(collation)") }
                if let multirange = type.multirangeName { parameters.append("    multirange_type_name = \(multirange)") }
                if let subdiff = type.rangeSubdiff { parameters.append("    subtype_diff = \(subdiff)") }
                sql = "CREATE TYPE \(type.qname) AS RANGE (\n" + parameters.joined(separator: ",\n") + "\n);\n"
            default:
                alter = "DOMAIN \(type.qname)"
                sql = "CREATE DOMAIN \(type.qname) AS \(type.baseType ?? "")"
                if let collation = type.collation { sql += " COLLATE \(collation)" }
                if type.notNull { sql += " NOT NULL" }
                if let value = type.defaultExpr { sql += " DEFAULT \(value)" }
                for constraint in type.constraints where constraint.validated {
                    sql += "\n\tCONSTRAINT \(constraint.ident) \(constraint.definition)"
                    aliases[CatalogRef(catalog: "pg_constraint", oid: constraint.oid)] = key
                }
                sql += ";\n"
            }
            sql += ownerSQL(alter, type.owner)
            sql += commentSQL(type.kind == "d" ? "DOMAIN \(type.qname)" : "TYPE \(type.qname)", type.comment)
            for attribute in type.attributes {
                sql += commentSQL("COLUMN \(type.qname).\(attribute.ident)", attribute.comment)
            }
            for constraint in type.constraints where constraint.validated {
                sql += commentSQL("CONSTRAINT \(constraint.ident) ON DOMAIN \(type.qname)", constraint.comment)
            }
            sql += privilegesSQL(catalog: "pg_type", oid: type.oid, objectType: "TYPE", name: type.qname)
            graph.add(.init(key: key, kind: type.kind == "d" ? "DOMAIN" : "TYPE", schema: type.schema, name: type.name,
                            sql: sql, section: .preData, priority: Priority.type))

            // A NOT VALID domain constraint is added after the data, as pg_dump does.
            for constraint in type.constraints where !constraint.validated {
                let constraintKey = Key("pg_constraint", constraint.oid)
                let sql = "ALTER DOMAIN \(type.qname)\n    ADD CONSTRAINT \(constraint.ident) \(constraint.definition);\n"
                    + commentSQL("CONSTRAINT \(constraint.ident) ON DOMAIN \(type.qname)", constraint.comment)
                graph.add(.init(key: constraintKey, kind: "CHECK CONSTRAINT", schema: type.schema,
                                name: "\(type.name) \(constraint.ident)", sql: sql, section: .postData,
                                priority: Priority.constraint, dependencies: [key]))
            }
        }
    }

    mutating func addDefaultPrivileges() {
        guard !options.noPrivileges else { return }
        // Last of all: default privileges apply to objects created after them, so they wait for every
        // object a post-data item may still create (a view moved there by its dependencies).
        let creators: Set<String> = ["SCHEMA", "TYPE", "DOMAIN", "FUNCTION", "PROCEDURE", "SEQUENCE", "TABLE", "VIEW", "MATERIALIZED VIEW"]
        let created = Set(graph.nodes.values.filter { creators.contains($0.kind) }.map(\.key))
        for entry in catalog.defaultPrivileges {
            graph.add(.init(key: Key("pg_default_acl", entry.oid), kind: "DEFAULT ACL", schema: nil,
                            name: "DEFAULT PRIVILEGES FOR \(entry.role)", sql: defaultPrivilegesSQL(entry), section: .postData,
                            priority: Priority.defaultPrivileges, dependencies: created))
        }
    }
}
