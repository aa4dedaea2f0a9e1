extension SchemaDumper {
    /// Turns a catalog snapshot into dump-graph nodes and their dependencies.
    struct Builder {
        typealias OID = CatalogSnapshot.OID
        typealias Key = DumpGraph.Key

        let catalog: CatalogSnapshot
        let options: DumpOptions
        var graph = DumpGraph()
        /// Catalog objects that are dumped as part of another node (a column default with its table, an
        /// identity sequence with its table, a constraint's index with the constraint, …).
        var aliases: [CatalogRef: Key] = [:]
        private let relationsByOID: [OID: CatalogSnapshot.Relation]
        private let privilegeChanges: [PrivilegeTarget: [CatalogSnapshot.PrivilegeChange]]

        struct PrivilegeTarget: Hashable {
            var catalog: String
            var oid: OID
        }

        /// Kind priorities, after pg_dump's `dbObjectTypePriority`.
        enum Priority {
            static let schema = 1
            static let `extension` = 4
            static let type = 5
            static let function = 7
            static let sequence = 10
            static let table = 11
            static let view = 12
            static let sequenceOwnedBy = 13
            static let columnDefault = 13
            static let tableAttach = 14
            static let constraint = 20
            static let index = 21
            static let indexAttach = 22
            static let statistics = 23
            static let trigger = 25
            static let foreignKey = 27
            static let defaultPrivileges = 30
        }

        init(catalog: CatalogSnapshot, options: DumpOptions) {
            self.catalog = catalog
            self.options = options
            relationsByOID = Dictionary(catalog.relations.map { ($0.oid, $0) }, uniquingKeysWith: { first, _ in first })
            privilegeChanges = Dictionary(grouping: catalog.privileges) { PrivilegeTarget(catalog: $0.catalog, oid: $0.oid) }
        }

        func relation(_ oid: OID) -> CatalogSnapshot.Relation? { relationsByOID[oid] }

        mutating func addAll() {
            addSchemas()
            addExtensions()
            addTypes()
            addFunctions()
            addSequences()
            addRelations()
            addConstraints()
            addIndexes()
            addTriggers()
            addStatistics()
            addDefaultPrivileges()
            addCatalogDependencies()
        }

        /// The node that dumps `ref`, following aliases, extension membership and implicit types.
        func resolve(_ ref: CatalogRef) -> Key? {
            if let extensionOID = catalog.extensionMembers[ref] { return Key("pg_extension", extensionOID) }
            if let alias = aliases[ref] { return alias }
            let key = Key(ref)
            if graph.contains(key) { return key }
            if ref.catalog == "pg_type", let owner = catalog.typeOwners[ref.oid] { return resolve(owner) }
            if ref.catalog == "pg_rewrite", let view = catalog.ruleOwners[ref.oid] { return resolve(CatalogRef(catalog: "pg_class", oid: view)) }
            return nil
        }

        /// Every `pg_depend` edge between two dumped nodes becomes an ordering constraint, except a
        /// sequence's `OWNED BY` edge to its table, which its own node (after both) carries.
        private mutating func addCatalogDependencies() {
            var ownedBy: [OID: OID] = [:]
            for sequence in catalog.sequences where !sequence.isIdentity {
                if let table = sequence.ownedBy { ownedBy[sequence.oid] = table }
            }
            for dependency in catalog.dependencies {
                let ref = CatalogRef(catalog: dependency.refCatalog, oid: dependency.refOid)
                guard let dependent = resolve(CatalogRef(catalog: dependency.catalog, oid: dependency.oid)),
                      let target = resolve(ref), dependent != target else { continue }
                if dependent.catalog == "pg_class", dependent.part.isEmpty, let table = ownedBy[dependent.oid],
                   target == Key("pg_class", table) {
                    continue
                }
                graph.addDependency(dependent, on: target)
            }
        }

        // MARK: - Statement helpers

        /// `ALTER … OWNER TO …;`, or nothing under `--no-owner`.
        func ownerSQL(_ alter: String, _ owner: String) -> String {
            options.noOwner ? "" : "ALTER \(alter) OWNER TO \(owner);\n"
        }

        /// `COMMENT ON … IS …;` for a comment already quoted by the server.
        func commentSQL(_ target: String, _ comment: String?) -> String {
            guard let comment else { return "" }
            return "COMMENT ON \(target) IS \(comment);\n"
        }

        /// GRANT/REVOKE statements turning the default ACL of the object into its ACL, as pg_dump does.
        ///
        /// - Parameters:
        ///   - catalog: `pg_class`, `pg_proc`, `pg_type` or `pg_namespace`.
        ///   - objectType: the word after `ON`: `TABLE`, `SEQUENCE`, `FUNCTION`, `PROCEDURE`, `TYPE`, `SCHEMA`.
        ///   - name: the object's qualified name (a function's signature).
        ///   - columns: column names by attnum, for column privileges of relations.
        func privilegesSQL(catalog: String, oid: OID, objectType: String, name: String, columns: [Int: String] = [:]) -> String {
            guard !options.noPrivileges, let changes = privilegeChanges[PrivilegeTarget(catalog: catalog, oid: oid)] else { return "" }
            var sql = ""
            for change in changes {
                let column = change.column > 0 ? columns[change.column] : nil
                if change.column > 0 && column == nil { continue }
                sql += statement(for: change, on: "\(objectType) \(name)", column: column) { verb, privileges, preposition, grantee in
                    "\(verb) \(privileges) ON \(objectType) \(name) \(preposition) \(grantee)"
                }
            }
            return sql
        }

        /// GRANT/REVOKE statements for one pg_default_acl entry.
        func defaultPrivilegesSQL(_ entry: CatalogSnapshot.DefaultPrivileges) -> String {
            guard !options.noPrivileges, let changes = privilegeChanges[PrivilegeTarget(catalog: "pg_default_acl", oid: entry.oid)] else { return "" }
            let objects: String
            switch entry.objectType {
            case "S": objects = "SEQUENCES"
            case "f": objects = "FUNCTIONS"
            case "T": objects = "TYPES"
            case "n": objects = "SCHEMAS"
            default: objects = "TABLES"
            }
            let prefix = "ALTER DEFAULT PRIVILEGES FOR ROLE \(entry.role)" + (entry.schemaIdent.map { " IN SCHEMA \($0)" } ?? "")
            var sql = ""
            for change in changes {
                sql += statement(for: change, on: objects, column: nil) { verb, privileges, preposition, grantee in
                    "\(prefix) \(verb) \(privileges) ON \(objects) \(preposition) \(grantee)"
                }
            }
            return sql
        }

        private func statement(for change: CatalogSnapshot.PrivilegeChange, on target: String, column: String?,
                               render: (String, String, String, String) -> String) -> String {
            func list(_ privileges: [String]) -> String {
                privileges.map { privilege in column.map { "\(privilege)(\($0))" } ?? privilege }.joined(separator: ",")
            }
            guard change.isGrant else {
                return render("REVOKE", "ALL", "FROM", change.grantee) + ";\n"
            }
            var sql = ""
            if !change.privileges.isEmpty {
                sql += render("GRANT", list(change.privileges), "TO", change.grantee) + ";\n"
            }
            if !change.grantablePrivileges.isEmpty {
                sql += render("GRANT", list(change.grantablePrivileges), "TO", change.grantee) + " WITH GRANT OPTION;\n"
            }
            // A privilege granted by someone other than the owner is re-granted by that role.
            guard !change.grantor.isEmpty else { return sql }
            return "SET SESSION AUTHORIZATION \(change.grantor);\n" + sql + "RESET SESSION AUTHORIZATION;\n"
        }
    }
}
