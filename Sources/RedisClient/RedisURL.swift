/// Where and how to connect: `redis://[user][:password@]host[:port][/db]`.
///
/// The port defaults to 6379 and the database to 0. User and password may be percent-encoded; the
/// user info ends at the last `@`, and a user info without `:` is a password (as `redis-cli -u` reads
/// it). IPv6 hosts go in brackets.
/// `rediss://` (TLS) is rejected with a clear error because hiredis 0.14 has no TLS support.
///
/// `description`, `debugDescription` and the mirror show the URL with the password masked as `****`,
/// so interpolating or dumping a `RedisURL` never leaks it. Only ``password`` itself holds it.
package struct RedisURL: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    package static let defaultPort = 6379

    /// Host name or IP address (IPv6 without brackets).
    package var host: String
    package var port: Int
    /// Database index sent with `SELECT` after connecting (when not 0).
    package var database: Int
    /// ACL user name; when set together with a password, the client sends `AUTH user password`.
    package var username: String?
    package var password: String?

    /// - Parameters:
    ///   - host: Host name or IP address.
    ///   - port: TCP port, 1...65535.
    ///   - database: Database index, `SELECT`ed after connecting when not 0.
    ///   - username: ACL user for `AUTH user password`; ignored without a password.
    ///   - password: Password for `AUTH`.
    package init(
        host: String, port: Int = RedisURL.defaultPort, database: Int = 0,
        username: String? = nil, password: String? = nil
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.username = username
        self.password = password
    }

    /// Parses a `redis://` URL.
    ///
    /// - Parameter string: The URL, e.g. `redis://:secret@cache.internal:6379/2`.
    /// - Throws: ``RedisError`` with code ``RedisError/Code/invalidURL``; its message shows the
    ///   URL with the password masked.
    package init(_ string: String) throws {
        func invalid(_ why: String) -> RedisError {
            RedisError(.invalidURL, message: "\(RedisURL.redact(string)): \(why)")
        }
        guard let schemeEnd = string.firstRange(of: "://") else {
            throw invalid("expected redis://[user][:password@]host[:port][/db]")
        }
        let scheme = string[..<schemeEnd.lowerBound].lowercased()
        switch scheme {
        case "redis": break
        case "rediss": throw invalid("TLS (rediss://) is not supported by this client; use redis://")
        default: throw invalid("unsupported scheme '\(scheme)'; expected redis://")
        }
        var rest = string[schemeEnd.upperBound...]

        // The user info ends at the last "@", so a password may itself contain "@" or "/".
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let user: Substring
            var pass: Substring?
            if let colon = userInfo.firstIndex(of: ":") {
                user = userInfo[..<colon]
                pass = userInfo[userInfo.index(after: colon)...]
            } else {
                // `redis://secret@host` is a common legacy spelling for a password-only URL.
                user = ""
                pass = userInfo
            }
            guard let decodedUser = RedisURL.percentDecode(user),
                let decodedPass = pass.map({ RedisURL.percentDecode($0) }) ?? ""
            else { throw invalid("malformed percent-encoding in user or password") }
            username = decodedUser.isEmpty ? nil : decodedUser
            password = (pass == nil || decodedPass.isEmpty) ? nil : decodedPass
        } else {
            username = nil
            password = nil
        }

        if rest.contains("?") || rest.contains("#") {
            throw invalid("query parameters and fragments are not supported")
        }
        let hostPort: Substring
        let path: Substring?
        if let slash = rest.firstIndex(of: "/") {
            hostPort = rest[..<slash]
            path = rest[rest.index(after: slash)...]
        } else {
            hostPort = rest
            path = nil
        }

        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else {
                throw invalid("unterminated IPv6 address")
            }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("unexpected text after IPv6 address") }
                portText = after.dropFirst()
            }
        } else if let colon = hostPort.firstIndex(of: ":") {
            host = String(hostPort[..<colon])
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = String(hostPort)
        }
        guard !host.isEmpty else { throw invalid("missing host") }

        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else {
                throw invalid("port must be a number from 1 to 65535, got '\(portText)'")
            }
            port = p
        } else {
            port = RedisURL.defaultPort
        }

        if let path, !path.isEmpty {
            guard let db = Int(path), db >= 0 else {
                throw invalid("database must be a non-negative number, got '\(path)'")
            }
            database = db
        } else {
            database = 0
        }
    }

    /// The server as `redis://host:port`, without credentials or database: how errors name it.
    package var server: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "redis://\(h):\(port)"
    }

    /// The full URL with the password replaced by `****`.
    package var redacted: String {
        var userInfo = ""
        if let username { userInfo += username }
        if password != nil { userInfo += ":****" }
        if !userInfo.isEmpty { userInfo += "@" }
        let h = host.contains(":") ? "[\(host)]" : host
        return "redis://\(userInfo)\(h):\(port)/\(database)"
    }

    package var description: String { redacted }
    package var debugDescription: String { "RedisURL(\(redacted))" }

    package var customMirror: Mirror {
        Mirror(self, children: [
            "host": host, "port": port, "database": database,
            "username": username as Any, "password": password == nil ? "nil" : "****",
        ])
    }

    /// Masks the password in a URL string that may not even parse, for error messages.
    static func redact(_ string: String) -> String {
        let start = string.firstRange(of: "://")?.upperBound ?? string.startIndex
        let rest = string[start...]
        guard let at = rest.lastIndex(of: "@") else { return string }
        let userInfo = rest[..<at]
        let user = userInfo.firstIndex(of: ":").map { userInfo[..<$0] } ?? ""
        return string[..<start] + user + ":****" + rest[at...]
    }

    private static func percentDecode(_ text: Substring) -> String? {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var utf8 = text.utf8.makeIterator()
        while let byte = utf8.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let hi = utf8.next().flatMap(hexValue), let lo = utf8.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(hi << 4 | lo)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
