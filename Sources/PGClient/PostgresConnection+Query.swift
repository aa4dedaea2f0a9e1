import CLibPQ
import Foundation

extension PostgresConnection {
    /// Runs one statement with bound parameters (`$1`, `$2`, …) via `PQexecParams`; values are never
    /// spliced into SQL text.
    ///
    /// - Parameters:
    ///   - sql: a single statement.
    ///   - parameters: values for `$1…$n`; `nil` binds SQL NULL.
    /// - Returns: the rows (empty for commands) and the affected-row count.
    @discardableResult
    package func query(_ sql: String, _ parameters: [(any PostgresEncodable)?] = []) async throws -> PostgresResult {
        let texts: [String?] = parameters.map { $0?.postgresText }
        return try await withConnection { conn in
            let result: OpaquePointer? = withOptionalCStringArray(texts) { values in
                PQexecParams(conn, sql, Int32(texts.count), nil, values, nil, nil, 0)
            }
            defer { PQclear(result) }
            return try self.materialize(result, conn: conn)
        }
    }

    /// Runs one or more statements without parameters (simple query protocol), e.g. a migration.
    package func execute(_ sql: String) async throws {
        try await withConnection { conn in
            let result = PQexec(conn, sql)
            defer { PQclear(result) }
            _ = try self.materialize(result, conn: conn)
        }
    }

    /// Quotes an identifier with `PQescapeIdentifier` (e.g. `Files` → `"Files"`).
    package func quoteIdentifier(_ identifier: String) async throws -> String {
        try await withConnection { conn in
            let utf8 = Array(identifier.utf8)
            let escaped = utf8.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { PQescapeIdentifier(conn, $0.baseAddress, buffer.count) }
            }
            guard let escaped else { throw self.error(from: nil, conn: conn, context: "cannot quote identifier") }
            defer { PQfreemem(escaped) }
            return String(cString: escaped)
        }
    }

    /// Quotes a string literal with `PQescapeLiteral`, for the few statements that take no bound
    /// parameters (`CREATE DATABASE … ENCODING 'UTF8'`): `it's` → `'it''s'`.
    package func quoteLiteral(_ value: String) async throws -> String {
        try await withConnection { conn in
            let utf8 = Array(value.utf8)
            let escaped = utf8.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { PQescapeLiteral(conn, $0.baseAddress, buffer.count) }
            }
            guard let escaped else { throw self.error(from: nil, conn: conn, context: "cannot quote literal") }
            defer { PQfreemem(escaped) }
            return String(cString: escaped)
        }
    }

    /// Quotes a schema-qualified name, each part with `PQescapeIdentifier` (`"Public"."Files"`).
    package func quoteQualifiedName(schema: String, name: String) async throws -> String {
        "\(try await quoteIdentifier(schema)).\(try await quoteIdentifier(name))"
    }

    /// Copies a libpq result into Swift values, or throws the server's error.
    func materialize(_ result: OpaquePointer?, conn: OpaquePointer) throws -> PostgresResult {
        guard let result else { throw error(from: nil, conn: conn) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return PostgresResult(columns: [], types: [], rows: [], affectedRows: Int(String(cString: PQcmdTuples(result))))
        case PGRES_TUPLES_OK:
            let columnCount = Int(PQnfields(result))
            let rowCount = Int(PQntuples(result))
            let columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
            let types = (0..<columnCount).map { UInt32(PQftype(result, Int32($0))) }
            var rows: [[String?]] = []
            rows.reserveCapacity(rowCount)
            for row in 0..<Int32(rowCount) {
                var values: [String?] = []
                values.reserveCapacity(columnCount)
                for column in 0..<Int32(columnCount) {
                    if PQgetisnull(result, row, column) == 1 {
                        values.append(nil)
                    } else {
                        let length = Int(PQgetlength(result, row, column))
                        let pointer = PQgetvalue(result, row, column)!
                        values.append(pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
                            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
                        })
                    }
                }
                rows.append(values)
            }
            return PostgresResult(columns: columns, types: types, rows: rows, affectedRows: rowCount)
        default:
            throw error(from: result, conn: conn)
        }
    }
}

/// NULL-terminated is not needed here: `PQexecParams` takes a count; NULL entries bind SQL NULL.
func withOptionalCStringArray<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let duplicated: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } ?? nil }
    defer { duplicated.forEach { free($0) } }
    let pointers: [UnsafePointer<CChar>?] = duplicated.map { $0.map { UnsafePointer($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}
