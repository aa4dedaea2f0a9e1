import CLibPQ
import Dispatch
import Foundation
import OpsSupport

/// One libpq connection.
///
/// `@unchecked Sendable` because every use of the `PGconn` is confined to `queue`, a private serial
/// dispatch queue: libpq's calls block, so they never run on Swift's cooperative pool, and the serial
/// queue gives the one-at-a-time access a `PGconn` requires. Cancelling the awaiting task sends a
/// cancel request (`PQcancel`, thread-safe by design) for the statement in flight.
package final class PostgresConnection: @unchecked Sendable {
    package let configuration: PostgresConfiguration
    private let queue: DispatchQueue
    /// Accessed only on `queue`.
    private var conn: OpaquePointer?
    /// Created at connect; used from any thread by `PQcancel`.
    private let cancelHandle: CancelHandle

    private init(configuration: PostgresConfiguration, conn: OpaquePointer, queue: DispatchQueue) {
        self.configuration = configuration
        self.conn = conn
        self.queue = queue
        self.cancelHandle = CancelHandle(PQgetCancel(conn))
    }

    deinit {
        if let conn { PQfinish(conn) }
    }

    /// Opens a connection (client encoding UTF8), sets the session to UTC and ISO dates, and silences
    /// server notices.
    ///
    /// - Parameters:
    ///   - configuration: the target.
    /// - Throws: `PostgresError` `.connectionFailed` or `.authenticationFailed`, naming the server
    ///   without its password.
    package static func connect(_ configuration: PostgresConfiguration) async throws -> PostgresConnection {
        let queue = DispatchQueue(label: "auto-i18n-ops.postgres")
        let conn: UnsafeTransfer<OpaquePointer> = try await withCheckedThrowingContinuation { continuation in
            queue.async {
                do { continuation.resume(returning: UnsafeTransfer(try openConnection(configuration))) }
                catch { continuation.resume(throwing: error) }
            }
        }
        let connection = PostgresConnection(configuration: configuration, conn: conn.value, queue: queue)
        // The same session settings pg_dump uses (DateStyle ISO, extra_float_digits 3), so COPY text is
        // byte-for-byte what pg_dump would write; UTC so timestamps decode without a zone lookup.
        try await connection.execute("SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 3")
        return connection
    }

    private static func openConnection(_ configuration: PostgresConfiguration) throws -> OpaquePointer {
        let params = configuration.connectParameters
        let conn: OpaquePointer? = withCStringArray(params.map(\.0)) { keywords in
            withCStringArray(params.map(\.1)) { values in
                PQconnectdbParams(keywords, values, 1)
            }
        }
        guard let conn else {
            throw PostgresError(.connectionFailed, "cannot connect to PostgreSQL at \(configuration.redacted): out of memory")
        }
        guard PQstatus(conn) == CONNECTION_OK else {
            let raw = configuration.scrub(String(cString: PQerrorMessage(conn)))
            PQfinish(conn)
            let reason = raw.split(whereSeparator: \.isNewline).map { $0.trimmingWhitespaceSubstring() }
                .filter { !$0.isEmpty }.joined(separator: "; ")
            let auth = raw.contains("password authentication failed") || raw.contains("no password supplied")
                || raw.contains("authentication failed")
            // libpq validates some options only when connecting ("invalid integer value … for connection option").
            let badOption = raw.contains("connection option") || raw.contains("invalid sslmode") || raw.contains("invalid URI")
            throw PostgresError(badOption ? .invalidConfiguration : auth ? .authenticationFailed : .connectionFailed,
                                "cannot connect to PostgreSQL at \(configuration.redacted): \(reason)")
        }
        // Notices (e.g. "relation already exists, skipping") would otherwise go to stderr.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        return conn
    }

    /// Closes the connection; later calls fail with `.closed`.
    package func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                if let conn = self.conn { PQfinish(conn) }
                self.conn = nil
                continuation.resume()
            }
        }
    }

    /// Runs `body` with this connection, then closes it whatever `body` did (returned, threw, was cancelled).
    package func closing<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let result: Result<T, any Error>
        do { result = .success(try await body(self)) } catch { result = .failure(error) }
        await close()
        return try result.get()
    }

    /// The server's version number, e.g. 150018 for 15.18.
    package func serverVersion() async throws -> Int {
        try await withConnection { conn in Int(PQserverVersion(conn)) }
    }

    /// Runs `body` with the raw connection on the connection's queue. The single funnel for C calls.
    ///
    /// Cancelling the calling task sends a cancel request for whatever statement `body` is running.
    func withConnection<T>(_ body: (OpaquePointer) throws -> T) async throws -> T {
        try await withoutActuallyEscaping(body) { escapable in
            // The box lets the queued block drop the closure before resuming the caller, so the
            // closure has not escaped when `withoutActuallyEscaping` returns.
            let box = ClosureBox(escapable)
            let cancelHandle = self.cancelHandle
            // A cancel that arrives while the call still waits for the queue would find no statement on
            // the server to cancel; the flag makes the queued call give up before it starts instead.
            let cancelled = LockedBox(false)
            return try await withTaskCancellationHandler {
                try Task.checkCancellation()
                let result: UnsafeTransfer<T> = try await withCheckedThrowingContinuation { continuation in
                    self.queue.async {
                        guard let conn = self.conn else {
                            _ = box.take()
                            continuation.resume(throwing: PostgresError(.closed, "the PostgreSQL connection to \(self.configuration.redacted) is closed"))
                            return
                        }
                        guard !cancelled.current else {
                            _ = box.take()
                            continuation.resume(throwing: PostgresError(.cancelled, "statement cancelled"))
                            return
                        }
                        let outcome = Result { UnsafeTransfer(try box.invoke(conn)) }
                        continuation.resume(with: outcome)
                    }
                }
                return result.value
            } onCancel: {
                cancelled.withLock { $0 = true }
                cancelHandle.cancel()
            }
        }
    }

    /// Asks the server to cancel the statement in flight (safe from any thread).
    func cancelRunningStatement() { cancelHandle.cancel() }

    /// Builds the error for a failed command, telling a broken connection from a server error.
    func error(from result: OpaquePointer?, conn: OpaquePointer, context: String? = nil) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let result, let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return configuration.scrub(String(cString: value))
        }
        let prefix = context.map { "\($0): " } ?? ""
        if PQstatus(conn) == CONNECTION_BAD {
            let raw = configuration.scrub(String(cString: PQerrorMessage(conn))).trimmingWhitespace()
            return PostgresError(.connectionLost, "\(prefix)lost the connection to PostgreSQL at \(configuration.redacted): \(raw.isEmpty ? "server closed the connection" : raw)")
        }
        let sqlState = field("C")
        let message = field("M") ?? configuration.scrub(String(cString: PQerrorMessage(conn))).trimmingWhitespace()
        if sqlState == "57014" && message.contains("user request") {
            return PostgresError(.cancelled, "\(prefix)statement cancelled", sqlState: sqlState)
        }
        return PostgresError(.server, prefix + message, sqlState: sqlState, detail: field("D"), hint: field("H"))
    }
}

