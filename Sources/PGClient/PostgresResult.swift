import Foundation

/// The rows of a query, as text (libpq's text format), with typed accessors.
package struct PostgresResult: Sendable {
    package let columns: [String]
    /// Column type OIDs.
    package let types: [UInt32]
    package let rows: [PostgresRow]
    /// Rows affected by a command (`PQcmdTuples`), or returned by a query.
    package let affectedRows: Int?

    init(columns: [String], types: [UInt32], rows: [[String?]], affectedRows: Int?) {
        self.columns = columns
        self.types = types
        let index = Dictionary(columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        self.rows = rows.map { PostgresRow(values: $0, columnIndex: index) }
        self.affectedRows = affectedRows
    }

    package var first: PostgresRow? { rows.first }
}

/// One row; values are decoded on access.
package struct PostgresRow: Sendable {
    package let values: [String?]
    let columnIndex: [String: Int]

    /// The raw text of a column, `nil` for SQL NULL.
    package subscript(_ column: String) -> String? {
        guard let index = columnIndex[column] else { return nil }
        return values[index]
    }

    /// Decodes a column; throws `.decoding` naming the column when the value does not fit.
    package func decode<T: PostgresDecodable>(_ type: T.Type = T.self, _ column: String) throws -> T {
        guard let index = columnIndex[column] else {
            throw PostgresError(.decoding, "result has no column '\(column)'")
        }
        return try decode(type, at: index, name: column)
    }

    package func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at index: Int) throws -> T {
        try decode(type, at: index, name: "#\(index)")
    }

    private func decode<T: PostgresDecodable>(_ type: T.Type, at index: Int, name: String) throws -> T {
        guard values.indices.contains(index) else { throw PostgresError(.decoding, "result has no column \(name)") }
        guard let value = T.decode(postgresText: values[index]) else {
            throw PostgresError(.decoding, "column \(name): cannot read \(values[index].map { "'\($0.prefix(40))'" } ?? "NULL") as \(T.self)")
        }
        return value
    }
}
