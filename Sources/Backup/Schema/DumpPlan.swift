import PGClient

/// What a logical backup contains, in pg_dump's section order: the SQL that recreates the schema before
/// the data (pre-data), the tables whose rows are copied, the SQL that comes after the data (post-data:
/// indexes, constraints, triggers, …) and statements that must run last (materialized view refreshes).
///
/// Made by `SchemaDumper` from the catalogs inside the backup's snapshot transaction.
package struct DumpPlan: Sendable {
    /// One object's SQL, e.g. a `CREATE TABLE` with its `ALTER TABLE … OWNER TO`, comments and grants.
    package struct Item: Sendable, Hashable {
        /// pg_dump's object type word: `SCHEMA`, `EXTENSION`, `TYPE`, `DOMAIN`, `FUNCTION`, `SEQUENCE`,
        /// `TABLE`, `VIEW`, `MATERIALIZED VIEW`, `INDEX`, `CONSTRAINT`, `FK CONSTRAINT`, `TRIGGER`,
        /// `SEQUENCE SET`, `REFRESH MATERIALIZED VIEW`, `COMMENT`, `ACL`, …
        package var kind: String
        /// Schema of the object (nil for schemas, extensions without one, …).
        package var schema: String?
        /// Object name as pg_dump prints it in its `-- Name:` headers.
        package var name: String
        /// Complete SQL statements, each ending with `;` and a newline.
        package var sql: String
        /// Identifies the item within its plan (e.g. `pg_class:16402`, `pg_class:16402:attach`); empty when
        /// the item was not made by `SchemaDumper`.
        package var id: String = ""
        /// `id`s of the items of the same plan that must run before this one (pg_restore's TOC
        /// dependencies), so a parallel restore can build post-data items concurrently. Items of an earlier
        /// section are never listed: sections already run in order.
        package var dependencies: [String] = []

        package init(kind: String, schema: String?, name: String, sql: String) {
            self.kind = kind
            self.schema = schema
            self.name = name
            self.sql = sql
        }
    }

    /// A table whose rows the backup copies.
    package struct Table: Sendable, Hashable {
        package var schema: String
        package var name: String
        /// `"schema"."name"` quoted by the server (`quote_ident`/`PQescapeIdentifier`).
        package var qualifiedName: String
        /// Quoted column list for COPY, excluding generated columns, e.g. `(id, "Name", body)`.
        package var columnList: String
        /// Bytes on disk (`pg_relation_size`), to plan parallel copies and member splitting.
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
        /// The header of the data block in the plain script.
        package var copyInHeader: String { "COPY \(qualifiedName) \(columnList) FROM stdin;\n" }
    }

    /// `SET` statements that open the script (pg_dump's preamble: statement_timeout, client_encoding,
    /// standard_conforming_strings, `SELECT pg_catalog.set_config('search_path', '', false)`, …).
    package var preamble: String
    package var preData: [Item]
    package var tables: [Table]
    package var postData: [Item]
    /// Runs after post-data: `REFRESH MATERIALIZED VIEW` of views that were populated in the source.
    package var finalize: [Item]
    /// pg_dump's `SEQUENCE SET` entries (`SELECT pg_catalog.setval(…);`), one per sequence whose value is
    /// dumped. They belong to the data section: write them after the tables' COPY blocks, before post-data.
    package var sequenceSets: [Item] = []

    package init(preamble: String, preData: [Item], tables: [Table], postData: [Item], finalize: [Item]) {
        self.preamble = preamble
        self.preData = preData
        self.tables = tables
        self.postData = postData
        self.finalize = finalize
    }

    package init(preamble: String, preData: [Item], tables: [Table], sequenceSets: [Item], postData: [Item], finalize: [Item]) {
        self.init(preamble: preamble, preData: preData, tables: tables, postData: postData, finalize: finalize)
        self.sequenceSets = sequenceSets
    }
}

/// Which objects a dump covers (pg_dump's options of the same names).
package struct DumpOptions: Sendable {
    /// `--no-owner`: no `ALTER … OWNER TO`.
    package var noOwner = false
    /// `--no-privileges`: no `GRANT`/`REVOKE`.
    package var noPrivileges = false
    /// `--exclude-table-data PATTERN` (pg_dump's pattern syntax: `schema.table`, `*` and `?` wildcards,
    /// double quotes keep case and special characters; as in pg_dump, an unqualified pattern matches the
    /// tables visible in the session's default `search_path`, normally `public`): schema kept, rows (and a
    /// matched sequence's `setval`) not copied.
    package var excludeTableData: [String] = []

    package init(noOwner: Bool = false, noPrivileges: Bool = false, excludeTableData: [String] = []) {
        self.noOwner = noOwner
        self.noPrivileges = noPrivileges
        self.excludeTableData = excludeTableData
    }
}
