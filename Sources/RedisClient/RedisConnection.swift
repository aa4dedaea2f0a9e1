import CHiredis
import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// One blocking hiredis connection, driven from async code.
///
/// ## Errors and replies
/// ``command(_:)`` throws an error reply as ``RedisError`` with code ``RedisError/Code/serverError``
/// (``RedisError/Code/authenticationFailed`` for `NOAUTH` / `WRONGPASS`); the connection stays usable.
/// ``pipeline(_:)`` instead returns error replies inline as ``RedisReply/error(_:)``, so one failing
/// command does not hide the others' results. Timeouts and I/O failures are thrown by both and leave
/// the connection unusable (hiredis cannot resynchronise a half-read stream) until ``reconnect()``.
///
/// ## Concurrency
/// Every hiredis call blocks its thread (connect, write, read up to the command timeout), so none
/// may run on Swift's cooperative thread pool. Each connection owns a private serial `DispatchQueue`;
/// all hiredis calls and all access to the mutable state below (`context`, `failure`, `isClosed`)
/// happen on that queue, and async callers wait on a continuation. That confinement is why the class
/// is `@unchecked Sendable`: concurrent callers are serialised, in call order, not raced.
/// A command that is already running cannot be cancelled; it ends at the latest at the command timeout.
package final class RedisConnection: @unchecked Sendable {
    /// The URL this connection was opened with (its description masks the password).
    package let url: RedisURL
    package let connectTimeout: Duration
    package let commandTimeout: Duration

    private let queue: DispatchQueue
    /// Confined to `queue`. Non-nil from a successful `redisConnectWithTimeout` until `close()`.
    private var context: UnsafeMutablePointer<redisContext>?
    /// Confined to `queue`. The context-level error that made the connection unusable, if any.
    private var failure: RedisError?
    /// Confined to `queue`.
    private var isClosed = false

    private init(url: RedisURL, connectTimeout: Duration, commandTimeout: Duration) {
        self.url = url
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.queue = DispatchQueue(label: "RedisConnection \(url.server)")
    }

    deinit {
        // No block can be pending: each one retains `self`.
        if let context { redisFree(context) }
    }

    /// Opens a connection: TCP connect, command timeout, `AUTH` and `SELECT` (or `PING` for db 0),
    /// so a wrong password or an unreachable server is reported here rather than on first use.
    ///
    /// Sets `SIGPIPE` to be ignored process-wide (once): hiredis writes with `write(2)`, and a write to
    /// a connection the server closed would otherwise kill the process instead of reporting
    /// ``RedisError/Code/connectionLost``.
    ///
    /// - Parameters:
    ///   - url: Server, credentials and database.
    ///   - connectTimeout: Limit for establishing the TCP connection (at least 1 ms).
    ///   - commandTimeout: Limit for each socket read or write of a command (at least 1 ms).
    /// - Throws: ``RedisError`` with code `connectionFailed`, `timeout`, `authenticationFailed`,
    ///   `serverError` (e.g. `SELECT` of a database the server does not have) or `connectionLost`.
    package static func connect(
        _ url: RedisURL, connectTimeout: Duration = .seconds(5), commandTimeout: Duration = .seconds(10)
    ) async throws -> RedisConnection {
        _ = ignoreSIGPIPE
        let connection = RedisConnection(
            url: url, connectTimeout: connectTimeout, commandTimeout: commandTimeout)
        try await connection.onQueue { try connection.open() }
        return connection
    }

    /// Sends one command and waits for its reply.
    ///
    /// - Parameter args: The command and its arguments, e.g. `["SET", key, value]`; sent as UTF-8.
    /// - Returns: The reply; never ``RedisReply/error(_:)``.
    /// - Throws: ``RedisError``: `serverError` for an error reply (connection stays usable);
    ///   `timeout`, `connectionLost`, `protocolError` or `connectionClosed` otherwise.
    @discardableResult
    package func command(_ args: [String]) async throws -> RedisReply {
        try await command(bytes: args.map { Array($0.utf8) })
    }

    /// Sends one binary-safe command and waits for its reply.
    ///
    /// - Parameter bytes: The command and its arguments as raw bytes; NUL and CRLF are fine.
    /// - Returns: The reply; never ``RedisReply/error(_:)``.
    /// - Throws: ``RedisError`` as ``command(_:)`` does.
    @discardableResult
    package func command(bytes args: [[UInt8]]) async throws -> RedisReply {
        try await onQueue {
            let reply = try self.run(args)
            if case .error(let text) = reply { throw self.replyError(text, command: args) }
            return reply
        }
    }

    /// Sends several commands in one write and reads all their replies (pipelining).
    ///
    /// - Parameter commands: Commands as in ``command(_:)``.
    /// - Returns: One reply per command, in order; error replies are returned inline as
    ///   ``RedisReply/error(_:)``.
    /// - Throws: ``RedisError`` when the connection fails (`timeout`, `connectionLost`, …); then
    ///   no partial results are returned.
    package func pipeline(_ commands: [[String]]) async throws -> [RedisReply] {
        try await pipeline(bytes: commands.map { $0.map { Array($0.utf8) } })
    }

    /// Binary-safe variant of ``pipeline(_:)``.
    ///
    /// - Parameter commands: Commands as in ``command(bytes:)``.
    package func pipeline(bytes commands: [[[UInt8]]]) async throws -> [RedisReply] {
        guard !commands.isEmpty else { return [] }
        return try await onQueue { try self.runPipeline(commands) }
    }

    /// Reconnects to the same server after a timeout or a lost connection: `redisReconnect`, then
    /// the command timeout (which hiredis does not keep across a reconnect), `AUTH` and `SELECT`.
    ///
    /// - Throws: ``RedisError`` as ``connect(_:connectTimeout:commandTimeout:)`` does, or
    ///   `connectionClosed` after ``close()``.
    package func reconnect() async throws {
        try await onQueue {
            try self.hiredis(command: nil, connecting: true) { ctx in
                redisReconnect(ctx) == REDIS_OK ? () : nil
            }
            self.failure = nil
            do {
                try self.handshake()
            } catch let error as RedisError {
                self.failure = error
                throw error
            }
        }
    }

    /// Closes the socket and frees the hiredis context.
    ///
    /// Does not wait: commands already submitted finish first (the queue is serial); commands
    /// submitted afterwards throw ``RedisError/Code/connectionClosed``. Calling it twice is harmless.
    package func close() {
        queue.async {
            self.isClosed = true
            if let context = self.context {
                redisFree(context)
                self.context = nil
            }
        }
    }

    // MARK: - Queue-confined internals

    /// Runs `body` on the connection's serial queue (never on the cooperative pool) and resumes the
    /// caller with its result.
    private func onQueue<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result(catching: body)) }
        }
    }

    /// The one function every call on an open hiredis context goes through.
    ///
    /// Hands `body` the live context; `body` returns `nil` when the C call failed, and this function
    /// then builds the error from `redisContext.err`/`errstr` and `errno`, and remembers it so the
    /// unusable context is not used again before ``reconnect()``.
    ///
    /// - Parameters:
    ///   - command: The command being sent, for the error message (only its name is used).
    ///   - connecting: `true` while (re)connecting: runs despite an earlier failure, and failures
    ///     are reported as `connectionFailed`.
    private func hiredis<T>(
        command: [[UInt8]]?, connecting: Bool = false,
        _ body: (UnsafeMutablePointer<redisContext>) -> T?
    ) throws -> T {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !isClosed, let ctx = context else {
            throw RedisError(
                .connectionClosed, server: url.server, command: command.flatMap(Self.commandName),
                message: "close() was called")
        }
        if let failure, !connecting {
            throw RedisError(
                .connectionLost, server: url.server, command: command.flatMap(Self.commandName),
                message: "the connection is unusable since an earlier \(failure.code) error (\(failure.message)); call reconnect()")
        }
        errno = 0
        if let value = body(ctx) { return value }
        let error = contextError(ctx, errno: errno, command: command, connecting: connecting)
        failure = error
        throw error
    }

    private func open() throws {
        dispatchPrecondition(condition: .onQueue(queue))
        errno = 0
        guard let ctx = redisConnectWithTimeout(url.host, Int32(url.port), timeval(connectTimeout)) else {
            throw RedisError(
                .connectionFailed, server: url.server, message: "hiredis could not allocate a context")
        }
        context = ctx  // freed by close() or deinit, also when connecting failed
        if ctx.pointee.err != 0 {
            throw contextError(ctx, errno: errno, command: nil, connecting: true)
        }
        try handshake()
    }

    /// Command timeout, `AUTH`, then `SELECT` (or `PING`, so a missing password shows up now).
    private func handshake() throws {
        try hiredis(command: nil, connecting: true) { ctx in
            redisSetTimeout(ctx, timeval(commandTimeout)) == REDIS_OK ? () : nil
        }
        if let password = url.password {
            let auth = ["AUTH"] + (url.username.map { [$0] } ?? []) + [password]
            if case .error(let text) = try run(auth.map { Array($0.utf8) }) {
                throw authError(text)
            }
        }
        let check = url.database != 0 ? ["SELECT", String(url.database)] : ["PING"]
        let args = check.map { Array($0.utf8) }
        if case .error(let text) = try run(args) {
            let error = replyError(text, command: args)
            // Only this refusal: a `LOADING` reply stays a server error the caller may retry.
            guard error.code == .serverError, url.database != 0, text.contains("DB index") || text.contains("out of range") else { throw error }
            // `ERR DB index is out of range`: the URL names a database this server does not have.
            throw RedisError(.databaseUnavailable, server: url.server, command: "SELECT",
                             message: "\(url.database) (server said: \(scrub(text))); use an index below the server's `databases` setting (usually 0-15)")
        }
    }

    /// Sends one command; error replies are returned, not thrown.
    private func run(_ args: [[UInt8]]) throws -> RedisReply {
        guard !args.isEmpty else { throw emptyCommand() }
        return try hiredis(command: args) { ctx in
            withArgv(args) { argc, argv, lengths -> RedisReply? in
                guard let raw = redisCommandArgv(ctx, argc, argv, lengths) else { return nil }
                defer { freeReplyObject(raw) }
                return RedisReply(raw.assumingMemoryBound(to: redisReply.self))
            }
        }
    }

    private func runPipeline(_ commands: [[[UInt8]]]) throws -> [RedisReply] {
        guard commands.allSatisfy({ !$0.isEmpty }) else { throw emptyCommand() }
        return try hiredis(command: nil) { ctx -> [RedisReply]? in
            for args in commands {
                let status = withArgv(args) { argc, argv, lengths in
                    redisAppendCommandArgv(ctx, argc, argv, lengths)
                }
                guard status == REDIS_OK else { return nil }
            }
            var replies: [RedisReply] = []
            replies.reserveCapacity(commands.count)
            for _ in commands {
                var raw: UnsafeMutableRawPointer?
                guard redisGetReply(ctx, &raw) == REDIS_OK, let raw else { return nil }
                defer { freeReplyObject(raw) }
                replies.append(RedisReply(raw.assumingMemoryBound(to: redisReply.self)))
            }
            return replies
        }
    }

    // MARK: - Errors

    private func emptyCommand() -> RedisError {
        RedisError(.protocolError, server: url.server, message: "a command needs at least one argument")
    }

    /// Classifies a context-level failure from hiredis' `err`, `errstr` and the `errno` it left.
    private func contextError(
        _ ctx: UnsafeMutablePointer<redisContext>, errno savedErrno: Int32, command: [[UInt8]]?,
        connecting: Bool
    ) -> RedisError {
        let err = ctx.pointee.err
        let text = withUnsafeBytes(of: ctx.pointee.errstr) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        let name = command.flatMap(Self.commandName)
        let timedOut =
            err == REDIS_ERR_IO
            && (savedErrno == EAGAIN || savedErrno == EWOULDBLOCK || savedErrno == ETIMEDOUT
                || text.contains("timed out") || text == String(cString: strerror(EAGAIN)))
        let code: RedisError.Code
        var message = scrub(text.isEmpty ? "hiredis reported error \(err) without a message" : text)
        if timedOut {
            code = .timeout
            let limit = connecting ? connectTimeout : commandTimeout
            message = "no answer within \(Self.format(limit)) (\(message))"
        } else if connecting {
            code = .connectionFailed
        } else if err == REDIS_ERR_PROTOCOL {
            code = .protocolError
        } else if err == 0 {
            code = .protocolError
            message = "hiredis returned no reply and no error"
        } else {
            code = .connectionLost  // REDIS_ERR_EOF, REDIS_ERR_IO, REDIS_ERR_OOM, REDIS_ERR_OTHER
        }
        return RedisError(code, server: url.server, command: name, message: message)
    }

    /// Turns an error reply into a thrown error; `NOAUTH`/`WRONGPASS` count as authentication errors.
    private func replyError(_ text: String, command: [[UInt8]]) -> RedisError {
        let name = Self.commandName(command)
        if text.hasPrefix("NOAUTH") {
            return RedisError(
                .authenticationFailed, server: url.server, command: name,
                message: "the server requires a password and "
                    + (url.password == nil ? "the URL gives none" : "this connection is not authenticated")
                    + " (server said: \(scrub(text)))")
        }
        if text.hasPrefix("WRONGPASS") { return authError(text) }
        return RedisError(.serverError, server: url.server, command: name, message: scrub(text))
    }

    private func authError(_ text: String) -> RedisError {
        let message: String
        if text.contains("without any password configured") || text.contains("no password is set") {
            message = "the URL gives a password but the server has none configured (server said: \(scrub(text)))"
        } else {
            message = "the server rejected the \(url.username == nil ? "password" : "user name or password") (server said: \(scrub(text)))"
        }
        return RedisError(.authenticationFailed, server: url.server, command: "AUTH", message: message)
    }

    /// Defence in depth: the server never echoes the password, but a message must not carry it even
    /// if it did (e.g. an error reply quoting a command's arguments). Very short passwords are left
    /// alone, as replacing them would garble every message.
    private func scrub(_ text: String) -> String {
        guard let password = url.password, password.count >= 4 else { return text }
        return text.replacing(password, with: "****")
    }

    /// The command's name for messages: the first argument if it looks like a command name, upper-cased.
    private static func commandName(_ args: [[UInt8]]) -> String? {
        guard let first = args.first, !first.isEmpty, first.count <= 32,
            first.allSatisfy({ $0 < 0x80 && (Character(Unicode.Scalar($0)).isLetter || $0 == UInt8(ascii: "_")) })
        else { return nil }
        return String(decoding: first, as: UTF8.self).uppercased()
    }

    private static func format(_ duration: Duration) -> String {
        let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return ms % 1000 == 0 ? "\(ms / 1000) s" : "\(ms) ms"
    }

    private static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()
}
