import PGClient

/// What a logical backup contains, in pg_dump's section order: the SQL that recreates the schema before
/// the data (pre-data), the tables whose rows are copied, the SQL that comes after the data (post-data:
/// indexes, constraints, triggers, …) and statements that must run last (materialized view refreshes).
///
/// Made by `SchemaDumper` from the catalogs inside the backup's snapshot transaction.
public struct DumpPlan: Sendable {
    /// One object's SQL, e.g. a `CREATE TABLE` with its `ALTER TABLE … OWNER TO`, comments and grants.
    public struct Item: Sendable, Hashable {
        /// pg_dump's object type word: `SCHEMA`, `EXTENSION`, `TYPE`, `DOMAIN`, `FUNCTION`, `SEQUENCE`,
        /// `TABLE`, `VIEW`, `MATERIALIZED VIEW`, `INDEX`, `CONSTRAINT`, `FK CONSTRAINT`, `TRIGGER`,
        /// `SEQUENCE SET`, `REFRESH MATERIALIZED VIEW`, `COMMENT`, `ACL`, …
        public var kind: String
        /// Schema of the object (nil for schemas, extensions without one, …).
        public var schema: String?
        /// Object name as pg_dump prints it in its `-- Name:` headers.
        public var name: String
        /// Complete SQL statements, each ending with `;` and a newline.
        public var sql: String
        /// Identifies the item within its plan (e.g. `pg_class:16402`, `pg_class:16402:attach`); empty when
        /// the item was not made by `SchemaDumper`.
        public var id: String = ""
        /// `id`s of the items of the same plan that must run before this one (pg_restore's TOC
        /// dependencies), so a parallel restore can build post-data items concurrently. Items of an earlier
        /// section are never listed: sections already run in order.
        public var dependencies: [String] = []

        public init(kind: String, schema: String?, name: String, sql: String) {
            self.kind = kind
            self.schema = schema
            self.name = name
            self.sql = sql
        }
    }

    /// A table whose rows the backup copies.
    public struct Table: Sendable, Hashable {
        public var schema: String
        public var name: String
        /// `"schema"."name"` quoted by the server (`quote_ident`/`PQescapeIdentifier`).
        public var qualifiedName: String
        /// Quoted column list for COPY, excluding generated columns, e.g. `(id, "Name", body)`.
        public var columnList: String
        /// Bytes on disk (`pg_relation_size`), to plan parallel copies and member splitting.
        public var estimatedBytes: Int64

        public init(schema: String, name: String, qualifiedName: String, columnList: String, estimatedBytes: Int64) {
            self.schema = schema
            self.name = name
            self.qualifiedName = qualifiedName
            self.columnList = columnList
            self.estimatedBytes = estimatedBytes
        }

        /// The statement that copies the rows out, as pg_dump writes it.
        public var copyOutSQL: String { "COPY \(qualifiedName) \(columnList) TO STDOUT" }
        /// The header of the data block in the plain script.
        public var copyInHeader: String { "COPY \(qualifiedName) \(columnList) FROM stdin;\n" }
    }

    /// `SET` statements that open the script (pg_dump's preamble: statement_timeout, client_encoding,
    /// standard_conforming_strings, `SELECT pg_catalog.set_config('search_path', '', false)`, …).
    public var preamble: String
    public var preData: [Item]
    public var tables: [Table]
    public var postData: [Item]
    /// Runs after post-data: `REFRESH MATERIALIZED VIEW` of views that were populated in the source.
    public var finalize: [Item]
    /// pg_dump's `SEQUENCE SET` entries (`SELECT pg_catalog.setval(…);`), one per sequence whose value is
    /// dumped. They belong to the data section: write them after the tables' COPY blocks, before post-data.
    public var sequenceSets: [Item] = []

    public init(preamble: String, preData: [Item], tables: [Table], postData: [Item], finalize: [Item]) {
        self.preamble = preamble
        self.preData = preData
        self.tables = tables
        self.postData = postData
        self.finalize = finalize
    }

    public init(preamble: String, preData: [Item], tables: [Table], sequenceSets: [Item], postData: [Item], finalize: [Item]) {
        self.init(preamble: preamble, preData: preData, tables: tables, postData: postData, finalize: finalize)
        self.sequenceSets = sequenceSets
    }
}

/// Which objects a dump covers (pg_dump's options of the same names).
public struct DumpOptions: Sendable {
    /// `--no-owner`: no `ALTER … OWNER TO`.
    public var noOwner = false
    /// `--no-privileges`: no `GRANT`/`REVOKE`.
    public var noPrivileges = false
    /// `--exclude-table-data PATTERN` (pg_dump's pattern syntax: `schema.table`, `*` and `?` wildcards,
    /// double quotes keep case and special characters; as in pg_dump, an unqualified pattern matches the
    /// tables visible in the session's default `search_path`, normally `public`): schema kept, rows (and a
    /// matched sequence's `setval`) not copied.
    public var excludeTableData: [String] = []

    public init(noOwner: Bool = false, noPrivileges: Bool = false, excludeTableData: [String] = []) {
        self.noOwner = noOwner
        self.noPrivileges = noPrivileges
        self.excludeTableData = excludeTableData
    }
}
