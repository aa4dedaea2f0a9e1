/// Renders dump-plan items as a plain-format SQL member, each object under a pg_dump-style
/// `-- Name: …; Type: …; Schema: …` header, and records where each object's SQL lies so a restore can
/// pick objects (`--table`) or run them in parallel.
enum SchemaMemberRenderer {
    /// - Parameters:
    ///   - prefix: text before the first item (the preamble of the pre-data member).
    ///   - items: the objects, in order.
    static func render(prefix: String = "", items: [DumpPlan.Item]) -> (body: [UInt8], items: [BackupManifest.Item]) {
        var body = Array(prefix.utf8)
        var located: [BackupManifest.Item] = []
        for item in items {
            let header = "--\n-- Name: \(oneLine(item.name)); Type: \(oneLine(item.kind)); Schema: \(oneLine(item.schema ?? "-"))\n--\n\n"
            body.append(contentsOf: header.utf8)
            let sql = Array(item.sql.utf8)
            located.append(BackupManifest.Item(kind: item.kind, schema: item.schema, name: item.name,
                                               offset: Int64(body.count), length: Int64(sql.count)))
            body.append(contentsOf: sql)
            if sql.last != UInt8(ascii: "\n") { body.append(UInt8(ascii: "\n")) }
            body.append(UInt8(ascii: "\n"))
        }
        return (body, located)
    }

    /// Names may hold newlines; a comment line must not.
    private static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}