/// Holds the caller's closure while it is queued; `invoke` runs it once and drops it.
private final class ClosureBox<T>: @unchecked Sendable {
    private var body: ((OpaquePointer) throws -> T)?
    init(_ body: @escaping (OpaquePointer) throws -> T) { self.body = body }
    func take() -> ((OpaquePointer) throws -> T)? {
        defer { body = nil }
        return body
    }
    func invoke(_ conn: OpaquePointer) throws -> T {
        guard let body = take() else { preconditionFailure("closure invoked twice") }
        return try body(conn)
    }
}

/// Owns a `PGcancel`; `PQcancel` may be called from any thread while the connection is busy.
private final class CancelHandle: @unchecked Sendable {
    private let handle: OpaquePointer?
    init(_ handle: OpaquePointer?) { self.handle = handle }
    deinit { if let handle { PQfreeCancel(handle) } }
    func cancel() {
        guard let handle else { return }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(handle, &buffer, Int32(buffer.count))
    }
}

extension Substring {
    func trimmingWhitespaceSubstring() -> String { String(self).trimmingWhitespace() }
}

/// Calls `body` with a NULL-terminated `char *const *` made from `strings`.
func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let duplicated: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { duplicated.forEach { free($0) } }
    let pointers: [UnsafePointer<CChar>?] = duplicated.map { $0.map { UnsafePointer($0) } } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

extension Array where Element == PostgresConnection {
    /// Runs `body` with these connections, then closes all of them whatever `body` did.
    package func closing<T>(_ body: ([PostgresConnection]) async throws -> T) async throws -> T {
        let result: Result<T, any Error>
        do { result = .success(try await body(self)) } catch { result = .failure(error) }
        for connection in self { await connection.close() }
        return try result.get()
    }
}
