/// What the reading thread of a restore hands to the connections, in script order.
enum RestoreEvent: Sendable {
    /// The events that follow come from this member or file (for error messages).
    case source(String)
    /// Run on the main connection, in order.
    case script(ScriptEvent)
    /// One self-contained data member, loaded by whichever connection is free (`--jobs`).
    case data(DataBlock)
    /// Post-data statements, run in parallel where they touch different tables (`--jobs`).
    case statements([ScriptStatement])
}

/// A whole `COPY … FROM stdin` block of a data member, in memory (bounded by the member size).
struct DataBlock: Sendable {
    var source: String
    /// The table (`schema.name`): its members load one after another, so rows keep their order.
    var table: String?
    var copySQL: String
    /// The member's whole body; the rows are `body[rows]`.
    var body: [UInt8]
    var rows: Range<Int>
}

/// A statement and where it came from.
struct ScriptStatement: Sendable {
    var sql: String
    var line: Int
    var source: String
}
