import ArchiveIO
import Foundation
import Logging
import PGClient

/// What `restore` checks in a second before the checksum pass, so a restore that cannot work fails
/// before anything is read or touched (exit 2): the server's major version is the source's or newer;
/// the target is empty (or `--clean`); every role the backup's owners and grants name exists (unless
/// `--no-owner` / `--no-privileges` / `--create-roles`); the connecting role may create in the target
/// (with `--create`: may create databases, and the database does not exist yet).
enum RestorePreflight {
    static func check(target: PostgresConfiguration, manifest: BackupManifest, options: RestoreOptions, tableSelection: Bool) async throws {
        let database = target.database ?? ""
        let connection = try await PostgresConnection.connect(options.create ? try target.withDatabase("postgres") : target)
        try await connection.closing { connection in
            try await check(on: connection, target: target, database: database, manifest: manifest, options: options, tableSelection: tableSelection)
        }
    }

    private static func check(on connection: PostgresConnection, target: PostgresConfiguration, database: String, manifest: BackupManifest,
                              options: RestoreOptions, tableSelection: Bool) async throws {
        let version = try await connection.serverVersion()
        if version / 10000 < manifest.serverVersionNumber / 10000 {
            throw BackupError(.usage, "restore refused: the target server runs PostgreSQL \(version / 10000), older than the backup's source (\(manifest.serverVersionNumber / 10000)); restore onto PostgreSQL \(manifest.serverVersionNumber / 10000) or newer")
        }
        if let role = options.role {
            // The load runs as --role: so do the privilege checks.
            let exists = try await connection.query("SELECT 1 AS one FROM pg_catalog.pg_roles WHERE rolname = $1", [role]).first != nil
            guard exists || options.createRoles else {
                throw BackupError(.usage, "restore refused: --role \(quoteIfNeeded(role)) does not exist on the target server; create it, or leave out --role")
            }
            if exists {
                let connecting = try await connection.query("SELECT current_user AS name").first?["name"] ?? "?"
                do { try await connection.execute("SET ROLE \(try await connection.quoteIdentifier(role))") }
                catch {
                    throw BackupError(.usage, "restore refused: role \(quoteIfNeeded(connecting)) may not SET ROLE \(quoteIfNeeded(role)); GRANT \(quoteIfNeeded(role)) TO \(quoteIfNeeded(connecting)), or leave out --role")
                }
            }
        }
        let me = try await connection.query(Self.connectingRoleSQL, [database]).first
        let user = me?["name"] ?? "?"
        if options.create {
            guard me?["superuser"] == "t" || me?["createdb"] == "t" else {
                throw BackupError(.usage, "restore --create refused: role \(user) may not create databases; ALTER ROLE \(user) CREATEDB, or create \(database) yourself and restore without --create")
            }
            guard me?["target_exists"] == "f" else {
                throw BackupError(.targetNotEmpty, "restore --create refused: database \(database) already exists; restore into it without --create (with --clean to replace its contents)")
            }
        } else {
            guard me?["superuser"] == "t" || me?["create_here"] == "t" else {
                throw BackupError(.usage, "restore refused: role \(user) may not create schemas in database \(database); GRANT CREATE ON DATABASE \(database) TO \(user), or restore as the database owner")
            }
            // The dump creates its schemas, but `public`'s objects go into the target's own `public`
            // (recreated by --clean for the database owner).
            let inPublic = manifest.members.contains { $0.kind == .preData && ($0.items ?? []).contains { $0.schema == "public" && $0.kind != "SCHEMA" } }
            let mayCreateInPublic = options.clean ? me?["owner_member"] == "t" : (me?["create_public"] ?? "t") == "t"
            if inPublic && me?["superuser"] != "t" && !mayCreateInPublic {
                throw BackupError(.usage, "restore refused: role \(user) may not create in schema public of database \(database), where the backup has objects; GRANT CREATE ON SCHEMA public TO \(user), or restore as the database owner")
            }
            if !tableSelection && !options.clean {
                let objects = try await RestoreTarget(connection: connection).objectCount()
                if objects > 0 {
                    throw BackupError(.targetNotEmpty, "restore refused: \(target.redacted) is not empty (\(objects) objects); restore into an empty database, or pass --clean to drop its schemas first")
                }
            }
        }
        var needed = Set<String>()
        if !options.noOwner { needed.formUnion(manifest.ownerRoles ?? []) }
        if !options.noPrivileges { needed.formUnion(manifest.grantRoles ?? []) }
        if options.create && !options.noOwner, let owner = manifest.sourceDatabase?.owner { needed.insert(owner) }
        guard !needed.isEmpty else { return }
        let existing = Set(try await connection.query("SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = ANY($1::text[])",
                                                      [pgArray(needed.sorted())]).rows.map { try $0.decode(String.self, "rolname") })
        // --create-roles creates the missing ones from the backup's roles member.
        let missing = needed.subtracting(existing)
        guard !missing.isEmpty, !options.createRoles else { return }
        let names = missing.sorted().map(quoteIfNeeded).joined(separator: ", ")
        throw BackupError(.usage, "restore refused: role\(missing.count == 1 ? "" : "s") \(names) named by the backup's owners and grants do\(missing.count == 1 ? "es" : "") not exist on the target server; pass --create-roles (creates them from the backup's roles member), or --no-owner --no-privileges (objects owned by \(user), no grants), or create them first")
    }

