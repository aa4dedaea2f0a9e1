/// An error from the PostgreSQL client: a stable `code`, plus the server's own fields when it sent them.
///
/// `description` is one line a human can act on. It never contains a password: messages are built
/// from libpq's text with the configured password scrubbed, and servers are named by `RedactedURL`.
package struct PostgresError: Error, CustomStringConvertible, Sendable {
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case invalidConfiguration, connectionFailed, authenticationFailed, connectionLost,
                 server, copyFailed, decoding, cancelled, closed
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The URL or conninfo string could not be parsed.
        package static let invalidConfiguration = Code(.invalidConfiguration)
        /// The server could not be reached (refused, unknown host, timeout).
        package static let connectionFailed = Code(.connectionFailed)
        /// The server was reached but refused our credentials.
        package static let authenticationFailed = Code(.authenticationFailed)
        /// The connection broke while a command was running.
        package static let connectionLost = Code(.connectionLost)
        /// The server reported an error (see `sqlState`).
        package static let server = Code(.server)
        /// A COPY stream failed on our side.
        package static let copyFailed = Code(.copyFailed)
        /// A value could not be decoded into the requested Swift type.
        package static let decoding = Code(.decoding)
        /// The running statement was cancelled because its task was cancelled.
        package static let cancelled = Code(.cancelled)
        /// The connection was already closed.
        package static let closed = Code(.closed)

        package var description: String { base.rawValue }
    }

    package var code: Code
    package var message: String
    /// Five-character SQLSTATE when the server sent one (e.g. `55P03` lock_not_available).
    package var sqlState: String?
    package var detail: String?
    package var hint: String?

    package init(_ code: Code, _ message: String, sqlState: String? = nil, detail: String? = nil, hint: String? = nil) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
    }

    /// True for failures a retry may cure: the server could not be reached or the connection broke.
    package var isTransient: Bool {
        code == .connectionFailed || code == .connectionLost
            || (sqlState.map { $0.hasPrefix("08") || $0 == "57P01" || $0 == "57P03" || $0 == "53300" } ?? false)
    }

    /// One line: libpq and server texts may span several (`server closed the connection
    /// unexpectedly\n\tThis probably means…`); their lines are joined with "; ".
    package var description: String {
        var text = Self.oneLine(message)
        if let detail, !detail.isEmpty { text += " (\(Self.oneLine(detail)))" }
        if let hint, !hint.isEmpty { text += " Hint: \(Self.oneLine(hint))" }
        if let sqlState { text += " [SQLSTATE \(sqlState)]" }
        return text
    }

    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingWhitespaceSubstring() }.filter { !$0.isEmpty }.joined(separator: "; ")
    }
}
