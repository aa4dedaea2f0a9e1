import OpsCore

/// Where the metrics server listens: `host:port` or `[ipv6]:port` (`METRICS_LISTEN`, `--listen`).
package struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    package var host: String
    package var port: Int

    /// The default, loopback only: metrics and health are not for the whole network unless asked.
    package static let `default` = ListenAddress(host: "127.0.0.1", port: 9465)

    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` or `[ipv6]:port`; port 0 picks a free port.
    /// - Throws: `OpsError` `.usage` naming the value.
    package init(parsing text: String) throws {
        guard let colon = text.lastIndex(of: ":") else {
            throw OpsError(.usage, "listen address '\(text)' is not host:port (e.g. 127.0.0.1:9465 or [::1]:9465)")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw OpsError(.usage, "listen address '\(text)' is not host:port with a port from 0 to 65535 (e.g. 127.0.0.1:9465)")
        }
        self.init(host: host, port: port)
    }

    package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
