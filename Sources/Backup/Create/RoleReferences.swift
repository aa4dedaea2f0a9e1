import Foundation

/// The roles a dump's SQL names, read from pg_dump's statements: owners (`ALTER … OWNER TO r`, the
/// `Owner:` of its headers is the same set) and grants (`GRANT … TO r`, `REVOKE … FROM r`,
/// `SET SESSION AUTHORIZATION r` before a grant made by another role, `ALTER DEFAULT PRIVILEGES FOR
/// ROLE r`, policies' `TO r`, user mappings `FOR r`). `PUBLIC` and the pseudo-roles are left out.
struct RoleReferences: Sendable, Hashable {
    var owners: Set<String> = []
    var grantees: Set<String> = []

    static let pseudoRoles: Set<String> = ["public", "current_user", "session_user", "current_role"]

    /// Collects from whole pg_dump outputs (no COPY data in them).
    mutating func collect(_ body: [UInt8]) throws {
        for statement in try SQLScriptSplitter.statements(in: body, source: "pg_dump") {
            add(SQLWords.tokens(statement.sql.utf8))
        }
    }

    mutating func add(_ tokens: [SQLWords.Token]) {
        let words = tokens.map { $0.keyword ?? "" }
        guard let first = words.first else { return }
        func roles(from start: Int) -> [String] {
            // A comma-separated list of role names, up to the first other keyword or `;`.
            var names: [String] = []
            var index = start
            while index < tokens.count {
                if case .word(let word) = tokens[index], !["GROUP"].contains(word.uppercased()) {
                    if ["WITH", "GRANTED", "CASCADE", "RESTRICT", "USING", "AS"].contains(word.uppercased()) { break }
                    names.append(word.lowercased())
                } else if case .quoted(let name) = tokens[index] {
                    names.append(name)
                } else if tokens[index] != .symbol(",") {
                    break
                }
                index += 1
            }
            return names.filter { !Self.pseudoRoles.contains($0) }
        }
        switch first {
        case "ALTER":
            if words.count >= 3, words[1] == "DEFAULT", words[2] == "PRIVILEGES" {
                if let forRole = words.firstIndex(of: "ROLE"), forRole + 1 < tokens.count { grantees.formUnion(roles(from: forRole + 1).prefix(1)) }
                if let to = words.lastIndex(of: "TO") { grantees.formUnion(roles(from: to + 1)) }
                if let from = words.lastIndex(of: "FROM") { grantees.formUnion(roles(from: from + 1)) }
                return
            }
            if let to = words.lastIndex(of: "TO"), to > 0, words[to - 1] == "OWNER" {
                owners.formUnion(roles(from: to + 1))
            }
        case "GRANT":
            if let to = words.lastIndex(of: "TO") { grantees.formUnion(roles(from: to + 1)) }
        case "REVOKE":
            if let from = words.lastIndex(of: "FROM") { grantees.formUnion(roles(from: from + 1)) }
        case "SET":
            if words.count >= 3, words[1] == "SESSION", words[2] == "AUTHORIZATION" { grantees.formUnion(roles(from: 3)) }
        case "CREATE":
            if words.count >= 2, words[1] == "POLICY", let to = words.firstIndex(of: "TO") { grantees.formUnion(roles(from: to + 1)) }
            if words.count >= 3, words[1] == "USER", words[2] == "MAPPING", let forIndex = words.firstIndex(of: "FOR") {
                grantees.formUnion(roles(from: forIndex + 1).prefix(1))
            }
        default:
            return
        }
    }

    var all: Set<String> { owners.union(grantees) }
}

/// `pg_dumpall --globals-only --no-role-passwords --no-tablespaces` filtered to the roles a backup
/// names: their `CREATE ROLE`, `ALTER ROLE … WITH …`, `ALTER ROLE … SET …` (also `IN DATABASE`),
/// `COMMENT ON ROLE` and memberships among them. The header (`SET` lines, `\restrict`) is kept.
enum GlobalsFilter {
    static func filter(_ body: [UInt8], roles: Set<String>) throws -> [UInt8] {
        let kept = try SQLScriptSplitter.statements(in: body, source: "pg_dumpall").map(\.sql)
            .filter { keep($0, roles: roles) }.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        let text = String(decoding: body, as: UTF8.self)
        let restrict = text.split(separator: "\n").first { $0.hasPrefix("\\restrict ") }
        let unrestrict = text.split(separator: "\n").first { $0.hasPrefix("\\unrestrict ") }
        var out = "--\n-- Roles the backup's objects name (pg_dumpall --globals-only --no-role-passwords, filtered).\n"
        out += "-- Not run by default: restore --create-roles runs it first, skipping roles that exist;\n"
        out += "-- by hand: tar -xOf BACKUP 0500-globals.sql.optional | psql -X -d postgres\n--\n\n"
        if let restrict { out += restrict + "\n\n" }
        out += kept.map { $0 + "\n" }.joined()
        if let unrestrict { out += "\n" + unrestrict + "\n" }
        return Array(out.utf8)
    }

    /// The role a globals statement is about, and whether it is kept.
    static func keep(_ sql: String, roles: Set<String>) -> Bool {
        let tokens = SQLWords.tokens(sql.utf8)
        let words = tokens.map { $0.keyword ?? "" }
        guard let first = words.first else { return false }
        func role(at index: Int) -> String? { index < tokens.count ? tokens[index].identifier : nil }
        switch first {
        case "SET": return true
        case "CREATE", "ALTER":
            guard words.count > 2, words[1] == "ROLE", let name = role(at: 2) else { return false }
            return roles.contains(name)
        case "COMMENT":
            guard words.count > 3, words[1] == "ON", words[2] == "ROLE", let name = role(at: 3) else { return false }
            return roles.contains(name)
        case "GRANT":
            // GRANT member_of TO role [WITH ADMIN OPTION] [GRANTED BY grantor]
            guard let to = words.firstIndex(of: "TO"), let granted = role(at: 1), let member = role(at: to + 1) else { return false }
            return roles.contains(granted) && roles.contains(member)
        default:
            return false
        }
    }
}
