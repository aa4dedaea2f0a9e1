import CLibPQ
import Foundation

/// Where and how to connect: a `postgresql://user:pass@host:port/db?sslmode=…` URL or a libpq
/// conninfo string (`host=… dbname=…`), validated by libpq's own parser.
package struct PostgresConfiguration: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The string exactly as given; never printed (it may hold a password).
    let connectionString: String
    package var connectTimeoutSeconds: Int
    package var applicationName: String
    /// The password, kept only to scrub it from any server or libpq text we pass on.
    let password: String?
    /// The target without its password, e.g. `postgresql://ops@127.0.0.1:5432/auto_i18n`.
    package private(set) var redacted: String
    package let host: String
    package let port: String
    package let user: String?
    package private(set) var database: String?
    /// Every keyword libpq parsed from the string (password included): never print it.
    let parsedOptions: [String: String]

    /// - Parameters:
    ///   - string: a URL or conninfo string.
    ///   - connectTimeoutSeconds: used unless the string sets `connect_timeout` itself.
    ///   - applicationName: reported in `pg_stat_activity`.
    package init(_ string: String, connectTimeoutSeconds: Int = 5, applicationName: String = "auto-i18n-ops") throws {
        let trimmed = string.trimmingWhitespace()
        guard !trimmed.isEmpty else {
            throw PostgresError(.invalidConfiguration, "the PostgreSQL URL is empty; set DATABASE_URL or --database-url to postgresql://user:password@host:port/database")
        }
        var options: [String: String] = [:]
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let parsed = PQconninfoParse(trimmed, &errorMessage) else {
            if let errorMessage { PQfreemem(errorMessage) }
            throw PostgresError(.invalidConfiguration, "the PostgreSQL URL is malformed; expected postgresql://user:password@host:port/database or a conninfo string like 'host=… dbname=…'")
        }
        defer { PQconninfoFree(parsed) }
        var cursor = parsed
        while let keyword = cursor.pointee.keyword {
            if let value = cursor.pointee.val { options[String(cString: keyword)] = String(cString: value) }
            cursor += 1
        }
        // libpq accepts any text here and fails only when connecting ("invalid port number"), which
        // would read as an outage (exit 3); a bad port is a configuration error, as for Redis.
        if let ports = options["port"], !ports.isEmpty {
            for port in ports.split(separator: ",", omittingEmptySubsequences: false) where !port.isEmpty {
                guard let number = Int(port), (1...65535).contains(number) else {
                    throw PostgresError(.invalidConfiguration, "the PostgreSQL port must be a number from 1 to 65535, got '\(port.prefix(20))'")
                }
            }
        }
        self.connectionString = trimmed
        self.parsedOptions = options
        self.connectTimeoutSeconds = Int(options["connect_timeout"] ?? "") ?? connectTimeoutSeconds
        self.applicationName = applicationName
        self.password = options["password"].flatMap { $0.isEmpty ? nil : $0 }
        self.host = options["hostaddr"] ?? options["host"] ?? "localhost"
        self.port = options["port"] ?? "5432"
        self.user = options["user"]
        self.database = options["dbname"]
        let userPart = user.map { "\($0)@" } ?? ""
        let hostPart = host.hasPrefix("/") ? "[\(host)]" : host
        self.redacted = "postgresql://\(userPart)\(hostPart):\(port)/\(database ?? "")"
    }

    package var description: String { redacted }
    package var debugDescription: String { "PostgresConfiguration(\(redacted))" }
    /// `dump()` and reflection show only the redacted target, never the password.
    package var customMirror: Mirror { Mirror(self, children: ["redacted": redacted], displayStyle: .struct) }

    /// This configuration pointed at another database on the same server (for scratch databases).
    package func withDatabase(_ name: String) throws -> PostgresConfiguration {
        var copy = try PostgresConfiguration(connectionString, connectTimeoutSeconds: connectTimeoutSeconds, applicationName: applicationName)
        copy.overrideDatabase = name
        copy.database = name
        let userPart = user.map { "\($0)@" } ?? ""
        let hostPart = host.hasPrefix("/") ? "[\(host)]" : host
        copy.redacted = "postgresql://\(userPart)\(hostPart):\(port)/\(name)"
        return copy
    }

    var overrideDatabase: String?

    /// The original connection string with its database replaced, for handing to another process or
    /// configuration. Holds the password: never print it.
    package func url(forDatabase name: String) -> String {
        var components = URLComponents(string: connectionString)
        if let scheme = components?.scheme, scheme.hasPrefix("postgres") {
            components?.path = "/" + name
            if let url = components?.string { return url }
        }
        return connectionString + " dbname='\(name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'"))'"
    }

    /// keyword/value pairs for `PQconnectdbParams`; later entries override the expanded string.
    var connectParameters: [(String, String)] {
        var params: [(String, String)] = [("dbname", connectionString)]
        params.append(("connect_timeout", String(connectTimeoutSeconds)))
        params.append(("application_name", applicationName))
        // Every script and archive we write is UTF-8, whatever the database's encoding.
        params.append(("client_encoding", "UTF8"))
        if let overrideDatabase { params.append(("dbname", overrideDatabase)) }
        return params
    }

    /// The connection as libpq environment variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`,
    /// `PGSSLMODE`, …) for a child process such as pg_dump, so nothing of it appears in the process
    /// list; the password is returned apart (hand it over in a 0600 passfile, never in argv). Keywords
    /// with no environment variable (keepalives, sslpassword, …) are left out.
    package var childEnvironment: (variables: [String: String], password: String?) {
        var variables: [String: String] = [:]
        for (keyword, value) in parsedOptions where !value.isEmpty {
            if let name = Self.environmentNames[keyword] { variables[name] = value }
        }
        if let overrideDatabase { variables["PGDATABASE"] = overrideDatabase }
        variables["PGCONNECT_TIMEOUT"] = String(connectTimeoutSeconds)
        variables["PGAPPNAME"] = applicationName
        variables["PGCLIENTENCODING"] = "UTF8"
        return (variables, password)
    }

    private static let environmentNames: [String: String] = [
        "host": "PGHOST", "hostaddr": "PGHOSTADDR", "port": "PGPORT", "dbname": "PGDATABASE", "user": "PGUSER",
        "passfile": "PGPASSFILE", "channel_binding": "PGCHANNELBINDING", "options": "PGOPTIONS",
        "sslmode": "PGSSLMODE", "requiressl": "PGREQUIRESSL", "sslcompression": "PGSSLCOMPRESSION",
        "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY", "sslrootcert": "PGSSLROOTCERT", "sslcrl": "PGSSLCRL",
        "sslcrldir": "PGSSLCRLDIR", "sslsni": "PGSSLSNI", "requirepeer": "PGREQUIREPEER",
        "ssl_min_protocol_version": "PGSSLMINPROTOCOLVERSION", "ssl_max_protocol_version": "PGSSLMAXPROTOCOLVERSION",
        "gssencmode": "PGGSSENCMODE", "krbsrvname": "PGKRBSRVNAME", "gsslib": "PGGSSLIB", "service": "PGSERVICE",
        "target_session_attrs": "PGTARGETSESSIONATTRS",
    ]

    /// Removes the password from text that came from libpq or the server.
    func scrub(_ text: String) -> String {
        // Very short passwords would mangle ordinary text; libpq never echoes passwords anyway.
        guard let password, password.count >= 4 else { return text }
        return text.replacingAll(password, with: "****")
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }

    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
