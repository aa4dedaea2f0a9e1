import Foundation
import OpsCore
import OpsSupport

/// COPY producers for a session's batch requests, one JSONL line at a time (bounded memory whatever
/// the file's size). Each line must be valid UTF-8 and a JSON object with a string `custom_id`;
/// the line's JSON goes to PostgreSQL as it is (jsonb parses it once more on the server).
///
/// - Input rows (`input.jsonl`): batch_key, custom_id, request, source, line.
/// - Result rows (`*_output.jsonl`, `*_error.jsonl`): batch_key, custom_id, response, error, status,
///   source, line; status by ``RequestStatus``.
package final class RequestRowStream {
    package enum Kind: Sendable { case input, results }

    private let root: String
    private let kind: Kind
    private let progress: ImportProgress?
    /// (batch key, path relative to the tree).
    private let sources: [(String, String)]
    private var index = 0
    private var reader: JSONLReader?
    private var buffer = CopyBuffer()
    package private(set) var lines = 0
    /// Bytes of the current file already counted in the progress.
    private var reported: Int64 = 0

    package init(root: String, batches: [SessionPlan.PlannedBatch], kind: Kind, progress: ImportProgress?) {
        self.root = root
        self.kind = kind
        self.progress = progress
        switch kind {
        case .input: sources = batches.compactMap { batch in batch.input.map { (batch.folder, $0) } }
        case .results: sources = batches.flatMap { batch in (batch.outputs + batch.errors).map { (batch.folder, $0) } }
        }
    }

    package func next() throws -> [UInt8]? {
        while !buffer.isFull {
            if reader == nil {
                guard index < sources.count else { break }
                do { reader = try JSONLReader(path: root + "/" + sources[index].1, source: sources[index].1) }
                catch var refusal as ImportRefusal {
                    refusal.file = sources[index].1
                    throw refusal
                }
            }
            let (batch, source) = sources[index]
            guard let line = try reader!.next() else {
                progress?.add(files: 1, bytes: reader!.bytesRead - reported)
                reported = 0
                reader = nil
                index += 1
                continue
            }
            try row(line, batch: batch, source: source, number: reader!.lineNumber)
            lines += 1
        }
        if let reader {
            progress?.add(bytes: reader.bytesRead - reported)
            reported = reader.bytesRead
        }
        return buffer.isEmpty ? nil : buffer.take()
    }

    private func row(_ line: UnsafeRawBufferPointer, batch: String, source: String, number: Int) throws {
        let fields = try Self.parse(line, kind: kind, source: source, number: number)
        buffer.field(batch); buffer.tab()
        buffer.field(fields.customId); buffer.tab()
        switch kind {
        case .input:
            buffer.escape(line)
        case .results:
            if let response = fields.response { buffer.escape(UnsafeRawBufferPointer(rebasing: line[response])) } else { buffer.null() }
            buffer.tab()
            if let error = fields.error { buffer.escape(UnsafeRawBufferPointer(rebasing: line[error])) } else { buffer.null() }
            buffer.tab()
            buffer.field(fields.status.rawValue)
        }
        buffer.tab()
        buffer.field(source); buffer.tab()
        buffer.field(String(number))
        buffer.endRow()
    }

    package struct LineFields: Sendable, Equatable {
        package var customId: String
        /// Byte ranges in the line of `response` and `error`, nil when absent or JSON null.
        package var response: Range<Int>?
        package var error: Range<Int>?
        package var status: RequestStatus
    }

    /// Checks one line and finds what the row needs (exposed for the unit tests and the fuzz test).
    package static func parse(_ line: UnsafeRawBufferPointer, kind: Kind, source: String, number: Int) throws -> LineFields {
        var validator = UTF8Validator()
        guard validator.feed(line), validator.finish() else {
            throw ImportRefusal(file: source, line: number, "is not valid UTF-8 (byte \(validator.firstInvalidOffset ?? 0) of the line)")
        }
        let bytes = line.bindMemory(to: UInt8.self)
        let members: [String: Range<Int>]
        do { members = try JSONScanner.objectMembers(bytes) } catch {
            throw ImportRefusal(file: source, line: number, "invalid JSON at column \(error.offset + 1): \(error.message)")
        }
        func value(_ range: Range<Int>) -> JSONValue? {
            try? JSONScanner.parse(UnsafeBufferPointer(rebasing: bytes[range]))
        }
        func present(_ key: String) -> Range<Int>? {
            guard let range = members[key] else { return nil }
            return bytes[range.lowerBound] == UInt8(ascii: "n") ? nil : range
        }
        guard let idRange = members["custom_id"], case .string(let customId)? = value(idRange), !customId.isEmpty else {
            throw ImportRefusal(file: source, line: number, "has no \"custom_id\" string")
        }
        guard kind == .results else { return LineFields(customId: customId, response: nil, error: nil, status: .pending) }
        let response = present("response"), error = present("error")
        var statusCode: Int64?
        if let response {
            guard bytes[response.lowerBound] == UInt8(ascii: "{") else {
                throw ImportRefusal(file: source, line: number, "\"response\" must be an object or null")
            }
            let inner = (try? JSONScanner.objectMembers(UnsafeBufferPointer(rebasing: bytes[response]))) ?? [:]
            if let code = inner["status_code"].map({ $0.offset(by: response.lowerBound) }) {
                guard let number = value(code)?.intValue else {
                    throw ImportRefusal(file: source, line: number, "\"response.status_code\" must be a whole number")
                }
                statusCode = number
            }
        }
        return LineFields(customId: customId, response: response, error: error,
                          status: RequestStatus.of(statusCode: statusCode, hasError: error != nil))
    }
}

extension Range where Bound == Int {
    func offset(by delta: Int) -> Range<Int> { (lowerBound + delta)..<(upperBound + delta) }
}
