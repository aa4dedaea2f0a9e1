import Foundation
import OpsCore
import PGClient

/// A table whose rows the backup copies itself (`COPY … TO STDOUT` into data members), as pg_dump
/// would write its data block.
package struct BackupTable: Sendable, Hashable {
    package var schema: String
    package var name: String
    /// `schema.name` quoted as the server quotes it (`quote_ident`, as pg_dump's `fmtId`).
    package var qualifiedName: String
    /// Quoted column list for COPY without generated and dropped columns, e.g. `(id, "Name", body)`;
    /// empty for a table without such columns.
    package var columnList: String
    /// Bytes on disk (`pg_relation_size`), to plan parallel copies.
    package var estimatedBytes: Int64

    package init(schema: String, name: String, qualifiedName: String, columnList: String, estimatedBytes: Int64) {
        self.schema = schema
        self.name = name
        self.qualifiedName = qualifiedName
        self.columnList = columnList
        self.estimatedBytes = estimatedBytes
    }

    /// The statement that copies the rows out, as pg_dump writes it.
    package var copyOutSQL: String { "COPY \(qualifiedName) \(columnList) TO STDOUT" }
    /// The header of the data block in the plain script, as pg_dump writes it.
    package var copyInHeader: String { "COPY \(qualifiedName) \(columnList) FROM stdin;\n" }

    /// A pg_dump pattern matching exactly this table (`"schema"."name"`, quotes doubled).
    var exactPattern: String {
        func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        return "\(quoted(schema)).\(quoted(name))"
    }
}

/// Which objects and rows are dumped (pg_dump's options of the same names, handed to pg_dump).
package struct DumpOptions: Sendable {
    /// `--no-owner`: no `ALTER … OWNER TO`.
    package var noOwner = false
    /// `--no-privileges`: no `GRANT`/`REVOKE`.
    package var noPrivileges = false
    /// `--exclude-table-data PATTERN` (pg_dump's pattern syntax: `schema.table`, `*` and `?` wildcards,
    /// double quotes keep case and special characters; as in pg_dump, an unqualified pattern matches the
    /// tables visible in the default `search_path`, normally `public`): schema kept, rows (and a matched
    /// sequence's `setval`) not copied.
    package var excludeTableData: [String] = []

    package init(noOwner: Bool = false, noPrivileges: Bool = false, excludeTableData: [String] = []) {
        self.noOwner = noOwner
        self.noPrivileges = noPrivileges
        self.excludeTableData = excludeTableData
    }
}

enum BackupTables {
    /// The tables whose rows pg_dump would dump (ordinary tables, unlogged included, outside the system
    /// schemas, not members of an extension), minus those `excludeTableData` matches. Run inside the
    /// snapshot transaction.
    static func list(_ connection: PostgresConnection, options: DumpOptions) async throws -> [BackupTable] {
        let excluded = try await excludedTableData(connection, patterns: options.excludeTableData)
        let rows = try await connection.query(Self.tablesSQL)
        return try rows.rows.compactMap { row in
            guard !excluded.contains(try row.decode(Int64.self, "oid")) else { return nil }
            let columns = row["columns"] ?? ""
            return BackupTable(schema: try row.decode(String.self, "schema"), name: try row.decode(String.self, "name"),
                               qualifiedName: try row.decode(String.self, "qualified"),
                               columnList: columns.isEmpty ? "" : "(\(columns))", estimatedBytes: try row.decode(Int64.self, "bytes"))
        }
    }

    /// OIDs of the relations the patterns name, matched by the server exactly as pg_dump matches them
    /// (`~` on anchored regular expressions; visibility in the current `search_path` for unqualified
    /// patterns).
    static func excludedTableData(_ connection: PostgresConnection, patterns: [String]) async throws -> Set<Int64> {
        var excluded: Set<Int64> = []
        for text in patterns {
            let pattern = try TableNamePattern(text)
            if let database = pattern.databaseName {
                let current = try await connection.query("SELECT current_database() AS name").first?["name"]
                guard database == current else {
                    throw OpsError(.usage, "cross-database references are not implemented: \(text)")
                }
            }
            let rows = try await connection.query(Self.excludedTableDataSQL, [pattern.nameRegex, pattern.schemaRegex])
            for row in rows.rows { excluded.insert(try row.decode(Int64.self, "oid")) }
        }
        return excluded
    }
}
