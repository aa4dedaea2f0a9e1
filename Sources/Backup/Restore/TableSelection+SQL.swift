import Foundation

extension TableSelection {
    /// Resets a restored table's or sequence's privileges to the default for its owner, so the dump's
    /// GRANTs/REVOKEs that follow give it exactly the source's: the target's `ALTER DEFAULT
    /// PRIVILEGES` would otherwise add its own grants to a table created now (in a whole restore, pg_dump
    /// sets default privileges only after every object is created).
    /// - Parameters:
    ///   - relation: the quoted qualified name (`schema."Name"`).
    ///   - kind: `TABLE` or `SEQUENCE`.
    static func resetPrivilegesSQL(relation: String, kind: String) -> String {
        let literal = "'" + relation.replacingOccurrences(of: "'", with: "''") + "'::pg_catalog.regclass"
        var tag = "$acl$"
        while relation.contains(tag) { tag = "$acl\(tag.count)$" }
        return """
            DO \(tag) DECLARE g record; BEGIN
                FOR g IN SELECT DISTINCT a.grantee FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
                         WHERE c.oid = \(literal) AND a.grantee <> c.relowner LOOP
                    EXECUTE pg_catalog.format('REVOKE ALL ON \(kind) %s FROM %s', \(literal),
                        CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(g.grantee)) END);
                END LOOP;
                EXECUTE pg_catalog.format('GRANT ALL ON \(kind) %s TO %s', \(literal),
                    (SELECT pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(c.relowner)) FROM pg_catalog.pg_class c WHERE c.oid = \(literal)));
            END \(tag);
            """
    }
}
