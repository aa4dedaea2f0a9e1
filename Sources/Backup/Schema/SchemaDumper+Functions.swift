// Functions, procedures and extended statistics.
extension SchemaDumper.Builder {
    mutating func addFunctions() {
        for function in catalog.functions {
            let word = function.isProcedure ? "PROCEDURE" : "FUNCTION"
            var definition = function.definition
            while definition.last?.isNewline == true { definition.removeLast() }
            let sql = definition + ";\n"
                + ownerSQL("\(word) \(function.signature)", function.owner)
                + commentSQL("\(word) \(function.signature)", function.comment)
                + privilegesSQL(catalog: "pg_proc", oid: function.oid, objectType: word, name: function.signature)
            graph.add(.init(key: Key("pg_proc", function.oid), kind: word, schema: function.schema, name: function.name,
                            sql: sql, section: .preData, priority: Priority.function))
        }
    }

    mutating func addStatistics() {
        for statistics in catalog.statistics {
            var sql = statistics.definition + ";\n"
            if statistics.target >= 0 { sql += "ALTER STATISTICS \(statistics.qname) SET STATISTICS \(statistics.target);\n" }
            sql += ownerSQL("STATISTICS \(statistics.qname)", statistics.owner)
            sql += commentSQL("STATISTICS \(statistics.qname)", statistics.comment)
            graph.add(.init(key: Key("pg_statistic_ext", statistics.oid), kind: "STATISTICS", schema: statistics.schema,
                            name: statistics.name, sql: sql, section: .postData, priority: Priority.statistics))
        }
    }
}
