import Backup
import OpsCore
import Testing

@Suite("Backup: --exclude-table-data patterns")
struct SchemaTableNamePatternTests {
    /// The regular expressions pg_dump's processSQLNamePattern builds for the same patterns.
    @Test(arguments: [
        ("files", nil, "^(files)$"),
        ("Files", nil, "^(files)$"),
        ("\"Files\"", nil, "^(Files)$"),
        ("public.batch_*", "^(public)$", "^(batch_.*)$"),
        ("logs_20??", nil, "^(logs_20..)$"),
        ("\"Mixed Case\".\"Tab\"\"le\"", "^(Mixed Case)$", "^(Tab\"le)$"),
        ("\"a.b*\"", nil, "^(a\\.b\\*)$"),
        ("batch$x", nil, "^(batch\\$x)$"),
        ("t[0-9]", nil, "^(t[0-9])$"),
        ("\"Mixed Case\".*", "^(Mixed Case)$", "^(.*)$"),
        ("t[]", nil, "^(t\\[])$"),
    ] as [(String, String?, String)])
    func patternsTranslateToPgDumpsRegularExpressions(pattern: String, schema: String?, name: String) throws {
        let parsed = try TableNamePattern(pattern)
        #expect(parsed.schemaRegex == schema)
        #expect(parsed.nameRegex == name)
        #expect(parsed.databaseName == nil)
    }

    @Test(arguments: [
        ("public.batch_*", "public", "batch_requests", true),
        ("public.batch_*", "public", "batches", false),
        ("public.batch_*", "Public", "batch_requests", false),
        ("FILES", "public", "files", true),
        ("FILES", "public", "Files", false),
        ("\"Files\"", "public", "Files", true),
        ("logs_20??", "other", "logs_2024", true),
        ("logs_20??", "other", "logs_20245", false),
        ("\"a.b\"", "public", "a.b", true),
        ("\"a.b\"", "public", "axb", false),
        ("a.b", "a", "b", true),
        ("\"Mixed Case\".\"Tab\"\"le\"", "Mixed Case", "Tab\"le", true),
        ("batch$x", "public", "batch$x", true),
    ] as [(String, String, String, Bool)])
    func patternsMatchWholeNamesOnly(pattern: String, schema: String, name: String, matches: Bool) throws {
        let parsed = try TableNamePattern(pattern)
        func matchesWhole(_ regex: String?, _ text: String) throws -> Bool {
            guard let regex else { return true }
            return try Regex(regex).firstMatch(in: text) != nil
        }
        #expect(try (matchesWhole(parsed.schemaRegex, schema) && matchesWhole(parsed.nameRegex, name)) == matches)
    }

    /// pg_dump's `other.` excludes nothing: the empty name part only matches an empty name.
    @Test func anEmptyPartMatchesOnlyAnEmptyName() throws {
        let schemaOnly = try TableNamePattern("other.")
        #expect(schemaOnly.schemaRegex == "^(other)$")
        #expect(schemaOnly.nameRegex == "^()$")
        #expect(try Regex(schemaOnly.nameRegex).firstMatch(in: "logs") == nil)
    }

    @Test func aThreePartPatternNamesTheDatabase() throws {
        let parsed = try TableNamePattern("\"My DB\".public.files")
        #expect(parsed.databaseName == "My DB")
        #expect(parsed.schemaRegex == "^(public)$")
        #expect(parsed.nameRegex == "^(files)$")
    }

    @Test func moreThanThreePartsIsAUsageError() {
        #expect(throws: OpsError.self) { try TableNamePattern("a.b.c.d") }
    }
}
