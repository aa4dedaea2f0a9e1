/// One versioned schema change. The runner applies `sql` in a single transaction and records
/// `version`, `name` and a checksum of `sql` in `ops.schema_migrations`.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}
