import CLibPQ

extension PostgresConnection {
    /// Streams `COPY … TO STDOUT`: each chunk libpq returns (one row, for text COPY) is handed to
    /// `consumer` and freed right after, so memory stays bounded whatever the table size.
    ///
    /// `consumer` runs on the connection's dedicated thread; a throw from it stops the COPY (the
    /// connection is reset by cancelling the statement and draining it).
    ///
    /// - Returns: the number of rows copied.
    @discardableResult
    package func copyOut(_ sql: String, consumer: (UnsafeRawBufferPointer) throws -> Void) async throws -> Int64 {
        try await withConnection { conn in
            let start = PQexec(conn, sql)
            defer { PQclear(start) }
            guard let start, PQresultStatus(start) == PGRES_COPY_OUT else {
                _ = try self.materialize(start, conn: conn)
                throw PostgresError(.copyFailed, "expected COPY TO STDOUT, got another kind of statement")
            }
            var consumerError: (any Error)?
            while true {
                var buffer: UnsafeMutablePointer<CChar>?
                let length = PQgetCopyData(conn, &buffer, 0)
                if length > 0, let buffer {
                    defer { PQfreemem(buffer) }
                    if consumerError == nil {
                        do { try consumer(UnsafeRawBufferPointer(start: buffer, count: Int(length))) }
                        catch {
                            consumerError = error
                            self.cancelRunningStatement()
                        }
                    }
                } else if length == -1 {
                    break
                } else {
                    throw self.error(from: nil, conn: conn, context: "COPY TO STDOUT failed")
                }
            }
            do {
                let rows = try self.drainResults(conn: conn)
                if let consumerError { throw consumerError }
                return rows
            } catch {
                throw consumerError ?? error
            }
        }
    }

    /// Streams `COPY … FROM STDIN`: `producer` is called until it returns `nil`; each chunk is sent
    /// with `PQputCopyData` (libpq buffers and flushes), so memory stays bounded.
    ///
    /// `producer` runs on the connection's dedicated thread. A throw from it aborts the COPY
    /// (`PQputCopyEnd` with an error message), and the server rolls the COPY back.
    ///
    /// - Returns: the number of rows loaded.
    @discardableResult
    package func copyIn(_ sql: String, producer: () throws -> [UInt8]?) async throws -> Int64 {
        try await withConnection { conn in
            let start = PQexec(conn, sql)
            defer { PQclear(start) }
            guard let start, PQresultStatus(start) == PGRES_COPY_IN else {
                _ = try self.materialize(start, conn: conn)
                throw PostgresError(.copyFailed, "expected COPY FROM STDIN, got another kind of statement")
            }
            var producerError: (any Error)?
            while producerError == nil {
                let chunk: [UInt8]?
                do { chunk = try producer() } catch { producerError = error; break }
                guard let chunk else { break }
                if chunk.isEmpty { continue }
                let sent = chunk.withUnsafeBufferPointer { buffer in
                    buffer.withMemoryRebound(to: CChar.self) { PQputCopyData(conn, $0.baseAddress, Int32($0.count)) }
                }
                if sent != 1 { break }  // the error is reported by the final result
            }
            let abortMessage = producerError.map { "aborted by client: \($0)" }
            _ = PQputCopyEnd(conn, abortMessage)
            do {
                let rows = try self.drainResults(conn: conn)
                if let producerError { throw producerError }
                return rows
            } catch {
                throw producerError ?? error
            }
        }
    }

    /// Reads the results that follow a COPY; returns its row count or throws its error.
    private func drainResults(conn: OpaquePointer) throws -> Int64 {
        var rows: Int64 = 0
        var failure: PostgresError?
        while let result = PQgetResult(conn) {
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_COMMAND_OK:
                rows = Int64(String(cString: PQcmdTuples(result))) ?? 0
            case PGRES_COPY_IN:
                // Should not happen once PQputCopyEnd was sent; end it to avoid looping.
                _ = PQputCopyEnd(conn, "unexpected COPY IN state")
            default:
                if failure == nil { failure = self.error(from: result, conn: conn) }
            }
            if PQstatus(conn) == CONNECTION_BAD { break }
        }
        if PQstatus(conn) == CONNECTION_BAD { throw self.error(from: nil, conn: conn) }
        if let failure { throw failure }
        return rows
    }
}