    /// `{a,"b c"}` for a text[] parameter.
    static func pgArray(_ values: [String]) -> String {
        "{" + values.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }.joined(separator: ",") + "}"
    }

    static func quoteIfNeeded(_ name: String) -> String {
        name.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "_" }) && !(name.first?.isNumber ?? true) ? name
            : "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

}

/// Statements `restore` leaves out for `--no-owner` and `--no-privileges`, as pg_restore's `-O`/`-x`
/// leave out the TOC entries.
struct RestoreFilter: Sendable {
    var noOwner: Bool
    var noPrivileges: Bool

    var isActive: Bool { noOwner || noPrivileges }

    func skips(_ sql: String) -> Bool {
        guard isActive else { return false }
        let words = SQLWords.words(sql.utf8)
        guard let first = words.first else { return false }
        if noOwner, first == "ALTER", let to = words.lastIndex(of: "TO"), to > 0, words[to - 1] == "OWNER" { return true }
        if noPrivileges {
            if first == "GRANT" || first == "REVOKE" { return true }
            if first == "ALTER", words.count > 2, words[1] == "DEFAULT", words[2] == "PRIVILEGES" { return true }
            if (first == "SET" || first == "RESET"), words.count > 2, words[1] == "SESSION", words[2] == "AUTHORIZATION" { return true }
        }
        return false
    }
}

/// `--create-roles`: the backup's roles member, run statement by statement before anything else;
/// roles that exist already are left exactly as they are (their `ALTER ROLE`/`COMMENT` skipped too).
enum RoleCreator {
    static func run(_ body: [UInt8], on connection: PostgresConnection, logger: Logger) async throws -> (created: [String], skipped: [String]) {
        let statements = try SQLScriptSplitter.statements(in: body, source: BackupManifest.globalsMemberName).map(\.sql)
        let existing = Set(try await connection.query("SELECT rolname FROM pg_catalog.pg_roles").rows.map { try $0.decode(String.self, "rolname") })
        var created: [String] = [], skipped: [String] = []
        for sql in statements {
            let tokens = SQLWords.tokens(sql.utf8)
            let words = tokens.map { $0.keyword ?? "" }
            guard let first = words.first else { continue }
            var role: String?
            if (first == "CREATE" || first == "ALTER"), words.count > 2, words[1] == "ROLE" { role = tokens[2].identifier }
            if first == "COMMENT", words.count > 3, words[2] == "ROLE" { role = tokens[3].identifier }
            if let role, existing.contains(role) {
                if first == "CREATE" { skipped.append(role) }
                continue
            }
            do {
                try await connection.execute(sql)
                if first == "CREATE", let role { created.append(role) }
            } catch let error as PostgresError where first == "GRANT" || (first == "ALTER" && words.contains("DATABASE")) {
                // A membership granted by a role that is not here, a setting for a database that is not.
                logger.warning("--create-roles: statement skipped", metadata: ["statement": "\(ScriptRunner.redactedPreview(sql))", "error": "\(error)"])
            }
        }
        return (created, skipped)
    }
}
