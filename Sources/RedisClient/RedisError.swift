/// An error from the Redis client: a bad URL, an unreachable or misbehaving server, or an error reply.
///
/// Modelled on postgres-nio's `PSQLError`: ``Code`` is a struct over a private enum so new codes never
/// break callers. ``description`` is one sentence naming the server as `redis://host:port`; it is built
/// from hiredis' own `redisContext.errstr` or from the server's error reply, and never contains a
/// password (passwords are not stored here, and messages are scrubbed of the URL's password).
package struct RedisError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, independent of the wording of the message.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case invalidURL, connectionFailed, timeout, connectionLost, connectionClosed
            case authenticationFailed, serverError, protocolError, databaseUnavailable
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The URL is malformed or asks for something unsupported (such as TLS via `rediss://`).
        package static let invalidURL = Code(.invalidURL)
        /// The TCP connection could not be established (refused, unresolvable host, unreachable).
        package static let connectionFailed = Code(.connectionFailed)
        /// The connect timeout or the command timeout elapsed. The connection is unusable afterwards
        /// (a late reply would be read as the answer to the next command) until
        /// ``RedisConnection/reconnect()``.
        package static let timeout = Code(.timeout)
        /// The connection broke while a command was in flight: I/O error, or the server closed it.
        package static let connectionLost = Code(.connectionLost)
        /// ``RedisConnection/close()`` was called before this command.
        package static let connectionClosed = Code(.connectionClosed)
        /// The server rejected the credentials, requires a password that was not given (`NOAUTH`), or
        /// has no password configured while the URL gives one.
        package static let authenticationFailed = Code(.authenticationFailed)
        /// The server answered the command with an error reply (`-ERR …`, `-WRONGTYPE …`).
        /// The connection stays usable.
        package static let serverError = Code(.serverError)
        /// The server's answer could not be parsed, or the command could not be sent as given.
        package static let protocolError = Code(.protocolError)
        /// The URL's database index is one the server does not have (`SELECT` refused while connecting).
        package static let databaseUnavailable = Code(.databaseUnavailable)

        package var description: String { base.rawValue }
    }

    /// What went wrong.
    package var code: Code
    /// The server as `redis://host:port`, without credentials; `nil` when no server is involved
    /// (for example a malformed URL).
    package var server: String?
    /// The name of the command that failed (its first argument, upper-cased), never its other
    /// arguments, which may hold data or secrets.
    package var command: String?
    /// The detail: hiredis' `errstr`, the server's error reply, or the URL problem.
    package var message: String

    package init(_ code: Code, server: String? = nil, command: String? = nil, message: String) {
        self.code = code
        self.server = server
        self.command = command
        self.message = message
    }

    package var description: String {
        let target = server ?? "Redis"
        let during = command.map { " during \($0)" } ?? ""
        switch code {
        case .invalidURL:
            return "invalid Redis URL: \(message)"
        case .connectionFailed:
            return "cannot connect to \(target): \(message)"
        case .timeout:
            return "timed out waiting for \(target)\(during): \(message)"
        case .connectionLost:
            return "lost the connection to \(target)\(during): \(message)"
        case .connectionClosed:
            return "the connection to \(target) is closed\(during): \(message)"
        case .authenticationFailed:
            return "authentication to \(target) failed\(during): \(message)"
        case .serverError:
            return "\(target) answered\(during) with an error: \(message)"
        case .databaseUnavailable:
            return "\(target) has no database \(message)"
        case .protocolError:
            return "protocol error talking to \(target)\(during): \(message)"
        default:
            return "\(code) on \(target)\(during): \(message)"
        }
    }
}
