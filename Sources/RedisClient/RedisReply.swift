import OpsSupport

/// One reply from the server (RESP2, as hiredis 0.14 speaks it).
package enum RedisReply: Sendable, Hashable {
    /// A bulk string, binary-safe: it may hold NUL bytes, CRLF or non-UTF-8 data.
    case string([UInt8])
    /// A simple status reply such as `OK` or `PONG`.
    case status(String)
    case integer(Int64)
    case array([RedisReply])
    /// A nil bulk string or nil array (e.g. `GET` of a missing key, `BLPOP` that timed out).
    case null
    /// An error reply such as `ERR value is not an integer or out of range`. Only
    /// ``RedisConnection/pipeline(_:)`` returns these; ``RedisConnection/command(_:)`` throws them.
    case error(String)

    /// The text of a bulk string (decoded as UTF-8, invalid bytes repaired) or of a status reply.
    package var stringValue: String? {
        switch self {
        case .string(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .status(let text): return text
        default: return nil
        }
    }

    /// The raw bytes of a bulk string.
    package var bytes: [UInt8]? {
        if case .string(let bytes) = self { return bytes }
        return nil
    }

    /// An integer reply, or a bulk string that holds a decimal integer (as `GET` of a counter does).
    package var int: Int64? {
        switch self {
        case .integer(let value): return value
        case .string(let bytes): return Int64(String(decoding: bytes, as: UTF8.self))
        default: return nil
        }
    }

    package var array: [RedisReply]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    package var isNull: Bool { self == .null }

    /// The text of an error reply.
    package var errorMessage: String? {
        if case .error(let text) = self { return text }
        return nil
    }
}
