import PGClient

/// The catalog rows a dump is built from, read with a handful of set-based queries inside the backup's
/// snapshot. Names arrive already quoted by the server (`quote_ident`, `format('%I.%I')`), literals
/// already quoted (`quote_literal`), and expressions already deparsed (`pg_get_expr`, `pg_get_*def`).
struct CatalogSnapshot: Sendable {
    typealias OID = Int64

    struct Schema: Sendable {
        var oid: OID
        var name: String
        var ident: String
        var owner: String
        var ownerIsDefault: Bool
        var comment: String?
        var rawComment: String?
    }

    struct Extension: Sendable {
        var oid: OID
        var name: String
        var ident: String
        var schemaIdent: String
        var comment: String?
    }

    struct TypeInfo: Sendable {
        var oid: OID
        /// `e` enum, `d` domain, `c` composite, `r` range.
        var kind: Character
        var schema: String
        var name: String
        var qname: String
        var owner: String
        var comment: String?
        var relid: OID
        // Domains.
        var baseType: String?
        var collation: String?
        var defaultExpr: String?
        var notNull: Bool
        // Ranges.
        var rangeSubtype: String?
        var rangeOpclass: String?
        var rangeCollation: String?
        var rangeSubdiff: String?
        var multirangeName: String?
        // Filled from the detail queries.
        var enumLabels: [String] = []
        var attributes: [TypeAttribute] = []
        var constraints: [DomainConstraint] = []
    }

    struct TypeAttribute: Sendable {
        var ident: String
        var type: String
        var collation: String?
        var comment: String?
    }

    struct DomainConstraint: Sendable {
        var oid: OID
        var ident: String
        var definition: String
        var validated: Bool
        var comment: String?
    }

    struct Function: Sendable {
        var oid: OID
        var isProcedure: Bool
        var schema: String
        /// `name(identity arguments)`, pg_dump's `-- Name:`.
        var name: String
        /// `schema.name(identity arguments)` for ALTER/COMMENT/GRANT.
        var signature: String
        var definition: String
        var owner: String
        var comment: String?
    }

    struct Relation: Sendable {
        var oid: OID
        /// `r` table, `p` partitioned table, `v` view, `m` materialized view.
        var kind: Character
        var schema: String
        var name: String
        var qname: String
        var owner: String
        var comment: String?
        var unlogged: Bool
        var isPartition: Bool
        var isPopulated: Bool
        var replicaIdentity: Character
        var options: String
        var toastOptions: String
        var checkOption: String?
        var partitionKey: String?
        var partitionBound: String?
        var parent: OID?
        var parentQname: String?
        var viewDefinition: String?
        var size: Int64
        var columns: [Column] = []
    }

    struct Column: Sendable {
        var attnum: Int
        var ident: String
        var type: String
        var notNull: Bool
        /// `s` for a stored generated column.
        var generated: Character?
        /// `a` ALWAYS, `d` BY DEFAULT.
        var identity: Character?
        var collation: String?
        var defaultExpr: String?
        var defaultOID: OID?
        var statisticsTarget: Int
        var storage: Character?
        var options: String
        var compression: Character?
        var comment: String?
    }

    struct TableConstraint: Sendable {
        var oid: OID
        var relid: OID
        /// `c` check, `p` primary key, `u` unique, `x` exclusion, `f` foreign key.
        var kind: Character
        var name: String
        var ident: String
        var definition: String
        var validated: Bool
        var isLocal: Bool
        var parent: OID?
        var index: OID?
        var comment: String?
    }

    struct Index: Sendable {
        var oid: OID
        var relid: OID
        var name: String
        var ident: String
        var qname: String
        var schema: String
        var definition: String
        var isClustered: Bool
        var isReplicaIdentity: Bool
        var constraint: OID?
        var parent: OID?
        var parentQname: String?
        var comment: String?
        /// `ALTER INDEX … ALTER COLUMN n SET STATISTICS m;` lines, if any.
        var statistics: String?
    }

    struct Trigger: Sendable {
        var oid: OID
        var relid: OID
        var ident: String
        var definition: String
        var enabled: Character
        var parent: OID?
        var parentEnabled: Character?
        var comment: String?
    }

    struct Statistics: Sendable {
        var oid: OID
        var schema: String
        var name: String
        var qname: String
        var definition: String
        var target: Int
        var owner: String
        var comment: String?
    }

    struct Sequence: Sendable {
        var oid: OID
        var schema: String
        var name: String
        var qname: String
        /// `qname` as a string literal, for `setval`.
        var qnameLiteral: String
        var type: String
        var start: String
        var increment: String
        var minValue: String
        var maxValue: String
        var cache: String
        var cycle: Bool
        var unlogged: Bool
        var owner: String
        var comment: String?
        /// The table owning it (`OWNED BY`, or the identity column's table).
        var ownedBy: OID?
        var ownedByColumn: String?
        var ownedByQname: String?
        var isIdentity: Bool
        var lastValue: String?
        var isCalled: Bool?
    }

    struct DefaultPrivileges: Sendable {
        var oid: OID
        var role: String
        var schemaIdent: String?
        /// `r`, `S`, `f`, `T`, `n`.
        var objectType: Character
    }

    /// One privilege change, from comparing an object's ACL with its default (pg_dump's buildACLCommands).
    struct PrivilegeChange: Sendable {
        var catalog: String
        var oid: OID
        var column: Int
        var isGrant: Bool
        var grantor: String
        var grantee: String
        var privileges: [String]
        var grantablePrivileges: [String]
    }

    /// A `pg_depend` edge between two user objects (normal or auto).
    struct Dependency: Sendable {
        var catalog: String
        var oid: OID
        var refCatalog: String
        var refOid: OID
    }

    var schemas: [Schema] = []
    var extensions: [Extension] = []
    var types: [TypeInfo] = []
    var functions: [Function] = []
    var relations: [Relation] = []
    var constraints: [TableConstraint] = []
    var indexes: [Index] = []
    var triggers: [Trigger] = []
    var statistics: [Statistics] = []
    var sequences: [Sequence] = []
    var defaultPrivileges: [DefaultPrivileges] = []
    var privileges: [PrivilegeChange] = []
    var dependencies: [Dependency] = []
    /// Extension members: `catalog/oid` → extension OID.
    var extensionMembers: [CatalogRef: OID] = [:]
    /// Implicit types: array → element type, table row type → relation, multirange → range.
    var typeOwners: [OID: CatalogRef] = [:]
    /// Rewrite rules (view bodies) → their view.
    var ruleOwners: [OID: OID] = [:]
}

/// An object named by its catalog (`pg_class`, `pg_proc`, …) and OID, as `pg_depend` names it.
struct CatalogRef: Hashable, Sendable {
    var catalog: String
    var oid: Int64
}

extension PostgresRow {
    func text(_ column: String) throws -> String { try decode(String.self, column) }
    func optionalText(_ column: String) -> String? { self[column] }
    func int64(_ column: String) throws -> Int64 { try decode(Int64.self, column) }
    func optionalInt64(_ column: String) -> Int64? { self[column].flatMap { Int64($0) } }
    func bool(_ column: String) throws -> Bool { try decode(Bool.self, column) }
    func character(_ column: String) -> Character? { self[column].flatMap(\.first) }
}
