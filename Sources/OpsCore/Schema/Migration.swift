/// One versioned schema change. The runner applies `sql` in a single transaction and records
/// `version`, `name` and a checksum of `sql` in `ops.schema_migrations`.
package struct Migration: Sendable {
    package let version: Int
    package let name: String
    package let sql: String

    package init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}
