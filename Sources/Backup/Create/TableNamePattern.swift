import OpsCore

/// A pg_dump/psql object-name pattern (`--exclude-table-data PATTERN`), translated the way pg_dump's
/// `processSQLNamePattern` does, into anchored POSIX regular expressions the server evaluates with `~`.
///
/// - Outside double quotes letters fold to lower case, `*` means any run of characters, `?` any one
///   character, `.` separates schema from name, and other regular-expression characters keep their
///   meaning (psql's "advanced users" rule: `[0-9]` is a character class), except `$` and `[]`, matched
///   literally.
/// - Inside double quotes everything is literal and case is kept; `""` is one quote character.
/// - `db.schema.name` is accepted when `db` is the database being dumped, as pg_dump does.
/// - A part left empty (`schema.` or `.name`) matches only the empty name, so nothing. With no schema
///   part, pg_dump matches only tables visible in the default `search_path` (`pg_table_is_visible`), and
///   so does the dumper.
package struct TableNamePattern: Sendable, Hashable {
    /// The pattern as given, for messages.
    package let pattern: String
    /// The database part of a three-part pattern, literally (pg_dump requires it to name the dumped database).
    package let databaseName: String?
    /// `^(…)$` for the schema, or nil when the pattern has no schema part.
    package let schemaRegex: String?
    /// `^(…)$` for the relation name.
    package let nameRegex: String

    /// - Parameters:
    ///   - pattern: e.g. `files`, `public.batch_*`, `"Mixed Case"."Tab""le"`.
    /// - Throws: `OpsError(.usage)` for more than three dotted parts.
    package init(_ pattern: String) throws {
        self.pattern = pattern
        var parts: [String] = []
        var literals: [String] = []
        var current = ""
        var literal = ""
        var inQuotes = false
        let characters = Array(pattern)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character == "\"" {
                if inQuotes, index + 1 < characters.count, characters[index + 1] == "\"" {
                    current.append("\"")
                    literal.append("\"")
                    index += 1
                } else {
                    inQuotes.toggle()
                }
            } else if !inQuotes, character.isASCII, character.isUppercase {
                current.append(Character(character.lowercased()))
                literal.append(Character(character.lowercased()))
            } else if !inQuotes, character == "*" {
                current.append(".*")
                literal.append(character)
            } else if !inQuotes, character == "?" {
                current.append(".")
                literal.append(character)
            } else if !inQuotes, character == "." {
                parts.append(current)
                literals.append(literal)
                current = ""
                literal = ""
            } else if character == "$" {
                current.append("\\$")
                literal.append(character)
            } else {
                if inQuotes, "|*+?()[]{}.^$\\".contains(character) {
                    current.append("\\")
                } else if character == "[", index + 1 < characters.count, characters[index + 1] == "]" {
                    // pg_dump takes `[]` for an array type name, not an empty bracket expression.
                    current.append("\\")
                }
                current.append(character)
                literal.append(character)
            }
            index += 1
        }
        parts.append(current)
        guard parts.count <= 3 else {
            throw OpsError(.usage, "improper qualified name (too many dotted names): \(pattern)")
        }
        func anchored(_ body: String) -> String { "^(\(body))$" }
        nameRegex = anchored(parts[parts.count - 1])
        schemaRegex = parts.count >= 2 ? anchored(parts[parts.count - 2]) : nil
        databaseName = parts.count == 3 ? literals[0] : nil
    }
}
